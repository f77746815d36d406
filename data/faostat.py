"""Readers for FAOSTAT bulk CSV layouts (normalized) and the wide extracts used by the build.

All readers return long frames with integer FAO codes and float values, plus `_line` (the file line
of each row: header = line 1) so later steps can name the row of a bad value. Files may be UTF-8
(with or without BOM) or latin-1; M49/CPC code columns (values like `'156`) are accepted and ignored,
and a leading apostrophe on any code is stripped. Bad input raises InputError naming file, line and
column.

Units as in FAOSTAT: trade quantities t (5610 import, 5910 export), trade values 1000 USD (5622
import, 5922 export); area harvested ha (5312), production t (5510); producer price USD/t (5532).
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np
import pandas as pd

from petra.errors import InputError

TRADE_ELEMENTS = {5610: "import_quantity", 5622: "import_value", 5910: "export_quantity",
                  5922: "export_value"}
QCL_ELEMENTS = {5312: "area_harvested", 5510: "production"}
# QCL elements present in real bulk files that petra reads past (yield, stocks, animals ...).
QCL_IGNORED = {5419, 5412, 5111, 5112, 5313, 5314, 5318, 5320, 5321, 5410, 5413, 5417, 5420, 5422, 5424,
               5513, 5114}
PP_ELEMENTS = {5532: "producer_price_usd"}
PP_IGNORED = {5530, 5531, 5539}

TRADE_COLUMNS = {"reporter": ["Reporter Country Code", "Reporter Country Code (FAO)"],
                 "partner": ["Partner Country Code", "Partner Country Code (FAO)"],
                 "item_code": ["Item Code", "Item Code (FAO)"], "element": ["Element Code"],
                 "year": ["Year", "Year Code"], "unit": ["Unit"], "value": ["Value"]}
AREA_COLUMNS = {"area": ["Area Code", "Area Code (FAO)", "Country Code"],
                "item_code": ["Item Code", "Item Code (FAO)"], "element": ["Element Code"],
                "year": ["Year", "Year Code"], "unit": ["Unit"], "value": ["Value"]}


def read_text_csv(path: str | Path, *, comment: str | None = None) -> pd.DataFrame:
    """Read a CSV (optionally .gz) as text cells; UTF-8 (BOM ok), falling back to latin-1."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=str(path))
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False,
                         comment=comment)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"not a readable CSV table ({str(exc).splitlines()[0]})", file=str(path)) from exc
    df.columns = [str(c).strip() for c in df.columns]
    df["_line"] = np.arange(len(df)) + 2
    return df


def _pick(df: pd.DataFrame, spec: dict[str, list[str]], file: str) -> dict[str, str]:
    found = {}
    for key, names in spec.items():
        hit = next((n for n in names if n in df.columns), None)
        if hit is None:
            cols = ", ".join(c for c in df.columns if c != "_line")
            raise InputError(f"missing column (found: {cols}); not a FAOSTAT bulk layout", file=file,
                             column=names[0])
        found[key] = hit
    return found


def parse_codes(text: pd.Series, *, file: str, column: str, lines: np.ndarray) -> np.ndarray:
    """FAO/M49 code cells -> int array; strips a leading apostrophe (`'156`) and spaces."""
    clean = text.str.strip().str.lstrip("'").str.strip()
    values = pd.to_numeric(clean, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values != np.round(values))
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(f"'{text.iloc[i]}' is not an integer code", file=file, row=int(lines[i]),
                         column=column)
    return values.astype(np.int64)


def parse_values(text: pd.Series, *, file: str, column: str, lines: np.ndarray) -> np.ndarray:
    """Numeric cells -> float array (NaN for empty cells); raises on non-numeric or negative text."""
    clean = text.str.strip()
    empty = (clean == "").to_numpy()
    values = pd.to_numeric(clean.where(~empty, "nan"), errors="coerce").to_numpy(dtype=float)
    bad = ~empty & ~np.isfinite(values)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(f"'{text.iloc[i]}' is not a number", file=file, row=int(lines[i]), column=column)
    neg = ~empty & (values < 0)
    if neg.any():
        i = int(np.argmax(neg))
        raise InputError(f"{text.iloc[i]} is negative", file=file, row=int(lines[i]), column=column)
    return values


def _check_elements(codes: np.ndarray, known: dict, ignored: set, *, file: str, column: str,
                    lines: np.ndarray) -> np.ndarray:
    """Boolean mask of rows to keep; raises on an element code petra does not know."""
    unknown = ~np.isin(codes, list(known)) & ~np.isin(codes, list(ignored))
    if unknown.any():
        i = int(np.argmax(unknown))
        raise InputError(f"unknown element code {int(codes[i])} (expected one of "
                         f"{', '.join(str(k) for k in sorted(known))})", file=file, row=int(lines[i]),
                         column=column)
    return np.isin(codes, list(known))


