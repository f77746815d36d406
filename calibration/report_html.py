"""HTML building blocks shared by the calibration and hindcast reports (pure functions): number
formats for people (never scientific notation in score tables), the quantity unit of the IAMC output,
generic and key-value tables, a settings table (nested keys flattened), a glossary, the page CSS and
PNG embedding.
"""

from __future__ import annotations

import base64
import html
import io
import math
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

DPI = 96

# quantity units of the datasets -> (the IAMC output's unit, factor): the reports show quantities as
# petra's IAMC output does (Mt); the factors are pint's (checked against petra.embodied.units in the tests)
IAMC_QUANTITY = "Mt"
TO_MT = {"t": 1e-6, "kt": 1e-3, "Mt": 1.0}
IAMC_PRICE = "USD_2010/t"


def display_quantity(unit: str) -> tuple[str, float]:
    """(label, factor) to show quantities given in the dataset's `unit` ("kt", or "kt (1000 t, ...)"):
    Mt with its factor for a mass in t, kt or Mt; otherwise the unit's first word and 1."""
    word = str(unit or "").split(" ")[0].split("(")[0].strip()
    if word in TO_MT:
        return IAMC_QUANTITY, TO_MT[word]
    return word, 1.0


def display_price(unit: str) -> str:
    """The IAMC price unit for 'USD(2010)/t' and its spellings; otherwise the unit as given."""
    key = re.sub(r"[^a-z0-9/]", "", str(unit or "").lower())
    return IAMC_PRICE if key in {"usd2010/t", "usd_2010/t"} else str(unit or "")


def fmt3(x) -> str:
    """A score as a 3-digit decimal ('n/a' for NaN)."""
    if x is None or not np.isfinite(float(x)):
        return "n/a"
    x = float(x)
    return f"{0.0 if round(x, 3) == 0 else x:.3f}"


def fmt_qty(x) -> str:
    """A quantity: thousands separated, decimals only where the value is small."""
    if x is None or not np.isfinite(float(x)):
        return "n/a"
    x = float(x)
    a = abs(x)
    if a >= 100 or a == 0:
        return f"{x:,.0f}"
    return f"{x:,.1f}" if a >= 1 else f"{x:.3g}"


def fmt_value(x) -> str:
    """Any table value, rounded sensibly: integers as they are, floats to 4 significant digits in
    plain notation where that is readable, powers of ten (power_of_ten) for very small or large ones."""
    if x is None:
        return ""
    if isinstance(x, bool | np.bool_):
        return "yes" if x else "no"
    if isinstance(x, int | np.integer):
        return f"{int(x):,}" if abs(int(x)) >= 10_000 else str(int(x))
    if isinstance(x, float | np.floating):
        x = float(x)
        if math.isnan(x):
            return "n/a"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        if x == 0:
            return "0"
        x = float(f"{x:.4g}")  # 4 significant digits
        a = abs(x)
        if 1e-4 <= a < 1e7:
            digits = max(0, 3 - int(math.floor(math.log10(a))))
            text = f"{x:,.{digits}f}"
            return text.rstrip("0").rstrip(".") if "." in text else text
        return power_of_ten(x)
    if isinstance(x, list | tuple):
        return ", ".join(fmt_value(v) for v in x)
    return str(x)


def esc(x) -> str:
    """HTML-escaped text."""
    return html.escape(str(x))


def year_list(years) -> str:
    """'2018-2020' for a run of years, '2016, 2018' otherwise; 'none' if empty."""
    ys = sorted(int(y) for y in years)
    if not ys:
        return "none"
    runs, start, prev = [], ys[0], ys[0]
    for y in ys[1:] + [None]:
        if y is not None and y == prev + 1:
            prev = y
            continue
        runs.append(str(start) if start == prev else f"{start}-{prev}")
        if y is not None:
            start = prev = y
    return ", ".join(runs)


SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten(x: float) -> str:
    """A very small or large number as people write it: '1.5 × 10⁻⁶', '10⁻⁹' (3 significant digits)."""
    mant, exp = f"{x:.2e}".split("e")
    mant = mant.rstrip("0").rstrip(".")
    power = "10" + str(int(exp)).translate(SUPERSCRIPT)
    if mant in ("1", "-1"):
        return power if mant == "1" else "-" + power
    return f"{mant} × {power}"


def fmt_share(x, digits: int = 1) -> str:
    """A share (0.0123) as a percentage ('1.2 %'); tiny non-zero shares as '< 0.0001 %'."""
    if x is None or not np.isfinite(float(x)):
        return "n/a"
    p = 100 * float(x)
    if p == 0:
        return "0 %"
    if abs(p) < 1e-4:
        return "< 0.0001 %"
    if abs(p) < 10 ** -digits:
        return f"{p:.2g} %"
    return f"{p:.{digits}f} %"


