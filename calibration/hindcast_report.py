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

import json
from pathlib import Path

import numpy as np
import pandas as pd

from petra.calibration import hindcast_math as hm
from petra.calibration.fit import FIT_COLUMNS
from petra.calibration.focus_panels import (  # noqa: F401 - focus_figures and partner_table re-exported
    MAIN_PARTNERS,
    focus_figure,
    focus_figures,
    key_html,
    partner_table,
    traded_commodities,
)
from petra.calibration.hindcast import ALL, HELD_RESPONSE, METHODS
from petra.calibration.report_html import (  # noqa: F401 - the formats re-exported
    CSS,
    dict_table,
    display_quantity,
    fmt3,
    fmt_qty,
    fmt_share,
    fmt_value,
    generic_table,
    glossary_html,
    identification_warnings,
    png_base64,
    settings_table,
    year_list,
)
from petra.calibration.report_html import (
    esc as _e,
)

METRICS = ("wape", "r2_log", "partner_misallocation")
METRIC_LABELS = {"wape": "WAPE", "r2_log": "r2_log", "partner_misallocation": "partner misallocation"}
LOWER_IS_BETTER = {"wape": True, "r2_log": False, "partner_misallocation": True}
CHECK_SHARES = {"production", "consumption", "price", "flow", "max_deviation", "certificate"}
"""Entries of the calibration check shown as percentages (relative deviations)."""
METHOD_LABELS = {"petra": "petra", "petra_held": "petra, quantities held",
                 "persistence": "persistence", "last_year_shares": "last-year shares",
                 "net_only_ras": "net-only RAS", "net_only_ras_last": "net-only RAS, last-year seed",
                 "ras": "RAS (told gross totals)"}

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
    evaluation years), the best per row highlighted; observed trade in the IAMC unit (Mt)."""
    unit, scale = display_quantity(unit)
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
        rows.append(f"<tr{cls}><th class='l'>{_e(label)}</th><td>{fmt_qty(tot.get(c, np.nan) * scale)}</td>"
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
    """Plain-text warnings: RAS not converged or with unreachable margins, missing scores, fitted
    values not well identified, notes."""
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
    if result.fit is not None:
        out += identification_warnings(getattr(result.fit, "parameters", None))
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


def csv_glossary() -> dict[str, str]:
    """Every column of metrics.csv and its definition (the metrics' as in hindcast_math's docstring)."""
    metrics, _, _ = docstring_definitions()
    by_start = {"wape": "WAPE", "r2_log": "r2_log", "partner_misallocation": "partner misallocation"}
    out = {"method": "petra (curves anchored at the observed quantities), petra_held (quantities held), or a "
                     "baseline: persistence, last_year_shares, net_only_ras, net_only_ras_last, ras (see "
                     "Baselines).",
           "commodity": "The commodity, or 'all': every route of every commodity pooled.",
           "year": "The evaluation year, or 'all': every evaluation year pooled."}
    for k, start in by_start.items():
        text = next((t for t in metrics if t.startswith(start)), PLAIN_METRICS[k])
        floor = f" (FLOW_FLOOR_SHARE = {hm.FLOW_FLOOR_SHARE:g})" if "FLOW_FLOOR_SHARE" in text else ""
        out[k] = text + floor
    out["observed_total"] = ("Sum of the observed route flows of the commodity and year(s): the weight of "
                             "the row when pooling (data units in metrics.csv, Mt on this page).")
    return out


def definitions_html(result) -> str:
    share_year = result.years.get("share_year")
    base_year = result.years.get("base_year")
    _, base_par, baselines = docstring_definitions()
    base_items = "".join(f"<li>{_e(t)}</li>" for t in baselines)
    plain = "".join(f"<dt>{_e(METRIC_LABELS[k])}</dt><dd>{_e(PLAIN_METRICS[k])}</dd>" for k in METRICS)
    plain_base = (
        f"<dt>persistence</dt><dd>Each importer keeps the partner shares it had in the base year "
        f"{_e(base_year)}; they are applied to its observed imports of the evaluation year.</dd>"
        f"<dt>last-year shares</dt><dd>The same with the partner shares of the last observed year before "
        f"the evaluation ({_e(share_year)} here)"
        + (" - identical to persistence in this run, since that year is the base year" if
           share_year == base_year else "") + ".</dd>"
        f"<dt>petra, quantities held</dt><dd>petra with production and consumption held at their observed "
        f"values (the curves' price response x {HELD_RESPONSE:g}): how petra splits the observed net "
        f"positions among partners, the question the RAS baselines answer.</dd>"
        f"<dt>net-only RAS</dt><dd><b>The fair baseline.</b> The observed matrix of the base year "
        f"{_e(base_year)}, scaled (as RAS below) to totals built only from what petra is given: each "
        f"market keeps its base-year two-way trade min(exports, imports) and adds the evaluation year's "
        f"observed net exports or net imports.</dd>"
        f"<dt>net-only RAS, last-year seed</dt><dd>The same seeded with the matrix of {_e(share_year)} "
        f"(information petra's projection from {_e(base_year)} does not use).</dd>"
        f"<dt>RAS (told gross totals)</dt><dd>The observed trade matrix of {_e(share_year)}, scaled up and "
        f"down row by row "
        f"and column by column (iterative proportional fitting, Bacharach 1970) until every exporter's "
        f"total exports and every importer's total imports match the evaluation year's observed "
        f"values.</dd>")
    caveat = ("<p class='caveat'><b>Persistence, last-year shares and RAS know more than petra.</b> They "
              "are given the evaluation year's observed <em>gross</em> imports of every importer, and "
              "RAS also the observed gross exports of every exporter. petra is given only observed "
              "production and consumption, i.e. each market's <em>net</em> trade, and has to find gross "
              "flows and partners itself, as the net-only RAS does: that is the baseline on equal "
              "terms. RAS has the most information of all; it is a ceiling, not a competitor.</p>")
    return (f"<h3>Metrics</h3><dl>{plain}<dt>pooled</dt><dd>{_e(PLAIN_POOLED)}</dd></dl>"
            "<h3>Columns of metrics.csv (formal definitions: petra.calibration.hindcast_math)</h3>"
            + glossary_html(csv_glossary()) +
            f"<h3>Baselines</h3><dl>{plain_base}</dl>{caveat}"
            f"<p class='src'>{_e(base_par)}</p><ul class='src'>{base_items}</ul>")



def focus_caption(result, region: str, commodity: str, unit: str, scale: float = 1.0) -> str:
    """Totals over the evaluation years (x `scale`, in `unit`) and each method's WAPE on the region's
    routes."""
    part, direction = partner_table(result, region, commodity)
    f = result.flows[result.flows["commodity"].astype(str) == commodity]
    sel = f[f["importer" if direction == "imports" else "exporter"] == region]
    obs = sel["observed"].to_numpy(dtype=float)
    scores = ", ".join(f"{METHOD_LABELS[m]} {fmt3(hm.wape(sel[m].to_numpy(dtype=float), obs))}"
                       for m in METHODS if m in sel)
    ev = year_list(result.years.get("eval_years", []))
    u = f" {unit}" if unit else ""
    return (f"{_e(region)} {direction} of {_e(commodity)} in {ev}: "
            f"observed {fmt_qty(obs.sum() * scale)}{_e(u)}, "
            f"petra {fmt_qty(sel['petra'].sum() * scale)}{_e(u)}. WAPE on these routes: {_e(scores)}.")


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
    label, scale = display_quantity(unit)
    parts = [intro, key_html(result.years), "<div class='focus-grid'>"]
    for c in coms:
        fig = focus_figure(result, region, c, label, scale=scale)
        parts.append(f"<figure id='focus-{_e(c)}' class='focus'><img alt='{_e(region)} {_e(c)}' "
                     f"src='data:image/png;base64,{png_base64(fig)}'/><figcaption>"
                     f"{focus_caption(result, region, c, label, scale)}</figcaption></figure>")
    return "".join(parts) + "</div>"


# ----------------------------------------------------------------------------------------- page



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
             ("policy", pol), ("focus region", focus_region),
             ("quantities", display_quantity(unit)[0] or "data units")]
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
           f"net-only RAS is given the same (the fair baseline); persistence, last-year shares and RAS "
           f"are given more (see Definitions).</p>")
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
                    f"<div class='tablewrap'>{generic_table(params, 'fit-parameters')}</div>"
                    + glossary_html({k: v for k, v in FIT_COLUMNS.items()
                                     if params is not None and k in params.columns}, "fit-glossary"))
    ras_rows = pd.DataFrame([{"year": int(k), **v} for k, v in sorted((result.ras or {}).items(),
                                                                       key=lambda kv: int(kv[0]))])
    timings = {k.replace("_seconds", " (s)"): f"{float(v):.2f}" if isinstance(v, int | float) else v
               for k, v in (result.timings or {}).items()}
    check = {k: (fmt_share(v) if isinstance(v, float) and k in CHECK_SHARES else v)
             for k, v in (result.calibration_check or {}).items()}
    e = _e
    parts = [
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}</title>"
        f"<style>{CSS}</style></head><body><h1>{e(title)}</h1>",
        f"<nav><a href='#summary'>Summary</a><a href='#focus'>{e(focus_region)}</a><a href='#scores'>Scores"
        "</a><a href='#definitions'>Definitions</a>" + ("<a href='#fit'>Fit</a>" if result.fit is not None
                                                       else "") + "<a href='#checks'>Checks</a>"
        "<a href='#settings-section'>Settings</a></nav>",
        "<section id='summary'>",
        summary_html(result, focus_region=focus_region, unit=unit, settings=settings),
        "</section>",
        f"<h2 id='focus'>{e(focus_region)}: net imports and main partners</h2>",
        focus_html(result, focus_region, unit),
        "<h2 id='scores'>Scores</h2><h3>WAPE per commodity, pooled over the evaluation years</h3>",
        commodity_table(result, unit),
        "<h3>Every metric per evaluation year, all commodities pooled</h3>",
        f"<div class='tablewrap'>{year_table(result)}</div>",
        "<p class='src'>Best per row (and metric) highlighted, compared at the 3 digits shown. "
        "Per commodity, year and method: <code>metrics.csv</code>.</p>",
        f"<h2 id='definitions'>Definitions</h2>{definitions_html(result)}",
        fit_html,
        "<h2 id='checks'>Calibration check, RAS and timings</h2>",
        "<p>Base-year re-solve of the calibrated model, maximum relative deviations:</p>"
        f"{dict_table(check, 'calibration-check')}",
        f"<h3>RAS per evaluation year</h3>{generic_table(ras_rows, 'ras')}",
        f"<h3>Timings</h3>{dict_table(timings, 'timings')}",
        f"<h2 id='settings-section'>Settings</h2>{settings_table(settings)}",
        "<details><summary>settings (JSON)</summary>"
        f"<pre>{e(json.dumps(settings, indent=2, default=str))}</pre></details>",
        "<p class='src'>Tables beside this page: flows.csv, flows_comparison.csv, metrics.csv, "
        "net_imports.csv" + (", fit_parameters.csv" if result.fit is not None else "")
        + ", summary.json.</p></body></html>",
    ]
    path.write_text("\n".join(parts), encoding="utf-8")
