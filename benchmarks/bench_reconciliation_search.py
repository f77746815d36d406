"""Property search over the least-squares reconciliation (issue 22 item 7): generated instances of the
class that made it fail, each reconciled and calibrated.

Instances: `petra.synthetic.near_equilibrium_dataset(seed)`, 7 regions x 2 commodities, every ordered
pair a route: the spatial equilibrium of linear markets solved by interior point (HiPO) at its default
tolerances, flows below 1e-7 zeroed, transport costs perturbed by +-50 %, expansion elasticity 4 on used
routes (the data close to ~1e-9 relative). Per instance:

* reconcile: `least_squares.reconcile` with mode "always" (every instance goes through the QP): must
  be optimal, close every market's balance to 1e-9 relative and keep flows within flow_bound;
* consistent, exact: `calibrate_base_year` with each method and the default settings (reconciling only
  where a balance is off by more than 1e-9): must succeed, re-solve within its tolerance.

Any failure is printed with its seed (keep it as a regression test: tests/test_feature_calibration_
leastsquares.py). Measured on a 2-core machine, seeds 0-1199: before the QP was scaled (HiPO, then the
active-set solver, tight tolerances) 618 of 1,200 reconciliations failed with "Solve error", and 299
calibrations with each method (those whose data are off by more than 1e-9); after (the QP scaled, three
HiGHS attempts, the dual Newton fallback): none, in 61 s.

Run: python benchmarks/bench_reconciliation_search.py [--seeds N] [--start S]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def check_instance(seed: int) -> list[str]:
    """The failures of one instance (empty when every check holds)."""
    from petra.calibration.base_year import calibrate_base_year
    from petra.calibration.config import CalibrationConfig, LeastSquaresConfig
    from petra.calibration.least_squares import market_imbalance, reconcile
    from petra.errors import PetraError
    from petra.model.problem import build_problem
    from petra.synthetic import near_equilibrium_dataset

    ds = near_equilibrium_dataset(seed)
    p = build_problem(ds)
    failures = []
    cfg = LeastSquaresConfig(mode="always")
    try:
        rec = reconcile(p, cfg)
        imbalance = market_imbalance(p, rec.S, rec.D, rec.X).max()
        moved = np.abs(rec.X - p.flow_prev) > cfg.flow_bound * p.flow_prev * (1 + 1e-9) + 1e-12
        if imbalance > 1e-9 or moved.any():
            failures.append(f"reconcile: imbalance {imbalance:.2e}, {int(moved.sum())} flows moved too far")
    except PetraError as exc:
        failures.append(f"reconcile: {exc}")
    for method in ("consistent", "exact"):
        try:
            cal = calibrate_base_year(ds, CalibrationConfig(method=method))
            if not cal.check.get("max_deviation", np.inf) <= CalibrationConfig().tolerance:
                failures.append(f"{method}: re-solve deviation {cal.check.get('max_deviation')}")
        except PetraError as exc:
            failures.append(f"{method}: {exc}")
    return failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=1200)
    parser.add_argument("--start", type=int, default=0)
    args = parser.parse_args()
    t0 = time.perf_counter()
    failed = {}
    for seed in range(args.start, args.start + args.seeds):
        out = check_instance(seed)
        if out:
            failed[seed] = out
            print(f"seed {seed}: {'; '.join(o[:160] for o in out)}", flush=True)
    kinds = {k: sum(any(o.startswith(k) for o in v) for v in failed.values())
             for k in ("reconcile", "consistent", "exact")}
    print(f"{args.seeds} instances (seeds {args.start}-{args.start + args.seeds - 1}), {len(failed)} with a "
          f"failure ({', '.join(f'{k} {v}' for k, v in kinds.items())}), {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
