"""Period-step invariance (issue 13): the shipped scenario file solved in 10-year and in 5-year steps.

The 5-year file is derived from the 10-year one so that both describe the same annually compounded
drivers and policies: a rule that starts at a 10-year period Y (growth from Y-10 to Y, or a policy in
force in period Y) starts at Y-5 in the 5-year file, and its `until` stays. Printed per scenario: China's
soybean imports and the USA -> CHN soybean flow in 2030 and 2050, in both steps, and their difference
relative to China's soybean imports in the 10-year run (target: within 3 %).

Run: python benchmarks/bench_period_step.py [--file runs/default.yaml]
"""

from __future__ import annotations

import argparse
import copy
import tempfile
from pathlib import Path

import yaml

from petra.projection.run import run_scenarios

ROOT = Path(__file__).resolve().parents[1]
TARGET = 0.03


def five_year_file(spec: dict) -> dict:
    """The same scenario file in 5-year steps (see module docstring)."""
    out = copy.deepcopy(spec)
    periods = [int(p) for p in spec["periods"]]
    out["periods"] = list(range(periods[0], periods[-1] + 1, 5))

    def shift(node):
        if isinstance(node, dict):
            if "from" in node and int(node["from"]) in periods[1:]:
                node["from"] = int(node["from"]) - 5
            for v in node.values():
                shift(v)
        elif isinstance(node, list):
            for v in node:
                shift(v)

    shift(out.get("base", {}))
    shift(out.get("scenarios", {}))
    return out


def soy(result):
    f = result.flows
    f = f[(f["commodity"] == "soybeans") & (f["importer"] == "CHN")]
    total = f.groupby("period")["flow"].sum()
    usa = f[f["exporter"] == "USA"].set_index("period")["flow"]
    return total, usa


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--file", default=str(ROOT / "runs" / "default.yaml"))
    args = ap.parse_args()
    src = Path(args.file)
    spec = yaml.safe_load(src.read_text())
    with tempfile.TemporaryDirectory() as tmp:
        f10 = Path(tmp) / src.name
        f5 = Path(tmp) / ("five-" + src.name)
        f10.write_text(yaml.safe_dump(spec))
        f5.write_text(yaml.safe_dump(five_year_file(spec)))
        r10 = run_scenarios(f10, embodied=False)
        r5 = run_scenarios(f5, embodied=False)
    print(f"{'scenario':<22} {'year':>5} {'CHN imp 10y':>12} {'CHN imp 5y':>11} {'diff':>7} "
          f"{'USA->CHN 10y':>13} {'USA->CHN 5y':>12} {'diff':>7}")
    worst = 0.0
    for a, b in zip(r10.results, r5.results, strict=True):
        name = a.spec.name
        t10, u10 = soy(a)
        t5, u5 = soy(b)
        for y in (2030, 2050):
            dt = (t5[y] - t10[y]) / t10[y]
            du = (u5[y] - u10[y]) / t10[y]
            worst = max(worst, abs(dt), abs(du))
            print(f"{name:<22} {y:>5} {t10[y]:>12.0f} {t5[y]:>11.0f} {dt:>7.2%} {u10[y]:>13.0f} "
                  f"{u5[y]:>12.0f} {du:>7.2%}")
    print(f"largest difference relative to China's imports: {worst:.2%} (target <= {TARGET:.0%}: "
          f"{'met' if worst <= TARGET else 'missed'})")


if __name__ == "__main__":
    main()
