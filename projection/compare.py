"""`petra compare RUN_DIR`: every scenario of a `petra run` output against a baseline scenario.

Reads the run folder (iamc.csv through pyam, markets/curves/flows.parquet, scenarios.yaml) and
writes, all-or-nothing (`petra.atomic`), to RUN_DIR/compare/ or `--out`:

    compare.csv     IAMC (pyam): for every scenario but the baseline and every variable V of
                    iamc.csv, `Difference|V` (scenario - baseline, V's unit) and `Relative
                    Difference|V` (100 x (scenario - baseline) / |baseline|, unit %; empty where
                    the baseline is 0 or missing)
    welfare.csv     scenario, baseline, period, region (and World), consumer_surplus,
                    producer_surplus, tariff_revenue, trade_rent, total, trade_cost, unit: welfare
                    changes against the baseline (`petra.projection.welfare`)
    compare.json    the baseline and how it was chosen, the scenarios, World welfare totals
    plots/          the focus region's imports by partner (scenarios side by side), prices and
                    embodied import totals per scenario, welfare changes per region

Baseline rule (`choose_baseline`): `--baseline NAME` if given; else the first scenario of the file
named like a baseline (SSP2, baseline, reference, ref, base; case, spaces and punctuation ignored);
else the file's first scenario.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from petra.atomic import OUTPUT_MARKER, output_command
from petra.errors import InputError, one_line, shown
from petra.projection.iamc import IAMC_COLUMNS
from petra.projection.run_files import read_iamc, read_parquet, read_resolved, read_summary
from petra.projection.welfare import (
    COMPONENTS,
    CURVE_COLUMNS,
    KT_TO_MT,
    MARKET_KEYS,
    WORLD,
    welfare_changes,
)
from petra.tables import FULL_PRECISION

BASELINE_NAMES = ("ssp2", "baseline", "reference", "ref", "base")
"""Scenario names (lower case, letters and digits only) taken as the baseline when none is given."""
DIFFERENCE = "Difference|"
RELATIVE_DIFFERENCE = "Relative Difference|"
PERCENT = "%"
RUN_FILES = ("iamc.csv", "markets.parquet", "flows.parquet", "curves.parquet", "scenarios.yaml",
             "summary.json")
"""Files of a `petra run` output that `petra compare` reads."""
TABLE_COLUMNS = {
    "markets": [*MARKET_KEYS, "price", "production"],
    "flows": ["scenario", "period", "exporter", "importer", "commodity", "flow", "transport_cost", "tariff",
              "cost_adjustment", "previous_flow", "period_elasticity", "new_flow_slope"],
    "curves": [*MARKET_KEYS, *CURVE_COLUMNS],
}
"""The columns of the run's Parquet tables that the comparison uses."""


@dataclass(frozen=True)
class RunFolder:
    """A `petra run` output folder, read: IAMC long frame, parquet tables, the resolved file."""

    path: Path
    iamc: pd.DataFrame          # long: model, scenario, region, variable, unit, year, value
    markets: pd.DataFrame
    flows: pd.DataFrame
    curves: pd.DataFrame
    scenarios: list[str]        # in the file's order
    focus_region: str


def check_run_folder(run_dir: str | Path) -> Path:
    """`run_dir` if it is a complete `petra run` output, else InputError (one line, nothing read)."""
    path = Path(run_dir)
    if not path.is_dir():
        raise InputError("not a folder: give a `petra run` output folder (e.g. runs/default)", file=str(path))
    owner = output_command(path)
    if owner != "run":
        what = f"the output of `petra {owner}`" if owner else f"not a petra output (no {OUTPUT_MARKER})"
        raise InputError(f"is {what}; give a `petra run` output folder", file=str(path))
    missing = [f for f in RUN_FILES if not (path / f).is_file()]
    if missing:
        raise InputError(f"a `petra run` output without {', '.join(missing)} (written by petra run "
                         "since welfare was added, or the run failed): re-run it", file=str(path))
    return path


def read_run_folder(run_dir: str | Path) -> RunFolder:
    """Read a `petra run` output folder (`check_run_folder` first); InputError naming a damaged file."""
    path = check_run_folder(run_dir)
    resolved = read_resolved(path / "scenarios.yaml")
    read_summary(path / "summary.json")  # a damaged run is refused, not compared
    scenarios, focus = list(resolved["scenarios"]), resolved["focus_region"]
    data = read_iamc(path / "iamc.csv")
    tables = {name: read_parquet(path / f"{name}.parquet", cols) for name, cols in TABLE_COLUMNS.items()}
    present = [s for s in scenarios if s in set(tables["markets"]["scenario"])]  # failed ones are absent
    return RunFolder(path=path, iamc=data, scenarios=present, focus_region=focus, **tables)


def choose_baseline(scenarios: list[str], requested: str | None, *, file: str | None = None
                    ) -> tuple[str, str]:
    """(baseline, the rule that chose it) among `scenarios` (in file order); InputError if the
    requested one is not there or there is nothing to compare it with."""
    if len(scenarios) < 2:
        raise InputError(f"compare needs at least two solved scenarios; the run has {len(scenarios)} "
                         f"({', '.join(scenarios) or 'none'})", file=file)
    if requested is not None:
        if requested not in scenarios:
            raise InputError(f"--baseline: unknown scenario '{shown(requested)}'; the run has "
                             f"{', '.join(scenarios)}", file=file)
        return requested, "--baseline"
    for s in scenarios:
        if re.sub(r"[^a-z0-9]", "", s.lower()) in BASELINE_NAMES:
            return s, "named like a baseline (SSP2, baseline, reference, ref, base)"
    return scenarios[0], "the file's first scenario"


