"""`petra run`: calibrate the base year, project every scenario period by period, post-process, write.

`run_scenario` is the unit of work (one scenario on one dataset, nothing written; the ensemble runs
it once per draw); `run_scenarios` runs the scenarios of a file and writes an output folder
all-or-nothing (`petra.atomic.atomic_output_dir`):

    iamc.csv, iamc.xlsx      IAMC results (pyam): model, scenario, region, variable, unit, years
    flows.parquet            scenario, period, exporter, importer, commodity, flow, tariff,
                             transport_cost, banned, quota (inf: none), cost_adjustment (the
                             period's, raised against cross-hauling where needed), previous_flow,
                             period_elasticity (expansion elasticity x period years, capped; inf:
                             constant cost), new_flow_slope [, logit_scale, log_anchor: the logit
                             routes' w and ln A, NaN on other routes, where the calibration gave a
                             trade elasticity]: every route, every period (data units)
    markets.parquet          scenario, period, region, commodity, production, consumption, price
                             (the demand node's, reported: the observed price in the base year),
                             supply_price (the supply node's: above price only where a region exports
                             its whole production), trade_price (the demand node's trade-point price,
                             at which arbitrage happens: price / price_factor of curves.parquet),
                             imports, exports, net_exports, yield_factor (cumulative yield driver from
                             the base period)
    curves.parquet           scenario, period, region, commodity, supply_anchor, demand_anchor,
                             anchor_price, supply_slope, demand_slope: each period's supply and
                             demand curves as solved, S(p) = max(0, supply_anchor + supply_slope x
                             (p - anchor_price)), D(p) = max(0, demand_anchor - demand_slope x
                             (p - anchor_price)) (slopes >= 0 in quantity per price; 0: fixed),
                             in trade-point prices p (a reported price is p x price_factor);
                             with flows.parquet's previous_flow, period_elasticity, new_flow_slope,
                             transport_cost, tariff and cost_adjustment every parameter welfare needs
    embodied.parquet         scenario, period, exporter, importer, commodity, indicator, value, unit:
                             resources embodied in every used route (value empty where missing)
    embodied_coverage.csv    scenario, region, commodity (or total), period, indicator, account,
                             covered, volume, coverage: the share of each embodied value's volume
                             with known intensities
    embodied_water.csv       the focus region's virtual water indicators per scenario, crop (and
                             "(all)"), period and water_green / water_blue / water_total: content,
                             V_i, V_e, V_n, W, MWSI against the file's embodied.water_cap, pressure
                             coefficients and min-max indices over the periods, graded by
                             embodied.pressure_thresholds
    run_log.csv              one row per solve: scenario, period, commodity, status, certificate,
                             QP solves, solver, seconds
    oscillations.csv         routes switching on-off-on and prices zig-zagging between periods
    scenarios.yaml           the configuration run, a scenario file `petra run` reads again: extends
                             resolved, the dataset's absolute path, every setting's default filled
                             in, the base block and each scenario's block (its own rules)
    plots/                   prices, focus-region imports by partner, bilateral flows
    summary.json             dataset, quantity_unit (of flows and markets), periods, scenarios,
                             status, certificates, circulation (total flow / net exports needed,
                             per period), cyclic_commodities
                             (commodities whose used routes contain a directed cycle, per period),
                             the focus region's embodied coverage (no times)

Everything except the `seconds` column of run_log.csv is byte-identical between two runs of the
same command.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from time import perf_counter

import numpy as np
import pandas as pd

from petra.calibration.base_year import calibrate_base_year
from petra.calibration.config import CalibrationConfig, parse_config
from petra.calibration.observed import at_base_year
from petra.dataset import Dataset, load_dataset
from petra.demand import FEED_INTENSITY_HALF_LIFE, feed_coupling, feed_intensity, uses_demand
from petra.embedded import dataset_path, embedded_dataset  # noqa: F401 (re-exported: projection.run's API)
from petra.errors import InputError
from petra.model.diagnostics import on_directed_cycle
from petra.model.problem import Problem, build_problem, reported_prices
from petra.model.recursive import Projection
from petra.model.solve import DEFAULT_TOLERANCE, check_tolerance
from petra.productivity import productivity_index, productivity_rates
from petra.projection import iamc as iamc_mod
from petra.projection.drivers import (
    EntityNames,
    apply_elasticities,
    check_driver_bounds,
    check_names,
    check_rule_periods,
    check_schedules,
    driver_arrays,
    market_defaults,
    schedule_rates,
)
from petra.projection.oscillation import price_zigzags, route_flips
from petra.projection.project import project_scenario
from petra.projection.scenario_config import (
    SPEC_LABEL,
    Elasticities,
    ScenarioFile,
    ScenarioSpec,
    resolve,
    scenario_file_and_sources,
    scenario_spec_and_sources,
)
from petra.projection.ssp_drivers import (
    SspLevels,
    gdp_per_capita_at,
    market_base_rates,
    scenario_levels,
    used_levels,
)
from petra.textfiles import dump_yaml


def default_scenario_file(name: str = "default.yaml") -> Path:
    """A shipped scenario file (runs/NAME, installed as petra.runs); default: the default scenarios."""
    from importlib.resources import files

    return Path(str(files("petra.runs").joinpath(name)))


def names_of(p: Problem) -> EntityNames:
    return EntityNames(region=p.region.astype(str), commodity=p.commodity.astype(str),
                 exporter=p.region[p.exporter].astype(str), importer=p.region[p.importer].astype(str),
                 route_commodity=p.commodity[p.exporter].astype(str))


@dataclass
class CalibratedBase:
    """A calibrated base year: its dataset, problem and entity names."""

    dataset: Dataset
    problem: Problem
    names: EntityNames
    check: dict
    seconds: float


def with_elasticities(dataset: Dataset, elasticities: Elasticities) -> Dataset:
    """The dataset with an elasticity set's rules applied (before calibration)."""
    if elasticities.empty:
        return dataset
    names = names_of(build_problem(dataset))
    m, r = dataset.markets.copy(), dataset.routes.copy()
    es, ed, ee = apply_elasticities(elasticities, names, m["supply_elasticity"].to_numpy(float),
                                    m["demand_elasticity"].to_numpy(float),
                                    r["expansion_elasticity"].to_numpy(float))
    m["supply_elasticity"], m["demand_elasticity"], r["expansion_elasticity"] = es, ed, ee
    return dataset.replace(markets=m, routes=r)


