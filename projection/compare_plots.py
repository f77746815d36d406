"""Plots of `petra compare` (plots/ of the comparison folder). One colour per region and per scenario
in every figure (`petra.palette`); PNGs carry no date.

    imports_<focus>.png    the focus region's imports by partner of its main imported commodities,
                           one row per commodity, the scenarios side by side (same partners and
                           y-axis in a row)
    prices_<focus>.png     the focus region's price of every commodity, one line per scenario
    embodied_<focus>.png   the focus region's embodied import totals, one line per scenario
    welfare_<period>.png   welfare change per region and component in the last period, one panel
                           per scenario, the total as a black dot (World's total in the panel title:
                           its bar would dwarf the regions')
    welfare_world.png      the World welfare change per scenario over the periods
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from petra.palette import scenario_colour
from petra.projection.iamc import PRICE_UNIT
from petra.projection.outputs import MAX_PARTNERS_SHOWN, main_partners, stacked_partner_bars
from petra.projection.welfare import COMPONENTS, WORLD

MAIN_COMMODITIES = 4
"""Commodities of the imports chart: the focus region's largest imports over all scenarios and periods."""
EMBODIED_TOTALS = (
    "Embodied Land|Cropland|Imports", "Embodied Water|Blue|Imports", "Embodied Water|Green|Imports",
    "Embodied Nitrogen|Imports", "Embodied Emissions|Kyoto Gases (AR6-GWP100)|Imports")
"""The embodied import totals drawn (README, embodied resources), where the run has them."""
COMPONENT_COLOURS = {"consumer_surplus": "#4c72b0", "producer_surplus": "#dd8452",
                     "tariff_revenue": "#8c8c8c", "trade_rent": "#937860"}
"""Welfare components are neither regions nor scenarios: their own muted colours."""
COMPONENT_LABELS = {"consumer_surplus": "consumer surplus", "producer_surplus": "producer surplus",
                    "tariff_revenue": "tariff revenue", "trade_rent": "trade rent"}
LINE_STYLES = (("-", "o", 2.4), ("--", "s", 1.7), (":", "^", 1.4), ("-.", "D", 1.1))
"""Scenario lines: later scenarios thinner and dashed over earlier ones, so coinciding paths stay visible."""


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def margins(fig, left: float, right: float, top: float, bottom: float, **space) -> None:
    """Fixed margins in inches (tight_layout measured every tick label: half the plotting time)."""
    w, h = fig.get_size_inches()
    fig.subplots_adjust(left=left / w, right=1 - right / w, top=1 - top / h, bottom=bottom / h, **space)


def write_compare_plots(cmp, folder: Path) -> list[str]:
    """Every plot of the module docstring into `folder`; returns the file names written."""
    folder.mkdir(parents=True, exist_ok=True)
    run = cmp.run
    order = [cmp.baseline] + [s for s in run.scenarios if s != cmp.baseline]
    written = []
    for name, fig in (
        (f"imports_{run.focus_region}.png", imports_figure(run.flows, run.focus_region, order)),
        (f"prices_{run.focus_region}.png", price_figure(run.markets, run.focus_region, order)),
        (f"embodied_{run.focus_region}.png", embodied_figure(run.iamc, run.focus_region, order)),
        *welfare_figures(cmp.welfare, order, cmp.baseline),
    ):
        if fig is None:
            continue
        fig.savefig(folder / name, dpi=100)
        _pyplot().close(fig)
        written.append(name)
    return written


def _scenario_lines(ax, frame: pd.DataFrame, x: str, y: str, order: list[str]) -> None:
    for k, scen in enumerate(order):
        d = frame[frame["scenario"] == scen].sort_values(x)
        if d.empty:
            continue
        ls, mk, lw = LINE_STYLES[k % len(LINE_STYLES)]
        ax.plot(d[x], d[y], linestyle=ls, marker=mk, lw=lw, ms=4.0 - 0.6 * (k % 4), label=scen,
                color=scenario_colour(scen))
    ax.set_xticks(sorted(pd.unique(frame[x])))  # the periods only, not years between them


