"""The README figure of the food income response: per commodity, IMPACT 3's regional food income
elasticities (~2005) against GDP per capita, the cross-section's least-squares line, the slope petra uses
(income_response.csv) drawn through the cross-section's mean, and the bounds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from petra.palette import OTHER_COLOUR, region_colour

NEUTRAL_DARK = "#404040"
CHINA_CTY = "CHM"
"""IMPACT's China mainland, marked in every panel."""


def draw(cross_section: pd.DataFrame, response: pd.DataFrame, path: Path) -> None:
    """cross_section: cty, commodity, e, x (ln thousand US$2017 per person, 2005); response: the
    income_response.csv rows. Writes a PNG at `path`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    coms = list(response["commodity"])
    ncol = 4
    nrow = -(-len(coms) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(13, 2.9 * nrow), sharex=True)
    resp = response.set_index("commodity")
    for ax, com in zip(axes.flat, coms, strict=False):
        d = cross_section[cross_section["commodity"] == com]
        r = resp.loc[com]
        y = np.exp(d["x"])
        ax.scatter(y, d["e"], s=9, color=OTHER_COLOUR, alpha=0.7, lw=0, label="IMPACT 3 regions (2005)")
        china = d[d["cty"] == CHINA_CTY]
        ax.scatter(np.exp(china["x"]), china["e"], s=30, color=region_colour("CHN"), zorder=3,
                   label="China (CHM)")
        grid = np.linspace(d["x"].min(), d["x"].max(), 50)
        xm, em = d["x"].mean(), d["e"].mean()
        ax.plot(np.exp(grid), em + r["impact_slope"] * (grid - xm), "--", color=NEUTRAL_DARK, lw=1.2,
                label="IMPACT cross-section fit")
        ax.plot(np.exp(grid), np.clip(em + r["slope"] * (grid - xm), r["low"], r["high"]), color="#1f77b4",
                lw=2, label="slope used (Engel panel), bounded")
        for b in (r["low"], r["high"]):
            ax.axhline(b, color="#1f77b4", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_title(f"{com}: slope {r['slope']:.3f} ({r['basis']})", fontsize=9)
        ax.tick_params(labelsize=8)
    for ax in axes.flat[len(coms):]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    axes.flat[-1].legend(handles, labels, loc="center", fontsize=9, frameon=False)
    for k in range(ncol):  # the lowest drawn panel of each column carries the axis
        ax = axes.flat[max(i for i in range(k, len(coms), ncol))]
        ax.xaxis.set_tick_params(labelbottom=True)
        ax.set_xlabel("GDP PPP per capita 2005 (thousand US$2017)", fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel("food income elasticity", fontsize=8)
    fig.suptitle("Income elasticity of food demand against income: IMPACT 3 regions and the slope petra "
                 "uses (d e / d ln GDP per capita)", fontsize=11)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)
