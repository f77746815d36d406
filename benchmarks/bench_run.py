"""Benchmark of `petra run`: calibrate + project (4 periods after the base year x 3 scenarios) +
embodied post-processing + writing, on the embedded datasets.

    python benchmarks/bench_run.py            # china9 (runs/default.yaml) and globiom37 (runs/globiom37.yaml)

Each case runs in a fresh process (`petra run FILE --out TMP --quiet`), timed from the outside (wall
clock, imports included), and in-process for the stage split. Target (issue #5): globiom37 under 60 s.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = [("china9", ROOT / "runs" / "default.yaml"), ("globiom37", ROOT / "runs" / "globiom37.yaml")]


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
            "ok": all(r.ok for r in run.results), "run": t1 - t0, "write": t2 - t1, **sec}


def main() -> None:
    rows = []
    for name, path in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "petra.cli", "run", str(path), "--out", f"{tmp}/cli",
                            "--quiet"], check=True)
            wall = time.perf_counter() - t0
            s = stages(path, Path(tmp) / "inproc")
        rows.append((name, s, wall))
    print("| dataset | markets | routes | solves | calibrate s | project s | post-process s | write s "
          "| run+write s | CLI wall s (fresh process) | worst certificate | ok |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, s, wall in rows:
        print(f"| {name} | {s['markets']} | {s['routes']} | {s['solves']} | {s['calibrate']:.2f} | "
              f"{s['project']:.2f} | {s['postprocess']:.2f} | {s['write']:.2f} | "
              f"{s['run'] + s['write']:.2f} | "
              f"{wall:.2f} | {s['certificate']:.1e} | {s['ok']} |")


if __name__ == "__main__":
    main()
