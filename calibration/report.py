"""The calibration report (`petra calibrate`): CSV tables and one self-contained HTML page that a
modeller can publish (PNG figures embedded as base64, no script, no external resource).

Page order: a one-screen summary (what was calibrated against which years, the base year's
reproduction errors, with --validate the pooled scores per validation year and the plain statement
that validation years are driven by observed production and consumption, with --fit the fitted
parameters and their identification flags, warnings); the focus region's GLOBIOM-style panels per
commodity over every observed year (`petra.calibration.focus_panels`); observed vs modelled route
flows (one colour per commodity, `petra.palette.commodity_colour`); the tables; a glossary of every
column name the page shows (GLOSSARY); the settings as a table (the JSON in a collapsed block).

Metrics (per year and commodity, and over all commodities as "all"), on route flows:
* r2: 1 - sum (m - o)^2 / sum (o - mean o)^2 (levels);
* r2_log: the same on log10(x + floor) (floor = 1e-3 of the commodity's mean positive observed flow);
* weighted_mape: sum |m - o| / sum o (absolute percentage errors weighted by observed volume);
* hit_ratio: share of routes whose status (used: flow > 1e-6 of the commodity's mean positive
  observed flow) is the same in model and observation;
* volume_within_10pct: share of observed volume on routes with |m - o| <= 10% of o.
"""

from __future__ import annotations

import json
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from petra.calibration.fit import FIT_COLUMNS  # noqa: E402
from petra.calibration.focus_panels import (  # noqa: E402
    MAIN_PARTNERS,
    PanelData,
    focus_figure,
    key_html,
    traded_commodities,
)
from petra.calibration.price_fidelity import fidelity  # noqa: E402
from petra.calibration.report_html import (  # noqa: E402
    CSS,
    display_price,
    display_quantity,
    esc,
    fmt3,
    fmt_share,
    fmt_value,
    glossary_html,
    identification_warnings,
    png_base64,
    settings_table,
    year_list,
)
from petra.palette import commodity_colour  # noqa: E402

LOG_FLOOR_SHARE = 1e-3
"""r2_log's floor: this share of the commodity's mean positive observed flow is added before log10."""
USED_SHARE = 1e-6
"""A route is used when its flow exceeds this share of the commodity's mean positive observed flow."""
WITHIN = 0.10
"""volume_within_10pct: relative error bound."""
TABLE_ROWS = 10
"""Rows of the long route tables shown on the page (all of them in the CSV files)."""

SCORES = ("weighted_mape", "r2_log", "hit_ratio", "volume_within_10pct", "r2")
IDENTIFIERS = {"year", "commodity", "exporter", "importer", "group", "region", "partner", "quantity"}

