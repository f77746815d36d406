"""Plots of embodied flows (matplotlib, Agg backend): a bar chart by partner and a flow diagram."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.patches import PathPatch  # noqa: E402
from matplotlib.path import Path as MPath  # noqa: E402


def bar_by_partner(embodied: pd.DataFrame, indicator: str, region: str, period: int,
                   path: str | Path, *, top: int = 12) -> Path | None:
    """Horizontal bars of `region`'s embodied imports of `indicator` by exporting partner (summed over
    commodities, largest `top` partners plus "other"). Returns the file written, or None if nothing to
    plot."""
    d = embodied[(embodied["indicator"] == indicator) & (embodied["importer"] == region)
                 & (embodied["period"] == period)]
    by = d.groupby("exporter")["value"].sum().sort_values(ascending=False)
    by = by[by > 0]
    if by.empty:
        return None
    if len(by) > top:
        by = pd.concat([by.iloc[:top], pd.Series({"other": by.iloc[top:].sum()})])
    unit = d["unit"].iloc[0]
    missing = int(d["value"].isna().sum())
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(by) + 1.6))
    ax.barh(by.index[::-1], by.to_numpy()[::-1], color="#4c72b0")
    ax.set_xlabel(f"{indicator} embodied in imports ({unit})")
    title = f"{region} {period}: {indicator} embodied in imports by partner"
    if missing:
        title += f"\n({missing} route(s) with missing intensity not shown)"
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def flow_diagram(embodied: pd.DataFrame, indicator: str, period: int, path: str | Path, *,
                 top: int = 20) -> Path | None:
    """Exporters (left) to importers (right), band width proportional to the embodied `indicator` (the
    `top` largest routes summed over commodities). Returns the file written, or None if nothing to plot."""
    d = embodied[(embodied["indicator"] == indicator) & (embodied["period"] == period)]
    routes = d.groupby(["exporter", "importer"])["value"].sum().sort_values(ascending=False)
    routes = routes[routes > 0].iloc[:top]
    if routes.empty:
        return None
    unit = d["unit"].iloc[0]
    ex = routes.groupby(level=0).sum().sort_values(ascending=False)
    im = routes.groupby(level=1).sum().sort_values(ascending=False)
    total = float(routes.sum())
    gap = 0.02
    scale = (1.0 - gap * (max(len(ex), len(im)) - 1)) / total

    def positions(s: pd.Series) -> dict[str, float]:
        pos, y = {}, 1.0
        for k, v in s.items():
            pos[k] = y
            y -= v * scale + gap
        return pos

    ex_top, im_top = positions(ex), positions(im)
    ex_cur, im_cur = dict(ex_top), dict(im_top)
    fig, ax = plt.subplots(figsize=(8, 6))
    colors = plt.get_cmap("tab20")(np.linspace(0, 1, max(len(ex), 2)))
    cmap = dict(zip(ex.index, colors, strict=False))
    for (e, i), v in routes.items():
        h = v * scale
        y0, y1 = ex_cur[e], im_cur[i]
        ex_cur[e] -= h
        im_cur[i] -= h
        verts = [(0.1, y0), (0.5, y0), (0.5, y1), (0.9, y1), (0.9, y1 - h), (0.5, y1 - h), (0.5, y0 - h),
                 (0.1, y0 - h), (0.1, y0)]
        codes = [MPath.MOVETO, MPath.CURVE4, MPath.CURVE4, MPath.CURVE4, MPath.LINETO, MPath.CURVE4,
                 MPath.CURVE4, MPath.CURVE4, MPath.CLOSEPOLY]
        ax.add_patch(PathPatch(MPath(verts, codes), facecolor=cmap[e], alpha=0.6, lw=0))
    for k, y in ex_top.items():
        ax.text(0.09, y - ex[k] * scale / 2, k, ha="right", va="center", fontsize=8)
    for k, y in im_top.items():
        ax.text(0.91, y - im[k] * scale / 2, k, ha="left", va="center", fontsize=8)
    ax.set_xlim(-0.1, 1.1)
    ax.set_ylim(min(min(ex_cur.values()), min(im_cur.values())) - 0.02, 1.02)
    ax.axis("off")
    ax.set_title(f"{indicator} embodied in trade, {period} (largest {len(routes)} routes, "
                 f"{total:.3g} {unit})", fontsize=10)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
