"""Ensemble summary: quantiles of every IAMC variable over the completed draws, and a fan chart.

For every (model, scenario, region, variable, unit, year), the 5th, 50th and 95th percentiles of the
draws' values (numpy's default linear interpolation between order statistics; a draw without the
row, or with NaN, is left out of that row). Written as IAMC (pyam) with the quantile in the
scenario name: `SSP2|q05`, `SSP2|q50`, `SSP2|q95`. Units are those of the variables.

Out of core: the draws' values go to a scratch file beside the output (8 bytes per draw and row, on
disk, deleted after) and the quantiles are taken a block of rows at a time, so memory holds the key
rows, one draw file and one block, whatever the number of draws.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

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
    nan = np.isnan(values)
    if not nan.any():  # the usual case: every draw has every row (np.quantile is ~10x nanquantile)
        return np.quantile(values, qs, axis=1).T.reshape(values.shape[0], len(qs))
    out = np.full((values.shape[0], len(qs)), np.nan)
    some = ~nan.all(axis=1)
    if some.any():
        out[some] = np.nanquantile(values[some], qs, axis=1).T
    return out


def draw_keys(files: Sequence[Path]) -> pd.DataFrame:
    """The union of the draw files' key rows (KEYS), in the first file's order then first appearance.
    Reads the files one at a time, keys only."""
    ref = pd.read_parquet(files[0], columns=KEYS)
    union, grew = _key_index(ref), False
    for f in files[1:]:
        k = pd.read_parquet(f, columns=KEYS)
        if len(k) == len(ref) and k.equals(ref):
            continue
        idx = _key_index(k)
        new = idx[union.get_indexer(idx) < 0]
        if len(new):
            union, grew = union.append(new), True
    keys = union.to_frame(index=False) if grew else ref
    return keys.astype({k: str for k in KEYS if k != "year"}).reset_index(drop=True)


def _key_index(keys: pd.DataFrame) -> pd.MultiIndex:
    return pd.MultiIndex.from_frame(keys.astype({k: str for k in KEYS if k != "year"}))


def aligned_values(files: Sequence[Path], keys: pd.DataFrame) -> Iterator[np.ndarray]:
    """Each draw file's values aligned on `keys` (from `draw_keys`; NaN where the draw lacks a row),
    one file read at a time."""
    union = _key_index(keys)
    ref = pd.read_parquet(files[0], columns=KEYS)
    same_as_ref = len(ref) == len(keys)  # the union is the first file's rows, in its order
    for f in files:
        frame = pd.read_parquet(f)
        v = frame["value"].to_numpy(float)
        if same_as_ref and len(frame) == len(ref) and frame[KEYS].equals(ref):
            yield v
        else:
            row = np.full(len(keys), np.nan)
            row[union.get_indexer(_key_index(frame[KEYS]))] = v
            yield row


def blocked_quantiles(read_block: Callable[[int, int], np.ndarray], n_rows: int, n_draws: int,
                      qs: Sequence[float] = QUANTILES, *, block_bytes: int = 32 * 2**20) -> np.ndarray:
    """`row_quantiles` over a (n_draws, n_rows) matrix read a block of rows at a time:
    read_block(r0, r1) -> its columns r0:r1 (at most `block_bytes` of them). (n_rows, len(qs))."""
    step = max(1, block_bytes // (8 * max(n_draws, 1)))
    out = np.empty((n_rows, len(qs)))
    for r0 in range(0, n_rows, step):
        r1 = min(r0 + step, n_rows)
        out[r0:r1] = row_quantiles(np.asarray(read_block(r0, r1), dtype=float).T, qs)
    return out


def _file_block(fh: BinaryIO, shape: tuple[int, int], r0: int, r1: int) -> np.ndarray:
    """Columns r0:r1 of the raw float64 (n_draws, n_rows) matrix in the open file `fh`, one read per
    draw (not a memory map: mapped pages of the whole file would count against this process)."""
    n_draws, n_rows = shape
    out = np.empty((n_draws, r1 - r0))
    for d in range(n_draws):
        fh.seek((d * n_rows + r0) * 8)
        out[d] = np.fromfile(fh, dtype=np.float64, count=r1 - r0)
    return out


def quantile_frame(keys: pd.DataFrame, qv: np.ndarray, qs: Sequence[float] = QUANTILES) -> pd.DataFrame:
    """Long IAMC frame of the (n_rows, len(qs)) quantiles `qv` of the key rows, the quantile appended
    to the scenario name."""
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


def quantiles_out_of_core(files: Sequence[Path], scratch: Path, qs: Sequence[float] = QUANTILES, *,
                          block_bytes: int = 32 * 2**20) -> pd.DataFrame:
    """`quantile_frame` of the draw files. Their aligned values are appended draw by draw to a raw
    float64 file in a temporary folder under `scratch` (deleted after), then read back a block of
    rows at a time: memory holds the keys, one draw and one block, whatever the number of draws."""
    import tempfile

    if not files:
        return pd.DataFrame(columns=[*KEYS, "value"])
    keys = draw_keys(files)
    shape = (len(files), len(keys))
    with tempfile.TemporaryDirectory(dir=scratch, prefix=".petra-quantiles-") as tmp:
        path = Path(tmp) / "values.f64"
        with open(path, "wb") as fh:
            for row in aligned_values(files, keys):
                row.astype(np.float64, copy=False).tofile(fh)
        with open(path, "rb") as fh:
            qv = blocked_quantiles(lambda r0, r1: _file_block(fh, shape, r0, r1), len(keys), len(files),
                                   qs, block_bytes=block_bytes)
    return quantile_frame(keys, qv, qs)


def write_summary(files: Sequence[Path], out: Path, *, region: str, qs: Sequence[float] = QUANTILES
                  ) -> pd.DataFrame:
    """Write `out/quantiles.csv` (IAMC) and `out/fan_chart.png` all-or-nothing; returns the quantiles."""
    from petra.atomic import atomic_output_dir

    Path(out).parent.mkdir(parents=True, exist_ok=True)
    frame = quantiles_out_of_core(files, Path(out).parent, qs)
    with atomic_output_dir(out, "ensemble-summary") as tmp:
        if len(frame):
            write_quantiles(frame, tmp / "quantiles.csv")
            fan_chart(frame, tmp / "fan_chart.png", region=region, qs=qs)
    return frame
