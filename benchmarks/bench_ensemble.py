"""Ensemble benchmark (issue 7): N draws of the 9-region default model on 1 and 2 local Dask workers.

Each draw runs runs/ensemble.yaml's scenarios (default: all three, periods 2010-2050) with a fresh
calibration and the embodied-resource post-processing, exactly as `petra ensemble` does. Every worker
count starts from an empty output folder and its own LocalCluster. Reported:

* start-up: LocalCluster start and submitting the scenario data (s);
* draws: wall time from submitting the draws to the last one stored (s) -> draws per minute;
* total: start-up + draws + summary (s);
* speed-up: 1-worker draws time / K-worker draws time (target >= 1.8 for K = 2).

Run: /work/venv/bin/python benchmarks/bench_ensemble.py [--draws 200] [--workers 1 2] [--no-embodied]
     [--scenario NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from petra.ensemble.run import plan, run_ensemble

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=200)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--scenario", action="append", default=None)
    ap.add_argument("--no-embodied", dest="embodied", action="store_false")
    ap.add_argument("--file", type=Path, default=REPO / "runs" / "ensemble.yaml")
    args = ap.parse_args()

    p = plan(args.file, args.draws, seed=args.seed, names=args.scenario, embodied=args.embodied)
    names = args.scenario or list(p.sf.scenarios)
    print(f"{args.draws} draws of {args.file.name}: scenarios {', '.join(names)}, periods "
          f"{p.sf.periods[0]}-{p.sf.periods[-1]}, embodied {'on' if args.embodied else 'off'}; "
          f"{os.cpu_count()} CPUs, load average before {os.getloadavg()[0]:.2f}", flush=True)
    rows = []
    base = None
    for k in args.workers:
        with tempfile.TemporaryDirectory(prefix=f"bench-ensemble-{k}-") as tmp:
            t0 = time.perf_counter()
            res = run_ensemble(p, Path(tmp) / "out", workers=k)
            total = time.perf_counter() - t0
            man = json.loads((Path(tmp) / "out" / "manifest.json").read_text())
            secs = [d["seconds"] for d in man["draws"] if d["seconds"] is not None]
        if base is None:
            base = res.seconds
        rows.append((k, res.ok, len(res.failed), res.startup_seconds, res.seconds, total,
                     60 * res.ran / res.seconds, sum(secs) / len(secs), base / res.seconds))
        print(f"  {k} worker(s) done: {res.seconds:.1f} s, load average {os.getloadavg()[0]:.2f}", flush=True)
        for d, reason in res.failed:
            print(f"    draw {d} failed: {reason}", flush=True)

    print()
    print("| workers | ok | failed | start-up s | draws s | total s | draws/min | task s/draw | speed-up |")
    print("|---|---|---|---|---|---|---|---|---|")
    for k, ok, nf, st, ds, tot, rate, per, sp in rows:
        print(f"| {k} | {ok} | {nf} | {st:.1f} | {ds:.1f} | {tot:.1f} | {rate:.1f} | {per:.2f} | {sp:.2f}x |")


if __name__ == "__main__":
    main()