MAX_COLUMNS = 14
"""A generic table with more columns than this is shown transposed (one column per row of data)."""


def _cell_html(v, wide: bool = False) -> str:
    num = isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
    cls = "" if num else ("l long" if wide else "l")
    return f"<td class='{cls}'>{esc(fmt_value(v))}</td>"


def _head(name: str, text: bool = False) -> str:
    return ("<th class='l'>" if text else "<th>") + esc(name).replace("_", "_<wbr>") + "</th>"


def generic_table(df: pd.DataFrame, table_id: str, max_columns: int = MAX_COLUMNS) -> str:
    """Every column of `df`, values through fmt_value (numbers right-aligned). With more than
    `max_columns` columns the table is transposed: the leading text columns that vary name the data
    rows (one table column each) and long texts (such as a solver status) follow as a list."""
    if df is None or len(df) == 0:
        return "<p><em>none</em></p>"
    text = [not pd.api.types.is_numeric_dtype(df[c]) for c in df.columns]
    long = [t and df[c].astype(str).str.len().max() > 24 for c, t in zip(df.columns, text, strict=True)]
    if len(df.columns) > max_columns:
        return _transposed(df, table_id, text, long)
    head = "".join(_head(c, t) for c, t in zip(df.columns, text, strict=True))
    rows = ["<tr>" + "".join(_cell_html(v, w) for v, w in zip(rec, long, strict=True)) + "</tr>"
            for rec in df.itertuples(index=False)]
    return (f"<table class='t' id='{table_id}'><thead><tr>{head}</tr></thead><tbody>" + "".join(rows)
            + "</tbody></table>")


def _transposed(df: pd.DataFrame, table_id: str, text: list[bool], long: list[bool]) -> str:
    cols = list(df.columns)
    lead = []
    for c, t in zip(cols, text, strict=True):
        if not t:
            break
        lead.append(c)
    keys = [c for c in lead if df[c].astype(str).nunique() > 1] or cols[:1]
    labels = [" / ".join(str(v) for v in rec) for rec in df[keys].itertuples(index=False)]
    wide = [c for c, w in zip(cols, long, strict=True) if w and c not in keys]
    body = [c for c in cols if c not in keys and c not in wide]
    head = "<th class='l'>" + esc(" / ".join(keys)) + "</th>" + "".join(_head(x) for x in labels)
    rows = ["<tr><th class='l'>" + esc(c).replace("_", "_<wbr>") + "</th>"
            + "".join(f"<td>{esc(fmt_value(v))}</td>" for v in df[c].tolist()) + "</tr>" for c in body]
    notes = "".join(
        f"<p class='src'><b>{esc(c)}</b>: " + " &middot; ".join(f"{esc(lab)}: {esc(fmt_value(v))}"
                                                    for lab, v in zip(labels, df[c].tolist(), strict=True))
        + "</p>" for c in wide)
    return (f"<table class='t transposed' id='{table_id}'><thead><tr>{head}</tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>" + notes)


def dict_table(d: dict, table_id: str) -> str:
    rows = "".join(f"<tr><th class='l'>{esc(k)}</th><td>{esc(fmt_value(v))}</td></tr>" for k, v in d.items())
    return f"<table class='t' id='{table_id}'>{rows}</table>"


def identification_warnings(params) -> list[str]:
    """One sentence per fitted quantity (elasticity, slope) with values not identified as 'yes' (columns
    elasticity_identified / slope_identified of a fit's parameters), naming the commodities."""
    out = []
    if params is None:
        return out
    for k in ("elasticity_identified", "slope_identified"):
        if k in params:
            bad = params[params[k].astype(str) != "yes"]
            if len(bad):
                out.append(f"{len(bad)} of {len(params)} fitted {k.split('_')[0]} values are not well "
                           f"identified ({', '.join(sorted(set(bad[k].astype(str))))}): "
                           f"{', '.join(bad['commodity'].astype(str))}.")
    return out


def flat_settings(d: dict, prefix: str = "") -> list[tuple[str, object]]:
    """Nested settings as (dotted key, value) rows, lists kept as one value."""
    rows = []
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            rows += flat_settings(v, key + ".")
        else:
            rows.append((key, v))
    return rows


def settings_table(settings: dict, table_id: str = "settings") -> str:
    """The settings as readable key-value tables, one per group of nested keys, side by side (values
    through fmt_value; None and an empty list are 'none')."""
    groups: dict[str, list[str]] = {}
    for key, v in flat_settings(settings):
        head, _, name = key.rpartition(".")
        shown = "none" if v is None or (isinstance(v, list | tuple) and not v) else fmt_value(v)
        groups.setdefault(head, []).append(f"<tr><th class='l'>{esc(name)}</th><td "
                                           f"class='l'>{esc(shown)}</td></tr>")
    tables = [f"<table class='t settings'><thead><tr><th class='l sec' "
              f"colspan='2'>{esc(head or 'run')}</th></tr>"
              f"</thead><tbody>{''.join(rows)}</tbody></table>" for head, rows in groups.items()]
    return f"<div class='settings-grid' id='{table_id}'>{''.join(tables)}</div>"


