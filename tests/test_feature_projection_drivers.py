"""Scenario drivers as per-period arrays: values derived by hand from the rules."""

from __future__ import annotations

import numpy as np
import pytest

from petra.projection.drivers import EntityNames, apply_elasticities, driver_arrays
from petra.projection.scenario_config import Drivers, Elasticities

NAMES = EntityNames(region=np.array(["A", "A", "B", "B"]),
              commodity=np.array(["wheat", "soy", "wheat", "soy"]),
              exporter=np.array(["A", "B", "A"]), importer=np.array(["B", "A", "B"]),
              route_commodity=np.array(["wheat", "wheat", "soy"]))
PERIODS = (2010, 2020, 2030)


def arrays(**rules):
    d = Drivers.model_validate(rules)
    return driver_arrays(d, NAMES, PERIODS, base_transport=np.array([10.0, 20.0, 30.0]),
                         base_tariff=np.array([1.0, 2.0, 3.0]),
                         exporter_price=np.array([200.0, 250.0, 400.0]))


def test_no_rules_leave_the_base_year_unchanged():
    a = arrays()
    assert np.all(a.supply_factor == 1.0) and np.all(a.demand_factor == 1.0)
    assert np.all(a.transport_cost == [10.0, 20.0, 30.0]) and np.all(a.tariff == [1.0, 2.0, 3.0])
    assert not a.banned.any()


def test_demand_compounds_population_and_income_with_the_income_elasticity():
    a = arrays(population_growth=[{"value": 1.0}, {"region": "B", "value": 2.0, "from": 2030}],
               income_growth=[{"value": 3.0}],
               income_elasticity=[{"value": 0.5}, {"commodity": "wheat", "value": 0.0}])
    # A wheat: pop 1 %/yr, eta 0: 1.01^10 per decade
    assert a.demand_factor[1, 0] == pytest.approx(1.01 ** 10, rel=1e-14)
    assert a.demand_factor[2, 0] == pytest.approx(1.01 ** 20, rel=1e-14)
    # A soy: eta 0.5 on 3 %/yr income
    assert a.demand_factor[2, 1] == pytest.approx(1.01 ** 20 * 1.03 ** 10, rel=1e-14)
    # B soy: population 1 % to 2020, 2 % in the decade to 2030 (later rule wins from 2030)
    assert a.demand_factor[2, 3] == pytest.approx(1.01 ** 10 * 1.02 ** 10 * 1.03 ** 10, rel=1e-14)
    assert np.all(a.demand_factor[0] == 1.0)
    assert np.all(a.supply_factor == 1.0)


def test_supply_shifts_with_yield_growth_by_market():
    a = arrays(yield_growth=[{"value": 1.5}, {"region": "A", "commodity": "soy", "value": -0.5}])
    assert a.supply_factor[2, 0] == pytest.approx(1.015 ** 20, rel=1e-14)
    assert a.supply_factor[2, 1] == pytest.approx(0.995 ** 20, rel=1e-14)


def test_transport_costs_compound_and_tariff_rules_set_the_period_tariff():
    a = arrays(transport_cost_growth=[{"value": -1.0, "from": 2030}],
               tariffs=[{"scale": 0.0, "from": 2020},
                        {"exporter": "A", "importer": "B", "commodity": "soy", "ad_valorem": 0.25,
                         "from": 2030},
                        {"exporter": "B", "specific": 7.5, "until": 2020}])
    assert np.allclose(a.transport_cost[1], [10.0, 20.0, 30.0])
    assert np.allclose(a.transport_cost[2], np.array([10.0, 20.0, 30.0]) * 0.99 ** 10, rtol=1e-14)
    assert np.allclose(a.tariff[0], [1.0, 7.5, 3.0])          # only the B rule covers 2010
    assert np.allclose(a.tariff[1], [0.0, 7.5, 0.0])          # B rule comes last and covers 2020
    assert np.allclose(a.tariff[2], [0.0, 0.0, 0.25 * 400.0])


def test_bans_cover_their_periods_only():
    a = arrays(bans=[{"exporter": "A", "from": 2020, "until": 2020}])
    assert a.banned.tolist() == [[False, False, False], [True, False, True], [False, False, False]]


def test_elasticity_sets_replace_the_matching_values():
    es, ed, ee = apply_elasticities(
        Elasticities.model_validate({"supply": [{"commodity": "soy", "value": 0.4}],
                                     "demand": [{"region": "B", "value": -0.9}],
                                     "expansion": [{"exporter": "A", "commodity": "soy", "value": 3.0}]}),
        NAMES, np.full(4, 0.1), np.full(4, -0.2), np.array([2.0, np.inf, 2.0]))
    assert es.tolist() == [0.1, 0.4, 0.1, 0.4]
    assert ed.tolist() == [-0.2, -0.2, -0.9, -0.9]
    assert ee.tolist() == [2.0, np.inf, 3.0]
