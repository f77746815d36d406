"""The hindcast report (report.html): one self-contained page (PNG figures embedded as base64, no
script, no external resource) that a modeller can publish.

1. Summary: what was run, the out-of-sample statement, the pooled scores of petra and the three
   baselines side by side (best per column highlighted), a one-sentence verdict, warnings.
2. Definitions of the metrics and baselines (quoted from `petra.calibration.hindcast_math`).
3. WAPE per commodity x method (pooled over evaluation years) and every metric per year.
4. The focus region, one figure per commodity it trades (observed or modelled flow in an evaluation
   year): (a) net imports of every projected year, (b) imports from its five main partners by
   observed imports and the rest as "other" (exports to its main destinations where it exports more
   than it imports); observed solid with filled markers, petra dashed with hollow ones; base year,
   fit years and evaluation years marked; one colour per region (`petra.palette`).
5. Fitted parameters (every column, whatever the fit reports; transposed when wide), calibration
   check, RAS convergence, timings and settings.

Numbers are decimals (3 digits for scores), never scientific notation in the score tables.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from petra.calibration import hindcast_math as hm  # noqa: E402
from petra.calibration.hindcast import ALL, METHODS  # noqa: E402
from petra.palette import OTHER, region_colour, region_marker  # noqa: E402

METRICS = ("wape", "r2_log", "partner_misallocation")
METRIC_LABELS = {"wape": "WAPE", "r2_log": "r2_log", "partner_misallocation": "partner misallocation"}
LOWER_IS_BETTER = {"wape": True, "r2_log": False, "partner_misallocation": True}
METHOD_LABELS = {"petra": "petra", "persistence": "persistence", "last_year_shares": "last-year shares",
                 "ras": "RAS"}
MAIN_PARTNERS = 5
DPI = 96
FIT_SHADE = "#d9ead3"
EVAL_SHADE = "#fde9d0"
BASE_LINE = "#444444"

PLAIN_METRICS = {
    "wape": "The error summed over all routes (tonnes missing plus tonnes in excess) as a share of the "
            "observed trade; a tonne sent by the wrong route counts twice, missing on one route and in "
            "excess on another. 0 is perfect; 1 is as bad as predicting no trade at all. Large routes "
            "dominate. Lower is better.",
    "r2_log": "How well the method reproduces which routes are large and which are small, on a "
              "logarithmic scale: 1 is perfect, 0 is no better than giving every route the average "
              "(log) flow, below 0 is worse than that. Small routes count as much as large ones. "
              "Higher is better.",
    "partner_misallocation": "For each importer, the share of its imports that would have to move to "
                             "other suppliers for the modelled mix of partners to match the observed "
                             "one, whatever the total: 0 same partner shares, 1 entirely different "
                             "partners (or no modelled imports). Averaged over importers, weighted by "
                             "their observed imports. Lower is better.",
}
PLAIN_POOLED = ("Pooled scores (commodity 'all', year 'all') treat every route of every commodity and "
                "every evaluation year as one sample; in the partner misallocation an importer in two "
                "years counts as two importers.")


# ----------------------------------------------------------------------------------------- formats

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
    plain notation where that is readable, scientific only for very small or very large values."""
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
        return f"{x:.3g}"
    if isinstance(x, list | tuple):
        return ", ".join(fmt_value(v) for v in x)
    return str(x)


def _e(x) -> str:
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


# ----------------------------------------------------------------------------------------- tables

def _metrics(result) -> pd.DataFrame:
    m = result.metrics.copy()
    m["year"] = m["year"].astype(str)
    return m


def pooled_scores(result) -> pd.DataFrame:
    """method x metric of the pooled rows (all commodities, all evaluation years)."""
    m = _metrics(result)
    p = m[(m["commodity"] == ALL) & (m["year"] == ALL)].set_index("method")
    return p.reindex([x for x in METHODS if x in p.index])[list(METRICS)]


def _best(values: dict, metric: str) -> set:
    """Keys whose value, rounded as displayed, is the best."""
    shown = {k: round(float(v), 3) for k, v in values.items() if v is not None and np.isfinite(float(v))}
    if not shown:
        return set()
    best = min(shown.values()) if LOWER_IS_BETTER[metric] else max(shown.values())
    return {k for k, v in shown.items() if v == best}