def iamc_differences(data: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Long IAMC frame of every other scenario's differences to `baseline` (module docstring).

    `data`: long IAMC (model, scenario, region, variable, unit, year, value). Relative differences
    are NaN where the baseline value is 0 or missing (never inf); absolute ones where it is missing.
    """
    keys = ["model", "region", "variable", "unit", "year"]
    base = data[data["scenario"] == baseline].set_index(keys)["value"]
    other = data[data["scenario"] != baseline]
    b = base.reindex(pd.MultiIndex.from_frame(other[keys])).to_numpy()
    v = other["value"].to_numpy(dtype=float)
    diff = v - b
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(np.isfinite(b) & (b != 0), 100.0 * diff / np.abs(b), np.nan)
    absolute = other.assign(variable=DIFFERENCE + other["variable"], value=diff)
    relative = other.assign(variable=RELATIVE_DIFFERENCE + other["variable"], unit=PERCENT, value=rel)
    out = pd.concat([absolute, relative], ignore_index=True)
    return out[IAMC_COLUMNS].reset_index(drop=True)


@dataclass(frozen=True)
class Comparison:
    """What `petra compare` writes (nothing written yet)."""

    run: RunFolder
    baseline: str
    rule: str
    differences: pd.DataFrame   # long IAMC
    welfare: pd.DataFrame

    def summary(self) -> dict:
        world = self.welfare[self.welfare["region"] == WORLD]
        totals = {s: {str(int(r.period)): round(float(r.total), 6) for r in d.itertuples(index=False)}
                  for s, d in world.groupby("scenario", sort=False)}
        return {"run": str(self.run.path.resolve()), "baseline": self.baseline, "baseline_rule": self.rule,
                "scenarios": [s for s in self.run.scenarios if s != self.baseline],
                "focus_region": self.run.focus_region,
                "variables": {"absolute": DIFFERENCE + "<variable> (scenario - baseline, the variable's "
                                          "unit)",
                              "relative": RELATIVE_DIFFERENCE + "<variable> (100 x (scenario - baseline) / "
                                          "|baseline|, %; empty where the baseline is 0)"},
                "welfare_unit": str(self.welfare["unit"].iloc[0]) if len(self.welfare) else None,
                "welfare_components": list(COMPONENTS),
                "world_welfare_total": totals}


def quantity_to_mt(run: RunFolder) -> float:
    """Mt per quantity unit of the run's data, read off the run itself: a market's production in
    markets.parquet against the same value in iamc.csv (Mt/yr); kt (1e-3) if no market produces."""
    from petra.projection.iamc import commodity_path

    m = run.markets[run.markets["production"] > 0]
    if m.empty:
        return KT_TO_MT
    row = m.loc[m["production"].idxmax()]
    v = run.iamc[(run.iamc["scenario"] == row["scenario"]) & (run.iamc["region"] == row["region"])
                 & (run.iamc["year"] == row["period"])
                 & (run.iamc["variable"] == "Agricultural Production|" + commodity_path(row["commodity"]))]
    return float(v["value"].iloc[0]) / float(row["production"]) if len(v) else KT_TO_MT


def compare_run(run_dir: str | Path, baseline: str | None = None) -> Comparison:
    """Read a run folder and compute the comparison (nothing written); InputError on bad input."""
    run = read_run_folder(run_dir)
    base, rule = choose_baseline(run.scenarios, baseline, file=str(run.path))
    data = run.iamc[run.iamc["scenario"].isin(run.scenarios)]
    try:
        welfare = welfare_changes(run.markets, run.curves, run.flows, base, quantity_to_mt(run))
        differences = iamc_differences(data, base)
    except (ValueError, TypeError, KeyError) as exc:  # tables that read but disagree (edited, mixed runs)
        raise InputError(f"the run's files cannot be compared ({type(exc).__name__}: {one_line(exc, 200)})",
                         file=str(run.path)) from None
    return Comparison(run=run, baseline=base, rule=rule, differences=differences, welfare=welfare)


def default_out(run_dir: str | Path) -> Path:
    """Where `petra compare RUN_DIR` writes without --out: RUN_DIR/compare."""
    return Path(run_dir) / "compare"


def write_comparison(cmp: Comparison, out: str | Path, *, plots: bool = True) -> None:
    """Write compare.csv, welfare.csv, compare.json and plots/ to `out` all-or-nothing."""
    import pyam

    from petra.atomic import atomic_output_dir
    from petra.projection.compare_plots import write_compare_plots

    inputs = [cmp.run.path / f for f in RUN_FILES]
    with atomic_output_dir(out, "compare", inputs) as tmp:
        pyam.IamDataFrame(cmp.differences.dropna(subset=["value"])).to_csv(tmp / "compare.csv")
        # every digit, so that total = the sum of the components also in the file
        cmp.welfare.to_csv(tmp / "welfare.csv", index=False, float_format=FULL_PRECISION)
        (tmp / "compare.json").write_text(json.dumps(cmp.summary(), indent=2) + "\n", encoding="utf-8")
        if plots:
            write_compare_plots(cmp, tmp / "plots")
