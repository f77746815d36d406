"""Loading and re-basing a dataset, printed as a table per shipped dataset:

* rows: routes of the dataset;
* load s: `load_dataset` (read and validate every table);
* at_base_year s: `petra.calibration.observed.at_base_year(ds, 2020)` (re-base on the observed 2020,
  which validates the new dataset again through `Dataset.replace`);
* peak MB: the process's peak resident memory (each dataset is measured in its own process).

Target: load + at_base_year under ~8 s for data/world (2,405 markets, 442,520 routes) on a 2-core
machine. Times are the best of `--repeat` runs (default 1); another process competing for the cores
slows them.

Run: python benchmarks/bench_load.py [--repeat N] [dataset ...]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
DATASETS = ("china9", "globiom37", "world")
YEAR = 2020


def measure(name: str, repeat: int) -> dict:
    """Times and peak memory of loading and re-basing one dataset (in this process)."""
    from petra.calibration.observed import at_base_year
    from petra.dataset import load_dataset

    load = rebase = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        ds = load_dataset(DATA / name)
        t1 = time.perf_counter()
        at_base_year(ds, YEAR)
        t2 = time.perf_counter()
        load, rebase = min(load, t1 - t0), min(rebase, t2 - t1)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB
    return {"rows": len(ds.routes), "load": load, "rebase": rebase, "peak_mb": peak_mb}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="*", default=list(DATASETS))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.repeat)))
        return
    print(f"{'dataset':<10} {'rows':>8} {'load s':>7} {'at_base_year s':>14} {'total s':>7} {'peak MB':>8}")
    for name in args.datasets:
        out = subprocess.run([sys.executable, __file__, "--child", name, "--repeat", str(args.repeat)],
                             check=True, capture_output=True, text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(f"{name:<10} {r['rows']:>8,} {r['load']:>7.2f} {r['rebase']:>14.2f} "
              f"{r['load'] + r['rebase']:>7.2f} {r['peak_mb']:>8.0f}")


if __name__ == "__main__":
    main()