def calibrate(dataset: Dataset, elasticities: Elasticities, config: CalibrationConfig | None = None, *,
              highs_options: dict | None = None) -> CalibratedBase:
    """Calibrate the base year exactly (petra.calibration) with an elasticity set applied."""
    t0 = perf_counter()
    cal = calibrate_base_year(with_elasticities(dataset, elasticities), config or CalibrationConfig(),
                              highs_options=highs_options)
    p = build_problem(cal.dataset)
    return CalibratedBase(dataset=cal.dataset, problem=p, names=names_of(p), check=cal.check,
                          seconds=perf_counter() - t0)


@dataclass(repr=False)
class ScenarioResult:
    """One projected scenario. Tables are long frames (see module docstring)."""

    spec: ScenarioSpec
    projection: Projection
    markets: pd.DataFrame
    flows: pd.DataFrame
    iamc: pd.DataFrame
    log: pd.DataFrame
    oscillations: pd.DataFrame
    seconds: dict = field(default_factory=dict)
    embodied: pd.DataFrame | None = None    # per route, period and indicator (embodied.parquet)
    coverage: pd.DataFrame | None = None    # of every embodied total (petra.embodied.coverage)
    water: pd.DataFrame | None = None       # the focus region's virtual water indicators
    curves: pd.DataFrame | None = None      # each period's supply and demand curves (curves.parquet)

    @property
    def ok(self) -> bool:
        return self.projection.ok

    @cached_property
    def circulation(self) -> dict[int, float]:
        """Per period, total flow over the net exports needed (`circulation`)."""
        return circulation(self.markets, self.flows)

    @cached_property
    def cyclic_commodities(self) -> dict[int, int]:
        """Per period, the number of commodities whose used routes contain a directed cycle."""
        return cyclic_commodity_count(self.flows)

    def __repr__(self) -> str:
        status = "ok" if self.ok else f"failed ({self.projection.failure})"
        return (f"<ScenarioResult {self.spec.name!r}: {status}, periods {list(self.projection.periods)}, "
                f"{len(self.flows)} flow rows, {len(self.iamc)} IAMC rows>")


def demand_supply_inputs(dataset: Dataset, p: Problem, periods, levels: SspLevels | None,
                         feed_half_life: float | None = FEED_INTENSITY_HALF_LIFE):
    """(uses, feed coupling, productivity index, feed intensity) of a calibrated base year for a
    scenario's periods: the data-based demand by use and productivity trends (`petra.demand`,
    `petra.productivity`) where the dataset has their tables (None each where not); the protein feeds'
    intensity factor (T, n) per period (`petra.demand.feed_intensity`; None when feed_half_life is None
    or there is no coupling)."""
    base_year = int(dataset.metadata.get("base_year", periods[0]))
    gdp = None if levels is None else gdp_per_capita_at(dataset, levels, p.region)
    uses = None if dataset.uses is None else uses_demand(dataset, p.region, p.commodity, p.D0, base_year, gdp)
    feed = None if uses is None else feed_coupling(dataset, p.region, p.commodity, p.S0, uses)
    rates = productivity_rates(dataset, p.region, p.commodity, base_year)
    productivity = None if rates is None else productivity_index(rates, periods, base_year)
    intensity = (None if feed is None or feed_half_life is None
                 else feed_intensity(dataset.feed_history, p.region, p.commodity, base_year, periods,
                                     feed_half_life))
    return uses, feed, productivity, intensity


