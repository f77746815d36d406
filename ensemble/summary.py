"""Ensemble summary: quantiles of every IAMC variable over the completed draws, and a fan chart.

For every (model, scenario, region, variable, unit, year), the 5th, 50th and 95th percentiles of the
draws' values (numpy's default linear interpolation between order statistics; a draw without the
row, or with NaN, is left out of that row). Written as IAMC (pyam) with the quantile in the
scenario name: `SSP2|q05`, `SSP2|q50`, `SSP2|q95`. Units are those of the variables.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

KEYS = ["model", "scenario", "region", "variable", "unit", "year"]
QUANTILES = (0.05, 0.5, 0.95)
FAN_VARIABLES = ("Agricultural Imports|Crops|Oil Crops|Soybean", "Price|Agriculture|Crops|Oil Crops|Soybean",
                 "Agricultural Production|Crops|Oil Crops|Soybean", "Embodied Water|Blue|Imports")


def quantile_label(q: float) -> str:
    """0.05 -> 'q05', 0.5 -> 'q50', 0.95 -> 'q95'."""
    return f"q{round(q * 100):02d}"


def row_quantiles(values: np.ndarray, qs: Sequence[float] = QUANTILES) -> np.ndarray:
    """(n_rows, n_draws) values -> (n_rows, len(qs)) quantiles per row, NaN ignored (all-NaN rows: NaN)."""
    values = np.asarray(values, dtype=float)
    out = np.full((values.shape[0], len(qs)), np.nan)
    some = ~np.isnan(values).all(axis=1)
    if some.any():
        out[some] = np.nanquantile(values[some], qs, axis=1).T
    return out


def collect(files: Sequence[Path]) -> tuple[pd.DataFrame, np.ndarray]:
    """Key rows (KEYS) and the (n_rows, n_draws) value matrix of draw files, aligned on the keys
    (the union of rows; NaN where a draw lacks one)."""
    if not files:
        return pd.DataFrame(columns=KEYS), np.empty((0, 0))
    frames = [pd.read_parquet(f) for f in files]
    ref = frames[0][KEYS]
    if all(len(f) == len(ref) and f[KEYS].equals(ref) for f in frames[1:]):
        return ref.reset_index(drop=True), np.column_stack([f["value"].to_numpy(float) for f in frames])
    series = [f.astype({k: str for k in KEYS if k != "year"}).set_index(KEYS)["value"] for f in frames]
    wide = pd.concat(series, axis=1, join="outer", sort=False)
    return wide.index.to_frame(index=False), wide.to_numpy(float)


def quantile_frame(keys: pd.DataFrame, values: np.ndarray, qs: Sequence[float] = QUANTILES) -> pd.DataFrame:
    """Long IAMC frame of the quantiles, the quantile appended to the scenario name."""
    qv = row_quantiles(values, qs)
    parts = []
    for j, q in enumerate(qs):
        part = keys.astype({k: str for k in KEYS if k != "year"}).copy()
        part["scenario"] = part["scenario"] + "|" + quantile_label(q)
        part["value"] = qv[:, j]
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    return out[~out["value"].isna()].reset_index(drop=True)


def write_quantiles(frame: pd.DataFrame, path: Path) -> None:
    """IAMC csv (wide, one column per year) through pyam."""
    import pyam

    pyam.IamDataFrame(frame).to_csv(path)


def fan_chart(frame: pd.DataFrame, path: Path, *, region: str, variables: Sequence[str] = FAN_VARIABLES,
              qs: Sequence[float] = QUANTILES) -> bool:
    """One panel per variable of `region`: per scenario the median line and the band between the
    lowest and highest quantiles. False (nothing drawn) if none of the variables is present."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lo, mid, hi = quantile_label(min(qs)), quantile_label(0.5), quantile_label(max(qs))
    f = frame[frame["region"] == region]
    present = [v for v in variables if (f["variable"] == v).any()]
    if not present:
        return False
    split = f["scenario"].str.rsplit("|", n=1, expand=True)
    f = f.assign(base=split[0], q=split[1])
    fig, axes = plt.subplots(1, len(present), figsize=(5.2 * len(present), 4.2), squeeze=False)
    for ax, var in zip(axes[0], present, strict=True):
        v = f[f["variable"] == var]
        for k, (scen, s) in enumerate(v.groupby("base", sort=True)):
            p = s.pivot_table(index="year", columns="q", values="value")
            color = f"C{k}"
            if lo in p and hi in p:
                ax.fill_between(p.index, p[lo], p[hi], color=color, alpha=0.2, linewidth=0)
            if mid in p:
                ax.plot(p.index, p[mid], color=color, label=scen)
        ax.set_title(f"{region}: {var.split('|')[0]}\n{'|'.join(var.split('|')[1:])}", fontsize=9)
        ax.set_ylabel(v["unit"].iloc[0])
        ax.set_xlabel("year")
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8, title=f"median, {lo}-{hi} band", title_fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write_summary(files: Sequence[Path], out: Path, *, region: str, qs: Sequence[float] = QUANTILES
                  ) -> pd.DataFrame:
    """Write `out/quantiles.csv` (IAMC) and `out/fan_chart.png` all-or-nothing; returns the quantiles."""
    from petra.atomic import atomic_output_dir

    keys, values = collect(files)
    frame = quantile_frame(keys, values, qs)
    with atomic_output_dir(out) as tmp:
        if len(frame):
            write_quantiles(frame, tmp / "quantiles.csv")
            fan_chart(frame, tmp / "fan_chart.png", region=region, qs=qs)
    return frame
