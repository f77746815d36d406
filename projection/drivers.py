"""Scenario drivers as arrays: per period, market shifts, route trade costs and bans (pure functions).

Markets are indexed as in a `Problem` (region, commodity arrays), routes as its exporter/importer.
A rule's selectors are matched against names; for each entity and period the last matching rule
wins (see `petra.projection.scenario_config`). Periods are years t_0 < t_1 < ...; growth from
t_{k-1} to t_k compounds over dt = t_k - t_{k-1} years:

* demand anchor  D0_k = D0_{k-1} * (1 + pop/100)^dt * ((1 + inc/100)^dt)^eta
  (population growth, per-capita income growth, income elasticity of demand eta); where no rule
  matches, pop and inc are the scenario's SSP rates if it names one (`base_rates`), else 0;
* supply anchor  S0_k = S0_{k-1} * (1 + yield/100)^dt  (productivity shifts the supply curve
  horizontally, keeping its price elasticity at the base price);
* transport cost T_k = T_{k-1} * (1 + g/100)^dt;
* tariff at t_k: the last matching tariff rule's value (specific USD/t, ad valorem x the
  exporter's base-year price, or scale x the dataset's tariff), else the dataset's tariff; plus, for
  each `tariff_schedules` rule covering t_k, the named schedule's ad valorem x the exporter's base-year
  price on the routes it lists (and the rule's selectors keep);
* income elasticity: the last matching `income_elasticity` rule, else the dataset's per-market default
  (income_elasticities.csv), else 0;
* banned routes carry no trade in the periods their rule covers;
* a quota caps a route's flow (last matching rule's max_flow; +inf where none).

The base period t_0 has factors 1 (growth rules have nothing to compound) while tariff and ban rules
covering t_0 do apply. Rates are > -100 %/yr (validated), so every factor is positive and no
quantity can turn negative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from petra import bounds
from petra.demand import UsesDemand, non_feed_demand
from petra.errors import InputError
from petra.projection.rule_index import EntityIndex
from petra.projection.scenario_config import Drivers, Elasticities, ScenarioSpec


@dataclass(frozen=True)
class DriverArrays:
    """Per-period arrays (first axis: period) of one scenario, in data units.

    supply_factor, demand_factor: (T, n_markets) cumulative factors on the base anchors S0, D0.
    population_factor, income_factor: (T, n_markets) cumulative population and per-capita income
    factors from the base period (the growth the run used, rules and SSP together).
    fed: (n_markets) bool, markets whose demand_factor covers food and other uses only: their feed use
    follows the period's livestock output (`petra.demand.FeedCoupling`); None: none.
    feed_intensity: (T, n_markets) feed per unit of requirement-weighted livestock output relative to
    the base year (dimensionless, `petra.demand.feed_intensity`); None: the base-year intensity.
    transport_cost, tariff: (T, n_routes) currency per unit; banned: (T, n_routes) bool;
    quota: (T, n_routes) commodity unit, +inf where none.
    """

    periods: tuple[int, ...]
    supply_factor: np.ndarray
    demand_factor: np.ndarray
    transport_cost: np.ndarray
    tariff: np.ndarray
    banned: np.ndarray
    quota: np.ndarray
    population_factor: np.ndarray
    income_factor: np.ndarray
    fed: np.ndarray | None = None
    feed_intensity: np.ndarray | None = None


@dataclass(frozen=True)
class BaseRates:
    """Growth where no rule matches (a scenario's SSP): (T, n_markets) % per year, row k the growth from
    period k-1 to k (row 0 unused); NaN where none."""

    population: np.ndarray
    income: np.ndarray


@dataclass(frozen=True)
class EntityNames:
    """The entity names rules are matched against: per market (region, commodity) and per route
    (exporter, importer, commodity)."""

    region: np.ndarray
    commodity: np.ndarray
    exporter: np.ndarray
    importer: np.ndarray
    route_commodity: np.ndarray

    @property
    def regions(self) -> set[str]:
        return set(self.region.tolist())

    @property
    def commodities(self) -> set[str]:
        return set(self.commodity.tolist())


def market_index(names: EntityNames) -> EntityIndex:
    """Markets by region and commodity (the selectors of market rules)."""
    return EntityIndex({"region": names.region, "commodity": names.commodity})


def route_index(names: EntityNames) -> EntityIndex:
    """Routes by exporter, importer and commodity (the selectors of route rules)."""
    return EntityIndex({"exporter": names.exporter, "importer": names.importer,
                        "commodity": names.route_commodity})


def last_match(rules: Sequence, index: EntityIndex, period: int | None, attr: str = "value") -> np.ndarray:
    """Per entity, `attr` of the last rule matching it (and `period`, if the rules have periods);
    NaN where none matches."""
    out = np.full(index.n, np.nan)
    for rule in rules:
        if period is not None and hasattr(rule, "applies") and not rule.applies(period):
            continue
        out[index.positions(rule)] = getattr(rule, attr)
    return out


def check_names(spec: ScenarioSpec, names: EntityNames, *, file: str | None = None) -> None:
    """InputError naming the rule and key of the first unknown region or commodity."""
    regions, commodities = names.regions, names.commodities
    groups = {"drivers": spec.drivers, "elasticities": spec.elasticities}
    for gname, group in groups.items():
        for key in type(group).model_fields:
            for i, rule in enumerate(getattr(group, key)):
                for attr in ("region", "exporter", "importer", "commodity"):
                    sel = getattr(rule, attr, None)
                    if sel is None:
                        continue
                    known = commodities if attr == "commodity" else regions
                    bad = [s for s in sel if s not in known]
                    if bad:
                        what = "commodity" if attr == "commodity" else "region"
                        raise InputError(
                            f"scenario '{spec.name}': key '{gname}.{key}[{i}].{attr}': unknown {what} "
                            f"'{bad[0]}' (known: {', '.join(sorted(known))})", file=file)


def check_rule_periods(spec: ScenarioSpec, *, file: str | None = None) -> None:
    """InputError naming the first driver rule whose `from` or `until` lies between the first and last
    period but is not one of them (it would silently start or end at another period). Years before the
    first or after the last period are allowed (a rule for 2060 in a run to 2050 never applies)."""
    periods = set(spec.periods)
    first, last = spec.periods[0], spec.periods[-1]
    for key in type(spec.drivers).model_fields:
        for i, rule in enumerate(getattr(spec.drivers, key)):
            for attr, label in (("from_", "from"), ("until", "until")):
                year = getattr(rule, attr, None)
                if year is not None and first <= year <= last and year not in periods:
                    raise InputError(f"scenario '{spec.name}': key 'drivers.{key}[{i}].{label}': {year} is "
                                     f"not a model period ({', '.join(map(str, spec.periods))})", file=file)


# which drivers make each compounded quantity (named in the message when it leaves its bounds)
_FACTOR_KEYS = {"demand": "population_growth, income_growth and income_elasticity",
                "supply": "yield_growth", "transport cost": "transport_cost_growth"}


def check_driver_bounds(arrays: DriverArrays, names: EntityNames, *, base_supply: np.ndarray,
                        base_demand: np.ndarray, base_transport: np.ndarray, scenario: str,
                        file: str | None = None) -> None:
    """InputError unless every compounded driver factor lies within [DRIVER_FACTOR_MIN,
    DRIVER_FACTOR_MAX] of the base year, quantities stay <= QUANTITY_MAX and costs <= PRICE_MAX
    (petra.bounds): no scenario may hand the solver magnitudes it cannot take."""
    market = [f"{r}/{c}" for r, c in zip(names.region, names.commodity, strict=True)]
    route = [f"{e}->{i}/{c}" for e, i, c in zip(names.exporter, names.importer, names.route_commodity,
                                                   strict=True)]
    base_t = np.asarray(base_transport, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_factor = np.where(base_t > 0, arrays.transport_cost / base_t, 1.0)
    checks = [("demand", arrays.demand_factor, market), ("supply", arrays.supply_factor, market),
              ("transport cost", t_factor, route)]
    for what, factor, labels in checks:
        bad = ~np.isfinite(factor) | (factor < bounds.DRIVER_FACTOR_MIN) | (factor > bounds.DRIVER_FACTOR_MAX)
        if what == "demand" and arrays.fed is not None:
            # a fed market's factor covers its food and other uses only, which may be 0 (all feed)
            bad &= ~(arrays.fed & (factor >= 0.0) & (factor <= bounds.DRIVER_FACTOR_MAX))
        if bad.any():
            k, j = np.argwhere(bad)[0]
            raise InputError(
                f"scenario '{scenario}': key '{_FACTOR_KEYS[what]}': the {what} of {labels[j]} compounds to "
                f"{factor[k, j]:.3g} x its base-year level by {arrays.periods[k]}; petra accepts "
                f"{bounds.DRIVER_FACTOR_MIN:g} to {bounds.DRIVER_FACTOR_MAX:g}", file=file)
    for what, values, top, labels in (
            ("demand", arrays.demand_factor * np.asarray(base_demand, float), bounds.QUANTITY_MAX, market),
            ("supply", arrays.supply_factor * np.asarray(base_supply, float), bounds.QUANTITY_MAX, market),
            ("transport cost", arrays.transport_cost, bounds.PRICE_MAX, route),
            ("tariff", arrays.tariff, bounds.PRICE_MAX, route)):
        bad = ~np.isfinite(values) | (values > top)
        if bad.any():
            k, j = np.argwhere(bad)[0]
            key = "tariffs" if what == "tariff" else _FACTOR_KEYS[what]
            raise InputError(f"scenario '{scenario}': key '{key}': the {what} of {labels[j]} reaches "
                             f"{values[k, j]:.3g} in {arrays.periods[k]}; petra accepts at most {top:g}",
                             file=file)


def market_defaults(table: pd.DataFrame | None, names: EntityNames, column: str) -> np.ndarray:
    """Per market of `names`, `column` of `table` (region, commodity, column); 0 where absent."""
    if table is None or table.empty:
        return np.zeros(len(names.region))
    lut = dict(zip(zip(table["region"], table["commodity"], strict=True), table[column].astype(float),
                   strict=True))
    return np.array([lut.get((r, c), 0.0) for r, c in zip(names.region, names.commodity, strict=True)])


def schedule_rates(table: pd.DataFrame | None, names: EntityNames) -> dict[str, np.ndarray]:
    """Per schedule name of `table` (tariff_schedules.csv), the ad valorem of each route of `names`
    (fraction; 0 on routes the schedule does not list)."""
    if table is None or table.empty:
        return {}
    keys = list(zip(names.exporter, names.importer, names.route_commodity, strict=True))
    out = {}
    for name, g in table.groupby("schedule", sort=True):
        lut = dict(zip(zip(g["exporter"], g["importer"], g["commodity"], strict=True),
                       g["ad_valorem"].astype(float), strict=True))
        out[str(name)] = np.array([lut.get(k, 0.0) for k in keys])
    return out


def check_schedules(spec: ScenarioSpec, known: Sequence[str], *, file: str | None = None) -> None:
    """InputError naming the first `tariff_schedules` rule whose name the dataset does not define."""
    for i, rule in enumerate(spec.drivers.tariff_schedules):
        if rule.name not in known:
            have = ", ".join(sorted(known)) or "none: the dataset has no tariff_schedules.csv"
            raise InputError(f"scenario '{spec.name}': key 'drivers.tariff_schedules[{i}].name': unknown "
                             f"tariff schedule '{rule.name}' (known: {have})", file=file)


def _rate_factor(rate: np.ndarray, years: int) -> np.ndarray:
    with np.errstate(over="ignore"):
        return (1.0 + np.nan_to_num(rate, nan=0.0) / 100.0) ** years


def _or_base(rate: np.ndarray, base: np.ndarray | None) -> np.ndarray:
    """The rules' rates, the base rates where no rule matched (NaN)."""
    return rate if base is None else np.where(np.isnan(rate), base, rate)


def driver_arrays(drivers: Drivers, names: EntityNames, periods: Sequence[int], *, base_transport: np.ndarray,
                  base_tariff: np.ndarray, exporter_price: np.ndarray,
                  base_rates: BaseRates | None = None, income_elasticity: np.ndarray | None = None,
                  schedules: dict[str, np.ndarray] | None = None, uses: UsesDemand | None = None,
                  productivity: np.ndarray | None = None) -> DriverArrays:
    """The scenario's per-period arrays (see module docstring).

    base_transport, base_tariff: the dataset's per-route costs; exporter_price: each route's
    exporter base-year price (for ad valorem tariffs), all currency per unit; base_rates: population
    and income growth where no rule matches (the scenario's SSP). income_elasticity: the
    per-market default where no rule matches (None: 0); schedules: ad valorem per route of each named
    tariff schedule (`schedule_rates`; a rule naming another schedule is InputError, `check_schedules`).
    uses: demand by use (`petra.demand.uses_demand`): every market without an `income_elasticity` rule
    takes food (falling income elasticity) + other uses as its demand factor, and its feed from the
    livestock coupling where it has feed use (`fed`); productivity: (T, n) cumulative productivity
    factor (`petra.productivity.productivity_index`) where no `yield_growth` rule matches.
    """
    n, m, T = len(names.region), len(names.exporter), len(periods)
    mi, ri = market_index(names), route_index(names)
    region_index = EntityIndex({"region": names.region})
    sf = np.ones((T, n))
    df = np.ones((T, n))
    popf = np.ones((T, n))
    incf = np.ones((T, n))
    tc = np.empty((T, m))
    tariff = np.empty((T, m))
    banned = np.zeros((T, m), dtype=bool)
    quota = np.full((T, m), np.inf)
    eta = last_match(drivers.income_elasticity, mi, None)
    by_use = np.zeros(n, dtype=bool) if uses is None else np.isnan(eta) & uses.split
    default_eta = np.zeros(n) if income_elasticity is None else np.asarray(income_elasticity, dtype=float)
    eta = np.where(np.isnan(eta), default_eta, eta)
    transport = np.asarray(base_transport, dtype=float).copy()
    for k, t in enumerate(periods):
        if k > 0:
            dt = t - periods[k - 1]
            pop_rate = _or_base(last_match(drivers.population_growth, region_index, t),
                                None if base_rates is None else base_rates.population[k])
            inc_rate = _or_base(last_match(drivers.income_growth, region_index, t),
                                None if base_rates is None else base_rates.income[k])
            pop, inc = _rate_factor(pop_rate, dt), _rate_factor(inc_rate, dt)
            popf[k], incf[k] = popf[k - 1] * pop, incf[k - 1] * inc
            rule = last_match(drivers.yield_growth, mi, t)
            yld = _rate_factor(rule, dt)
            if productivity is not None:
                yld = np.where(np.isnan(rule), productivity[k] / productivity[k - 1], yld)
            with np.errstate(over="ignore", under="ignore", invalid="ignore"):
                df[k] = df[k - 1] * pop * inc ** eta
            sf[k] = sf[k - 1] * yld
            transport = transport * _rate_factor(last_match(drivers.transport_cost_growth, ri, t), dt)
        tc[k] = transport
        tariff[k] = tariff_at(drivers, ri, t, base_tariff, exporter_price, schedules)
        for rule in drivers.bans:
            if rule.applies(t):
                banned[k, ri.positions(rule)] = True
        q = last_match(drivers.quotas, ri, t, attr="max_flow")
        quota[k] = np.where(np.isnan(q), np.inf, q)
    fed = None
    if uses is not None:
        total = uses.food + uses.feed + uses.other
        with np.errstate(divide="ignore", invalid="ignore"):
            by_use_factor = np.where(total > 0, non_feed_demand(uses, popf, incf)
                                     / np.where(total > 0, total, 1.0), popf)
        df = np.where(by_use, by_use_factor, df)
        fed = by_use & (uses.feed > 0)
    return DriverArrays(periods=tuple(periods), supply_factor=sf, demand_factor=df, transport_cost=tc,
                        tariff=tariff, banned=banned, quota=quota, population_factor=popf,
                        income_factor=incf, fed=fed)


def tariff_at(drivers: Drivers, routes: EntityIndex, period: int,
              base_tariff: np.ndarray, exporter_price: np.ndarray,
              schedules: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """Per-route tariff in `period`: the last matching rule's (specific, ad valorem or scaled) value,
    plus the ad valorem x exporter price of every named schedule a `tariff_schedules` rule switches on."""
    out = np.asarray(base_tariff, dtype=float).copy()
    for rule in drivers.tariffs:
        if not rule.applies(period):
            continue
        sel = routes.positions(rule)
        if rule.specific is not None:
            out[sel] = rule.specific
        elif rule.ad_valorem is not None:
            out[sel] = rule.ad_valorem * exporter_price[sel]
        else:
            out[sel] = rule.scale * np.asarray(base_tariff, dtype=float)[sel]
    for i, rule in enumerate(drivers.tariff_schedules):
        if not rule.applies(period):
            continue
        if rule.name not in (schedules or {}):
            raise InputError(f"key 'drivers.tariff_schedules[{i}].name': unknown tariff schedule "
                             f"'{rule.name}'")
        sel = routes.positions(rule)
        out[sel] += schedules[rule.name][sel] * np.asarray(exporter_price, dtype=float)[sel]
    return out


def apply_elasticities(elasticities: Elasticities, names: EntityNames, supply: np.ndarray, demand: np.ndarray,
                       expansion: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Supply, demand (per market) and expansion (per route) elasticities with the set's rules applied."""
    mi, ri = market_index(names), route_index(names)
    es = last_match(elasticities.supply, mi, None)
    ed = last_match(elasticities.demand, mi, None)
    ee = last_match(elasticities.expansion, ri, None)
    return (np.where(np.isnan(es), supply, es), np.where(np.isnan(ed), demand, ed),
            np.where(np.isnan(ee), expansion, ee))
