"""Embodied accounts of one projected scenario (what `petra run` reports and `petra embodied RUN_DIR`
recomputes from a run's files): projected intensities, direct embodied flows per route, production- and
consumption-based accounts with re-exports traced, IAMC variables and the coverage of every total.

Inputs are long tables of one scenario: production (region, commodity, period, production) and flows
(exporter, importer, commodity, period, flow) in the commodities' unit, the dataset's intensities, the
cumulative yield factor of each market and period (region, commodity, period, factor; 1 at the base
period) and the base period. Intensities of every period follow `petra.embodied.projected`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from petra.embodied import coverage as cov
from petra.embodied import embodied_math as em
from petra.embodied import units
from petra.embodied import water_indicators as wi
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
                      water_cap: dict[str, float] | None = None) -> ScenarioAccounts:
    """Every embodied output of one scenario (nothing written). With `partners_of` (a region), the IAMC
    table also holds that region's embodied imports from each partner as directional regions
    (`petra.embodied.iamc.partner_iamc`). With `water_region`, `water` holds its virtual water
    indicators (`petra.embodied.water_indicators`: content, trade, stress against `water_cap` (km3 per
    year by region), pressure index over the scenario's periods graded by `thresholds`)."""
    ints = em.derive_ghg(intensities)
    periods = sorted({int(p) for p in flows["period"]} | {int(p) for p in production["period"]})
    proj = project_intensities(ints, periods, base_period, yield_factor)
    table = proj.drop(columns="known_period")
    kw = dict(carry_forward=False)
    direct, _ = em.embodied_flows(flows, table, flow_units, **kw)
    prod_e, _ = em.production_embodied(production, table, flow_units, **kw)
    traced = em.trace_origins(production, flows)
    tr_e, _ = em.traced_embodied(traced, table, flow_units, **kw)
    acc, components = em.accounts_and_components(prod_e, direct, tr_e, em.indicator_units(table),
                                                 partial=True)
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
