"""Benchmark of the embodied post-processing of a `petra run` (issue 14: a globiom37 run under 10 s).

    python benchmarks/bench_embodied.py            # globiom37 (runs/globiom37.yaml) and china9 (default)

Runs each scenario file once without post-processing (`petra run --no-embodied`), then times, in this
process, `petra embodied RUN_DIR`'s accounting (`account_run_folder`: every scenario and period, default
feed and deforestation included) and the same without the dataset's default inputs (feed, deforestation),
best of REPEAT. Prints a Markdown table.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
CASES = [("globiom37", ROOT / "runs" / "globiom37.yaml"), ("china9", ROOT / "runs" / "default.yaml")]
REPEAT = 2


def best_of(fn, repeat: int = REPEAT) -> tuple[float, float]:
    """Best wall-clock and best CPU seconds of this process over `repeat` calls (CPU time is the fair
    figure on a shared machine)."""
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return min(wall), min(cpu)


def main() -> None:
    import pandas as pd

    from petra.embodied import run_folder
    from petra.embodied.defaults import DefaultInputs

    rows = []
    for name, path in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "run"
            subprocess.run([sys.executable, "-m", "petra.cli", "run", str(path), "--out", str(out), "--quiet",
                            "--no-embodied", "--no-plots"], check=True)
            f = pd.read_parquet(out / "flows.parquet")
            account = partial(run_folder.account_run_folder, out)
            with_defaults = best_of(account)
            with mock.patch.object(run_folder, "dataset_defaults", lambda *a, **k: DefaultInputs()):
                without = best_of(account)
            rows.append((name, f["scenario"].nunique(), f["period"].nunique(), len(f), with_defaults,
                         without))
    print("| dataset | scenarios | periods | route-periods | post-process wall s / CPU s (feed + "
          "deforestation) | without default inputs wall s / CPU s |")
    print("|---|---|---|---|---|---|")
    for name, s, p, n, w, wo in rows:
        print(f"| {name} | {s} | {p} | {n} | {w[0]:.2f} / {w[1]:.2f} | {wo[0]:.2f} / {wo[1]:.2f} |")


if __name__ == "__main__":
    main()