def check_first_period(spec: ScenarioSpec, dataset: Dataset, file: str | None) -> None:
    """InputError unless the scenario's first period is the dataset's base year."""
    base_year = dataset.metadata.get("base_year")
    if base_year is not None and int(spec.periods[0]) != int(base_year):
        raise InputError(f"key 'periods': the first period must be the base year {base_year}, not "
                         f"{spec.periods[0]} (set `base_year:` to re-base on another observed year)",
                         file=file)


def check_focus_region(sf: ScenarioFile, dataset: Dataset, file: str | None) -> None:
    """InputError unless the file's focus region is a region of the dataset (the default, CHN, is
    taken only where the dataset has it: the focus outputs are then left out)."""
    regions = set(dataset.markets["region"])
    default = ScenarioFile.model_fields["focus_region"].default
    if sf.focus_region not in regions and sf.focus_region != default:
        shown_regions = ", ".join(sorted(regions)[:12]) + (", ..." if len(regions) > 12 else "")
        raise InputError(f"key 'focus_region': region '{sf.focus_region}' is not in the dataset "
                         f"({shown_regions})", file=file)


def run_scenario(dataset: Dataset, spec: ScenarioSpec, *, config: CalibrationConfig | None = None,
                 base: CalibratedBase | None = None, embodied: bool = True,
                 tol: float = DEFAULT_TOLERANCE, highs_options: dict | None = None,
                 scenario_file: str | None = None,
                 feed_half_life: float | None = FEED_INTENSITY_HALF_LIFE) -> ScenarioResult:
    """Calibrate (unless `base` is given), project and post-process one scenario; nothing is written.

    `base` must be the calibration of `dataset` with `spec.elasticities` (it is reused across
    scenarios sharing an elasticity set). feed_half_life: the protein feeds' intensity trend
    (`petra.demand.FEED_INTENSITY_HALF_LIFE`: None off, inf kept, else the half-life in years); it acts
    only on markets whose feed use follows livestock output (no `income_elasticity` rule). Raises
    InputError for rules naming unknown regions or commodities; a failed solve is reported in the
    result (`ok` False), not raised.
    """
    t0 = perf_counter()
    check_first_period(spec, dataset, scenario_file)
    if base is None:
        base = calibrate(dataset, spec.elasticities, config, highs_options=highs_options)
    check_names(spec, base.names, file=scenario_file)
    unknown = sorted(set(spec.embodied.water_cap) - set(base.names.region))
    if unknown:
        raise InputError(f"key 'embodied.water_cap': unknown region(s) {', '.join(unknown)}",
                         file=scenario_file)
    p = base.problem
    r = base.dataset.routes
    levels = scenario_levels(dataset, spec, file=scenario_file)
    ssp_rates = None if levels is None else market_base_rates(levels, base.names.region)
    schedules = schedule_rates(base.dataset.tariff_schedules, base.names)
    check_schedules(spec, list(schedules), file=scenario_file)
    uses, feed, productivity, intensity = demand_supply_inputs(base.dataset, p, spec.periods, levels,
                                                               feed_half_life)
    arrays = driver_arrays(spec.drivers, base.names, spec.periods,
                           base_transport=r["transport_cost"].to_numpy(float),
                           base_tariff=r["tariff"].to_numpy(float),
                           exporter_price=reported_prices(p, p.P0)[p.exporter],
                           base_rates=ssp_rates,
                           income_elasticity=market_defaults(base.dataset.income_elasticities, base.names,
                                                             "income_elasticity"),
                           schedules=schedules, uses=uses, productivity=productivity)
    if intensity is not None:
        arrays = replace(arrays, feed_intensity=intensity)
    check_driver_bounds(arrays, base.names, base_supply=p.S0, base_demand=p.D0,
                        base_transport=r["transport_cost"].to_numpy(float), scenario=spec.name,
                        file=scenario_file)
    t1 = perf_counter()
    proj = project_scenario(p, arrays, tol=tol, highs_options=highs_options, feed=feed)
    t2 = perf_counter()
    markets, flows = result_tables(spec.name, p, proj, arrays)
    frames = [iamc_mod.market_variables(markets, model=spec.model,
                                        quantity_factor=quantity_to_mt(base.dataset))]
    if levels is not None:
        frames.append(iamc_mod.socioeconomic_variables(
            used_levels(levels, arrays, base.names.region, spec.name), model=spec.model))
    acc = None
    if embodied and base.dataset.intensities is not None and proj.ok:
        acc = embodied_accounts(base.dataset, markets, flows, spec)
        frames.append(acc.iamc)
    iamc = pd.concat(frames, ignore_index=True)
    log = pd.DataFrame(proj.log)
    log.insert(0, "scenario", spec.name)
    t3 = perf_counter()
    return ScenarioResult(spec=spec, projection=proj, markets=markets, flows=flows, iamc=iamc, log=log,
                          oscillations=oscillation_table(spec.name, p, proj),
                          seconds={"calibrate": base.seconds, "drivers": t1 - t0, "project": t2 - t1,
                                   "postprocess": t3 - t2},
                          embodied=None if acc is None else acc.embodied,
                          coverage=None if acc is None else acc.coverage,
                          water=None if acc is None else acc.water,
                          curves=curve_table(spec.name, p, proj))