def _cell(value, best: bool, cls: str = "") -> str:
    c = " ".join(x for x in (cls, "best" if best else "") if x)
    return f"<td class='{c}'>{fmt3(value)}</td>" if c else f"<td>{fmt3(value)}</td>"


def headline_table(result) -> str:
    """Methods as rows, the three pooled metrics as columns, the best per column highlighted."""
    p = pooled_scores(result)
    best = {k: _best(p[k].to_dict(), k) for k in METRICS}
    head = "".join(f"<th>{_e(METRIC_LABELS[k])}<br><span class='dir'>"
                   f"{'lower' if LOWER_IS_BETTER[k] else 'higher'} is better</span></th>" for k in METRICS)
    rows = []
    for method, r in p.iterrows():
        cls = " class='petra'" if method == "petra" else ""
        cells = "".join(_cell(r[k], method in best[k]) for k in METRICS)
        rows.append(f"<tr{cls}><th class='l'>{_e(METHOD_LABELS.get(method, method))}</th>{cells}</tr>")
    return (f"<table class='t headline' id='headline'><thead><tr><th class='l'>method</th>{head}</tr>"
            "</thead><tbody>" + "".join(rows) + "</tbody></table>")


def commodity_table(result, unit: str) -> str:
    """WAPE per commodity (rows, largest observed trade first, 'all' last) x method (pooled over the
    evaluation years), the best per row highlighted."""
    m = _metrics(result)
    w = m[m["year"] == ALL].pivot_table(index="commodity", columns="method", values="wape", aggfunc="first")
    tot = m[(m["year"] == ALL) & (m["method"] == "petra")].set_index("commodity")["observed_total"]
    methods = [x for x in METHODS if x in w.columns]
    order = [c for c in tot.drop(ALL, errors="ignore").sort_values(ascending=False).index if c in w.index]
    order += [ALL] if ALL in w.index else []
    head = "".join(f"<th>{_e(METHOD_LABELS.get(x, x))}</th>" for x in methods)
    rows = []
    for c in order:
        best = _best(w.loc[c, methods].to_dict(), "wape")
        cells = "".join(_cell(w.loc[c, x], x in best) for x in methods)
        cls = " class='total'" if c == ALL else ""
        label = "all commodities" if c == ALL else c
        rows.append(f"<tr{cls}><th class='l'>{_e(label)}</th><td>{fmt_qty(tot.get(c, np.nan))}</td>"
                    f"{cells}</tr>")
    u = f" ({_e(unit)})" if unit else ""
    return (f"<table class='t' id='wape-by-commodity'><thead><tr><th class='l'>commodity</th>"
            f"<th>observed trade{u}</th>{head}</tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def year_table(result) -> str:
    """Every metric per evaluation year (all commodities pooled) x method, best per row and metric
    highlighted."""
    m = _metrics(result)
    a = m[m["commodity"] == ALL]
    years = [y for y in sorted(set(a["year"]) - {ALL})] + ([ALL] if ALL in set(a["year"]) else [])
    methods = [x for x in METHODS if x in set(a["method"])]
    top = "".join(f"<th colspan='{len(methods)}' class='grp'>{_e(METRIC_LABELS[k])}</th>" for k in METRICS)
    sub = "".join(f"<th class='{'grp' if i == 0 else ''}'>{_e(METHOD_LABELS.get(x, x))}</th>"
                  for _k in METRICS for i, x in enumerate(methods))
    rows = []
    for y in years:
        g = a[a["year"] == y].set_index("method")
        cells = []
        for k in METRICS:
            vals = {x: g[k].get(x, np.nan) for x in methods}
            best = _best(vals, k)
            cells += [_cell(vals[x], x in best, "grp" if i == 0 else "") for i, x in enumerate(methods)]
        cls = " class='total'" if y == ALL else ""
        rows.append(f"<tr{cls}><th class='l'>{'pooled' if y == ALL else _e(y)}</th>{''.join(cells)}</tr>")
    return (f"<table class='t' id='scores-by-year'><thead><tr><th class='l' rowspan='2'>year</th>{top}</tr>"
            f"<tr>{sub}</tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


MAX_COLUMNS = 14
"""A generic table with more columns than this is shown transposed (one column per row of data)."""


def _cell_html(v, wide: bool = False) -> str:
    num = isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
    cls = "" if num else ("l long" if wide else "l")
    return f"<td class='{cls}'>{_e(fmt_value(v))}</td>"


def _head(name: str, text: bool = False) -> str:
    return ("<th class='l'>" if text else "<th>") + _e(name).replace("_", "_<wbr>") + "</th>"


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
    head = "<th class='l'>" + _e(" / ".join(keys)) + "</th>" + "".join(_head(x) for x in labels)
    rows = ["<tr><th class='l'>" + _e(c).replace("_", "_<wbr>") + "</th>"
            + "".join(f"<td>{_e(fmt_value(v))}</td>" for v in df[c].tolist()) + "</tr>" for c in body]
    notes = "".join(
        f"<p class='src'><b>{_e(c)}</b>: " + " &middot; ".join(f"{_e(lab)}: {_e(fmt_value(v))}"
                                                    for lab, v in zip(labels, df[c].tolist(), strict=True))
        + "</p>" for c in wide)
    return (f"<table class='t transposed' id='{table_id}'><thead><tr>{head}</tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>" + notes)


def dict_table(d: dict, table_id: str) -> str:
    rows = "".join(f"<tr><th class='l'>{_e(k)}</th><td>{_e(fmt_value(v))}</td></tr>" for k, v in d.items())
    return f"<table class='t' id='{table_id}'>{rows}</table>"


# ----------------------------------------------------------------------------------------- text

def verdict(result) -> str:
    """One sentence: petra's pooled WAPE against each baseline's."""
    p = pooled_scores(result)["wape"]
    if "petra" not in p or not np.isfinite(p["petra"]):
        return "petra's pooled WAPE is not defined (no observed trade in the evaluation years)."
    mine = round(float(p["petra"]), 3)
    groups = {"lower than": [], "equal to": [], "higher than": []}
    for method in [x for x in METHODS if x != "petra" and x in p.index]:
        v = p[method]
        if not np.isfinite(v):
            continue
        other = round(float(v), 3)
        key = "lower than" if mine < other else "higher than" if mine > other else "equal to"
        groups[key].append(f"{METHOD_LABELS[method]} ({fmt3(v)})")
    parts = [f"{k} {_join(v)}" for k, v in groups.items() if v]
    return f"petra's pooled WAPE {fmt3(p['petra'])} is {_join(parts)}."


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def warnings_of(result) -> list[str]:
    """Plain-text warnings: RAS not converged or with unreachable margins, missing scores, notes."""
    out = []
    for y, r in sorted((result.ras or {}).items(), key=lambda kv: int(kv[0])):
        bits = []
        if not r.get("converged", True):
            bits.append(f"did not converge in {int(r.get('iterations', 0)):,} iterations (exporter totals "
                        f"off by {100 * float(r.get('margin_error', np.nan)):.2g} % of total trade)")
        if int(r.get("unreachable", 0)) > 0:
            bits.append(f"{int(r['unreachable'])} exporter or importer totals cannot be reached (markets "
                        f"that trade in {y} but had no flow in the seed year "
                        f"{result.years.get('share_year')})")
        if bits:
            out.append(f"RAS {y}: " + "; ".join(bits) + ".")
    p = pooled_scores(result)
    missing = [f"{METHOD_LABELS.get(m, m)} {METRIC_LABELS[k]}" for m in p.index for k in METRICS
               if not np.isfinite(p.loc[m, k])]
    if missing:
        out.append("Not defined (no observed trade or fewer than two routes): " + ", ".join(missing) + ".")
    out += [str(n) for n in (result.notes or [])]
    return out


def docstring_definitions() -> tuple[list[str], str, list[str]]:
    """(metric bullets, baselines paragraph, baseline bullets) of hindcast_math's docstring."""
    doc = hm.__doc__ or ""
    blocks, cur = [], None
    for line in doc.splitlines():
        if line.startswith("* "):
            if cur is not None:
                blocks.append(cur)
            cur = ["bullet", line[2:].strip()]
        elif line.startswith("  ") and line.strip() and cur is not None:
            cur[1] += " " + line.strip()
        elif line.strip():
            if cur is not None and cur[0] == "para":
                cur[1] += " " + line.strip()
            else:
                if cur is not None:
                    blocks.append(cur)
                cur = ["para", line.strip()]
        else:
            if cur is not None:
                blocks.append(cur)
            cur = None
    if cur is not None:
        blocks.append(cur)
    metrics, base_par, baselines, in_base = [], "", [], False
    for kind, text in blocks:
        if kind == "para" and text.startswith("Baselines"):
            in_base, base_par = True, text
        elif kind == "bullet":
            (baselines if in_base else metrics).append(text)
    return metrics, base_par, baselines


def definitions_html(result) -> str:
    share_year = result.years.get("share_year")
    base_year = result.years.get("base_year")
    metrics, base_par, baselines = docstring_definitions()
    floor = f" (FLOW_FLOOR_SHARE = {hm.FLOW_FLOOR_SHARE:g})"
    metric_items = "".join(f"<li>{_e(t)}{floor if 'FLOW_FLOOR_SHARE' in t else ''}</li>" for t in metrics)
    base_items = "".join(f"<li>{_e(t)}</li>" for t in baselines)
    plain = "".join(f"<dt>{_e(METRIC_LABELS[k])}</dt><dd>{_e(PLAIN_METRICS[k])}</dd>" for k in METRICS)
    plain_base = (
        f"<dt>persistence</dt><dd>Each importer keeps the partner shares it had in the base year "
        f"{_e(base_year)}; they are applied to its observed imports of the evaluation year.</dd>"
        f"<dt>last-year shares</dt><dd>The same with the partner shares of the last observed year before "
        f"the evaluation ({_e(share_year)} here)"
        + (" - identical to persistence in this run, since that year is the base year" if
           share_year == base_year else "") + ".</dd>"
        f"<dt>RAS</dt><dd>The observed trade matrix of {_e(share_year)}, scaled up and down row by row "
        f"and column by column (iterative proportional fitting, Bacharach 1970) until every exporter's "
        f"total exports and every importer's total imports match the evaluation year's observed "
        f"values.</dd>")
    caveat = ("<p class='caveat'><b>The baselines know more than petra.</b> Each baseline is given the "
              "evaluation year's observed <em>gross</em> imports of every importer, and RAS also the "
              "observed gross exports of every exporter. petra is given only observed production and "
              "consumption, i.e. each market's <em>net</em> trade, and has to find gross flows and "
              "partners itself. RAS therefore has the most information of all four methods; it is a "
              "reference, not a competitor on equal terms.</p>")
    return (f"<h3>Metrics</h3><dl>{plain}<dt>pooled</dt><dd>{_e(PLAIN_POOLED)}</dd></dl>"
            f"<p class='src'>Formal definitions (petra.calibration.hindcast_math):</p><ul class='src'>"
            f"{metric_items}</ul>"
            f"<h3>Baselines</h3><dl>{plain_base}</dl>{caveat}"
            f"<p class='src'>{_e(base_par)}</p><ul class='src'>{base_items}</ul>")


# ----------------------------------------------------------------------------------------- focus

def traded_commodities(result, region: str) -> list[str]:
    """Commodities with an observed or modelled flow into or out of `region` in an evaluation year
    (dataset order)."""
    f = result.flows
    mine = f[(f["importer"] == region) | (f["exporter"] == region)]
    pos = mine[(mine["observed"] > 0) | (mine["petra"] > 0)]
    have = set(pos["commodity"].astype(str))
    return [c for c in pd.unique(f["commodity"].astype(str)) if c in have]


def partner_table(result, region: str, commodity: str, partners: int = MAIN_PARTNERS
                  ) -> tuple[pd.DataFrame, str]:
    """(year, partner, observed, petra) of the region's main partners for `commodity` and the rest as
    'other' over every year of the result's history (petra NaN where it has no flows), and the
    direction ('imports' or 'exports': the larger observed one over the evaluation years, modelled if
    nothing was observed). Partners are ranked by their evaluation-year flows."""
    hist = getattr(result, "history", None)
    hist = result.flows if hist is None else hist
    f = hist[hist["commodity"].astype(str) == commodity]
    ev = f[f["year"].isin(result.years.get("eval_years") or [])]
    imp, exp = ev[ev["importer"] == region], ev[ev["exporter"] == region]
    obs_i, obs_e = float(imp["observed"].sum()), float(exp["observed"].sum())
    if obs_i == 0 and obs_e == 0:
        obs_i, obs_e = float(imp["petra"].sum()), float(exp["petra"].sum())
    direction = "imports" if obs_i >= obs_e else "exports"
    side, other = ("importer", "exporter") if direction == "imports" else ("exporter", "importer")
    by = (ev[ev[side] == region].assign(partner=lambda d: d[other].astype(str))
          .groupby("partner")[["observed", "petra"]].sum())
    by = by[(by["observed"] > 0) | (by["petra"] > 0)]
    ranked = by.assign(name=by.index).sort_values(["observed", "petra", "name"],
                                                  ascending=[False, False, True])
    top = list(ranked.index[:partners])
    g = f[f[side] == region].assign(partner=lambda d: d[other].astype(str))
    g = g.assign(partner=np.where(g["partner"].isin(top), g["partner"], OTHER))
    t = g.groupby(["partner", "year"], as_index=False)[["observed", "petra"]].sum(min_count=1)
    if OTHER in set(t["partner"]):
        o = t[t["partner"] == OTHER]
        if float(o["observed"].abs().sum() + o["petra"].abs().sum()) == 0:
            t = t[t["partner"] != OTHER]
    order = {p: i for i, p in enumerate([*top, OTHER])}
    t = t.assign(_o=t["partner"].map(order)).sort_values(["_o", "year"]).drop(columns="_o")
    return t.reset_index(drop=True), direction


def _segments(years: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Years and values with a NaN inserted between years that are not consecutive, so that a line
    breaks at a gap instead of bridging it."""
    years = np.asarray(years, dtype=float)
    values = np.asarray(values, dtype=float)
    order = np.argsort(years)
    years, values = years[order], values[order]
    xs, ys = [], []
    for i, (x, v) in enumerate(zip(years, values, strict=True)):
        if i and x - years[i - 1] > 1:
            xs.append(np.nan)
            ys.append(np.nan)
        xs.append(x)
        ys.append(v)
    return np.array(xs), np.array(ys)


def _series(ax, years, values, *, colour, marker, observed: bool, gid: str, zorder=3):
    x, y = _segments(years, values)
    style = dict(color=colour, lw=1.8 if observed else 1.4, ls="-" if observed else (0, (4, 2)),
                 marker=marker, ms=5.5 if observed else 6.5, mew=1.3,
                 mfc=colour if observed else "none", mec=colour, zorder=zorder + (0 if observed else 1))
    (line,) = ax.plot(x, y, **style)
    line.set_gid(gid)
    return line


def _qty_formatter(ax):
    lo, hi = ax.get_ylim()
    span = max(abs(lo), abs(hi))
    if span >= 100:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    else:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.3g}"))


def _mark_years(ax, years: dict, x_lo: float, x_hi: float):
    for y in years.get("fit_years") or []:
        ax.axvspan(y - 0.5, y + 0.5, color=FIT_SHADE, lw=0, zorder=0)
    for y in years.get("eval_years") or []:
        ax.axvspan(y - 0.5, y + 0.5, color=EVAL_SHADE, lw=0, zorder=0)
    b = years.get("base_year")
    if b is not None:
        ax.axvline(b, color=BASE_LINE, lw=1.0, ls=":", zorder=1)
    ax.set_xlim(x_lo, x_hi)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{int(round(v))}"))
    ax.grid(axis="y", color="#e5e5e5", lw=0.6, zorder=0)
    ax.set_axisbelow(True)
    for s in ("top", "right"):
        ax.spines[s].set_visible(False)


def focus_figure(result, region: str, commodity: str, unit: str):
    """The figure of one commodity: (a) net imports, (b) main partners. Every line's gid is
    'net:<region>:<observed|petra>' or 'partner:<region>:<observed|petra>'."""
    years = result.years
    net = result.net_imports
    net = net[(net["region"] == region) & (net["commodity"].astype(str) == commodity)].sort_values("year")
    part, direction = partner_table(result, region, commodity)
    all_years = [years.get("base_year"), *years.get("projected_years", []), *years.get("fit_years", []),
                 *years.get("eval_years", []), *net["year"].tolist()]
    all_years = [int(y) for y in all_years if y is not None]
    x_lo, x_hi = min(all_years) - 0.6, max(all_years) + 0.6
    u = f" ({unit})" if unit else ""
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11.5, 3.4), gridspec_kw={"width_ratios": [1, 1.15]})
    colour, marker = region_colour(region), region_marker(region)
    _mark_years(a1, years, x_lo, x_hi)
    a1.axhline(0, color="#999999", lw=0.7, zorder=1)
    if len(net):
        _series(a1, net["year"], net["observed"], colour=colour, marker=marker, observed=True,
                gid=f"net:{region}:observed")
        _series(a1, net["year"], net["petra"], colour=colour, marker=marker, observed=False,
                gid=f"net:{region}:petra")
    a1.set_title(f"(a) {region}: net imports of {commodity}", fontsize=10, loc="left")
    a1.set_ylabel(f"net imports{u}", fontsize=9)
    a1.tick_params(labelsize=8)
    _qty_formatter(a1)

    _mark_years(a2, years, x_lo, x_hi)
    handles = []
    for partner, g in part.groupby("partner", sort=False):
        c, mk = region_colour(partner), region_marker(partner)
        _series(a2, g["year"], g["observed"], colour=c, marker=mk, observed=True,
                gid=f"partner:{partner}:observed")
        _series(a2, g["year"], g["petra"], colour=c, marker=mk, observed=False,
                gid=f"partner:{partner}:petra")
        handles.append(Line2D([], [], color=c, marker=mk, lw=1.8, ms=5.5, label=partner))
    what = "from main origins" if direction == "imports" else "to main destinations"
    a2.set_title(f"(b) {region}: {direction} of {commodity} {what}", fontsize=10, loc="left")
    a2.set_ylabel(f"{direction}{u}", fontsize=9)
    a2.set_ylim(bottom=0)
    a2.tick_params(labelsize=8)
    _qty_formatter(a2)
    if handles:
        a2.legend(handles=handles, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  frameon=False, title="origin" if direction == "imports" else "destination",
                  title_fontsize=8)
    style = [Line2D([], [], color="#333333", lw=1.8, marker="o", ms=5, label="observed"),
             Line2D([], [], color="#333333", lw=1.4, ls=(0, (4, 2)), marker="o", mfc="white", ms=6,
                    label="petra"),
             Line2D([], [], color=BASE_LINE, lw=1.0, ls=":", label=f"base year {years.get('base_year')}")]
    if years.get("fit_years"):
        style.append(Patch(color=FIT_SHADE, label="fit years"))
    style.append(Patch(color=EVAL_SHADE, label="evaluation years"))
    fig.legend(handles=style, loc="lower center", ncol=len(style), fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, -0.02))
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


def focus_figures(result, region: str, unit: str) -> list[tuple[str, object]]:
    """(commodity, matplotlib figure) for every commodity `region` trades (traded_commodities)."""
    return [(c, focus_figure(result, region, c, unit)) for c in traded_commodities(result, region)]


def focus_caption(result, region: str, commodity: str, unit: str) -> str:
    """Totals over the evaluation years and each method's WAPE on the region's routes."""
    part, direction = partner_table(result, region, commodity)
    f = result.flows[result.flows["commodity"].astype(str) == commodity]
    sel = f[f["importer" if direction == "imports" else "exporter"] == region]
    obs = sel["observed"].to_numpy(dtype=float)
    scores = ", ".join(f"{METHOD_LABELS[m]} {fmt3(hm.wape(sel[m].to_numpy(dtype=float), obs))}"
                       for m in METHODS if m in sel)
    ev = year_list(result.years.get("eval_years", []))
    u = f" {unit}" if unit else ""
    return (f"{_e(region)} {direction} of {_e(commodity)} in {ev}: observed {fmt_qty(obs.sum())}{_e(u)}, "
            f"petra {fmt_qty(sel['petra'].sum())}{_e(u)}. WAPE on these routes: {_e(scores)}.")


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def focus_html(result, region: str, unit: str) -> str:
    coms = traded_commodities(result, region)
    if not coms:
        return f"<p><em>{_e(region)} has no observed or modelled trade in the evaluation years.</em></p>"
    b = result.years.get("base_year")
    intro = (f"<p>One figure per commodity that {_e(region)} trades, over every observed year up to the "
             f"last evaluation year. (a) Net imports (imports minus exports; negative: net exports); petra "
             f"starts at the base year {_e(b)}, calibrated exactly (modelled = observed). (b) Flows with the "
             f"{MAIN_PARTNERS} largest partners by observed volume over the evaluation years, the rest as "
             f"'other' (grey); imports by origin, or exports by destination where {_e(region)} exports "
             f"more than it imports. Observed: solid line, filled markers; petra: dashed line, hollow "
             f"markers. Lines break at years without data. Each region has one colour throughout.</p>")
    parts = [intro]
    for c in coms:
        fig = focus_figure(result, region, c, unit)
        parts.append(f"<figure id='focus-{_e(c)}' class='focus'><img alt='{_e(region)} {_e(c)}' "
                     f"src='data:image/png;base64,{_png(fig)}'/><figcaption>"
                     f"{focus_caption(result, region, c, unit)}</figcaption></figure>")
    return "".join(parts)


# ----------------------------------------------------------------------------------------- page

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
    "details pre{font-size:11px;background:#f7f7f7;padding:8px;overflow:auto}"
    ".tablewrap{overflow-x:auto}#fit-parameters{font-size:11.5px}#fit-parameters td{white-space:nowrap}"
    "#fit-parameters th{vertical-align:bottom}table.transposed tbody th{font-weight:400}"
    "table.t td.long,#fit-parameters td.long{white-space:normal;min-width:200px;font-size:11px}"
)


def summary_html(result, *, focus_region: str, unit: str, settings: dict) -> str:
    y = result.years
    ds = settings.get("dataset")
    policy = settings.get("policy")
    scenario = settings.get("scenario")
    pol = "none" if not policy else (f"{policy}" + (f" (scenario {scenario})" if scenario else ""))
    ev = y.get("eval_years", [])
    first = min(ev) if ev else None
    facts = [("dataset", Path(str(ds)).name if ds else "n/a"), ("base year", y.get("base_year")),
             ("fit years", year_list(y.get("fit_years", [])) + ("" if y.get("fit_years") else
                                                                  " (default expansion parameters)")),
             ("evaluation years", year_list(ev)),
             ("projected years", year_list(y.get("projected_years", []))),
             ("policy", pol), ("focus region", focus_region), ("quantities", unit or "data units")]
    half = (len(facts) + 1) // 2
    facts_html = "".join(
        "<tr>" + "".join(f"<th>{_e(k)}</th><td>{_e(v)}</td>" for k, v in facts[i::half]) + "</tr>"
        for i in range(half))
    oos = (f"<p class='oos'>petra is calibrated exactly at {_e(y.get('base_year'))}"
           + (f", its expansion parameters are fitted on {_e(year_list(y.get('fit_years')))}"
              if y.get("fit_years") else "")
           + f" and it is then projected one year at a time to {_e(max(ev) if ev else '')}. "
           f"The evaluation years use observed production and consumption as drivers; no evaluation-year "
           f"flow or price reached the model (it only saw a copy of the data whose trade flows stop at "
           f"{_e(first - 1 if first else '')} and whose evaluation-year prices were removed). The "
           f"baselines are given more (see Definitions).</p>")
    warns = warnings_of(result)
    notes = []
    if y.get("share_year") == y.get("base_year"):
        notes.append(f"The last observed year before the evaluation is the base year "
                     f"{y.get('base_year')}, so persistence and last-year shares are the same forecast.")
    items = "".join(f"<li>{_e(w)}</li>" for w in warns)
    warn_html = f"<div class='warn'><b>Warnings and notes</b><ul>{items}</ul></div>" if warns else ""
    note_html = "".join(f"<p class='src'>{_e(n)}</p>" for n in notes)
    return (f"<table class='facts'>{facts_html}</table>{oos}"
            f"<h3>Pooled scores: all commodities and evaluation years</h3>{headline_table(result)}"
            f"<p class='verdict' id='verdict'>{_e(verdict(result))}</p>{note_html}{warn_html}")


def write_report(path: Path, result, *, title: str, focus_region: str, unit: str, settings: dict) -> None:
    """Write the hindcast report of `result` to `path` (see module docstring)."""
    path = Path(path)
    fit_html = ""
    if result.fit is not None:
        params = getattr(result.fit, "parameters", None)
        fy = getattr(result.fit, "years", None) or result.years.get("fit_years", [])
        secs = getattr(result.fit, "seconds", None)
        origins = getattr(result.fit, "origins", None) or {}
        steps = ", ".join(f"{y} from {o}" for y, o in sorted(origins.items()) if o is not None)
        fit_html = (f"<h2 id='fit'>Fitted parameters</h2><p>Fitted on {_e(year_list(fy))}"
                    + (f" in {secs:.1f} s" if isinstance(secs, int | float) else "")
                    + (f" (one year ahead from the observed year before each: {_e(steps)})" if steps else "")
                    + ". Every column of <code>fit_parameters.csv</code>:</p>"
                    f"<div class='tablewrap'>{generic_table(params, 'fit-parameters')}</div>")
    ras_rows = pd.DataFrame([{"year": int(k), **v} for k, v in sorted((result.ras or {}).items(),
                                                                       key=lambda kv: int(kv[0]))])
    timings = {k.replace("_seconds", " (s)"): f"{float(v):.2f}" if isinstance(v, int | float) else v
               for k, v in (result.timings or {}).items()}
    e = _e
    parts = [
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}</title>"
        f"<style>{CSS}</style></head><body><h1>{e(title)}</h1>",
        "<nav><a href='#summary'>Summary</a><a href='#definitions'>Definitions</a><a href='#scores'>Scores"
        f"</a><a href='#focus'>{e(focus_region)}</a>" + ("<a href='#fit'>Fit</a>" if result.fit is not None
                                                       else "") + "<a href='#checks'>Checks</a></nav>",
        "<section id='summary'>",
        summary_html(result, focus_region=focus_region, unit=unit, settings=settings),
        "</section>",
        f"<h2 id='definitions'>Definitions</h2>{definitions_html(result)}",
        "<h2 id='scores'>Scores</h2><h3>WAPE per commodity, pooled over the evaluation years</h3>",
        commodity_table(result, unit),
        "<h3>Every metric per evaluation year, all commodities pooled</h3>",
        f"<div class='tablewrap'>{year_table(result)}</div>",
        "<p class='src'>Best per row (and metric) highlighted, compared at the 3 digits shown. "
        "Per commodity, year and method: <code>metrics.csv</code>.</p>",
        f"<h2 id='focus'>{e(focus_region)}: net imports and main partners</h2>",
        focus_html(result, focus_region, unit),
        fit_html,
        "<h2 id='checks'>Calibration check, RAS and timings</h2>",
        f"<p>Base-year re-solve of the calibrated model, maximum relative deviations:</p>"
        f"{dict_table(result.calibration_check or {}, 'calibration-check')}",
        f"<h3>RAS per evaluation year</h3>{generic_table(ras_rows, 'ras')}",
        f"<h3>Timings</h3>{dict_table(timings, 'timings')}",
        f"<details><summary>Settings</summary><pre>{e(json.dumps(settings, indent=2, default=str))}</pre>"
        "</details>",
        "<p class='src'>Tables beside this page: flows.csv, flows_comparison.csv, metrics.csv, "
        "net_imports.csv" + (", fit_parameters.csv" if result.fit is not None else "")
        + ", summary.json.</p></body></html>",
    ]
    path.write_text("\n".join(parts), encoding="utf-8")
