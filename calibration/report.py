"""The calibration report: CSV tables and a self-contained HTML page (matplotlib PNGs as base64).

Metrics (per year and commodity, and over all commodities as "all"), on route flows:
* r2: 1 - sum (m - o)^2 / sum (o - mean o)^2 (levels);
* r2_log: the same on log10(x + floor) (floor = 1e-3 of the commodity's mean positive observed flow);
* weighted_mape: sum |m - o| / sum o (absolute percentage errors weighted by observed volume);
* hit_ratio: share of routes whose status (used: flow > 1e-6 of the commodity's mean positive
  observed flow) is the same in model and observation;
* volume_within_10pct: share of observed volume on routes with |m - o| <= 10% of o.
"""

from __future__ import annotations

import base64
import html
import io
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


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
    f = _floor(o, 1e-3)
    lo, lm = np.log10(o + f), np.log10(m + f)
    ss_tot_log = float(((lo - lo.mean()) ** 2).sum())
    vol = float(o.sum())
    thr = _floor(o, 1e-6)
    return {
        "routes": int(o.size), "observed_used": int((o > thr).sum()), "model_used": int((m > thr).sum()),
        "observed_volume": vol, "model_volume": float(m.sum()),
        "r2": 1.0 - float(((m - o) ** 2).sum()) / ss_tot if ss_tot > 0 else float("nan"),
        "r2_log": 1.0 - float(((lm - lo) ** 2).sum()) / ss_tot_log if ss_tot_log > 0 else float("nan"),
        "weighted_mape": float(np.abs(m - o).sum()) / vol if vol > 0 else float("nan"),
        "hit_ratio": float(((o > thr) == (m > thr)).mean()),
        "volume_within_10pct": float(o[np.abs(m - o) <= 0.1 * o].sum()) / vol if vol > 0 else float("nan"),
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


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def scatter_plot(comparison: pd.DataFrame, title: str) -> str:
    """Log-log scatter of observed vs modelled flows, one panel per commodity (base64 PNG)."""
    coms = sorted(comparison["commodity"].unique())
    ncol = min(4, max(len(coms), 1))
    nrow = int(np.ceil(len(coms) / ncol)) if coms else 1
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol, 3.0 * nrow), squeeze=False)
    for ax, com in zip(axes.ravel(), coms, strict=False):
        g = comparison[comparison["commodity"] == com]
        o, m = g["observed"].to_numpy(), np.maximum(g["modelled"].to_numpy(), 0.0)
        f = _floor(o, 1e-3)
        for year, h in g.groupby("year"):
            ax.scatter(h["observed"] + f, np.maximum(h["modelled"], 0) + f, s=8, alpha=0.6, label=str(year))
        hi = max(float(np.max(o + f)), float(np.max(m + f)))
        ax.plot([f, hi], [f, hi], color="grey", lw=0.8)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(com, fontsize=9)
        ax.set_xlabel("observed + floor", fontsize=7)
        ax.set_ylabel("modelled + floor", fontsize=7)
        ax.tick_params(labelsize=6)
    for ax in axes.ravel()[len(coms):]:
        ax.axis("off")
    if coms:
        axes.ravel()[0].legend(fontsize=6)
    fig.suptitle(title, fontsize=10)
    return _png(fig)


def focus_plot(net: pd.DataFrame, partners: pd.DataFrame, region: str, unit: str) -> str | None:
    """Net imports of the focus region per commodity and, for its largest net import, imports from
    its main partners: observed (solid) vs modelled (dashed)."""
    if net.empty:
        return None
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.2))
    for i, (com, g) in enumerate(net.groupby("commodity")):
        col = f"C{i % 10}"
        a1.plot(g["year"], g["observed_net_imports"], "-o", color=col, ms=3, label=com)
        a1.plot(g["year"], g["modelled_net_imports"], "--", color=col)
    a1.axhline(0, color="grey", lw=0.5)
    a1.set_title(f"{region} net imports (solid observed, dashed model)", fontsize=9)
    a1.set_ylabel(unit)
    a1.legend(fontsize=6, ncol=2)
    last = net[net["year"] == net["year"].max()]
    top = last.sort_values("observed_net_imports", ascending=False)["commodity"].iloc[0]
    for i, (partner, g) in enumerate(partners[partners["commodity"] == top].groupby("partner")):
        col = f"C{i % 10}"
        a2.plot(g["year"], g["observed_imports"], "-o", color=col, ms=3, label=partner)
        a2.plot(g["year"], g["modelled_imports"], "--", color=col)
    a2.set_title(f"{region} imports of {top} from main partners", fontsize=9)
    a2.set_ylabel(unit)
    a2.legend(fontsize=7)
    return _png(fig)