def _read_long(path: str | Path, spec: dict, known: dict, ignored: set) -> pd.DataFrame:
    file = str(path)
    raw = read_text_csv(path)
    cols = _pick(raw, spec, file)
    lines = raw["_line"].to_numpy()
    out = {}
    for key, col in cols.items():
        if key in ("unit",):
            out[key] = raw[col].str.strip().to_numpy()
        elif key == "value":
            out[key] = parse_values(raw[col], file=file, column=col, lines=lines)
        else:
            out[key] = parse_codes(raw[col], file=file, column=col, lines=lines)
    df = pd.DataFrame(out)
    df["_line"] = lines
    keep = _check_elements(df["element"].to_numpy(), known, ignored, file=file, column=cols["element"],
                           lines=lines)
    df = df[keep & np.isfinite(df["value"].to_numpy())].reset_index(drop=True)
    df["element_name"] = df["element"].map(known)
    return df


def read_trade_matrix(path: str | Path) -> pd.DataFrame:
    """FAOSTAT Detailed Trade Matrix, normalized bulk (`Trade_DetailedTradeMatrix_E_All_Data_(Normalized)`).

    Columns returned: reporter, partner, item_code, element, element_name, year, unit, value, _line.
    Quantities (5610/5910) in t, values (5622/5922) in 1000 USD. Empty values are dropped.
    """
    return _read_long(path, TRADE_COLUMNS, TRADE_ELEMENTS, set())


def trade_quantities(tm: pd.DataFrame) -> pd.DataFrame:
    """Reported bilateral quantities (t) from a trade-matrix frame, oriented exporter -> importer.

    Returns columns exporter, importer, item_code, year, quantity, reported_by ("exporter" for 5910
    rows, "importer" for 5610 rows).
    """
    q = tm[tm["element"].isin([5610, 5910])]
    exp = q["element"] == 5910
    return pd.DataFrame({
        "exporter": np.where(exp, q["reporter"], q["partner"]),
        "importer": np.where(exp, q["partner"], q["reporter"]),
        "item_code": q["item_code"].to_numpy(), "year": q["year"].to_numpy(),
        "quantity": q["value"].to_numpy(), "reported_by": np.where(exp, "exporter", "importer"),
    }).reset_index(drop=True)


def read_production(path: str | Path) -> pd.DataFrame:
    """FAOSTAT Production (QCL) normalized bulk: area harvested (5312, ha) and production (5510, t).

    Columns: area, item_code, element, element_name, year, unit, value, _line. Other known QCL
    elements (yield, stocks, ...) are skipped; an unknown element code is an error.
    """
    return _read_long(path, AREA_COLUMNS, QCL_ELEMENTS, QCL_IGNORED)


def read_producer_prices(path: str | Path) -> pd.DataFrame:
    """FAOSTAT Producer Prices normalized bulk: 5532 producer price, USD/t (annual values only).

    Columns: area, item_code, element, element_name, year, unit, value, _line. LCU/SLC prices and
    indices are skipped; monthly rows (Months Code != 7021) are dropped when the column exists.
    """
    raw_months = read_text_csv(path)
    df = _read_long(path, AREA_COLUMNS, PP_ELEMENTS, PP_IGNORED)
    if "Months Code" in raw_months.columns:
        annual = set(raw_months.loc[raw_months["Months Code"].str.strip() == "7021", "_line"])
        df = df[df["_line"].isin(annual)].reset_index(drop=True)
    return df


WIDE_ALIASES = {"area": ["area_code", "country codes", "Area Code"],
                "item_code": ["item_code", "item codes", "Item Code"],
                "element": ["element", "Element"]}


def read_wide(path: str | Path, years: list[int] | None = None, *, unit: bool = False) -> pd.DataFrame:
    """A wide FAOSTAT extract (one column per year; gcamdata_FAO_raw or gcamfaostat layouts).

    Returns long columns area, item_code, element (text as in the file), year, value (NaN rows
    dropped); with `unit` also the file's unit column (e.g. ``An``, ``1000 An``). Files start with `#`
    comment lines; latin-1 or UTF-8.
    """
    file = str(path)
    raw = read_text_csv(path, comment="#")
    cols = _pick(raw, {**WIDE_ALIASES, **({"unit": ["unit", "Unit"]} if unit else {})}, file)
    ycols = [c for c in raw.columns if c.isdigit() and (years is None or int(c) in years)]
    lines = raw["_line"].to_numpy()
    base = pd.DataFrame({
        "area": parse_codes(raw[cols["area"]], file=file, column=cols["area"], lines=lines),
        "item_code": parse_codes(raw[cols["item_code"]], file=file, column=cols["item_code"], lines=lines),
        "element": raw[cols["element"]].str.strip().to_numpy(), "_line": lines})
    if unit:
        base.insert(3, "unit", raw[cols["unit"]].str.strip().to_numpy())
    parts = []
    for y in ycols:
        v = parse_values(raw[y], file=file, column=y, lines=lines)
        parts.append(base.assign(year=int(y), value=v)[np.isfinite(v)])
    if not parts:
        return base.assign(year=pd.Series(dtype=int), value=pd.Series(dtype=float)).iloc[0:0]
    return pd.concat(parts, ignore_index=True)