def imports_figure(flows: pd.DataFrame, focus: str, order: list[str]):
    """Rows: the focus region's main imported commodities; columns: scenarios; stacked partners (Mt)."""
    plt = _pyplot()
    imports = flows[(flows["importer"] == focus) & (flows["flow"] > 0)]
    if imports.empty:
        return None
    top = imports.groupby("commodity")["flow"].sum().sort_values(ascending=False).index[:MAIN_COMMODITIES]
    periods = sorted(flows["period"].unique())
    fig, axes = plt.subplots(len(top), len(order), figsize=(2.9 * len(order) + 1.6, 2.5 * len(top)),
                             squeeze=False, sharey="row")
    for i, c in enumerate(top):
        d = imports[imports["commodity"] == c]
        # the same partners (largest over every scenario) in every panel of the row
        ranked = d.groupby("exporter")["flow"].sum().sort_values(ascending=False).index
        handles = {}
        for j, scen in enumerate(order):
            ax = axes[i, j]
            w = (d[d["scenario"] == scen].pivot_table(index="period", columns="exporter", values="flow",
                                                      aggfunc="sum", fill_value=0.0)
                 .reindex(index=periods, columns=ranked, fill_value=0.0) / 1000.0)
            drawn = stacked_partner_bars(ax, main_partners(w, MAX_PARTNERS_SHOWN), width=0.75)
            for col, bars in drawn.items():
                handles.setdefault(col, bars)
            if i == 0:
                ax.set_title(scen, fontsize=10, color=scenario_colour(scen), fontweight="bold")
            ax.tick_params(labelsize=7)
            ax.grid(axis="y", lw=0.4, alpha=0.5)
            ax.set_axisbelow(True)
        axes[i, 0].set_ylabel(f"{c}\nimports (Mt)", fontsize=8)
        # top of the stack first, as the bars read
        axes[i, -1].legend(list(handles.values())[::-1], list(handles)[::-1], fontsize=7, loc="center left",
                           bbox_to_anchor=(1.02, 0.5), frameon=False)
    fig.suptitle(f"{focus}: imports by partner, scenarios side by side", fontsize=11)
    margins(fig, left=0.85, right=1.55, top=0.65, bottom=0.35, wspace=0.08, hspace=0.22)
    return fig


def price_figure(markets: pd.DataFrame, focus: str, order: list[str]):
    """One panel per commodity: the focus region's price per scenario."""
    plt = _pyplot()
    m = markets[markets["region"] == focus]
    if m.empty:
        return None
    commodities = sorted(m["commodity"].unique())
    ncol = 4
    nrow = int(np.ceil(len(commodities) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.3 * ncol, 2.4 * nrow + 0.6), squeeze=False, sharex=True)
    for ax, c in zip(axes.ravel(), commodities, strict=False):
        _scenario_lines(ax, m[m["commodity"] == c], "period", "price", order)
        ax.set_title(c, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(lw=0.4, alpha=0.5)
    for k, ax in enumerate(axes.ravel()[len(commodities):], start=len(commodities)):
        ax.axis("off")
        axes.ravel()[k - ncol].tick_params(labelbottom=True)  # years under the panel above the gap
    for row in axes:
        row[0].set_ylabel(PRICE_UNIT, fontsize=8)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 4), fontsize=8, frameon=False)
    fig.suptitle(f"{focus}: market prices by scenario", fontsize=11)
    margins(fig, left=0.75, right=0.2, top=0.6, bottom=0.75, wspace=0.32, hspace=0.3)
    return fig