def quantity_unit(dataset: Dataset) -> str:
    """The commodities' common quantity unit (commodities.csv; "kt" where none is given), "" if they
    differ."""
    from petra.embodied.run import flow_units_of

    units = set(flow_units_of(dataset, "kt").values())
    return units.pop() if len(units) == 1 else ""


def quantity_to_mt(dataset: Dataset) -> float:
    """Factor from the dataset's quantity unit to Mt (1e-3 for kt, the embedded datasets' unit)."""
    from petra.embodied.run import flow_units_of
    from petra.embodied.units import factor

    units = set(flow_units_of(dataset, "kt").values())
    if len(units) != 1:
        raise InputError(f"commodities have different quantity units {sorted(units)}; IAMC totals need one",
                         file=str(dataset.path))
    return factor(units.pop(), "Mt")


def result_tables(scenario: str, p: Problem, proj: Projection, arrays) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long market and flow tables of a projection (periods in order, markets/routes in file order)."""
    T, n, m = len(proj.periods), p.n_markets, p.n_routes
    per_m = np.repeat(np.asarray(proj.periods, dtype=np.int64), n)
    factor = np.ones(n) if p.price_factor is None else np.asarray(p.price_factor, dtype=float)
    supply_price = proj.P if proj.supply_price is None else proj.supply_price
    markets = pd.DataFrame({
        "scenario": scenario, "period": per_m, "region": np.tile(p.region.astype(str), T),
        "commodity": np.tile(p.commodity.astype(str), T), "production": proj.S.ravel(),
        "consumption": proj.D.ravel(), "price": proj.P.ravel(), "supply_price": supply_price.ravel(),
        "trade_price": (proj.P / factor).ravel(), "imports": proj.imports.ravel(),
        "exports": proj.exports.ravel(), "net_exports": (proj.exports - proj.imports).ravel(),
        "yield_factor": arrays.supply_factor.ravel()})
    flows = pd.DataFrame({
        "scenario": scenario, "period": np.repeat(np.asarray(proj.periods, dtype=np.int64), m),
        "exporter": np.tile(p.region[p.exporter].astype(str), T),
        "importer": np.tile(p.region[p.importer].astype(str), T),
        "commodity": np.tile(p.commodity[p.exporter].astype(str), T), "flow": proj.X.ravel(),
        "transport_cost": arrays.transport_cost.ravel(), "tariff": arrays.tariff.ravel(),
        "banned": arrays.banned.ravel(), "quota": arrays.quota.ravel(),
        "cost_adjustment": proj.adjustment.ravel(), "previous_flow": proj.flow_prev.ravel(),
        "period_elasticity": proj.elasticity.ravel(), "new_flow_slope": proj.slope.ravel()})
    if p.logit_scale is not None:  # the logit routes' parameters (welfare needs them), NaN elsewhere
        flows["logit_scale"] = np.tile(p.logit_scale, T)
        flows["log_anchor"] = np.tile(p.log_anchor, T)
    return markets, flows


def curve_table(scenario: str, p: Problem, proj: Projection) -> pd.DataFrame:
    """Each period's supply and demand curves as solved (curves.parquet; module docstring)."""
    from petra.model.recursive import CURVE_ARRAYS

    T, n = len(proj.periods), p.n_markets
    periods = np.repeat(np.asarray(proj.periods, dtype=np.int64), n)
    out = pd.DataFrame({"scenario": scenario, "period": periods,
                        "region": np.tile(p.region.astype(str), T),
                        "commodity": np.tile(p.commodity.astype(str), T)})
    for name in CURVE_ARRAYS:
        out[name] = getattr(proj, name).ravel()
    out["price_factor"] = np.tile(np.ones(n) if p.price_factor is None else p.price_factor, T)
    return out


