"""The focus region's panels, one figure per commodity, as GLOBIOM's documentation shows them: (a) net
imports and (b) imports from (or exports to) its main partners, over every observed year, observed
(solid, filled markers) against modelled (dashed, hollow markers). Lines break at years without data
(`gap_segments`, and NaN where the model has no value). One colour per region (`petra.palette`).

The data are duck-typed (`PanelData`, or a HindcastResult): `history` (year, exporter, importer,
commodity, observed, petra; petra NaN in years not modelled), `net_imports` (year, region, commodity,
observed, petra), `flows` (the evaluation years' rows of history) and `years` (base_year, fit_years,
eval_years, projected_years). Quantities are in data units; `scale` converts them for display.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402, F401 - the backend is set before pyplot is used
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from petra.errors import InputError  # noqa: E402
from petra.palette import OTHER, canonical, region_colour, region_marker  # noqa: E402

MAIN_PARTNERS = 5
FIT_SHADE = "#d9ead3"
EVAL_SHADE = "#fde9d0"
BASE_LINE = "#444444"
FIGURE_SIZE = (5.8, 2.9)
"""inches: the two panels of one commodity side by side; the pages show two commodities per row"""


@dataclass
class PanelData:
    """What the panels need (see module docstring)."""

    history: pd.DataFrame
    net_imports: pd.DataFrame
    flows: pd.DataFrame
    years: dict


def focus_region_in(regions, wanted: str, net_imports: pd.DataFrame) -> str:
    """The region the panels show: `wanted` if the dataset has it, else the region of the same canonical
    name (petra.palette.canonical: "CHN" is globiom37's "ChinaReg"), else the largest net importer
    (observed net imports summed over the years of `net_imports`: region, observed)."""
    names = [str(r) for r in regions]
    if wanted in names:
        return wanted
    same = [r for r in names if canonical(r) == canonical(wanted)]
    if same:
        return same[0]
    return str(net_imports.groupby("region")["observed"].sum().idxmax())


def check_focus_region(regions, config, file: str | None = None) -> None:
    """InputError if the calibration settings name a focus region (other than the default) that the
    dataset has neither under that name nor under another of the same canonical name."""
    wanted, default = config.focus_region, type(config).model_fields["focus_region"].default
    names = [str(r) for r in regions]
    if "focus_region" not in config.model_fields_set or wanted == default:
        return
    if wanted not in names and not any(canonical(r) == canonical(wanted) for r in names):
        listed = ", ".join(sorted(names)[:12]) + (", ..." if len(names) > 12 else "")
        raise InputError(f"key 'focus_region': region '{wanted}' is not in the dataset ({listed})", file=file)


def traded_commodities(result, region: str) -> list[str]:
    """Commodities with an observed or modelled flow into or out of `region` in `result.flows` (the
    evaluation years; dataset order)."""
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
    nothing was observed). Partners are ranked by their evaluation-year flows (every year's without
    evaluation years)."""
    hist = getattr(result, "history", None)
    hist = result.flows if hist is None else hist
    f = hist[hist["commodity"].astype(str) == commodity]
    ev_years = result.years.get("eval_years") or []
    ev = f[f["year"].isin(ev_years)] if ev_years else f
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


def gap_segments(years: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
    x, y = gap_segments(years, values)
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
    ev = set(years.get("eval_years") or [])
    for y in ev:
        ax.axvspan(y - 0.5, y + 0.5, color=EVAL_SHADE, lw=0, zorder=0)
    for y in years.get("fit_years") or []:  # a fit year that is also evaluated: a band along the top
        ax.axvspan(y - 0.5, y + 0.5, ymin=0.93 if y in ev else 0.0, color=FIT_SHADE, lw=0, zorder=0)
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


def focus_figure(result, region: str, commodity: str, unit: str, *, scale: float = 1.0,
                 eval_label: str = "evaluation years", model_label: str = "petra", key: bool = False):
    """The figure of one commodity: (a) net imports, (b) main partners, quantities x `scale` in
    `unit`, with the key of line styles and shading in the figure if `key` (the pages use key_html).
    Every line's gid is
    'net:<region>:<observed|petra>' or 'partner:<region>:<observed|petra>'."""
    years = result.years
    net = result.net_imports
    net = net[(net["region"] == region) & (net["commodity"].astype(str) == commodity)].sort_values("year")
    part, direction = partner_table(result, region, commodity)
    net = net.assign(observed=net["observed"] * scale, petra=net["petra"] * scale)
    part = part.assign(observed=part["observed"] * scale, petra=part["petra"] * scale)
    all_years = [years.get("base_year"), *years.get("projected_years", []), *years.get("fit_years", []),
                 *years.get("eval_years", []), *net["year"].tolist()]
    all_years = [int(y) for y in all_years if y is not None]
    x_lo, x_hi = min(all_years) - 0.6, max(all_years) + 0.6
    u = f" ({unit})" if unit else ""
    fig, (a1, a2) = plt.subplots(1, 2, figsize=FIGURE_SIZE)
    colour, marker = region_colour(region), region_marker(region)
    _mark_years(a1, years, x_lo, x_hi)
    a1.axhline(0, color="#999999", lw=0.7, zorder=1)
    if len(net):
        _series(a1, net["year"], net["observed"], colour=colour, marker=marker, observed=True,
                gid=f"net:{region}:observed")
        _series(a1, net["year"], net["petra"], colour=colour, marker=marker, observed=False,
                gid=f"net:{region}:petra")
    fig.suptitle(f"{commodity}", fontsize=10.5, fontweight="bold", x=0.01, ha="left")
    a1.set_title(f"(a) {region} net imports{u}", fontsize=8.5, loc="left")
    a1.tick_params(labelsize=7.5)
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
    what = "by origin" if direction == "imports" else "by destination"
    a2.set_title(f"(b) {region} {direction} {what}{u}", fontsize=8.5, loc="left")
    a2.set_ylim(bottom=0)
    a2.tick_params(labelsize=7.5)
    _qty_formatter(a2)
    if handles:
        fig.legend(handles=handles, fontsize=7.5, loc="lower center", ncol=min(len(handles), 6),
                   frameon=False, bbox_to_anchor=(0.5, -0.01), handlelength=1.6, columnspacing=1.0)
    style = [Line2D([], [], color="#333333", lw=1.8, marker="o", ms=5, label="observed"),
             Line2D([], [], color="#333333", lw=1.4, ls=(0, (4, 2)), marker="o", mfc="white", ms=6,
                    label=model_label),
             Line2D([], [], color=BASE_LINE, lw=1.0, ls=":", label=f"base year {years.get('base_year')}")]
    if years.get("fit_years"):
        style.append(Patch(color=FIT_SHADE, label="fit years"))
    if years.get("eval_years"):
        style.append(Patch(color=EVAL_SHADE, label=eval_label))
    if key:
        fig.legend(handles=style, loc="upper right", ncol=len(style), fontsize=7, frameon=False,
                   bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout(rect=(0, 0.09 if handles else 0, 1, 1))
    return fig


def key_html(years: dict, *, eval_label: str = "evaluation years", model_label: str = "petra") -> str:
    """The key of the panels' line styles and shading, as inline HTML (one for all figures)."""
    items = ["<span class='k'><svg width='34' height='10'><line x1='1' y1='5' x2='33' y2='5' "
             "stroke='#333' stroke-width='2'/><circle cx='17' cy='5' r='3.5' fill='#333'/></svg>"
             "observed</span>",
             "<span class='k'><svg width='34' height='10'><line x1='1' y1='5' x2='33' y2='5' stroke='#333' "
             "stroke-width='1.6' stroke-dasharray='5,3'/><circle cx='17' cy='5' r='3.5' fill='white' "
             f"stroke='#333' stroke-width='1.3'/></svg>{model_label}</span>",
             "<span class='k'><svg width='20' height='12'><line x1='10' y1='0' x2='10' y2='12' "
             f"stroke='{BASE_LINE}' stroke-dasharray='2,2'/></svg>"
             f"base year {years.get('base_year')}</span>"]
    if years.get("fit_years"):
        items.append(f"<span class='k'><span class='sw' style='background:{FIT_SHADE}'></span>"
                     "fit years</span>")
    if years.get("eval_years"):
        items.append(f"<span class='k'><span class='sw' style='background:{EVAL_SHADE}'></span>{eval_label}"
                     "</span>")
    return f"<p class='key'>{''.join(items)}</p>"


def focus_figures(result, region: str, unit: str, **kw) -> list[tuple[str, object]]:
    """(commodity, matplotlib figure) for every commodity `region` trades (traded_commodities)."""
    return [(c, focus_figure(result, region, c, unit, **kw)) for c in traded_commodities(result, region)]
