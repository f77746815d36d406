"""Benchmark of `petra run`: calibrate + project (4 periods after the base year x 3 scenarios) +
embodied post-processing + writing, on the embedded datasets.

    python benchmarks/bench_run.py            # china9 (runs/default.yaml) and globiom37 (runs/globiom37.yaml)
    python benchmarks/bench_run.py world      # the country-level world dataset (runs/world.yaml)

Each case runs in a fresh process (`petra run FILE --out TMP --quiet`), timed from the outside (wall
clock, imports included; peak memory of the process), and in-process for the stage split ("read" is
reading the scenario file and dataset and re-basing it). Targets: globiom37 under 60 s (issue #5); world
(3 scenarios x base + 4 periods, post-processing on) under 10 min and 8 GB (issue #15).
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = {"china9": ROOT / "runs" / "default.yaml", "globiom37": ROOT / "runs" / "globiom37.yaml",
         "world": ROOT / "runs" / "world.yaml"}
DEFAULT = ("china9", "globiom37")


def stages(path: Path, out: Path) -> dict:
    from petra.projection.run import run_scenarios, write_run

    t0 = time.perf_counter()
    run = run_scenarios(path)
    t1 = time.perf_counter()
    write_run(run, out)
    t2 = time.perf_counter()
    sec = {k: sum(r.seconds[k] for r in run.results) for k in ("project", "postprocess")}
    sec["calibrate"] = run.results[0].seconds["calibrate"]
    return {"solves": sum(len(r.log) for r in run.results),
            "routes": len(run.dataset.routes), "markets": len(run.dataset.markets),
            "certificate": max(float(r.log["certificate"].max()) for r in run.results),
            "ok": all(r.ok for r in run.results), "run": t1 - t0, "write": t2 - t1, **sec,
            "read": t1 - t0 - sum(sec.values())}


def main() -> None:
    rows = []
    for name in sys.argv[1:] or DEFAULT:
        path = CASES[name]
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "petra.cli", "run", str(path), "--out", f"{tmp}/cli",
                            "--quiet"], check=False)
            wall = time.perf_counter() - t0
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # MB, largest child so far
            s = stages(path, Path(tmp) / "inproc")
        rows.append((name, s, wall, peak))
    print("| dataset | markets | routes | solves | read s | calibrate s | project s | post-process s "
          "| write s | run+write s | CLI wall s (fresh process) | CLI peak MB | worst certificate | ok |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, s, wall, peak in rows:
        print(f"| {name} | {s['markets']} | {s['routes']} | {s['solves']} | {s['read']:.2f} | "
              f"{s['calibrate']:.2f} | {s['project']:.2f} | {s['postprocess']:.2f} | {s['write']:.2f} | "
              f"{s['run'] + s['write']:.2f} | {wall:.2f} | {peak:.0f} | {s['certificate']:.1e} | {s['ok']} |")


if __name__ == "__main__":
    main()