def embodied_accounts(dataset: Dataset, markets: pd.DataFrame, flows: pd.DataFrame, spec: ScenarioSpec):
    """Embodied resources of a projection (`petra.embodied.scenario.scenario_accounts`): intensities of
    every period by the projection rule (land per tonne / the scenario's yield factor, the others
    carried from their latest known value), direct flows per route, production- and consumption-based
    accounts (re-exports traced; flows at round-off level count as zero), IAMC variables and coverage."""
    from petra.embodied.defaults import dataset_defaults
    from petra.embodied.run import check_intensity_units, flow_units_of, zero_round_off
    from petra.embodied.scenario import scenario_accounts

    check_intensity_units(dataset, flow_units_of(dataset, "kt"))
    f = zero_round_off(flows[["exporter", "importer", "commodity", "period", "flow"]].reset_index(drop=True))
    prod = markets[["region", "commodity", "period", "production"]].reset_index(drop=True)
    yf = markets[["region", "commodity", "period", "yield_factor"]].rename(columns={"yield_factor": "factor"})
    return scenario_accounts(dataset.intensities, prod, f, yf, int(markets["period"].min()),
                             flow_units_of(dataset, "kt"), model=spec.model, scenario=spec.name,
                             partners_of=spec.focus_region if spec.embodied.partners else None,
                             water_region=spec.focus_region, thresholds=spec.embodied.pressure_thresholds,
                             water_cap=dict(spec.embodied.water_cap),
                             defaults=dataset_defaults(dataset, flow_units_of(dataset, "kt")))


COVERAGE_CSV_COLUMNS = ["scenario", "region", "commodity", "period", "indicator", "account", "covered",
                        "volume", "coverage"]
COVERAGE_ACCOUNTS = ("imports", "exports", "production_based", "consumption_traced")
COVERAGE_PRINTED = ("land", "pasture", "water_blue", "water_green", "nitrogen", "n2o", "ch4", "co2e")
"""Indicators of the printed coverage table (gas sources such as ch4_enteric apply to a few products)."""


def coverage_summary(coverage: pd.DataFrame, region: str) -> dict:
    """{scenario: {account: {indicator: {period: coverage}}}} of one region (summary.json)."""
    c = coverage[(coverage["region"] == region) & coverage["account"].isin(COVERAGE_ACCOUNTS)
                 & (coverage["commodity"] == "total")]
    out: dict = {}
    for row in c.itertuples(index=False):
        v = None if pd.isna(row.coverage) else round(float(row.coverage), 6)
        out.setdefault(row.scenario, {}).setdefault(row.account, {}).setdefault(row.indicator, {})[
            str(int(row.period))] = v
    return out


def coverage_lines(run: RunResult, region: str, account: str = "imports") -> list[str]:
    """A plain-text table of one region's embodied coverage (min over scenarios) per indicator and
    period, for the command line."""
    parts = [r.coverage for r in run.results if r.ok and r.coverage is not None]
    if not parts:
        return []
    c = pd.concat(parts, ignore_index=True)
    c = c[(c["region"] == region) & (c["account"] == account) & (c["commodity"] == "total")]
    if c.empty:
        return []
    c = c[c["indicator"].isin(COVERAGE_PRINTED)]
    w = c.groupby(["indicator", "period"])["coverage"].min().unstack("period")
    w = w.reindex([i for i in COVERAGE_PRINTED if i in w.index])
    head = f"{'indicator':<20}" + "".join(f"{int(p):>8}" for p in w.columns)
    lines = [f"embodied {account} of {region}: share of the volume covered by intensities "
             "(lowest over scenarios)", head]
    for ind, row in w.iterrows():
        lines.append(f"{ind:<20}" + "".join(f"{v:>8.1%}" if pd.notna(v) else f"{'-':>8}" for v in row))
    return lines


def circulation(markets: pd.DataFrame, flows: pd.DataFrame) -> dict[int, float]:
    """Per period, total bilateral flow over the net exports the markets need (sum over markets of
    max(production - consumption, 0)): 1 when every unit travels once from a net exporter to a net
    importer; above 1 with transshipment or trade circulating around cycles (dimensionless)."""
    markets = markets.dropna(subset=["production", "consumption"])  # periods a failed solve left NaN
    flows = flows.dropna(subset=["flow"])
    need = (markets["production"] - markets["consumption"]).clip(lower=0.0).groupby(markets["period"]).sum()
    total = flows["flow"].groupby(flows["period"]).sum()
    return {int(k): float(total[k] / need[k]) if need[k] > 0 else float("nan") for k in total.index}


