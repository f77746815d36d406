"""Benchmark `petra solve` on synthetic world instances (~190 regions, all pairs are routes, ~50% with
previous flow). Each case runs in a fresh subprocess so that peak memory is its own.

    python benchmarks/bench_solve.py [--regions 190] [--commodities 1 10] [--loaders direct pyomo]

Prints one row per case: dataset generation, model build + load into HiGHS, HiGHS time (sum over QP
solves), total solve time (petra.solve from the Dataset, after imports: the CLI adds ~0.5 s of
Python imports), QP solves, certificate, peak RSS.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CASE = r"""
import json, resource, sys, time
t_import = time.perf_counter()
from petra.synthetic import world_dataset
import petra, petra.model.solve
t_import = time.perf_counter() - t_import
regions, commodities, loader = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
t0 = time.perf_counter()
ds = world_dataset(regions, commodities, seed=0)
t1 = time.perf_counter()
r = petra.solve(ds, loader=loader)
t2 = time.perf_counter()
tm = r.timings
print(json.dumps({
    "routes": len(ds.routes), "generate_s": t1 - t0,
    "build_load_s": tm["build_seconds"] + tm["load_seconds"] + tm["read_seconds"],
    "highs_s": tm["highs_seconds"], "total_s": t2 - t1,
    "import_s": t_import, "qp_solves": r.iterations["qp_solves"], "refined": r.iterations["refined"],
    "certificate": r.certificate["max_violation"], "ok": r.ok,
    "ipm": r.iterations["ipm"], "solver": r.solver["qp_solver_by_solve"],
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--regions", type=int, default=190)
    ap.add_argument("--commodities", type=int, nargs="+", default=[1, 10])
    ap.add_argument("--loaders", nargs="+", default=["direct", "pyomo"])
    args = ap.parse_args()
    header = (f"{'regions':>7} {'comm':>4} {'routes':>7} {'loader':>6} {'build+load s':>12} {'HiGHS s':>8} "
              f"{'total s':>8} {'total/HiGHS':>11} {'QPs':>4} {'certificate':>11} {'peak MB':>8}")
    print(header)
    print("-" * len(header))
    for k in args.commodities:
        for loader in args.loaders:
            out = subprocess.run([sys.executable, "-c", CASE, str(args.regions), str(k), loader],
                                 capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{args.regions:>7} {k:>4} {r['routes']:>7} {loader:>6} {r['build_load_s']:>12.3f} "
                  f"{r['highs_s']:>8.3f} {r['total_s']:>8.3f} {r['total_s'] / r['highs_s']:>11.2f} "
                  f"{r['qp_solves']:>4} {r['certificate']:>11.1e} {r['peak_rss_mb']:>8.0f}"
                  + ("" if r["ok"] else "  NOT OK"))


if __name__ == "__main__":
    main()
