"""Read a CSV table against a column specification, with one-line errors naming file, line and column.

Line numbers are those of the file as a spreadsheet or editor shows them: the header is line 1, the
first data row line 2. Every dataset file petra reads goes through `read_table`, so all of them
report bad input the same way.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from petra.errors import InputError, shown
from petra.textfiles import decode_utf8

FULL_PRECISION = "%.17g"  # float format of every CSV petra writes for re-reading (round-trips a double)

_NON_FINITE_WORDS = ["nan", "-nan", "+nan", "inf", "-inf", "+inf", "infinity", "-infinity",
                     "+infinity"]


@dataclass(frozen=True)
class Column:
    """One column of a table.

    kind: "str" (non-empty text) or "float" (finite number).
    required: the column must be present in the header; an optional column absent from the file is
        filled with `blank` for every row.
    blank: value substituted for an empty cell; None means an empty cell is an error.
    lower / upper: inclusive bounds; `lower_open` makes the lower bound strict.
    min_positive: a value must be 0 or at least this (tiny non-zero magnitudes are refused).
    integer: the value must be a whole number (years).
    """

    name: str
    kind: str = "float"
    required: bool = True
    blank: float | str | None = None
    lower: float | None = None
    lower_open: bool = False
    upper: float | None = None
    min_positive: float | None = None
    integer: bool = False


def _bound_message(col: Column) -> str:
    parts = []
    if col.lower is not None:
        parts.append(f"{'>' if col.lower_open else '>='} {col.lower:g}")
    if col.upper is not None:
        parts.append(f"<= {col.upper:g}")
    if col.min_positive is not None and col.lower == 0 and col.lower_open:
        parts[0] = f"> 0 (at least {col.min_positive:g})"
    elif col.min_positive is not None and col.lower == 0:
        parts[0] = f"0 or >= {col.min_positive:g}"
    elif col.min_positive is not None:
        parts.insert(0, f"0 or >= {col.min_positive:g}")
    return " and ".join(parts)


def read_table(path: str | Path, columns: list[Column], *, key: list[str] | None = None,
               name: str | None = None) -> pd.DataFrame:
    """Read and validate a CSV file; return a DataFrame with exactly the spec's columns, typed.

    Extra columns in the file are ignored. `key` names columns whose combination must be unique.
    The returned frame keeps the file's row order (row i is file line i + 2; `source_line` gives it)
    and carries the file name in `df.attrs["file"]`, so later cross-checks can name the row too.
    Raises InputError on a missing file or column, an empty or non-numeric cell, NaN or infinite
    values, values out of bounds and duplicate keys.
    """
    path = Path(path)
    label = name or str(path)
    if not path.is_file():
        raise InputError("file not found", file=label)
    raw = _read_cells(path, label, columns)
    return validate_text_frame(raw, columns, key=key, label=label)


MAX_TABLE_BYTES = 2_000_000_000
"""Largest CSV table petra reads, in bytes of text (after decompressing a `.csv.gz`): a 1 MB gzip bomb
could otherwise expand to gigabytes."""


def table_path(folder: Path, name: str) -> Path | None:
    """`folder/name` (e.g. routes.csv), or its gzip-compressed form `name.gz`, or None if neither exists;
    InputError if both do (which one is meant?)."""
    plain, packed = folder / name, folder / f"{name}.gz"
    if plain.is_file() and packed.is_file():
        raise InputError(f"both {name} and {name}.gz exist; keep one", file=str(folder))
    return plain if plain.is_file() else packed if packed.is_file() else None


def _read_bytes(path: Path, label: str) -> bytes:
    """The file's bytes, decompressed if it ends in .gz; InputError above MAX_TABLE_BYTES (reading
    stops there) or if unreadable."""
    try:
        if path.name.endswith(".gz"):
            with gzip.open(path, "rb") as f:
                data = f.read(MAX_TABLE_BYTES + 1)
        elif path.stat().st_size > MAX_TABLE_BYTES:
            data = None
        else:
            data = path.read_bytes()
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise InputError(f"cannot read file ({getattr(exc, 'strerror', None) or exc})", file=label) from None
    if data is None or len(data) > MAX_TABLE_BYTES:
        raise InputError(f"larger than {MAX_TABLE_BYTES:,} bytes of text; petra reads tables up to that size",
                         file=label)
    return data


def _read_cells(path: Path, label: str, columns: list[Column]) -> pd.DataFrame:
    """A CSV file (or `.csv.gz`) as a frame of text cells (header trimmed). InputError on non-UTF-8
    text, a NUL byte, an empty file, a header naming a column twice (after trimming) or a row with more
    non-empty fields than the header; short rows are padded with empty cells and blank lines skipped."""
    data = _read_bytes(path, label)
    text = decode_utf8(data, label)
    if "\x00" in text:
        raise InputError("contains a NUL byte (not a text table)", file=label,
                         row=text[: text.index("\x00")].count("\n") + 1)
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True)
    try:
        rows = [(reader.line_num, r) for r in reader if r and any(c.strip() for c in r)]
    except csv.Error as exc:
        raise InputError(f"not a readable CSV table ({exc})", file=label, row=reader.line_num) from None
    if not rows:
        raise InputError("not a readable CSV table (empty file)", file=label)
    header = [c.strip() for c in rows[0][1]]
    seen: dict[str, int] = {}
    for j, name in enumerate(header):
        if name in seen and name:
            raise InputError(f"column '{shown(name)}' appears twice in the header (fields {seen[name] + 1} "
                             f"and {j + 1}, after trimming spaces)", file=label, row=1)
        seen[name] = j
    _check_columns(header, columns, label)
    width = len(header)
    cells = []
    for line, r in rows[1:]:
        if len(r) > width:
            if any(c.strip() for c in r[width:]):
                raise InputError(f"{len(r)} fields where the header has {width}", file=label, row=line)
            r = r[:width]
        cells.append(r + [""] * (width - len(r)))
    return pd.DataFrame(cells, columns=header, dtype=object).astype(str) if cells else \
        pd.DataFrame({h: pd.Series([], dtype=str) for h in header})


def _overflows(text: str) -> bool:
    """Whether `text` is a number too large for a double (e.g. 1e400), not a word like 'inf'."""
    try:
        return math.isinf(float(text)) and text.strip().lower() not in _NON_FINITE_WORDS
    except ValueError:
        return False


def _check_columns(header: list[str], columns: list[Column], label: str) -> None:
    for col in columns:
        if col.required and col.name not in header:
            raise InputError(f"missing column (found: {', '.join(header)})", file=label, column=col.name)


def validate_text_frame(raw: pd.DataFrame, columns: list[Column], *, key: list[str] | None = None,
                        label: str = "table") -> pd.DataFrame:
    """Validate a frame of text cells (as read from CSV) against `columns`; see `read_table`."""
    raw = raw.copy()
    raw.columns = [str(c).strip() for c in raw.columns]
    if raw.columns.duplicated().any():
        name = raw.columns[raw.columns.duplicated()][0]
        raise InputError(f"column '{shown(name)}' appears twice in the header (after trimming spaces)",
                         file=label, row=1)
    _check_columns(list(raw.columns), columns, label)
    lines = np.arange(len(raw)) + 2
    out = {}
    for col in columns:
        if col.name not in raw.columns:
            if col.required:
                raise InputError(f"missing column (found: {', '.join(raw.columns)})", file=label,
                                 column=col.name)
            out[col.name] = pd.Series([col.blank] * len(raw), dtype=object if col.kind == "str"
                                      else float)
            continue
        text = raw[col.name].str.strip()
        empty = (text == "").to_numpy()
        if empty.any() and col.blank is None:
            i = int(np.argmax(empty))
            raise InputError("empty value", file=label, row=int(lines[i]), column=col.name)
        if col.kind == "str":
            out[col.name] = text.where(~empty, col.blank)
            continue
        values = pd.to_numeric(text.where(~empty, "0"), errors="coerce").to_numpy(dtype=float)
        lowered = text.str.lower().to_numpy()
        bad_text = np.isnan(values) & ~np.isin(lowered, ["nan", "-nan", "+nan"])
        if bad_text.any():
            i = int(np.argmax(bad_text))
            if _overflows(text.iloc[i]):
                raise InputError(f"{shown(text.iloc[i])} is out of range (beyond double precision; must be "
                                 f"{_bound_message(col) or 'finite'})", file=label, row=int(lines[i]),
                                 column=col.name)
            raise InputError(f"'{shown(text.iloc[i])}' is not a number", file=label, row=int(lines[i]),
                             column=col.name)
        nonfinite = ~np.isfinite(values)
        overflow = nonfinite & ~np.isin(lowered, _NON_FINITE_WORDS)
        if overflow.any():
            i = int(np.argmax(overflow))
            raise InputError(f"{shown(text.iloc[i])} is out of range (beyond double precision; must be "
                             f"{_bound_message(col) or 'finite'})", file=label, row=int(lines[i]),
                             column=col.name)
        if nonfinite.any():
            i = int(np.argmax(nonfinite))
            raise InputError(f"'{shown(text.iloc[i])}' is not a finite number (NaN and infinity are not "
                             f"allowed{'; leave the cell empty instead' if col.blank is not None else ''})",
                             file=label, row=int(lines[i]), column=col.name)
        if col.blank is not None:
            values = np.where(empty, float(col.blank), values)
        bad = np.zeros(len(values), dtype=bool)
        checked = ~empty
        if col.lower is not None:
            bad |= checked & ((values <= col.lower) if col.lower_open else (values < col.lower))
        if col.upper is not None:
            bad |= checked & (values > col.upper)
        if col.min_positive is not None:
            bad |= checked & (values != 0) & (np.abs(values) < col.min_positive)
        if bad.any():
            i = int(np.argmax(bad))
            raise InputError(f"{shown(text.iloc[i])} is out of range (must be {_bound_message(col)})",
                             file=label, row=int(lines[i]), column=col.name)
        if col.integer:
            frac = checked & (values != np.round(values))
            if frac.any():
                i = int(np.argmax(frac))
                raise InputError(f"{shown(text.iloc[i])} is not a whole number", file=label,
                                 row=int(lines[i]), column=col.name)
        out[col.name] = values
    df = pd.DataFrame(out, index=pd.RangeIndex(len(raw)))
    if key:
        dup = df.duplicated(subset=key, keep="first").to_numpy()
        if dup.any():
            i = int(np.argmax(dup))
            first = df.index[(df[key] == df.loc[i, key]).all(axis=1)][0]
            keyval = ", ".join(str(df.loc[i, k]) for k in key)
            raise InputError(f"duplicate key ({keyval}), first given on line {lines[first]}",
                             file=label, row=int(lines[i]), column=key[0])
    # only scalars in attrs: pandas deep-copies attrs on every operation and compares them in concat
    df.attrs["first_line"] = 2
    df.attrs["file"] = label
    return df


def source_line(df: pd.DataFrame, position: int) -> int | None:
    """The file line of the row at integer `position` of a frame returned by `read_table`."""
    first = df.attrs.get("first_line")
    return None if first is None else int(first + position)