def embodied_figure(iamc: pd.DataFrame, focus: str, order: list[str]):
    """One panel per embodied import total of the focus region, one line per scenario."""
    plt = _pyplot()
    e = iamc[(iamc["region"] == focus) & iamc["variable"].isin(EMBODIED_TOTALS)]
    names = [v for v in EMBODIED_TOTALS if v in set(e["variable"])]
    if not names:
        return None
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3.2), squeeze=False)
    for ax, v in zip(axes[0], names, strict=True):
        d = e[e["variable"] == v]
        _scenario_lines(ax, d, "year", "value", order)
        ax.set_title(v.replace("Embodied ", "").replace("|Imports", "").replace("|", " "), fontsize=9)
        ax.set_ylabel(d["unit"].iloc[0], fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(lw=0.4, alpha=0.5)
        ax.set_ylim(bottom=0)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 4), fontsize=8, frameon=False)
    fig.suptitle(f"{focus}: resources embodied in imports, by scenario", fontsize=11)
    fig.tight_layout(rect=(0, 0.1, 1, 0.93))
    return fig


def welfare_figures(welfare: pd.DataFrame, order: list[str], baseline: str):
    """(name, figure) pairs: components per region in the last period, World totals over periods."""
    plt = _pyplot()
    if welfare.empty:
        return []
    unit = welfare["unit"].iloc[0]
    last = int(welfare["period"].max())
    scens = [s for s in order if s in set(welfare["scenario"])]
    w = welfare[welfare["period"] == last]
    regions = sorted(r for r in w["region"].unique() if r != WORLD)
    world_total = w[w["region"] == WORLD].set_index("scenario")["total"]
    fig, axes = plt.subplots(1, len(scens), figsize=(4.6 * len(scens), 0.32 * len(regions) + 1.9),
                             squeeze=False, sharey=True)
    y = np.arange(len(regions))
    for ax, scen in zip(axes[0], scens, strict=True):
        d = w[w["scenario"] == scen].set_index("region").reindex(regions).fillna(0.0)
        pos, neg = np.zeros(len(regions)), np.zeros(len(regions))
        for comp in COMPONENTS:
            v = d[comp].to_numpy()
            left = np.where(v >= 0, pos, neg)
            ax.barh(y, v, left=left, color=COMPONENT_COLOURS[comp], label=COMPONENT_LABELS[comp], height=0.7)
            pos, neg = pos + np.clip(v, 0, None), neg + np.clip(v, None, 0)
        ax.plot(d["total"], y, "o", color="black", ms=4, label="total")
        lo, hi = min(neg.min(), d["total"].min(), 0.0), max(pos.max(), d["total"].max(), 0.0)
        pad = 0.06 * (hi - lo) if hi > lo else 1.0
        ax.set_xlim(lo - pad, hi + pad)  # every stacked bar whole (autoscaling clipped the longest)
        ax.axvline(0, color="black", lw=0.6)
        ax.set_title(f"{scen}\nWorld {world_total.get(scen, 0.0):+,.0f}", fontsize=10,
                     color=scenario_colour(scen), fontweight="bold")
        ax.set_xlabel(unit, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(axis="x", lw=0.4, alpha=0.5)
        ax.set_axisbelow(True)
    axes[0, 0].set_yticks(y, regions)
    axes[0, 0].invert_yaxis()
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8, frameon=False)
    fig.suptitle(f"Welfare change against {baseline} by region, {last} ({unit})", fontsize=11)
    fig.tight_layout(rect=(0, 0.05, 1, 0.95))
    out = [(f"welfare_{last}.png", fig)]
    world = welfare[welfare["region"] == WORLD]
    fig, ax = plt.subplots(figsize=(6.0, 3.6))
    _scenario_lines(ax, world, "period", "total", scens)
    ax.axhline(0, color=scenario_colour(baseline), lw=1.0, label=f"{baseline} (baseline)")
    ax.set_ylabel(unit, fontsize=8)
    ax.set_title(f"World welfare change against {baseline}", fontsize=10)
    ax.grid(lw=0.4, alpha=0.5)
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    out.append(("welfare_world.png", fig))
    return out