GLOSSARY = {
    # route-flow metrics (metrics.csv), exactly as flow_metrics and metrics_table compute them
    "routes": "Number of routes (exporter -> importer pairs of routes.csv) of the commodity.",
    "observed_used": "Routes with an observed flow above 1e-6 of the commodity's mean positive observed "
                     "flow.",
    "model_used": "Routes with a modelled flow above the same threshold.",
    "observed_volume": "Sum of the observed route flows (Mt on this page, data units in the CSV files).",
    "model_volume": "Sum of the modelled route flows (Mt on this page, data units in the CSV files).",
    "r2": "1 - sum (m - o)^2 / sum (o - mean o)^2 over the routes, m modelled and o observed flows "
          "(levels: large routes dominate). 1 is perfect; higher is better.",
    "r2_log": "The same on log10(x + f) with f = 1e-3 of the commodity's mean positive observed flow, "
              "over every route (unused ones included): small routes count as much as large ones. "
              "(The hindcast's r2_log uses ln and only routes with a flow; see its report.) Higher is "
              "better.",
    "weighted_mape": "WAPE, weighted absolute percentage error: sum |m - o| / sum o. 0 is perfect; 1 is as "
                     "bad as predicting no trade at all. Lower is better.",
    "hit_ratio": "Share of routes whose status (used or unused, threshold as in observed_used) is the same "
                 "in model and observation. Higher is better.",
    "volume_within_10pct": "Share of the observed volume on routes with |m - o| <= 10 % of o. Higher is "
                           "better.",
    "all (commodity)": "Over all commodities: r2, r2_log, weighted_mape and volume_within_10pct are the "
                       "commodities' values averaged with weights = their observed volume (for "
                       "weighted_mape this equals the pooled WAPE); hit_ratio is averaged with weights = "
                       "their routes; counts and volumes are summed.",
    # base-year reproduction (the re-solve check)
    "production": "Largest relative deviation of re-solved from observed production over the markets.",
    "consumption": "Largest relative deviation of re-solved from observed consumption.",
    "price": "Largest relative deviation of re-solved from observed (calibrated) prices, markets with no "
             "production, consumption or trade left out.",
    "flow": "Largest relative deviation of re-solved from calibrated route flows (relative to max(|flow|, "
            "1e-9 x the commodity's quantity scale)).",
    "max relative deviation": "The largest of these over all markets or routes.",
    # fit (FitResult.parameters, one home: petra.calibration.fit.FIT_COLUMNS)
    **{k: FIT_COLUMNS[k] for k in ("expansion_elasticity", "new_flow_slope_factor", "elasticity_identified",
                                   "slope_identified", "improvement")},
    # parameters.csv
    "used_routes": "Routes with a base-year flow.",
    "expansion_elasticity_median": "Median over the commodity's routes of the expansion elasticity used.",
    "new_flow_slope_median": "Median over the commodity's routes of the new-flow slope used.",
    "cost_adjustment_median_used": "Median over used routes of the calibrated cost adjustment (USD_2010/t): "
                                   "the unobserved part of the trade cost.",
    "negative_implied_cost_routes": "Used routes whose importer price is below the exporter price.",
    # consistency_commodities.csv
    "volume_observed": "Observed trade volume before netting (Mt).",
    "volume": "Trade volume after netting cycles out (Mt).",
    "moved_share": "sum |X - X0| / sum X0: share of the observed volume removed by netting.",
    "routes_closed": "Observed used routes whose flow netting set to zero.",
    "cyclic_before": "Whether the observed used routes contain a directed cycle (trade flowing around).",
    "cyclic_after": "The same after netting (no, by construction).",
    "dearer_routes_before": "Used routes flowing from the dearer to the cheaper market in the data.",
    "dearer_routes_after": "The same at the calibrated trade-point prices (0 by construction).",
    "basis_mean": "Mean |trade price - observed price| / observed price over the commodity's markets.",
    "basis_max": "Largest |trade price - observed price| / observed price over its markets.",
    "transport_ratio_median": "Median over used routes of the calibrated transport cost (transport prior "
                              "+ cost adjustment) over the transport-cost prior.",
    # largest_residuals.csv and negative_cost_routes.csv
    "observed": "Observed flow on the route (Mt).",
    "modelled": "Modelled flow on the route (Mt).",
    "residual": "modelled - observed (Mt).",
    "status": "used (base-year flow > 0) or unused.",
    "price_gap": "Importer price - exporter price (USD_2010/t).",
    "tau": "Transport cost + tariff of the route (USD_2010/t).",
    "cost_adjustment": "Calibrated cost adjustment (USD_2010/t): price gap - tau on used routes.",
    "implied_cost": "Trade cost at the calibrated flow (= price gap on used routes; on logit routes the cost "
                    "tau + adjustment, which the preference brings down to the price gap; USD_2010/t).",
    "preference": "Logit routes: the base-year price gap below the route's trade cost (USD_2010/t), what "
                  "importers pay for this origin (routes.csv preference; 0 elsewhere).",
}


# ----------------------------------------------------------------------------------------- metrics

def _floor(o: np.ndarray, rel: float) -> float:
    pos = o[o > 0]
    return rel * (float(pos.mean()) if pos.size else 1.0)


def flow_metrics(o: np.ndarray, m: np.ndarray) -> dict:
    """Metrics of modelled flows m against observed flows o (see module docstring)."""
    o = np.asarray(o, dtype=float)
    m = np.maximum(np.asarray(m, dtype=float), 0.0)
    if o.size == 0:
        return {"routes": 0}
    ss_tot = float(((o - o.mean()) ** 2).sum())
    f = _floor(o, LOG_FLOOR_SHARE)
    lo, lm = np.log10(o + f), np.log10(m + f)
    ss_tot_log = float(((lo - lo.mean()) ** 2).sum())
    vol = float(o.sum())
    thr = _floor(o, USED_SHARE)
    return {
        "routes": int(o.size), "observed_used": int((o > thr).sum()), "model_used": int((m > thr).sum()),
        "observed_volume": vol, "model_volume": float(m.sum()),
        "r2": 1.0 - float(((m - o) ** 2).sum()) / ss_tot if ss_tot > 0 else float("nan"),
        "r2_log": 1.0 - float(((lm - lo) ** 2).sum()) / ss_tot_log if ss_tot_log > 0 else float("nan"),
        "weighted_mape": float(np.abs(m - o).sum()) / vol if vol > 0 else float("nan"),
        "hit_ratio": float(((o > thr) == (m > thr)).mean()),
        "volume_within_10pct": float(o[np.abs(m - o) <= WITHIN * o].sum()) / vol if vol > 0 else float("nan"),
    }


