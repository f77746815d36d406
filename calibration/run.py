"""`petra calibrate`: calibrate the base year, optionally fit elasticities, project, report.

Everything is computed before anything is written; the output folder is then written all-or-nothing
(`petra.atomic.atomic_output_dir`):

    OUT/dataset/        the calibrated dataset (same format as the input; routes.csv with the
                        calibrated cost_adjustment and the expansion elasticities / new-flow slopes
                        used, fitted if --fit was given); `petra solve OUT/dataset` reproduces the
                        base-year observations
    OUT/report.html     self-contained report (PNG plots embedded)
    OUT/*.csv, settings.json   the tables behind it (see petra.calibration.report)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from petra import bounds
from petra.atomic import atomic_output_dir, guard_output_dir
from petra.calibration.base_year import BaseYearCalibration, calibrate_base_year
from petra.calibration.config import CalibrationConfig
from petra.calibration.fit import (
    FIT_HIGHS_OPTIONS,
    FIT_SOLVE_TOLERANCE,
    FitResult,
    fit_parameters,
)
from petra.calibration.focus_panels import PanelData, check_focus_region, focus_region_in
from petra.calibration.observed import (
    at_base_year,
    check_observations,
    market_anchors,
    observed_years,
    route_flows,
)
from petra.calibration.report import write_report
from petra.dataset import Dataset, load_dataset, write_dataset
from petra.errors import InputError, shown
from petra.model.problem import build_problem
from petra.model.recursive import anchored_inputs, project_periods
from petra.progress import ProgressCallback, within


def parse_years(values: list[str] | None) -> list[int]:
    """'2015', '2015,2016' and '2015-2020' (repeatable) -> sorted unique years; InputError otherwise."""
    years: set[int] = set()
    for v in values or []:
        for part in str(v).replace(" ", ",").split(","):
            if not part:
                continue
            try:
                if "-" in part[1:]:
                    a, b = part.split("-", 1)
                    lo, hi = int(a), int(b)
                    if hi < lo:
                        raise ValueError
                else:
                    lo = hi = int(part)
            except ValueError:
                raise InputError(f"'{shown(part)}' is not a year or a range of years like 2015-2020"
                                 ) from None
            if lo < bounds.YEAR_MIN or hi > bounds.YEAR_MAX:  # before: 1-1000000000 filled the memory
                raise InputError(f"'{shown(part)}': years are {bounds.YEAR_MIN} to {bounds.YEAR_MAX}")
            years.update(range(lo, hi + 1))
    return sorted(years)


@dataclass
class CalibrationRun:
    base: BaseYearCalibration
    fit: FitResult | None
    final: Dataset
    comparison: pd.DataFrame
    timings: dict


def calibrate(dataset: Dataset, config: CalibrationConfig, *, validate: list[int] | None = None,
              fit: list[int] | None = None, progress: ProgressCallback | None = None) -> CalibrationRun:
    """Calibrate, fit (years `fit`) and project (years `validate`); nothing is written.
    `progress(done, total, label)` after the base year, each fitted commodity and the projection."""
    t0 = time.perf_counter()
    validate, fit = sorted(validate or []), sorted(fit or [])
    check_observations(dataset, validate)
    check_observations(dataset, fit, after_base=False)
    n_fit = dataset.markets["commodity"].nunique() if fit else 0
    total = 1 + n_fit + (1 if validate else 0)
    base = calibrate_base_year(dataset, config)
    if progress is not None:
        progress(1, total, "base year")
    t1 = time.perf_counter()
    fitted = fit_parameters(base.dataset, fit, config, progress=within(progress, 1, total, "fit ")) \
        if fit else None
    final = fitted.dataset if fitted is not None else base.dataset
    t2 = time.perf_counter()
    r = final.routes
    keys = r[["exporter", "importer", "commodity"]]
    base_year = dataset.metadata.get("base_year", "base")
    frames = [keys.assign(year=base_year, observed=dataset.routes["flow"].to_numpy(),
                          modelled=base.dataset.routes["flow"].to_numpy())]
    if validate:
        p = build_problem(final)
        anchors = market_anchors(final, p, validate)
        observed = route_flows(final, validate)
        modelled = project_periods(p, anchored_inputs(anchors, final.metadata.get("base_year")),
                                   tol=FIT_SOLVE_TOLERANCE,
                                   highs_options=FIT_HIGHS_OPTIONS, raise_on_failure=True).flows()
        for y in validate:
            frames.append(keys.assign(year=y, observed=observed[y], modelled=modelled[y]))
        if progress is not None:
            progress(total, total, "validation years")
    comparison = pd.concat(frames, ignore_index=True)[
        ["year", "exporter", "importer", "commodity", "observed", "modelled"]]
    t3 = time.perf_counter()
    return CalibrationRun(base=base, fit=fitted, final=final, comparison=comparison,
                          timings={"base_year_seconds": t1 - t0, "fit_seconds": t2 - t1,
                                   "projection_seconds": t3 - t2, "total_seconds": t3 - t0})


def parameter_table(run: CalibrationRun) -> pd.DataFrame:
    """Per commodity: the elasticities and slopes used (median over routes) and cost adjustments."""
    r = run.final.routes
    g = r.assign(used=r["flow"] > 0).groupby("commodity")
    e = r["expansion_elasticity"].replace(np.inf, np.nan)
    out = pd.DataFrame({
        "routes": g.size(), "used_routes": g["used"].sum(),
        "expansion_elasticity_median": e.groupby(r["commodity"]).median(),
        "new_flow_slope_median": g["new_flow_slope"].median(),
        "cost_adjustment_median_used": r[r["flow"] > 0].groupby("commodity")["cost_adjustment"].median(),
        "negative_implied_cost_routes": run.base.negative.groupby("commodity").size(),
    }).fillna({"negative_implied_cost_routes": 0}).reset_index()
    return out


def panel_data(dataset: Dataset, comparison: pd.DataFrame, validate: list[int], fit: list[int]
               ) -> PanelData:
    """The focus panels' data: route flows of every observed year and of the compared years (base year
    and validation years: observed and modelled; other years: observed, modelled NaN) and the markets'
    net imports (imports - exports over routes)."""
    base = dataset.metadata.get("base_year")
    keys = dataset.routes[["exporter", "importer", "commodity"]].reset_index(drop=True)
    compared = set(comparison["year"])
    others = [y for y in observed_years(dataset) if y not in compared]
    frames = [comparison.rename(columns={"modelled": "petra"})[
        ["year", "exporter", "importer", "commodity", "observed", "petra"]]]
    for y, flows in route_flows(dataset, others).items():
        frames.append(keys.assign(year=y, observed=flows, petra=np.nan))
    hist = pd.concat(frames, ignore_index=True).sort_values("year", kind="stable").reset_index(drop=True)
    imp = hist.rename(columns={"importer": "region"}).groupby(["year", "region", "commodity"])[
        ["observed", "petra"]].sum(min_count=1)
    exp = hist.rename(columns={"exporter": "region"}).groupby(["year", "region", "commodity"])[
        ["observed", "petra"]].sum(min_count=1)
    net = imp.sub(exp, fill_value=0.0)
    net.loc[net.index.get_level_values("year").isin(others), "petra"] = np.nan
    years = {"base_year": base, "fit_years": list(fit), "eval_years": list(validate),
             "projected_years": list(validate)}
    return PanelData(history=hist, net_imports=net.reset_index(), flows=hist, years=years)


def run_calibration(dataset_path: str | Path, out: str | Path, config: CalibrationConfig, *,
                    validate: list[int] | None = None, fit: list[int] | None = None,
                    base_year: int | None = None, progress: ProgressCallback | None = None,
                    also_read: Sequence[str | Path | None] = ()) -> CalibrationRun:
    """Load, re-base on `base_year` (an observed year; default the dataset's), calibrate and write
    DIR/dataset, DIR/report.html and the tables (all or nothing). `out` may contain neither the dataset
    nor `also_read` (the command's other inputs, such as its --config file)."""
    inputs = [dataset_path, *also_read]
    guard_output_dir(out, "calibrate", inputs)
    dataset = load_dataset(dataset_path)
    check_focus_region(set(dataset.markets["region"]), config)
    if base_year is not None:
        dataset = at_base_year(dataset, base_year)
    run = calibrate(dataset, config, validate=validate, fit=fit, progress=progress)
    units = dataset.metadata.get("units") or {}
    unit, price_unit = str(units.get("quantity", "")), str(units.get("price", ""))
    settings = {"dataset": str(Path(dataset_path).resolve()),
                "base_year": dataset.metadata.get("base_year"), "validate_years": validate or [],
                "fit_years": fit or [], "config": config.model_dump(mode="json"),
                "base_year_check": run.base.check, "timings": {**run.base.timings, **run.timings}}
    base = dataset.metadata.get("base_year")
    title = f"petra calibration: {Path(dataset_path).name}" + ("" if base is None else f", base year {base}")
    panels = panel_data(dataset, run.comparison, validate or [], fit or [])
    focus = focus_region_in(set(dataset.markets["region"]), config.focus_region, panels.net_imports)
    with atomic_output_dir(out, "calibrate", inputs) as tmp:
        write_dataset(run.final, tmp / "dataset")
        write_report(tmp, title=title,
                     comparison=run.comparison, base_check=run.base.check, negative=run.base.negative,
                     route_table=run.base.routes, parameters=parameter_table(run), settings=settings,
                     focus_region=focus, main_partners=config.main_partners, unit=unit,
                     reconciled=run.base.reconciled_markets,
                     fit_summary=run.fit.parameters if run.fit is not None else None,
                     consistency=run.base.consistency, price_unit=price_unit,
                     prices=run.base.prices, reexports=run.base.reexports,
                     panels=panels,
                     size=(len(run.final.markets), len(run.final.routes)))
    return run
