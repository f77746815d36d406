"""A scenario file of many tariff rules through `petra run` (issue 22 item 3):

* rules: tariff rules in the file (each one route: exporter, importer, commodity, specific);
* MB: size of the scenario file;
* read s: reading and validating the file (`load_scenario_file`: YAML and pydantic);
* drivers s: the per-period driver arrays of the scenario (`driver_arrays`: every rule matched);
* run s: `petra run FILE --no-plots --no-embodied` end to end (a subprocess: import, calibration,
  four periods, writing scenarios.yaml with every rule).

Measured on a 2-core machine, 50,000 rules (3.8 MB): before (rules compared with every route in every
period, the YAML read by PyYAML's pure-Python parser and written by its pure-Python emitter) read
12.2 s, drivers 25.9 s, run 57.8 s; after (rules indexed, projection/rule_index.py; libyaml's parser
and emitter, the resolved rules written one per line) read 3.7 s, drivers 0.6 s, run 13.9 s.

Run: python benchmarks/bench_tariff_rules.py [--rules N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REGIONS = ["CHN", "BRA", "USA", "CAN", "EU", "ARG", "AUS", "NZL", "ROW"]
COMMODITIES = ["soybeans", "wheat", "maize", "rice", "barley", "sorghum", "rapeseed", "sugar", "bovine_meat",
               "pig_meat", "poultry_meat", "sheep_meat", "dairy"]


def write_file(path: Path, rules: int, seed: int = 0) -> Path:
    """A china9 scenario file of `rules` specific tariff rules, one random route each."""
    rnd = random.Random(seed)
    lines = ["dataset: china9", "base_year: 2020", "periods: [2020, 2030, 2040, 2050]", "scenarios:",
             "  ref:", "    drivers:", "      tariffs:"]
    for _ in range(rules):
        e, i = rnd.sample(REGIONS, 2)
        lines.append(f"        - {{exporter: {e}, importer: {i}, commodity: {rnd.choice(COMMODITIES)}, "
                     f"specific: {rnd.randint(0, 300)}}}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=50_000)
    parser.add_argument("--keep", type=Path, help="write the file and the run here (default: a temp folder)")
    args = parser.parse_args()
    from petra.projection.drivers import driver_arrays
    from petra.projection.run import load_run_inputs, names_of
    from petra.projection.scenario_config import load_scenario_file, resolve

    folder = args.keep or Path(tempfile.mkdtemp(prefix="petra-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = write_file(folder / "tariffs.yaml", args.rules)
    t0 = time.perf_counter()
    sf = load_scenario_file(path)
    read = time.perf_counter() - t0
    inputs = load_run_inputs(path)
    from petra.model.problem import build_problem

    p = build_problem(inputs.dataset)
    names, r = names_of(p), inputs.dataset.routes
    spec = resolve(sf, "ref")
    t0 = time.perf_counter()
    driver_arrays(spec.drivers, names, spec.periods, base_transport=r["transport_cost"].to_numpy(float),
                  base_tariff=r["tariff"].to_numpy(float), exporter_price=p.P0[p.exporter])
    drivers = time.perf_counter() - t0
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "petra.cli", "run", str(path), "--out", str(folder / "run"), "-q",
                    "--no-plots", "--no-embodied"], check=True)
    run = time.perf_counter() - t0
    size = path.stat().st_size / 1e6
    print(f"{'rules':>7} {'MB':>5} {'read s':>7} {'drivers s':>9} {'run s':>6}")
    print(f"{args.rules:>7} {size:>5.1f} {read:>7.2f} {drivers:>9.2f} {run:>6.1f}")


if __name__ == "__main__":
    main()
