"""Benchmark of `petra compare` on a globiom37 run (target: under 20 s).

    python benchmarks/bench_compare.py [RUN_DIR ...]

Without RUN_DIR it first makes the run (`petra run runs/globiom37.yaml --no-plots`, not timed) in a
temporary folder. Each RUN_DIR is compared in a fresh process (`petra compare RUN_DIR --out TMP`, wall
clock, imports included) and in-process for the stage split; CPU seconds of the fresh process beside
its wall time show how much of the wall time is other processes' load on the machine.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def stages(run_dir: Path, out: Path) -> dict:
    t0 = time.perf_counter()
    import pyam  # noqa: F401  (its import is most of a fresh process's start-up)

    from petra.projection import compare
    from petra.projection.compare_plots import write_compare_plots
    from petra.projection.welfare import welfare_changes

    t1 = time.perf_counter()
    run = compare.read_run_folder(run_dir)
    base, rule = compare.choose_baseline(run.scenarios, None)
    t2 = time.perf_counter()
    diff = compare.iamc_differences(run.iamc[run.iamc["scenario"].isin(run.scenarios)], base)
    t3 = time.perf_counter()
    welfare = welfare_changes(run.markets, run.curves, run.flows, base)
    t4 = time.perf_counter()
    cmp = compare.Comparison(run=run, baseline=base, rule=rule, differences=diff, welfare=welfare)
    out.mkdir(parents=True)
    pyam.IamDataFrame(diff.dropna(subset=["value"])).to_csv(out / "compare.csv")
    t5 = time.perf_counter()
    write_compare_plots(cmp, out / "plots")
    t6 = time.perf_counter()
    return {"import": t1 - t0, "read": t2 - t1, "differences": t3 - t2, "welfare": t4 - t3,
            "csv": t5 - t4, "plots": t6 - t5, "iamc_rows": len(run.iamc), "markets": len(run.markets),
            "flows": len(run.flows), "scenarios": len(run.scenarios)}


def main(run_dirs: list[Path]) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if not run_dirs:
            run_dirs = [Path(tmp) / "globiom37"]
            subprocess.run([sys.executable, "-m", "petra.cli", "run", str(ROOT / "runs" / "globiom37.yaml"),
                            "--out", str(run_dirs[0]), "--no-plots", "--quiet"], check=True)
        for k, run_dir in enumerate(run_dirs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "petra.cli", "compare", str(run_dir), "--out",
                            f"{tmp}/cli{k}"], check=True, capture_output=True)
            wall = time.perf_counter() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            rows.append((run_dir.name, stages(run_dir, Path(tmp) / f"inproc{k}"), wall, cpu))
    print("| run | scenarios | IAMC rows | markets rows | flows rows | import s | read s | differences s "
          "| welfare s | compare.csv s | plots s | CLI wall s (fresh process) | CLI CPU s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, s, wall, cpu in rows:
        print(f"| {name} | {s['scenarios']} | {s['iamc_rows']:,} | {s['markets']:,} | {s['flows']:,} | "
              f"{s['import']:.2f} | {s['read']:.2f} | {s['differences']:.2f} | {s['welfare']:.2f} | "
              f"{s['csv']:.2f} | {s['plots']:.2f} | **{wall:.2f}** | {cpu:.2f} |")


if __name__ == "__main__":
    main([Path(p) for p in sys.argv[1:]])