def _table_html(df: pd.DataFrame, max_rows: int = 40) -> str:
    if df is None or df.empty:
        return "<p><em>none</em></p>"
    more = f"<p>{len(df) - max_rows} more rows in the CSV file.</p>" if len(df) > max_rows else ""
    return df.head(max_rows).to_html(index=False, float_format=lambda x: f"{x:.4g}", border=0,
                                      classes="t") + more


def write_report(folder, *, title: str, comparison: pd.DataFrame, base_check: dict,
                 negative: pd.DataFrame, route_table: pd.DataFrame, parameters: pd.DataFrame,
                 settings: dict, focus_region: str, main_partners: int, unit: str,
                 reconciled: pd.DataFrame | None, fit_summary: pd.DataFrame | None,
                 consistency=None) -> dict:
    """Write report.html and its CSV tables into `folder`; returns the metrics summary."""
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
    (folder / "settings.json").write_text(json.dumps(settings, indent=2, default=str) + "\n")
    years = sorted(comparison["year"].unique())
    later = comparison[comparison["year"] != years[0]] if len(years) > 1 else comparison
    scatter = scatter_plot(later, "observed vs modelled flows" + (
        f" ({', '.join(str(y) for y in years[1:])})" if len(years) > 1 else f" (base year {years[0]})"))
    focus = focus_plot(net, partners, focus_region, unit) if len(years) > 1 else None
    e = html.escape
    check = ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {e(str(v))}"
                      for k, v in base_check.items())
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{e(title)}</title><style>"
        "body{font-family:sans-serif;max-width:1200px;margin:auto;font-size:14px}"
        "table.t{border-collapse:collapse;font-size:12px}table.t td,table.t th{padding:2px 6px;"
        "border-bottom:1px solid #ddd;text-align:right}h2{border-bottom:2px solid #446}</style>"
        f"</head><body><h1>{e(title)}</h1>",
        "<h2>Base year</h2>",
        f"<p>Re-solved calibrated base year, maximum relative deviations: {check}.</p>",
        f"<p>{len(negative)} used routes have a negative implied cost (importer price below exporter "
        f"price; kept, listed below and in <code>negative_cost_routes.csv</code>).</p>",
    ]
    if reconciled is not None:
        moved = reconciled["imbalance_before"] > 0
        parts.append(f"<p>The data did not close: {int(moved.sum())} markets were out of balance "
                     f"(worst {reconciled['imbalance_before'].max():.3g} relative) and were reconciled "
                     f"by least squares (<code>reconciliation.csv</code>).</p>")
    if consistency is not None:
        c = consistency.commodities
        moved = float((c["volume_observed"] - c["volume"]).sum() / max(c["volume_observed"].sum(), 1e-300))
        parts += [
            "<h2>Consistent calibration: what moved</h2>",
            "<p>Cycles of used routes were netted out of the observed flows "
            f"({int(c['cyclic_before'].sum())} commodities had one, {int(c['cyclic_after'].sum())} have "
            f"one now; {moved:.3%} of the trade "
            "volume removed; every market's net trade kept) and prices were moved so that every used "
            f"route's price gap is at least its cost floor ({int(c['dearer_routes_before'].sum())} used "
            "routes flowed from the dearer market). Per commodity below; every route's change in "
            "<code>consistency_routes.csv</code> (largest first).</p>",
            _table_html(c, 100), "<h3>Largest flow changes</h3>", _table_html(consistency.routes, 15)]
    parts += ["<h2>Metrics</h2>", _table_html(metrics, 200),
              "<h2>Observed vs modelled flows</h2>", f"<img src='data:image/png;base64,{scatter}'/>"]
    if focus is not None:
        parts += [f"<h2>{e(focus_region)}: net imports and main partners</h2>",
                  f"<img src='data:image/png;base64,{focus}'/>", _table_html(net, 100)]
    if fit_summary is not None:
        parts += ["<h2>Fitted expansion elasticities and new-flow slopes</h2>",
                  _table_html(fit_summary, 200)]
    parts += ["<h2>Parameters used</h2>", _table_html(parameters, 200),
              f"<pre>{e(json.dumps(settings, indent=2, default=str))}</pre>",
              "<h2>Routes with negative implied cost</h2>", _table_html(negative),
              "<h2>Largest residuals</h2>", _table_html(largest, 30),
              "<p>Tables: flows_comparison.csv, metrics.csv, negative_cost_routes.csv, "
              "largest_residuals.csv, route_calibration.csv, parameters.csv, focus_net_imports.csv, "
              "focus_partner_imports.csv, settings.json.</p></body></html>"]
    (folder / "report.html").write_text("\n".join(parts), encoding="utf-8")
    return {"metrics": metrics}