def glossary_html(entries: dict[str, str], table_id: str = "glossary") -> str:
    """A definition list (two columns): every metric name (as in the CSV files) and its definition."""
    items = "".join(f"<dt><code>{esc(k)}</code></dt><dd>{esc(v)}</dd>" for k, v in entries.items())
    return f"<dl class='glossary' id='{table_id}'>{items}</dl>"


def png_base64(fig) -> str:
    """The matplotlib figure as a base64 PNG (the figure is closed)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


CSS = (
    "body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;max-width:1180px;"
    "margin:16px auto;padding:0 16px;font-size:14px;color:#222;line-height:1.4}"
    "h1{font-size:22px;margin:0 0 8px}h2{font-size:18px;border-bottom:2px solid #446;margin-top:28px}"
    "h3{font-size:15px;margin:14px 0 4px}"
    "table.t{border-collapse:collapse;font-size:12.5px;margin:6px 0}"
    "table.t td,table.t th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right;"
    "font-variant-numeric:tabular-nums;vertical-align:top}"
    "table.t th{background:#f3f4f7;font-weight:600}table.t th.l,table.t td.l{text-align:left}"
    "table.t td.best{background:#d8f0d2;font-weight:700}table.t tr.petra th{color:#000}"
    "table.t tr.petra td,table.t tr.petra th{border-top:1px solid #999;border-bottom:1px solid #999}"
    "table.t tr.total td,table.t tr.total th{border-top:1.5px solid #888;font-weight:600}"
    "table.t .grp{border-left:1.5px solid #bbb}"
    "table.headline{font-size:14px}table.headline td{min-width:110px}"
    ".dir{font-weight:400;font-size:11px;color:#666}"
    "table.facts{border-collapse:collapse;margin:4px 0 10px}table.facts th{text-align:left;color:#444;"
    "padding:2px 10px 2px 0;font-weight:600}table.facts td{padding:2px 36px 2px 0}"
    "nav{font-size:13px;margin-bottom:10px}nav a{margin-right:14px;color:#345}"
    ".verdict{font-size:15px;font-weight:600;margin:10px 0}"
    ".warn{background:#fff4e0;border-left:4px solid #e59400;padding:6px 12px;margin:8px 0}"
    ".warn ul{margin:4px 0;padding-left:20px}.oos{background:#eef4fb;border-left:4px solid #4a7ab8;"
    "padding:6px 12px}"
    ".caveat{background:#fff8e5;border-left:4px solid #d9a400;padding:6px 12px}"
    "dl dt{font-weight:600;margin-top:6px}dl dd{margin-left:18px}"
    ".src{font-size:12px;color:#555}ul.src li{margin:2px 0}"
    "figure.focus{margin:14px 0 20px}figure.focus img{max-width:100%}"
    "figcaption{font-size:12.5px;color:#333;margin-top:2px}"
    "table.settings th.sec{background:#e6e8ee;padding-top:6px}table.settings td{text-align:left}"
    "dl.glossary{display:grid;grid-template-columns:max-content 1fr;gap:3px 14px;font-size:13px}"
    "dl.glossary dt{font-weight:600;margin:0}dl.glossary dd{margin:0}"
    ".settings-grid{display:flex;flex-wrap:wrap;gap:6px 22px;align-items:flex-start}"
    "table.settings{font-size:12px}"
    ".focus-grid{display:grid;grid-template-columns:1fr 1fr;gap:4px 14px}"
    ".focus-grid figure{margin:4px 0 8px}.focus-grid img{width:100%}"
    ".key{font-size:12.5px}.key .k{margin-right:18px;white-space:nowrap}.key svg{vertical-align:middle;"
    "margin-right:4px}.key .sw{display:inline-block;width:16px;height:11px;vertical-align:middle;"
    "margin-right:4px;border:1px solid #ccc}"
    ".summary-grid{display:flex;gap:28px;flex-wrap:wrap;align-items:flex-start}"
    "details pre{font-size:11px;background:#f7f7f7;padding:8px;overflow:auto}"
    ".tablewrap{overflow-x:auto}#fit-parameters{font-size:11.5px}#fit-parameters td{white-space:nowrap}"
    "#fit-parameters th{vertical-align:bottom}table.transposed tbody th{font-weight:400}"
    "table.t td.long,#fit-parameters td.long{white-space:normal;min-width:200px;font-size:11px}"
)
