"""Ensemble summary benchmark (issue 7): quantiles over many draw files, time and peak memory
(computing the quantile frame; writing it is the same in both modes and not timed).

Draw files are synthetic but shaped like `petra ensemble`'s (IAMC long tables with categorical keys).
The default row count is that of a globiom37 draw with 3 scenarios x 5 periods (~370k rows, estimated
from china9's 32k rows per scenario x 38/10 regions). Each case runs in a fresh process, so the peak
resident memory (ru_maxrss) is the summary's own:

* out-of-core: `petra.ensemble.summary.quantiles_out_of_core` (memory-mapped values, blocked
  quantiles), what `petra ensemble` runs before writing quantiles.csv and the fan chart;
* in-memory: every draw frame read and stacked, then quantiles (how the summary worked before).

Run: /work/venv/bin/python benchmarks/bench_summary.py [--draws 100 500 1000] [--rows 370000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

KEYS = ["model", "scenario", "region", "variable", "unit", "year"]


def make_files(folder: Path, n: int, rows: int) -> list[Path]:
    """n draw files of `rows` rows each (the same keys, different values)."""
    years = [2010, 2020, 2030, 2040, 2050]
    regions = [f"R{i:02d}" for i in range(38)]
    n_var = max(1, rows // (3 * len(regions) * len(years)))
    idx = pd.MultiIndex.from_product([["petra"], ["SSP2", "lib", "tariff"], regions,
                                      [f"Variable|{v}" for v in range(n_var)], ["Mt/yr"], years],
                                     names=KEYS).to_frame(index=False)
    for k in KEYS[:-1]:
        idx[k] = idx[k].astype("category")
    rng = np.random.default_rng(0)
    files = []
    for d in range(n):
        f = folder / f"draw_{d:06d}.parquet"
        if not f.exists():
            idx.assign(value=rng.lognormal(size=len(idx))).to_parquet(f)
        files.append(f)
    return files


def child(mode: str, folder: str, n: int) -> None:
    import resource

    from petra.ensemble import summary

    files = sorted(Path(folder).glob("draw_*.parquet"))[:n]
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        if mode == "out-of-core":
            frame = summary.quantiles_out_of_core(files, Path(scratch))
        else:
            frames = [pd.read_parquet(f) for f in files]
            values = np.column_stack([f["value"].to_numpy(float) for f in frames])
            frame = summary.quantile_frame(frames[0][KEYS].reset_index(drop=True),
                                           summary.row_quantiles(values))
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "rows": len(frame) // 3}))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, nargs="+", default=[100, 500, 1000])
    ap.add_argument("--rows", type=int, default=370_000)
    ap.add_argument("--modes", nargs="+", default=["in-memory", "out-of-core"])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=Path(__file__).resolve().parent.parent) as tmp:
        t0 = time.perf_counter()
        files = make_files(Path(tmp), max(args.draws), args.rows)
        mb = sum(f.stat().st_size for f in files) / 2**20
        print(f"{len(files)} draw files, {args.rows} rows each ({mb:.0f} MB on disk), "
              f"made in {time.perf_counter() - t0:.0f} s\n")
        print("| draws | mode | rows | seconds | peak RSS MB |")
        print("|---|---|---|---|---|")
        for n in args.draws:
            for mode in args.modes:
                r = subprocess.run([sys.executable, __file__, "--child", mode, tmp, str(n)],
                                   capture_output=True, text=True)
                if r.returncode:
                    print(f"| {n} | {mode} | failed: {r.stderr.strip().splitlines()[-1]} | | |")
                    continue
                res = json.loads(r.stdout.strip().splitlines()[-1])
                print(f"| {n} | {mode} | {res['rows']} | {res['seconds']:.1f} | {res['peak_mb']:.0f} |",
                      flush=True)


if __name__ == "__main__":
    main()