def cyclic_commodity_count(flows: pd.DataFrame) -> dict[int, int]:
    """Per period, commodities whose routes with flow > 0 contain a directed cycle (trade going round:
    0 for an equilibrium with positive trade costs; above 1 circulation is then transshipment)."""
    used = flows[flows["flow"] > 0]
    ends = [pd.MultiIndex.from_arrays([used["commodity"], used[side]]) for side in ("exporter", "importer")]
    nodes = ends[0].append(ends[1]).unique()
    exporter, importer = nodes.get_indexer(ends[0]), nodes.get_indexer(ends[1])
    node_commodity = nodes.get_level_values(0).to_numpy()
    out = {}
    for period in sorted(flows["period"].unique()):
        here = (used["period"] == period).to_numpy()
        cyc = on_directed_cycle(exporter[here], importer[here], len(nodes))
        out[int(period)] = int(pd.unique(node_commodity[cyc]).size)
    return out


def oscillation_table(scenario: str, p: Problem, proj: Projection) -> pd.DataFrame:
    """Routes whose status flips back between periods and markets whose price zig-zags."""
    rows = []
    if proj.ok:
        flips = route_flips(proj.X)
        for r in np.flatnonzero(flips):
            rows.append({"scenario": scenario, "kind": "route on/off", "what": p.route_label(int(r)),
                         "count": int(flips[r]),
                         "pattern": " ".join("on" if x > 0 else "off" for x in proj.X[:, r])})
        zz = price_zigzags(proj.P)
        for i in np.flatnonzero(zz):
            rows.append({"scenario": scenario, "kind": "price zig-zag", "what": p.market_label(int(i)),
                         "count": int(zz[i]), "pattern": " ".join(f"{x:.4g}" for x in proj.P[:, i])})
    return pd.DataFrame(rows, columns=["scenario", "kind", "what", "count", "pattern"])


@dataclass(repr=False)
class RunResult:
    """Every scenario of a run, the resolved configuration and the calibration checks."""

    scenario_file: Path | None  # None: a spec given as a mapping
    dataset: Dataset
    resolved: dict
    results: list[ScenarioResult]
    calibration: dict
    notes: list[str] = field(default_factory=list)
    files: tuple[Path, ...] = ()  # every file and folder the run read (RunInputs.files)

    @property
    def failures(self) -> list[ScenarioResult]:
        return [r for r in self.results if not r.ok]

    def _ok(self, table: str) -> pd.DataFrame:
        frames = [getattr(r, table) for r in self.results if r.ok]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    @property
    def iamc_frame(self) -> pd.DataFrame:
        """The IAMC results of the scenarios that solved as a long frame (model, scenario, region,
        variable, unit, year, value), the rows of iamc.csv."""
        return self._ok("iamc")

    @property
    def iamc(self):
        """The IAMC results of the scenarios that solved as a `pyam.IamDataFrame` (what iamc.csv holds);
        `iamc_frame` is the same as a pandas long frame."""
        return iamc_mod.to_pyam(self.iamc_frame)

    @property
    def markets(self) -> pd.DataFrame:
        """Every market x period of the scenarios that solved (markets.parquet)."""
        return self._ok("markets")

    @property
    def flows(self) -> pd.DataFrame:
        """Every route x period of the scenarios that solved (flows.parquet)."""
        return self._ok("flows")

    def __repr__(self) -> str:
        names = ", ".join(f"{r.spec.name} ({'ok' if r.ok else 'failed'})" for r in self.results)
        source = self.scenario_file.name if self.scenario_file is not None else SPEC_LABEL
        return f"<RunResult {source}: {len(self.results)} scenarios: {names}>"


def resolved_config(sf: ScenarioFile, specs: list[ScenarioSpec], dataset: Path,
                    config: CalibrationConfig) -> dict:
    """The configuration actually run as a scenario file `petra run` reads again (scenarios.yaml):
    `extends` resolved, the dataset as an absolute path, the calibration and embodied settings with
    every default filled in, the base block and each scenario run with its own block (a scenario runs
    the base block's rules, then its own: `scenario_config.resolve`)."""
    out = {"dataset": str(dataset), "base_year": sf.base_year, "model": sf.model,
           "periods": list(sf.periods), "focus_region": sf.focus_region,
           "embodied": sf.embodied.model_dump(mode="json"), "calibration": config.model_dump(mode="json"),
           "base": _block(sf.base),
           "scenarios": {spec.name: _block(sf.scenarios[spec.name]) for spec in specs}}
    if sf.uncertainty:  # not run (`petra ensemble` draws them), kept so that the file is the whole input
        out["uncertainty"] = [_block(rule) for rule in sf.uncertainty]
    return out


