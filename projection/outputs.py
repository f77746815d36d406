"""Writers of a run's files: IAMC (pyam csv + xlsx), Parquet, plots. Deterministic byte for byte:
the xlsx core properties carry a fixed creation date (XlsxWriter fixes the zip entry times), Parquet
has no timestamps, PNGs carry no date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from petra.palette import OTHER, OTHER_COLOUR, region_colour, scenario_colour
from petra.projection.iamc import IAMC_COLUMNS, PRICE_UNIT, to_pyam

FIXED_DATE = dt.datetime(2000, 1, 1)


def write_iamc(frame: pd.DataFrame | None, folder: Path) -> None:
    """iamc.csv and iamc.xlsx (wide: model, scenario, region, variable, unit, one column per year)."""
    if frame is None or frame.empty:
        pd.DataFrame(columns=IAMC_COLUMNS[:-2]).to_csv(folder / "iamc.csv", index=False)
        return
    df = to_pyam(frame)
    df.to_csv(folder / "iamc.csv")
    with pd.ExcelWriter(folder / "iamc.xlsx", engine="xlsxwriter") as writer:
        writer.book.set_properties({"created": FIXED_DATE, "title": "petra scenario results (IAMC)"})
        df.to_excel(writer, include_meta=False)


def write_parquet(frame: pd.DataFrame | None, path: Path) -> None:
    if frame is None:
        return
    frame.reset_index(drop=True).to_parquet(path, index=False, engine="pyarrow", compression="zstd")


MAX_PARTNERS_SHOWN = 7
"""Partners drawn one by one in an imports chart; the rest are one grey 'other' bar (globiom37's legends
of 20-37 partners covered the bars)."""


def main_partners(wide: pd.DataFrame, n: int) -> pd.DataFrame:
    """The first `n` columns of `wide` (partners, largest first) and the sum of the rest as `other`."""
    if wide.shape[1] <= n:
        return wide
    out = wide.iloc[:, :n].copy()
    out[OTHER] = wide.iloc[:, n:].sum(axis=1)
    return out


def stacked_partner_bars(ax, wide: pd.DataFrame, **bar) -> dict:
    """Stack `wide` (periods x partners, as `main_partners` returns it) as bars on `ax`, one colour per
    partner in every panel, scenario and run (petra.palette; 'other' grey); the bar handles by partner."""
    bottom = np.zeros(len(wide))
    handles = {}
    for col in wide.columns:
        colour = OTHER_COLOUR if col == OTHER else region_colour(col)
        handles[col] = ax.bar([str(p) for p in wide.index], wide[col].to_numpy(), bottom=bottom,
                              label=col, color=colour, **bar)
        bottom += wide[col].to_numpy()
    return handles


def write_plots(results: list, folder: Path, *, focus_region: str) -> list[str]:
    """prices_<focus>.png, imports_<focus>_<scenario>.png, flows_<commodity>_<scenario>_<period>.png."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from petra.embodied.plots import flow_diagram
    from petra.embodied.run import safe_name

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    markets = pd.concat([r.markets for r in results], ignore_index=True)
    flows = pd.concat([r.flows for r in results], ignore_index=True)
    focus = markets[markets["region"] == focus_region]
    if focus.empty:
        return written
    commodities = sorted(focus["commodity"].unique())
    ncol = 4
    nrow = int(np.ceil(len(commodities) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol, 2.4 * nrow), squeeze=False, sharex=True)
    # scenarios that coincide (e.g. before a policy starts) stay visible: each later scenario is drawn
    # thinner, dashed, with another marker, over the earlier ones
    styles = [("-", "o", 2.4), ("--", "s", 1.7), (":", "^", 1.3), ("-.", "D", 1.0)]
    for ax, c in zip(axes.ravel(), commodities, strict=False):
        for k, (scen, d) in enumerate(focus[focus["commodity"] == c].groupby("scenario", sort=False)):
            ls, mk, lw = styles[k % len(styles)]
            ax.plot(d["period"], d["price"], linestyle=ls, marker=mk, ms=3.5 - 0.5 * (k % 4), lw=lw,
                    label=scen, color=scenario_colour(scen))
        ax.set_title(c, fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[len(commodities):]:
        ax.axis("off")
    axes[0, 0].set_ylabel(PRICE_UNIT, fontsize=8)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 4), fontsize=8)
    fig.suptitle(f"{focus_region}: market prices by scenario", fontsize=10)
    fig.tight_layout(rect=(0, 0.05, 1, 0.97))
    name = f"prices_{focus_region}.png"
    fig.savefig(folder / name, dpi=100)
    plt.close(fig)
    written.append(name)
    imports = flows[(flows["importer"] == focus_region) & (flows["flow"] > 0)]
    top = imports.groupby("commodity")["flow"].sum().sort_values(ascending=False).index[:4].tolist()
    for scen, d in imports.groupby("scenario", sort=False):
        fig, axes = plt.subplots(1, max(len(top), 1), figsize=(3.6 * max(len(top), 1), 4.0), squeeze=False)
        for ax, c in zip(axes[0], top, strict=False):
            w = d[d["commodity"] == c].pivot_table(index="period", columns="exporter", values="flow",
                                                   aggfunc="sum", fill_value=0.0) / 1000.0
            stacked_partner_bars(ax, main_partners(w[w.sum().sort_values(ascending=False).index],
                                                   MAX_PARTNERS_SHOWN))
            ax.set_title(c, fontsize=9)
            ax.tick_params(labelsize=7)
            ax.legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3, frameon=False)
        axes[0, 0].set_ylabel("imports (Mt)", fontsize=8)
        fig.suptitle(f"{focus_region} imports by partner, scenario {scen}", fontsize=10)
        fig.tight_layout()
        name = f"imports_{focus_region}_{safe_name(scen)}.png"
        fig.savefig(folder / name, dpi=100)
        plt.close(fig)
        written.append(name)
    if top:
        c = top[0]
        last = int(flows["period"].max())
        for scen, d in flows[(flows["commodity"] == c) & (flows["period"] == last)].groupby(
                "scenario", sort=False):
            e = d.assign(indicator=c, value=d["flow"], unit="kt")
            name = f"flows_{safe_name(c)}_{safe_name(scen)}_{last}.png"
            if flow_diagram(e, c, last, folder / name) is not None:
                written.append(name)
    return written

