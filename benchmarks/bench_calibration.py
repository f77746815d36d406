"""Calibration benchmarks (issue 3): prints a table of measured wall-clock times.

1. Base-year calibration of the synthetic world (190 regions, 1 commodity): least-squares
   reconciliation (the synthetic data do not balance), cost adjustments, and the verifying re-solve.
   Target: < 10 s.
2. Fitting expansion elasticities and new-flow slopes on a 37-region x 10-commodity synthetic instance
   over two later years generated with known values (recovery error reported). Target: < 2 min.
3. (optional, --real) The same on the shipped data: china9 and globiom37 calibration, and globiom37
   fitting over 2015-2016.

Run: /work/venv/bin/python benchmarks/bench_calibration.py [--real]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from petra.calibration.base_year import calibrate_base_year
from petra.calibration.config import CalibrationConfig
from petra.calibration.fit import fit_parameters, synthetic_history
from petra.dataset import load_dataset
from petra.synthetic import world_dataset


def main() -> None:
    rows = []
    ds = world_dataset(190, 1, seed=0)
    t = time.perf_counter()
    cal = calibrate_base_year(ds)
    dt = time.perf_counter() - t
    rows.append(("base year, world 190 x 1", f"{len(ds.markets)} markets, {len(ds.routes)} routes",
                 dt, "< 10 s", f"re-solve max dev {cal.check['max_deviation']:.1e}; LS "
                 f"{cal.timings['reconcile_seconds']:.2f} s, verify {cal.timings['verify_seconds']:.2f} s"))

    cfg = CalibrationConfig(unused_margin=0.01)
    ds = world_dataset(37, 10, seed=1)
    cal = calibrate_base_year(ds, cfg).dataset
    rng = np.random.default_rng(0)
    coms = sorted(ds.markets["commodity"].unique())
    true_e = {c: float(rng.uniform(0.8, 4.0)) for c in coms}
    true_f = {c: float(rng.uniform(0.2, 3.0)) for c in coms}
    hist = synthetic_history(cal, [2015, 2016], true_e, true_f, sigma=0.15, seed=2)
    t = time.perf_counter()
    fit = fit_parameters(hist, [2015, 2016], cfg)
    dt = time.perf_counter() - t
    par = fit.parameters.set_index("commodity")
    err_e = max(abs(par.loc[c, "expansion_elasticity"] / true_e[c] - 1) for c in coms)
    err_f = max(abs(par.loc[c, "new_flow_slope_factor"] / true_f[c] - 1) for c in coms)
    rows.append(("fit, synthetic 37 x 10, 2 years", f"{len(ds.routes)} routes, "
                 f"{int(par['evaluations'].sum())} projections", dt, "< 120 s",
                 f"max recovery error e {err_e:.1e}, slope {err_f:.1e}; mean improvement "
                 f"{par['improvement'].mean():.3f}"))

    if "--real" in sys.argv:
        data = Path(__file__).resolve().parents[1] / "data"
        for name in ("china9", "globiom37"):
            d = load_dataset(data / name)
            t = time.perf_counter()
            c = calibrate_base_year(d)
            dt = time.perf_counter() - t
            rows.append((f"base year, {name}", f"{len(d.markets)} markets, {len(d.routes)} routes", dt, "",
                         f"re-solve max dev {c.check['max_deviation']:.1e}; {len(c.negative)} negative "
                         f"implied cost"))
        t = time.perf_counter()
        f = fit_parameters(c.dataset, [2015, 2016])
        dt = time.perf_counter() - t
        imp = f.parameters
        rows.append(("fit, globiom37, 2015-2016", f"{int(imp['evaluations'].sum())} projections", dt, "",
                     f"objective {imp['objective_default'].sum():.3g} -> "
                     f"{imp['objective_fitted'].sum():.3g}"))

    print(f"{'case':34s} {'size':38s} {'seconds':>8s} {'target':>8s}  notes")
    for case, size, dt, target, note in rows:
        print(f"{case:34s} {size:38s} {dt:8.2f} {target:>8s}  {note}")


if __name__ == "__main__":
    main()