def _block(block) -> dict:
    """A base or scenario block (or an uncertainty rule) as the scenario file gives it, without the keys
    left at their default (an empty description, no SSP, a rule's missing selectors and periods)."""
    return block.model_dump(mode="json", by_alias=True, exclude_defaults=True)


def load_calibration_config(sf: ScenarioFile, file: str) -> CalibrationConfig:
    """The scenario file's `calibration` block as settings (InputError naming the key)."""
    return parse_config(sf.calibration, file, key_prefix=("calibration",))


@dataclass(frozen=True)
class RunInputs:
    """A scenario file read and validated with what it names: the scenarios to run (resolved), the
    dataset and the calibration settings."""

    path: Path | None  # None: a spec given as a mapping
    file: ScenarioFile
    names: list[str]
    specs: list[ScenarioSpec]
    dataset_path: Path
    dataset: Dataset
    config: CalibrationConfig
    files: tuple[Path, ...] = ()  # every file and folder read: the scenario file, the files it extends,
    # the dataset folder (what an output folder must not contain)


def load_run_inputs(scenario_file: str | Path | Mapping | None = None,
                    names: list[str] | None = None) -> RunInputs:
    """Read a scenario file (default: the shipped runs/default.yaml) or take a spec given as a mapping
    (the parsed form of a file), resolve its scenarios (all unless `names`), load its dataset and
    calibration settings; InputError naming the key (and the file, or SPEC_LABEL for a mapping)."""
    if isinstance(scenario_file, Mapping):  # a spec from Python: the parsed form of a file
        path, label = None, SPEC_LABEL
        sf, files = scenario_spec_and_sources(scenario_file)
    else:
        if scenario_file is not None and not isinstance(scenario_file, str | os.PathLike):
            raise InputError(f"a scenario spec must be a scenario file path or a mapping, not a "
                             f"{type(scenario_file).__name__}", file=SPEC_LABEL)
        path = Path(scenario_file) if scenario_file is not None else default_scenario_file()
        label = str(path)
        sf, files = scenario_file_and_sources(path)
    names = list(names) if names else list(sf.scenarios)
    twice = next((n for i, n in enumerate(names) if n in names[:i]), None)
    if twice is not None:
        raise InputError(f"--scenario: scenario '{twice}' is named twice", file=label)
    specs = [resolve(sf, n, file=label) for n in names]
    for spec in specs:
        check_rule_periods(spec, file=label)
    ds_path = dataset_path(sf.dataset, path) if path is not None else _spec_dataset_path(sf.dataset)
    dataset = load_dataset(ds_path)
    if sf.base_year is not None:
        try:
            dataset = at_base_year(dataset, sf.base_year)
        except InputError as exc:
            raise InputError(f"key 'base_year': {exc}", file=label) from None
    check_focus_region(sf, dataset, label)
    for spec in specs:  # up front, so that `petra ensemble` exits 2 instead of failing every draw
        check_first_period(spec, dataset, label)
        scenario_levels(dataset, spec, file=label)
    return RunInputs(path=path, file=sf, names=names, specs=specs, dataset_path=ds_path,
                     dataset=dataset, config=load_calibration_config(sf, label),
                     files=(*files, ds_path.resolve()))


def _spec_dataset_path(name: str) -> Path:
    """A Python spec's `dataset`: embedded name or folder relative to the working directory."""
    try:
        return dataset_path(name)
    except InputError as exc:
        raise InputError(str(exc), file=SPEC_LABEL) from None


def run_scenarios(scenario_file: str | Path | Mapping | None = None, names: list[str] | None = None, *,
                  progress=None, tol: float = DEFAULT_TOLERANCE, embodied: bool = True,
                  feed_half_life: float | None = FEED_INTENSITY_HALF_LIFE) -> RunResult:
    """Run scenarios of a file or of a spec given as a mapping (default: the shipped
    runs/default.yaml; all its scenarios unless `names`); nothing is written.
    `progress(done, total, label)` is called after each scenario; feed_half_life: see `run_scenario`."""
    check_tolerance(tol)
    return run_inputs(load_run_inputs(scenario_file, names), progress=progress, tol=tol, embodied=embodied,
                      feed_half_life=feed_half_life)


