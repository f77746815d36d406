"""Hindcast benchmark (issue 12): petra's out-of-sample skill against the naive baselines, and time.

Prints one row per (dataset, split): pooled WAPE (routes x evaluation years) of petra, persistence,
last-year shares and RAS, petra's partner misallocation, and the wall-clock seconds of the whole
hindcast (calibration, fit, projection, scoring; nothing written). Targets:

* china9, base 2017, eval 2018-2020, no fit: petra below last_year_shares (goal: below RAS);
* china9, base 2015, fit 2016-2017, eval 2018-2020: lower than the same split without the fit;
* globiom37: the same two splits, reported;
* one base year and three evaluation years: china9 < 30 s, globiom37 < 3 min.

Run: python benchmarks/bench_hindcast.py [--datasets china9,globiom37] [--splits NAME,...]
(`--splits` picks rows of SPLITS by name; default: all).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from petra.calibration.hindcast import run_hindcast
from petra.dataset import load_dataset

DATA = Path(__file__).resolve().parents[1] / "data"
# name: (base year, fit years, evaluation years)
SPLITS = {
    "b2017": (2017, [], [2018, 2019, 2020]),
    "b2015": (2015, [], [2018, 2019, 2020]),
    "b2015-fit16-17": (2015, [2016, 2017], [2018, 2019, 2020]),
}
TARGETS = {"b2017": "petra < last_year_shares (goal < ras)", "b2015-fit16-17": "fitted < b2015",
           "b2015": "", }
TIME_LIMIT = {"china9": 30.0, "globiom37": 180.0}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default="china9,globiom37")
    ap.add_argument("--splits", default=",".join(SPLITS))
    args = ap.parse_args()
    header = (f"{'dataset':<10} {'split':<16} {'petra':>7} {'persist':>8} {'lastyr':>7} {'ras':>7} "
              f"{'misalloc':>8} {'seconds':>8}  target")
    print(header)
    print("-" * len(header))
    for name in args.datasets.split(","):
        ds = load_dataset(DATA / name)
        for split in args.splits.split(","):
            base, fit, ev = SPLITS[split]
            t = time.perf_counter()
            res = run_hindcast(ds, base, ev, fit)
            dt = time.perf_counter() - t
            limit = TIME_LIMIT.get(name, float("inf"))
            print(f"{name:<10} {split:<16} {res.score('petra'):7.3f} {res.score('persistence'):8.3f} "
                  f"{res.score('last_year_shares'):7.3f} {res.score('ras'):7.3f} "
                  f"{res.score('petra', metric='partner_misallocation'):8.3f} {dt:8.1f}  "
                  f"{TARGETS.get(split, '')}{' (time limit ' + str(limit) + ' s)' if dt > limit else ''}")


if __name__ == "__main__":
    main()
