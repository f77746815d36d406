"""Hindcast benchmark (issue 12): petra's out-of-sample skill against the naive baselines, and time.

Three parts, each printed as a table (pooled WAPE over routes x evaluation years; lower is better):

1. **Selection** of the default expansion elasticity (the calibration default and the fit's prior
   median) on splits whose evaluation years end in 2017, so that the held-out splits of part 2
   (evaluated on 2018-2020) never influenced the choice.
2. **Held-out splits** with the shipped defaults: petra, persistence, last-year shares, RAS, petra's
   partner misallocation, and seconds per hindcast (calibration, fit, projection, scoring; nothing
   written). Targets:
   * china9, base 2017, eval 2018-2020, no fit: petra below last_year_shares (goal: below RAS);
   * china9, base 2015, fit 2016-2017, eval 2018-2020: lower than the same split without the fit;
   * globiom37: the same splits, reported;
   * one base year and three evaluation years: china9 < 30 s, globiom37 < 3 min.
3. (`--scenarios`) A dataset fitted on the years before the latest base year runs the shipped
   scenario file of its dataset without failure.

Run: python benchmarks/bench_hindcast.py [--datasets china9,globiom37] [--parts 1,2,3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

from petra.calibration.config import CalibrationConfig
from petra.calibration.hindcast import run_hindcast
from petra.dataset import load_dataset

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
ELASTICITIES = (1.0, 2.0, 4.0, 8.0, 16.0)
# name: (base year, fit years, evaluation years)
SELECTION = {"b2012": (2012, [], [2013, 2014, 2015]), "b2014": (2014, [], [2015, 2016, 2017])}
HELD_OUT = {
    "b2010": (2010, [], [2018, 2019, 2020]),
    "b2015": (2015, [], [2018, 2019, 2020]),
    "b2015-fit16-17": (2015, [2016, 2017], [2018, 2019, 2020]),
    "b2017": (2017, [], [2018, 2019, 2020]),
    "b2017-fit14-16": (2017, [2014, 2015, 2016], [2018, 2019, 2020]),
}
TARGETS = {"b2017": "petra < last_year_shares (goal < ras)", "b2015-fit16-17": "fitted < b2015"}
TIME_LIMIT = {"china9": 30.0, "globiom37": 180.0}
SCENARIO_FILES = {"china9": "default.yaml", "globiom37": "globiom37.yaml"}


def selection(datasets: list[str]) -> None:
    print("1. Selection of the default expansion elasticity (evaluation years up to 2017)")
    head = f"{'dataset':<10} {'split':<8} " + " ".join(f"{'e=' + format(e, 'g'):>7}" for e in ELASTICITIES)
    print(head + f" {'lastyr':>7} {'ras':>7}")
    print("-" * (len(head) + 16))
    means = np.zeros(len(ELASTICITIES))
    for name in datasets:
        ds = load_dataset(DATA / name)
        for split, (base, fit, ev) in SELECTION.items():
            scores = []
            for e in ELASTICITIES:
                res = run_hindcast(ds, base, ev, fit, CalibrationConfig(default_expansion_elasticity=e))
                scores.append(res.score())
            means += np.array(scores) / (len(datasets) * len(SELECTION))
            print(f"{name:<10} {split:<8} " + " ".join(f"{s:7.3f}" for s in scores)
                  + f" {res.score('last_year_shares'):7.3f} {res.score('ras'):7.3f}")
    print(f"{'mean':<19}" + " ".join(f"{s:7.3f}" for s in means))
    print(f"shipped default: {CalibrationConfig().default_expansion_elasticity:g}\n")


def held_out(datasets: list[str]) -> None:
    print("2. Held-out splits (evaluated on 2018-2020) with the shipped defaults")
    header = (f"{'dataset':<10} {'split':<16} {'petra':>7} {'persist':>8} {'lastyr':>7} {'ras':>7} "
              f"{'misalloc':>8} {'seconds':>8}  target")
    print(header)
    print("-" * len(header))
    for name in datasets:
        ds = load_dataset(DATA / name)
        for split, (base, fit, ev) in HELD_OUT.items():
            t = time.perf_counter()
            res = run_hindcast(ds, base, ev, fit)
            dt = time.perf_counter() - t
            over = f" (over the {TIME_LIMIT[name]:g} s limit)" if dt > TIME_LIMIT.get(name, np.inf) else ""
            print(f"{name:<10} {split:<16} {res.score('petra'):7.3f} {res.score('persistence'):8.3f} "
                  f"{res.score('last_year_shares'):7.3f} {res.score('ras'):7.3f} "
                  f"{res.score('petra', metric='partner_misallocation'):8.3f} {dt:8.1f}  "
                  f"{TARGETS.get(split, '')}{over}")
    print()


def scenarios(datasets: list[str]) -> None:
    from petra.calibration.run import run_calibration
    from petra.projection.run import run_scenarios

    print("3. Fitted on 2016-2019, based on 2020: the shipped scenario file runs")
    print(f"{'dataset':<10} {'file':<16} {'fit s':>7} {'run s':>7}  scenarios")
    for name in datasets:
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            run_calibration(DATA / name, Path(tmp) / "cal", CalibrationConfig(), fit=[2016, 2017, 2018, 2019],
                            base_year=2020)
            t_fit = time.perf_counter() - t
            raw = yaml.safe_load((ROOT / "runs" / SCENARIO_FILES[name]).read_text())
            raw["dataset"] = str(Path(tmp) / "cal" / "dataset")
            path = Path(tmp) / SCENARIO_FILES[name]
            path.write_text(yaml.safe_dump(raw))
            t = time.perf_counter()
            res = run_scenarios(path, embodied=False)
            state = ", ".join(f"{r.spec.name} {'ok' if r.ok else 'FAILED: ' + str(r.projection.failure)}"
                              for r in res.results)
            t_run = time.perf_counter() - t
            print(f"{name:<10} {SCENARIO_FILES[name]:<16} {t_fit:7.1f} {t_run:7.1f}  {state}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default="china9,globiom37")
    ap.add_argument("--parts", default="1,2")
    args = ap.parse_args()
    datasets = args.datasets.split(",")
    parts = set(args.parts.split(","))
    if "1" in parts:
        selection(datasets)
    if "2" in parts:
        held_out(datasets)
    if "3" in parts:
        scenarios(datasets)


if __name__ == "__main__":
    main()