def run_inputs(inputs: RunInputs, *, progress=None, tol: float = DEFAULT_TOLERANCE,
               embodied: bool = True, feed_half_life: float | None = FEED_INTENSITY_HALF_LIFE) -> RunResult:
    """Run the scenarios of loaded run inputs (`load_run_inputs`); nothing is written."""
    check_tolerance(tol)
    path, sf, specs, dataset, config = inputs.path, inputs.file, inputs.specs, inputs.dataset, inputs.config
    label = str(path) if path is not None else SPEC_LABEL
    bases: dict[Elasticities, CalibratedBase] = {}
    results = []
    for i, spec in enumerate(specs):
        if spec.elasticities not in bases:
            bases[spec.elasticities] = calibrate(dataset, spec.elasticities, config)
        results.append(run_scenario(dataset, spec, config=config, base=bases[spec.elasticities],
                                    embodied=embodied, tol=tol, scenario_file=label,
                                    feed_half_life=feed_half_life))
        if progress is not None:
            progress(i + 1, len(specs), spec.name)
    calib = {f"set {i}": b.check for i, b in enumerate(bases.values())}
    resolved = resolved_config(sf, specs, inputs.dataset_path, config)
    notes = []
    if getattr(sf, "uncertainty", None):
        notes.append(f"the file's {len(sf.uncertainty)} uncertainty rule(s) are for `petra ensemble`; "
                     "`petra run` solves the central case")
    return RunResult(scenario_file=path, dataset=dataset, resolved=resolved, results=results,
                     calibration=calib, notes=notes, files=inputs.files)


def write_run(run: RunResult, out: str | Path, *, plots: bool = True,
              focus_region: str | None = None, also_read: Sequence[Path | None] = ()) -> None:
    """Write a run's outputs to `out` all-or-nothing (see module docstring). `out` may contain none of
    the files the run read nor `also_read` (the command's other inputs, such as a --db file)."""
    from petra.atomic import atomic_output_dir
    from petra.projection import outputs

    ok = [r for r in run.results if r.ok]
    inputs = [*run.files, run.scenario_file, run.dataset.path, *also_read]
    with atomic_output_dir(out, "run", inputs) as tmp:
        outputs.write_iamc(pd.concat([r.iamc for r in ok], ignore_index=True) if ok else None, tmp)
        outputs.write_parquet(pd.concat([r.flows for r in ok], ignore_index=True) if ok else None,
                              tmp / "flows.parquet")
        outputs.write_parquet(pd.concat([r.markets for r in ok], ignore_index=True) if ok else None,
                              tmp / "markets.parquet")
        outputs.write_parquet(pd.concat([r.curves for r in ok], ignore_index=True) if ok else None,
                              tmp / "curves.parquet")
        with_embodied = [r for r in ok if r.embodied is not None]
        if with_embodied:
            outputs.write_parquet(pd.concat([r.embodied for r in with_embodied], ignore_index=True),
                                  tmp / "embodied.parquet")
            coverage = pd.concat([r.coverage for r in with_embodied], ignore_index=True)
            coverage[COVERAGE_CSV_COLUMNS].to_csv(tmp / "embodied_coverage.csv", index=False,
                                                  float_format="%.6g")
            water = [r.water for r in with_embodied if r.water is not None]
            if water:
                w = pd.concat(water, ignore_index=True)
                w[["scenario", *[c for c in w.columns if c != "scenario"]]].to_csv(
                    tmp / "embodied_water.csv", index=False, float_format="%.8g", na_rep="")
        log = pd.concat([r.log for r in run.results], ignore_index=True)
        log.to_csv(tmp / "run_log.csv", index=False, float_format="%.6g")
        pd.concat([r.oscillations for r in run.results], ignore_index=True).to_csv(
            tmp / "oscillations.csv", index=False)
        (tmp / "scenarios.yaml").write_text(dump_yaml(run.resolved), encoding="utf-8")
        if plots and ok:
            outputs.write_plots(ok, tmp / "plots", focus_region=focus_region or run.resolved["focus_region"])
        summary = {
            "scenario_file": str(run.scenario_file) if run.scenario_file else None,
            "dataset": run.resolved["dataset"],
            "periods": run.resolved["periods"], "quantity_unit": quantity_unit(run.dataset),
            "calibration_check": run.calibration,
            "scenarios": {r.spec.name: {"ok": r.ok, "failure": r.projection.failure,
                                        "solves": len(r.log),
                                        "max_certificate": float(r.log["certificate"].max())
                                        if len(r.log) else None,
                                        "oscillations": int(len(r.oscillations)),
                                        "circulation": r.circulation,
                                        "cyclic_commodities": r.cyclic_commodities}
                          for r in run.results},
        }
        focus = focus_region or run.resolved["focus_region"]
        if with_embodied:
            summary["embodied_coverage"] = {
                "what": f"share of {focus}'s volume (imports, exports, production, consumption) whose "
                        "commodities have a known intensity; embodied totals sum those commodities",
                "region": focus, "scenarios": coverage_summary(coverage, focus)}
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2, default=float) + "\n",
                                          encoding="utf-8")