def metrics_table(comparison: pd.DataFrame) -> pd.DataFrame:
    """Metrics per (year, commodity) and per (year, 'all') of a comparison table."""
    rows = []
    for year, g in comparison.groupby("year", sort=True):
        for com, h in g.groupby("commodity", sort=True):
            rows.append({"year": year, "commodity": com, **flow_metrics(h["observed"], h["modelled"])})
        # over all commodities: volume-weighted averages need one scale, so use relative measures only
        all_m = [flow_metrics(h["observed"], h["modelled"]) for _, h in g.groupby("commodity")]
        vol = np.array([x["observed_volume"] for x in all_m])
        w = vol / vol.sum() if vol.sum() > 0 else np.full(vol.size, 1.0 / max(vol.size, 1))
        row = {"year": year, "commodity": "all", "routes": int(sum(x["routes"] for x in all_m)),
               "observed_used": int(sum(x["observed_used"] for x in all_m)),
               "model_used": int(sum(x["model_used"] for x in all_m)),
               "observed_volume": float(vol.sum()),
               "model_volume": float(sum(x["model_volume"] for x in all_m))}
        for k in ("r2", "r2_log", "weighted_mape", "volume_within_10pct"):
            row[k] = float(np.nansum(w * np.array([x[k] for x in all_m])))
        n = np.array([x["routes"] for x in all_m])
        row["hit_ratio"] = float((n * np.array([x["hit_ratio"] for x in all_m])).sum() / n.sum())
        rows.append(row)
    return pd.DataFrame(rows)


