"""Consistent calibration (issue 13 targets), printed as a table per shipped dataset:

* time to calibrate (netting LP + price QP + the verifying re-solve);
* net trade as observed: the largest |net exports - observed| relative to the market's size;
* used routes flowing from the dearer market, commodities with a cycle of used routes, before and after;
* the same cycle count after a uniform 30 % transport-cost cut, solved with `petra solve`;
* `petra solve` on the calibrated dataset against its own values (max relative deviation).

Targets: net trade to 1e-6, 0 dearer routes, 0 cyclic commodities (also after the cut), re-solve to
1e-6, under 10 s for globiom37.

Run: python benchmarks/bench_consistent.py
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

import petra
from petra.calibration.base_year import calibrate_base_year
from petra.calibration.config import CalibrationConfig
from petra.dataset import load_dataset
from petra.model.diagnostics import cyclic_commodities
from petra.model.problem import build_problem

DATA = Path(__file__).resolve().parents[1] / "data"


def net_exports(p, X):
    n = p.n_markets
    return np.bincount(p.exporter, X, n) - np.bincount(p.importer, X, n)


def main() -> None:
    print(f"{'dataset':<10} {'seconds':>7} {'net trade err':>13} {'dearer':>12} {'cyclic':>8} "
          f"{'cyclic -30%':>11} {'re-solve':>9}")
    for name in ("china9", "globiom37"):
        ds = load_dataset(DATA / name)
        t0 = time.perf_counter()
        cal = calibrate_base_year(ds, CalibrationConfig(method="consistent"))
        seconds = time.perf_counter() - t0
        p0, p1 = build_problem(ds), build_problem(cal.dataset)
        size = np.maximum(p0.S0, p0.D0) + np.bincount(p0.importer, p0.flow_prev, p0.n_markets)
        err = np.abs(net_exports(p1, p1.flow_prev) - net_exports(p0, p0.flow_prev)) / np.maximum(size, 1e-12)
        c = cal.consistency.commodities
        cut = cal.dataset.replace(routes=cal.dataset.routes.assign(
            transport_cost=0.7 * cal.dataset.routes["transport_cost"]))
        res = petra.solve(cut)
        cyc_cut = int(cyclic_commodities(build_problem(cut), res.flows["flow"].to_numpy()).sum())
        print(f"{name:<10} {seconds:>7.2f} {err.max():>13.1e} "
              f"{int(c['dearer_routes_before'].sum()):>5} -> {int(c['dearer_routes_after'].sum()):<3} "
              f"{int(c['cyclic_before'].sum()):>3} -> {int(c['cyclic_after'].sum()):<2} "
              f"{cyc_cut:>11} {cal.check['max_deviation']:>9.1e}")


if __name__ == "__main__":
    main()
