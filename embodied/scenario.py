"""Embodied accounts of one projected scenario (what `petra run` reports and `petra embodied RUN_DIR`
recomputes from a run's files): projected intensities, direct embodied flows per route, production- and
consumption-based accounts with re-exports traced, IAMC variables and the coverage of every total.

Inputs are long tables of one scenario: production (region, commodity, period, production) and flows
(exporter, importer, commodity, period, flow) in the commodities' unit, the dataset's intensities, the
cumulative yield factor of each market and period (region, commodity, period, factor; 1 at the base
period) and the base period. Intensities of every period follow `petra.embodied.projected`.

With the dataset's default inputs (`petra.embodied.defaults`): livestock products take the land, water and
N of their feed (`petra.embodied.feed.feed_intensities`, at the exporter's projected feed intensities and
domestic share of its feed supply in the period) in the route flows (imports, exports, partners), while
production- and traced consumption-based accounts keep the livestock products without feed (their feed
crops are already counted as crops there: no double count); and each route's cropland carries its share
of the exporter's deforestation CO2 (`petra.embodied.deforestation`, indicator ``deforestation_co2``), the
areas being production x land of each period and, before the first, of the observed year one period
step earlier.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from petra.embodied import coverage as cov
from petra.embodied import embodied_math as em
from petra.embodied import units
from petra.embodied import water_indicators as wi
from petra.embodied.defaults import DefaultInputs
from petra.embodied.deforestation import deforestation_flows, period_emissions
from petra.embodied.feed import domestic_share, feed_intensities, with_feed
from petra.embodied.iamc import iamc_table, partner_iamc
from petra.embodied.projected import project_intensities

EMBODIED_PARQUET_COLUMNS = ["scenario", "period", "exporter", "importer", "commodity", "indicator", "value",
                            "unit"]


@dataclass
class ScenarioAccounts:
    """A scenario's embodied outputs (see module docstring)."""

    scenario: str
    intensities: pd.DataFrame   # projected.PROJECTED_COLUMNS
    embodied: pd.DataFrame      # EMBODIED_PARQUET_COLUMNS, one row per used route, period and indicator
    accounts: pd.DataFrame      # embodied_math.accounts (traced)
    coverage: pd.DataFrame      # coverage.COVERAGE_COLUMNS
    iamc: pd.DataFrame          # model, scenario, region, variable, unit, year, value
    water: pd.DataFrame | None = None   # virtual water indicators of one region (water_indicators)


def scenario_accounts(intensities: pd.DataFrame, production: pd.DataFrame, flows: pd.DataFrame,
                      yield_factor: pd.DataFrame | None, base_period: int, flow_units: dict[str, str] | str,
                      *, model: str, scenario: str, partners_of: str | None = None,
                      water_region: str | None = None, thresholds: tuple[float, float] = (1 / 3, 2 / 3),
                      water_cap: dict[str, float] | None = None,
                      defaults: DefaultInputs | None = None) -> ScenarioAccounts:
    """Every embodied output of one scenario (nothing written). With `partners_of` (a region), the IAMC
    table also holds that region's embodied imports from each partner as directional regions
    (`petra.embodied.iamc.partner_iamc`). With `water_region`, `water` holds its virtual water
    indicators (`petra.embodied.water_indicators`: content, trade, stress against `water_cap` (km3 per
    year by region), pressure index over the scenario's periods graded by `thresholds`)."""
    ints = em.derive_ghg(intensities)
    periods = sorted({int(p) for p in flows["period"]} | {int(p) for p in production["period"]})
    proj = project_intensities(ints, periods, base_period, yield_factor)
    table = proj.drop(columns="known_period")
    defaults = defaults or DefaultInputs()
    routes_table = table
    if defaults.feed is not None and len(defaults.feed):
        share = domestic_share(production, flows)
        proj = with_feed(proj, feed_intensities(defaults.feed, table, share))
        routes_table = proj.drop(columns="known_period")
    kw = dict(carry_forward=False)
    direct, _ = em.embodied_flows(flows, routes_table, flow_units, **kw)
    prod_e, _ = em.production_embodied(production, table, flow_units, **kw)
    traced = em.trace_origins(production, flows)
    tr_e, _ = em.traced_embodied(traced, table, flow_units, **kw)
    if defaults.deforestation is not None:  # routes, production and traced origins alike
        area, emissions = deforestation_inputs(production, table, flow_units, periods, defaults)
        direct, prod_e, tr_e = (
            pd.concat([f, deforestation_flows(f[f["indicator"] == "land"], area, emissions)],
                      ignore_index=True) for f in (direct, prod_e, tr_e))
    out_units = em.indicator_units(routes_table)
    if defaults.deforestation is not None:
        out_units["deforestation_co2"] = "t"
    acc, components = em.accounts_and_components(prod_e, direct, tr_e, out_units, partial=True)
    coverage = cov.coverage(components)
    iamc = iamc_table(acc, model=model, scenario=scenario)
    if partners_of is not None:
        iamc = pd.concat([iamc, partner_iamc(direct, partners_of, model=model, scenario=scenario)],
                         ignore_index=True)
    embodied = direct[em.EMBODIED_COLUMNS].assign(scenario=scenario)[EMBODIED_PARQUET_COLUMNS]
    water = None
    if water_region is not None:
        km3 = units.factor("km3", "m3")
        cap = pd.DataFrame([(r, np.nan, v * km3) for r, v in (water_cap or {}).items()],
                           columns=["region", "period", "value"])
        # the region's own trade and production are all its indicators need
        f = flows[(flows["importer"] == water_region) | (flows["exporter"] == water_region)]
        prod = production[production["region"] == water_region]
        w = wi.water_indicators(f, prod, table, flow_units, cap=cap, thresholds=thresholds,
                                carry_forward=False)
        water = w[w["region"] == water_region].assign(scenario=scenario).reset_index(drop=True)
    return ScenarioAccounts(scenario=scenario, intensities=proj, embodied=embodied.reset_index(drop=True),
                            accounts=acc, coverage=coverage.assign(scenario=scenario), iamc=iamc,
                            water=water)


def deforestation_inputs(production: pd.DataFrame, table: pd.DataFrame, flow_units: dict[str, str] | str,
                         periods: list[int], defaults: DefaultInputs) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cropland areas (region, commodity, period, area in ha) and emissions (region, period, value in t CO2)
    that share deforestation (`deforestation.deforestation_flows`): the areas are production x land of
    each period, preceded by the observed area of the year one period step before the first period (the
    latest observed year at or before it, else the earliest); the emissions of a period are the dataset's
    latest year at or before it (`deforestation.period_emissions`)."""
    land = table[(table["indicator"] == "land") & table["value"].notna()]
    p, _ = em.production_embodied(production, land, flow_units, carry_forward=False)
    area = p.rename(columns={"exporter": "region", "value": "area"})
    area = area[["region", "commodity", "period", "area"]]
    area = area[area["area"].notna()]
    obs = defaults.observed_area
    if obs is not None and len(obs):
        first = min(periods)
        step = (sorted(periods)[1] - first) if len(periods) > 1 else 10
        years = sorted(int(y) for y in obs["period"].unique() if int(y) < first)
        if years:
            before = [y for y in years if y <= first - step]
            year = before[-1] if before else years[0]
            area = pd.concat([obs[obs["period"] == year][["region", "commodity", "period", "area"]], area],
                             ignore_index=True)
    e = period_emissions(defaults.deforestation, periods)
    return area, e[e["land_type"] == "cropland"][["region", "period", "value"]]