def focus_tables(comparison: pd.DataFrame, region: str, partners: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Net imports of `region` per (year, commodity) and its imports from its main partners."""
    c = comparison
    imp = c[c["importer"] == region].groupby(["year", "commodity"])[["observed", "modelled"]].sum()
    exp = c[c["exporter"] == region].groupby(["year", "commodity"])[["observed", "modelled"]].sum()
    net = imp.sub(exp, fill_value=0.0).reset_index().rename(
        columns={"observed": "observed_net_imports", "modelled": "modelled_net_imports"})
    into = c[c["importer"] == region]
    top = (into.groupby(["commodity", "exporter"])["observed"].sum().reset_index()
           .sort_values("observed", ascending=False).groupby("commodity").head(partners))
    keep = into.merge(top[["commodity", "exporter"]], on=["commodity", "exporter"])
    part = keep[["year", "commodity", "exporter", "observed", "modelled"]].rename(
        columns={"exporter": "partner", "observed": "observed_imports", "modelled": "modelled_imports"})
    return net, part.sort_values(["commodity", "partner", "year"]).reset_index(drop=True)


# ----------------------------------------------------------------------------------------- figures

def scatter_data(comparison: pd.DataFrame, years: list) -> pd.DataFrame:
    """Rows of `years` with a flow on either side, plus the log-plot floor (LOG_FLOOR_SHARE of the
    commodity's mean positive observed flow) added to both: commodity, observed_f, modelled_f."""
    c = comparison[comparison["year"].isin(years)]
    f = c.groupby("commodity")["observed"].transform(lambda o: _floor(o.to_numpy(dtype=float),
                                                                      LOG_FLOOR_SHARE))
    c = c.assign(observed_f=c["observed"] + f, modelled_f=np.maximum(c["modelled"], 0.0) + f)
    return c[(c["observed"] > 0) | (c["modelled"] > 0)]


def scatter_figure(comparison: pd.DataFrame, panels: list[tuple[str, list]], scale: float, unit: str):
    """Log-log scatter of observed vs modelled route flows, one panel per (title, years), one colour per
    commodity (petra.palette.commodity_colour); quantities x `scale` in `unit`."""
    fig, axes = plt.subplots(1, len(panels), figsize=(5.0 * len(panels) + 1.4, 3.8), squeeze=False)
    coms = sorted(comparison["commodity"].astype(str).unique())
    for ax, (title, years) in zip(axes[0], panels, strict=True):
        d = scatter_data(comparison, years)
        for com in coms:
            g = d[d["commodity"].astype(str) == com]
            if len(g):
                ax.scatter(g["observed_f"] * scale, g["modelled_f"] * scale, s=9, alpha=0.65, lw=0,
                           color=commodity_colour(com), label=com, gid=f"scatter:{com}")
        if len(d):
            lo = float(min(d["observed_f"].min(), d["modelled_f"].min())) * scale
            hi = float(max(d["observed_f"].max(), d["modelled_f"].max())) * scale
            ax.plot([lo, hi], [lo, hi], color="#777777", lw=0.8, zorder=0)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(title, fontsize=10, loc="left")
        ax.set_xlabel(f"observed route flow ({unit})", fontsize=9)
        ax.set_ylabel(f"modelled route flow ({unit})", fontsize=9)
        ax.tick_params(labelsize=8)
        for s in ("top", "right"):
            ax.spines[s].set_visible(False)
    handles = [Line2D([], [], ls="", marker="o", ms=6, color=commodity_colour(c), label=c) for c in coms]
    axes[0, -1].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8,
                       frameon=False, title="commodity", title_fontsize=8)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------------------- tables

def _th(name: str) -> str:
    return f"<th class='{'l' if name in IDENTIFIERS else ''}'>{esc(name).replace('_', '_<wbr>')}</th>"


def table_html(df: pd.DataFrame, table_id: str, formats: dict | None = None, rows: int | None = None) -> str:
    """`df` with CSV column names as headers (each defined in GLOSSARY unless an identifier), values
    through `formats[column]` (default fmt_value), the first `rows` rows."""
    if df is None or len(df) == 0:
        return "<p><em>none</em></p>"
    formats = formats or {}
    shown = df if rows is None else df.head(rows)
    body = []
    for rec in shown.itertuples(index=False):
        cells = []
        for col, v in zip(df.columns, rec, strict=True):
            cls = " class='l'" if col in IDENTIFIERS or isinstance(v, str) else ""
            cells.append(f"<td{cls}>{esc(formats.get(col, fmt_value)(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = (f"<p class='src'>{len(df) - len(shown)} more rows in the CSV file.</p>"
            if len(shown) < len(df) else "")
    return (f"<table class='t' id='{table_id}'><thead><tr>{''.join(_th(c) for c in df.columns)}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>{more}")


def _qty(scale: float):
    return lambda v: fmt_value(float(v) * scale) if v is not None and np.isfinite(float(v)) else "n/a"


def reproduction_table(check: dict) -> str:
    """The base-year re-solve's largest relative deviations, as percentages."""
    keys = [k for k in ("production", "consumption", "price", "flow") if k in check]
    rows = "".join(f"<tr><th class='l'>{esc(k)}</th><td>{esc(fmt_share(check[k]))}</td></tr>" for k in keys)
    return (f"<table class='t' id='reproduction'><thead><tr><th class='l'>quantity</th>"
            f"<th>max relative deviation</th></tr></thead><tbody>{rows}</tbody></table>")


def validation_table(metrics: pd.DataFrame, years: list) -> str:
    """Pooled ('all') scores per validation year, 3-digit decimals as in metrics.csv."""
    a = metrics[(metrics["commodity"] == "all") & (metrics["year"].isin(years))]
    cols = ["year", *SCORES]
    return table_html(a[cols], "validation", {k: fmt3 for k in SCORES} | {"year": str})


FIT_COLUMNS = ("commodity", "group", "expansion_elasticity", "elasticity_identified",
               "new_flow_slope_factor", "slope_identified", "improvement")


def fit_table(params: pd.DataFrame) -> str:
    """The fitted parameters with their 90 % intervals and identification flags."""
    p = params.copy()
    for k in ("expansion_elasticity", "new_flow_slope_factor"):
        p[k] = [f"{fmt_value(v)} [{fmt_value(lo)} – {fmt_value(hi)}]"
                for v, lo, hi in zip(p[k], p[f"{k}_low"], p[f"{k}_high"], strict=True)]
    cols = [c for c in FIT_COLUMNS if c in p.columns]
    if "group" in cols and p["group"].astype(str).nunique() <= 1:
        cols.remove("group")
    return table_html(p[cols], "fit", {"improvement": lambda v: fmt_share(v)})


def wape_by_commodity(metrics: pd.DataFrame) -> pd.DataFrame:
    """commodity x year of weighted_mape (as in metrics.csv), 'all' last."""
    w = metrics.pivot_table(index="commodity", columns="year", values="weighted_mape", aggfunc="first")
    order = [c for c in w.index if c != "all"] + (["all"] if "all" in w.index else [])
    w = w.reindex(order)
    w.columns = [str(c) for c in w.columns]
    return w.reset_index()


# ----------------------------------------------------------------------------------------- page

def page_names(page: str) -> set[str]:
    """The column and row names of the page's tables (header cells, <wbr> removed, unescaped)."""
    import html

    return {html.unescape(re.sub(r"<[^>]+>", "", h)).strip()
            for h in re.findall(r"<th[^>]*>(.*?)</th>", page, re.S)}


def readable_settings(settings: dict) -> dict:
    """The settings to show as a table: the re-solve check is in the summary (dropped here), timings in
    seconds with two decimals."""
    out = {k: v for k, v in settings.items() if k != "base_year_check"}
    if isinstance(out.get("timings"), dict):
        out["timings"] = {k.replace("_seconds", " (s)"): f"{float(v):.2f}" for k, v in out["timings"].items()}
    return out


def warnings_of(base_check: dict, negative: pd.DataFrame, reconciled, fit_summary) -> list[str]:
    """Plain-text warnings of the calibration."""
    out = []
    if len(negative):
        out.append(f"{len(negative)} used routes have a negative implied cost (importer price below exporter "
                   "price; kept, listed in negative_cost_routes.csv).")
    if reconciled is not None:
        moved = reconciled["imbalance_before"] > 0
        out.append(f"The data did not close: {int(moved.sum())} markets were out of balance (worst "
                   f"{fmt_share(reconciled['imbalance_before'].max())}) and were reconciled by least squares "
                   "(reconciliation.csv).")
    if int(base_check.get("unused_routes_with_flow", 0) or 0):
        out.append(f"{int(base_check['unused_routes_with_flow'])} routes unused in the data "
                   f"carry flow in the "
                   "re-solved base year.")
    if int(base_check.get("undetermined_prices", 0) or 0):
        n = int(base_check["undetermined_prices"])
        out.append(f"{n} market{' has' if n == 1 else 's have'} no production, consumption or trade: "
                   f"{'its' if n == 1 else 'their'} price is not determined by the equilibrium (not "
                   "checked).")
    return out + identification_warnings(fit_summary)


def price_fidelity_html(prices: pd.DataFrame | None) -> str:
    """The headline of price fidelity: reported and trade-point prices against the observed ones."""
    if prices is None or not len(prices):
        return ""
    f = fidelity(prices)
    rows = "".join(
        f"<tr><th>{esc(label)}</th><td>{esc(fmt_share(f[k]['median']))}</td>"
        f"<td>{esc(fmt_share(f[k]['worst']))}</td><td>{f[k]['beyond_30pct']} of {f['markets']}</td>"
        f"<td>{f[k]['beyond_half_or_double']}</td></tr>"
        for k, label in (("price", "reported price (curves anchored)"),
                         ("trade_price", "trade-point price (arbitrage)")))
    return ("<h3>Price fidelity: calibrated against observed prices</h3>"
            "<table class='fidelity'><tr><th></th><th>median deviation</th><th>worst</th>"
            "<th>beyond 30 %</th><th>beyond half or double</th></tr>" + rows + "</table>"
            "<p class='src'>Observed: the base year's producer prices. Where they contradict the direction "
            "of trade, the markets' trade-point prices differ from them by a basis; the markets judged "
            "inconsistent and why: <code>inconsistent_markets.csv</code>; every market: "
            "<code>prices.csv</code>.</p>")


def reexport_html(reexports: pd.DataFrame | None) -> str:
    """One sentence on the observed re-exports traced to direct flows."""
    if reexports is None or not len(reexports):
        return "<p>No region exported more than it produced: no re-exports to trace.</p>"
    return (f"<p>Re-exports traced to direct flows (a region exports only its own production): "
            f"{len(reexports)} markets exported more than they produced, "
            f"{esc(fmt_share(float(reexports['share'].max()), 2))} of their exports at most "
            f"(<code>reexports.csv</code>); every market's net trade is kept.</p>")


def summary_html(*, settings: dict, metrics: pd.DataFrame, base_check: dict, negative: pd.DataFrame,
                 reconciled, fit_summary, consistency, focus_region: str, unit: str, price_unit: str,
                 validate: list, fit_years: list, n_markets: int | None, n_routes: int | None,
                 prices: pd.DataFrame | None = None, reexports: pd.DataFrame | None = None) -> str:
    """The one-screen summary (see module docstring)."""
    cfg = settings.get("config") or {}
    method = cfg.get("method", "exact")
    base = settings.get("base_year")
    facts = [("dataset", str(settings.get("dataset", "")).rstrip("/").split("/")[-1]),
             ("base year", base if base is not None else "not named (no dataset.toml)"), ("method", method),
             ("validation years", year_list(validate)), ("fit years", year_list(fit_years)),
             ("focus region", focus_region), ("quantities", unit), ("prices", price_unit)]
    if n_markets is not None:
        facts.append(("size", f"{n_markets} markets, {n_routes:,} routes"))
    half = (len(facts) + 1) // 2
    facts_html = "".join("<tr>" + "".join(f"<th>{esc(k)}</th><td>{esc(v)}</td>" for k, v in facts[i::half])
                         + "</tr>" for i in range(half))
    eps = cfg.get("trade_elasticity")
    how = ("consistent: re-exports traced to direct flows, cycles of used routes netted out, observed "
           "prices kept, trade-point prices and trade costs estimated so that every used route's "
           "trade-price gap is its transport cost + tariff + an adjustment >= 0" if method == "consistent"
           else "exact: observed flows (re-exports traced) and prices kept, per-route cost adjustments "
           "of either sign")
    if eps is not None:
        how += (f"; every route traded in the base year then carries the logit route cost (trade elasticity "
                f"{eps:g}) on its observed flow, with the price gap below its trade cost as its preference "
                f"(routes.csv columns trade_elasticity, preference)")
    what = (f"<p>petra's {esc(base_label(base))} was calibrated ({esc(how)}) so that solving the model "
            f"reproduces the base year's production, consumption, prices and flows. "
            f"Re-solving the calibrated "
            f"model reproduces them within:</p>")
    moved = ""
    if consistency is not None:
        c = consistency.commodities
        share = float((c["volume_observed"] - c["volume"]).sum() / max(c["volume_observed"].sum(), 1e-300))
        moved = (f"<p>Netting removed {esc(fmt_share(share, 2))} of the observed trade volume "
                 f"({int(c['cyclic_before'].sum())} of {len(c)} commodities had cycles of trade); every "
                 f"market's net trade is kept"
                 + (". The netted flows set the trade prices only; the logit routes keep the observed "
                    "flows." if eps is not None else ".") + "</p>")
    val = ""
    if validate:
        val = (f"<p class='caveat' id='validation-caveat'><b>Validation years use observed production and "
               f"consumption.</b> Each validation year ({esc(year_list(validate))}) is "
               f"projected one year at a "
               f"time with that year's observed production and consumption, so every market's net trade is "
               f"given: the focus region's net imports match the observations by "
               f"construction. What is tested "
               f"is the bilateral pattern, which partners trade how much.</p>"
               f"<h3>Route flows, all commodities, per validation "
               f"year</h3>{validation_table(metrics, validate)}")
    fit = ""
    if fit_summary is not None:
        fit = (f"<h3>Fitted on {esc(year_list(fit_years))}: expansion parameters (90 % intervals)</h3>"
               f"{fit_table(fit_summary)}")
    warns = warnings_of(base_check, negative, reconciled, fit_summary)
    warn_html = ("<div class='warn'><b>Warnings</b><ul>" + "".join(f"<li>{esc(w)}</li>" for w in warns)
                 + "</ul></div>") if warns else "<p class='src'>No warnings.</p>"
    return (f"<table class='facts'>{facts_html}</table>{what}"
            f"<div class='summary-grid'><div>{reproduction_table(base_check)}</div></div>"
            f"{price_fidelity_html(prices)}{reexport_html(reexports)}{moved}{val}{fit}"
            f"{warn_html}")


def base_label(base) -> str:
    """'base year 2020', or 'base year' for a dataset that names none (no dataset.toml)."""
    return "base year" if base is None else f"base year {base}"


def panel_intro(region: str, base, validate: list, scale_unit: str) -> str:
    mod = (f"the calibrated base year {esc(base)}" + (f" and the validation years {esc(year_list(validate))}"
                                                    if validate else ""))
    return (f"<p>One figure per commodity that {esc(region)} trades, over every observed "
            f"year ({esc(scale_unit)}). "
            f"(a) Net imports (imports minus exports; negative: net exports). (b) Flows with the "
            f"{MAIN_PARTNERS} largest partners by observed volume, the rest as 'other' (grey); imports by "
            f"origin, or exports by destination where {esc(region)} exports more than it imports. Observed: "
            f"solid line, filled markers; petra (modelled in {mod}): dashed line, hollow "
            f"markers. Lines break "
            f"at years without data. Each region has one colour throughout.</p>")


def focus_section(panels: PanelData | None, region: str, unit: str, scale: float, validate: list) -> str:
    if panels is None:
        return "<p><em>No observed history in the dataset.</em></p>"
    if panels.years.get("base_year") is None:  # markets.csv and routes.csv alone: one unnamed year
        return ("<p><em>The dataset names no base year (no dataset.toml), so there are no years to draw "
                "its history over.</em></p>")
    coms = traded_commodities(panels, region)
    if not coms:
        return f"<p><em>{esc(region)} has no observed or modelled trade.</em></p>"
    parts = [panel_intro(region, panels.years.get("base_year"), validate, unit),
             key_html(panels.years, eval_label="validation years"), "<div class='focus-grid'>"]
    for c in coms:
        fig = focus_figure(panels, region, c, unit, scale=scale, eval_label="validation years")
        parts.append(f"<figure id='focus-{esc(c)}' class='focus'><img alt='{esc(region)} {esc(c)}' "
                     f"src='data:image/png;base64,{png_base64(fig)}'/></figure>")
    return "".join(parts) + "</div>"


def write_report(folder, *, title: str, comparison: pd.DataFrame, base_check: dict,
                 negative: pd.DataFrame, route_table: pd.DataFrame, parameters: pd.DataFrame,
                 settings: dict, focus_region: str, main_partners: int, unit: str,
                 reconciled: pd.DataFrame | None, fit_summary: pd.DataFrame | None,
                 consistency=None, panels: PanelData | None = None, price_unit: str = "",
                 size: tuple[int, int] | None = None, prices: pd.DataFrame | None = None,
                 reexports: pd.DataFrame | None = None) -> dict:
    """Write report.html and its CSV tables into `folder`; returns the metrics summary. `unit` and
    `price_unit` are the dataset's; the page shows the IAMC output's (Mt, USD_2010/t)."""
    metrics = metrics_table(comparison)
    comparison = comparison.assign(residual=comparison["modelled"] - comparison["observed"])
    largest = comparison.reindex(comparison["residual"].abs().sort_values(ascending=False).index
                                 ).head(50).reset_index(drop=True)
    net, partners = focus_tables(comparison, focus_region, main_partners)
    comparison.to_csv(folder / "flows_comparison.csv", index=False, float_format="%.10g")
    metrics.to_csv(folder / "metrics.csv", index=False, float_format="%.10g")
    negative.to_csv(folder / "negative_cost_routes.csv", index=False, float_format="%.10g")
    largest.to_csv(folder / "largest_residuals.csv", index=False, float_format="%.10g")
    route_table.to_csv(folder / "route_calibration.csv", index=False, float_format="%.10g")
    parameters.to_csv(folder / "parameters.csv", index=False, float_format="%.10g")
    net.to_csv(folder / "focus_net_imports.csv", index=False, float_format="%.10g")
    partners.to_csv(folder / "focus_partner_imports.csv", index=False, float_format="%.10g")
    if reconciled is not None:
        reconciled.to_csv(folder / "reconciliation.csv", index=False, float_format="%.10g")
    if consistency is not None:
        consistency.commodities.to_csv(folder / "consistency_commodities.csv", index=False,
                                       float_format="%.10g")
        consistency.routes.to_csv(folder / "consistency_routes.csv", index=False, float_format="%.10g")
        consistency.inconsistent.to_csv(folder / "inconsistent_markets.csv", index=False,
                                        float_format="%.10g")
    if prices is not None:
        prices.to_csv(folder / "prices.csv", index=False, float_format="%.10g")
    if reexports is not None:
        reexports.to_csv(folder / "reexports.csv", index=False, float_format="%.10g")
    (folder / "settings.json").write_text(json.dumps(settings, indent=2, default=str) + "\n")

    q_unit, scale = display_quantity(unit)
    p_unit = display_price(price_unit) or "data units"
    validate = [int(y) for y in settings.get("validate_years") or []]
    fit_years = [int(y) for y in settings.get("fit_years") or []]
    base = settings.get("base_year")
    years = sorted(comparison["year"].unique())
    scatter_panels = [(base_label(base), [y for y in years if y not in validate])]
    if validate:
        scatter_panels.append((f"validation years {year_list(validate)}", validate))
    scatter = png_base64(scatter_figure(comparison, scatter_panels, scale, q_unit))
    qty, q = _qty(scale), {}
    for k in ("observed_volume", "model_volume", "volume_observed", "volume", "observed", "modelled",
              "residual", "flow"):
        q[k] = qty
    scores = {k: fmt3 for k in SCORES}
    met_all = metrics[metrics["commodity"] == "all"].drop(columns="commodity")
    e = esc
    nm = size[0] if size else None
    nr = size[1] if size else None
    parts = [
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}</title>"
        f"<style>{CSS}</style></head><body><h1>{e(title)}</h1>",
        "<nav><a href='#summary'>Summary</a>"
        f"<a href='#focus'>{e(focus_region)}</a><a href='#scatter'>Route flows</a><a "
        f"href='#tables'>Tables</a>"
        "<a href='#glossary-section'>Glossary</a><a href='#settings-section'>Settings</a></nav>",
        "<section id='summary'>",
        summary_html(settings=settings, metrics=metrics, base_check=base_check, negative=negative,
                     reconciled=reconciled, fit_summary=fit_summary, consistency=consistency,
                     prices=prices, reexports=reexports,
                     focus_region=focus_region, unit=q_unit, price_unit=p_unit, validate=validate,
                     fit_years=fit_years, n_markets=nm, n_routes=nr),
        "</section>",
        f"<h2 id='focus'>{e(focus_region)}: net imports and main partners, observed and modelled</h2>",
        focus_section(panels, focus_region, q_unit, scale, validate),
        "<h2 id='scatter'>Observed vs modelled route flows</h2>",
        f"<p>Every route with a flow, log scales (both sides plus {LOG_FLOOR_SHARE:g} of the "
        f"commodity's mean "
        "positive observed flow, so that zeros show); one colour per commodity; the grey line is "
        "modelled = observed."
        + (" In the base year the differences are the netting of the consistent calibration."
           if (settings.get("config") or {}).get("method") == "consistent" else "") + "</p>",
        f"<figure id='scatter-figure'><img alt='observed vs modelled' src='data:image/png;base64,{scatter}'/>"
        "</figure>",
        "<h2 id='tables'>Tables</h2>",
        "<h3>Route-flow metrics, all commodities</h3>",
        table_html(met_all, "metrics-all", scores | q | {"year": str}),
    ]
    if validate:
        parts += ["<h3>weighted_mape per commodity and year</h3>",
                  table_html(wape_by_commodity(metrics), "wape-by-commodity",
                             {c: fmt3 for c in map(str, years)})]
    parts += ["<p class='src'>Every metric per commodity and year: <code>metrics.csv</code>.</p>"]
    if consistency is not None:
        cc = consistency.commodities
        shares = {k: fmt_share for k in ("moved_share", "basis_mean", "basis_max")}
        parts += ["<h3>Consistent calibration: what moved, per commodity</h3>",
                  table_html(cc, "consistency", q | shares),
                  "<p class='src'>Every route's change: <code>consistency_routes.csv</code>.</p>"]
    parts += ["<h3>Parameters used, per commodity</h3>", table_html(parameters, "parameters"),
              f"<h3>Largest residuals ({q_unit})</h3>",
              table_html(largest.drop(columns=[], errors="ignore"), "residuals", q | {"year": str},
                         rows=TABLE_ROWS)]
    if len(negative):
        parts += ["<h3>Routes with negative implied cost</h3>",
                  table_html(negative, "negative", q, rows=TABLE_ROWS)]
    shown = page_names("".join(parts))
    parts += [
        "<h2 id='glossary-section'>Glossary</h2>",
        "<p>Every column name of the tables above (as in the CSV files); m modelled and o observed route "
        "flows; identifiers (year, commodity, exporter, importer, group) left out.</p>",
        glossary_html({k: v for k, v in GLOSSARY.items() if k in shown or k == "all (commodity)"}),
        "<h2 id='settings-section'>Settings</h2>", settings_table(readable_settings(settings)),
        "<details><summary>settings.json</summary>"
        f"<pre>{e(json.dumps(settings, indent=2, default=str))}</pre>"
        "</details>",
        "<p class='src'>Tables beside this page: flows_comparison.csv, metrics.csv, "
        "negative_cost_routes.csv, "
        "largest_residuals.csv, route_calibration.csv, parameters.csv, focus_net_imports.csv, "
        "focus_partner_imports.csv, settings.json"
        + (", consistency_commodities.csv, consistency_routes.csv, inconsistent_markets.csv"
           if consistency is not None else "")
        + (", prices.csv" if prices is not None else "")
        + (", reexports.csv" if reexports is not None else "")
        + (", reconciliation.csv" if reconciled is not None else "") + ".</p></body></html>"]
    (folder / "report.html").write_text("\n".join(parts), encoding="utf-8")
    return {"metrics": metrics}
