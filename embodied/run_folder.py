"""`petra embodied RUN_DIR` on a `petra run` output folder: recompute every scenario's embodied accounts
from the run's own files (flows.parquet, markets.parquet with its yield factors, scenarios.yaml naming
the dataset whose intensities are used, the focus region and the `embodied` settings) exactly as
`petra run` does (`petra.embodied.scenario`).

Files written to DIR (all-or-nothing):

embodied.csv      scenario, period, exporter, importer, commodity, indicator, value, unit (per route)
intensities.csv   scenario, region, commodity, period, indicator, value, unit, source, known_period
                  (the projected intensities used, with the year each value comes from)
accounts.csv      scenario + `embodied_math.accounts` columns (totals over the routes with data)
coverage.csv      scenario + `coverage.COVERAGE_COLUMNS`
water.csv         scenario + the focus region's virtual water indicators (`water_indicators`)
iamc.csv          model, scenario, region, variable, unit, year, value
summary.json      source, dataset, scenarios, periods
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from petra.atomic import atomic_output_dir, guard_output_dir
from petra.dataset import load_dataset
from petra.embodied.defaults import dataset_defaults
from petra.embodied.scenario import ScenarioAccounts, scenario_accounts
from petra.errors import InputError
from petra.textfiles import load_yaml

RUN_FILES = ("flows.parquet", "markets.parquet", "scenarios.yaml")
FLOW_COLUMNS = ["scenario", "period", "exporter", "importer", "commodity", "flow"]
MARKET_COLUMNS = ["scenario", "period", "region", "commodity", "production", "yield_factor"]


def is_run_folder(path: str | Path) -> bool:
    """Whether `path` holds a `petra run` output (its Parquet arrays and resolved scenarios.yaml)."""
    return all((Path(path) / f).is_file() for f in RUN_FILES)


def _read(path: Path, columns: list[str]) -> pd.DataFrame:
    try:
        df = pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is bad input
        raise InputError(f"not a readable Parquet file ({exc})", file=str(path)) from exc
    for c in columns:
        if c not in df.columns:
            hint = " (written by a petra run before yield factors were recorded: run it again)" \
                if c == "yield_factor" else ""
            raise InputError(f"missing column{hint}", file=str(path), column=c)
    return df[columns]


def account_run_folder(source: str | Path) -> tuple[list[ScenarioAccounts], dict]:
    """Every scenario's embodied accounts of a run folder and the run's settings (dataset, model)."""
    from petra.embodied.run import flow_units_of, zero_round_off

    source = Path(source)
    cfg = load_yaml(source / "scenarios.yaml", what="scenarios.yaml")  # bounded, aliases refused
    if not isinstance(cfg, dict) or not cfg.get("dataset"):
        raise InputError("no 'dataset' key naming the run's dataset", file=str(source / "scenarios.yaml"))
    dataset = load_dataset(Path(cfg["dataset"]))
    if dataset.intensities is None:
        raise InputError("the run's dataset has no intensities.csv", file=str(dataset.path))
    flows = _read(source / "flows.parquet", FLOW_COLUMNS)
    markets = _read(source / "markets.parquet", MARKET_COLUMNS)
    units = flow_units_of(dataset, "kt")
    model = str(cfg.get("model") or "petra")
    defaults = dataset_defaults(dataset, units)
    settings = cfg.get("embodied") or {}
    focus = cfg.get("focus_region")
    out = []
    for name, m in markets.groupby("scenario", sort=False):
        f = flows[flows["scenario"] == name].drop(columns="scenario").reset_index(drop=True)
        f = zero_round_off(f[["exporter", "importer", "commodity", "period", "flow"]])
        prod = m[["region", "commodity", "period", "production"]].reset_index(drop=True)
        yf = m[["region", "commodity", "period", "yield_factor"]].rename(columns={"yield_factor": "factor"})
        out.append(scenario_accounts(dataset.intensities, prod, f, yf, int(m["period"].min()), units,
                                     model=model, scenario=str(name),
                                     partners_of=focus if settings.get("partners") else None,
                                     water_region=focus,
                                     thresholds=tuple(settings.get("pressure_thresholds", (1 / 3, 2 / 3))),
                                     water_cap=dict(settings.get("water_cap") or {}),
                                     defaults=defaults))
    return out, {"dataset": str(dataset.path), "model": model,
                 "periods": sorted(int(p) for p in markets["period"].unique())}


def write_run_folder(source: str | Path, out: str | Path) -> dict:
    """Account a run folder and write `out` (see module docstring). Returns the summary."""
    guard_output_dir(out, "embodied", [source])
    results, info = account_run_folder(source)

    def cat(attr: str) -> pd.DataFrame:
        parts = [getattr(r, attr).assign(scenario=r.scenario) for r in results]
        df = pd.concat(parts, ignore_index=True)
        return df[["scenario", *[c for c in df.columns if c != "scenario"]]]

    with atomic_output_dir(out, "embodied", [source, info["dataset"]]) as tmp:  # the run's dataset too
        for name, attr in (("embodied", "embodied"), ("intensities", "intensities"), ("accounts", "accounts"),
                           ("coverage", "coverage"), ("water", "water")):
            cat(attr).to_csv(tmp / f"{name}.csv", index=False, float_format="%.17g", na_rep="")
        pd.concat([r.iamc for r in results], ignore_index=True).to_csv(
            tmp / "iamc.csv", index=False, float_format="%.17g", na_rep="")
        summary = {"source": str(Path(source).resolve()), "kind": "petra run", **info,
                   "scenarios": [r.scenario for r in results]}
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary
