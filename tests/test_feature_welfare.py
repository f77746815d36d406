"""Welfare changes (petra.projection.welfare) against areas computed by hand on a textbook instance.

Two regions, one good, linear curves, one constant-cost route A -> B with transport cost 10:
    A: S = p, D = 120 - p        B: S = p - 20, D = 200 - p
Free trade: p_A = 80, p_B = 90, X = 40. A specific tariff of 20: p_B - p_A = 30, p_A = 70, p_B = 100,
X = 20. The tariff's deadweight loss is the triangle 1/2 x 20 x (40 - 20) = 200.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from builders import dataset
from scipy.integrate import quad

import petra
from petra.projection.welfare import (
    consumer_surplus,
    demand_area,
    producer_surplus,
    route_accounts,
    supply_area,
    surplus_changes,
    welfare_changes,
)

# (region, commodity, production, consumption, price, es, ed) at the free-trade equilibrium:
# A: k_s = 1 (S = p), k_d = 1 (D = 120 - p); B: k_s = 1 (S = p - 20), k_d = 1 (D = 200 - p)
MARKETS = [("A", "x", 80.0, 40.0, 80.0, 1.0, -2.0), ("B", "x", 70.0, 110.0, 90.0, 90 / 70, -90 / 110)]


def solved(tariff: float, scenario: str):
    """The model's own equilibrium (petra.solve) with the given tariff, as run tables."""
    ds = dataset(MARKETS, [("A", "B", "x", 40.0, 10.0, tariff, None, 0.0)])
    res = petra.solve(ds)
    assert res.ok
    m = res.markets.assign(scenario=scenario, period=2030)
    curves = ds.markets.assign(scenario=scenario, period=2030, supply_anchor=ds.markets["production"],
                               demand_anchor=ds.markets["consumption"], anchor_price=ds.markets["price"],
                               supply_slope=ds.markets["supply_elasticity"] * ds.markets["production"]
                               / ds.markets["price"],
                               demand_slope=-ds.markets["demand_elasticity"] * ds.markets["consumption"]
                               / ds.markets["price"])
    f = res.flows.assign(scenario=scenario, period=2030, transport_cost=10.0, tariff=tariff,
                         cost_adjustment=0.0, previous_flow=40.0, period_elasticity=np.inf,
                         new_flow_slope=0.0)
    return m, curves, f


@pytest.fixture(scope="module")
def textbook():
    parts = [solved(0.0, "free"), solved(20.0, "tariff")]
    m, c, f = (pd.concat([p[i] for p in parts], ignore_index=True) for i in range(3))
    return m, c, f


def test_the_model_solves_the_textbook_instance_as_by_hand(textbook):
    m, _, f = textbook
    price = m.set_index(["scenario", "region"])["price"]
    assert price[("free", "A")] == pytest.approx(80.0, rel=1e-7)
    assert price[("free", "B")] == pytest.approx(90.0, rel=1e-7)
    assert price[("tariff", "A")] == pytest.approx(70.0, rel=1e-7)
    assert price[("tariff", "B")] == pytest.approx(100.0, rel=1e-7)
    flows = f.set_index("scenario")["flow"].to_dict()
    assert flows == pytest.approx({"free": 40.0, "tariff": 20.0}, rel=1e-7)


def test_welfare_changes_are_the_hand_computed_trapezoids(textbook):
    m, c, f = textbook
    w = welfare_changes(m, c, f, "free").set_index("region")
    thousand = 1e3  # the table is in million for prices x quantities in thousands (USD/t x kt)
    a, b, world = (w.loc[r] for r in ("A", "B", "World"))
    # A: price 80 -> 70; demand 40 -> 50: CS + (40 + 50)/2 x 10; supply 80 -> 70: PS - (80 + 70)/2 x 10
    assert a["consumer_surplus"] * thousand == pytest.approx(450.0, rel=1e-6)
    assert a["producer_surplus"] * thousand == pytest.approx(-750.0, rel=1e-6)
    # B: price 90 -> 100; demand 110 -> 100: CS - 1050; supply 70 -> 80: PS + 750; revenue 20 x 20
    assert b["consumer_surplus"] * thousand == pytest.approx(-1050.0, rel=1e-6)
    assert b["producer_surplus"] * thousand == pytest.approx(750.0, rel=1e-6)
    assert b["tariff_revenue"] * thousand == pytest.approx(400.0, rel=1e-6)
    assert a["tariff_revenue"] == 0.0
    # constant-cost route at an equilibrium: no rent; transport 10 x 40 -> 10 x 20
    assert abs(b["trade_rent"]) * thousand < 1e-5
    assert b["trade_cost"] * thousand == pytest.approx(-200.0, rel=1e-6)
    # a tariff alone: the changes sum to minus the deadweight-loss triangle 1/2 x 20 x 20
    assert world["total"] * thousand == pytest.approx(-200.0, rel=1e-6)
    assert world["total"] == pytest.approx(a["total"] + b["total"], rel=1e-12)


def test_the_total_is_the_change_in_the_models_objective_plus_tariff_revenue(textbook):
    # an independent route: the model's own welfare function (areas under the inverse curves minus
    # route costs) on the two solved problems
    from petra.model.equilibrium_math import welfare
    from petra.model.problem import build_problem

    m, c, f = textbook
    levels = {}
    for scen, tariff in (("free", 0.0), ("tariff", 20.0)):
        p = build_problem(dataset(MARKETS, [("A", "B", "x", 40.0, 10.0, tariff, None, 0.0)]))
        mm = m[m["scenario"] == scen].set_index("region").loc[list(p.region)]
        X = f[f["scenario"] == scen]["flow"].to_numpy()
        objective = welfare(p, mm["production"].to_numpy(), mm["consumption"].to_numpy(), X)
        levels[scen] = objective + tariff * X.sum()
    w = welfare_changes(m, c, f, "free").set_index("region")
    assert w.loc["World", "total"] * 1e3 == pytest.approx(levels["tariff"] - levels["free"], rel=1e-6)


def test_curve_areas_are_exact_integrals_of_the_floored_curves():
    # supply S = max(0, 10 + 2 (p - 20)) is zero below p = 15; demand D = max(0, 30 - 3 (p - 20)) is
    # zero above p = 30; compare with numerical quadrature of the same functions
    s = lambda p: max(0.0, 10 + 2 * (p - 20))  # noqa: E731
    d = lambda p: max(0.0, 30 - 3 * (p - 20))  # noqa: E731
    for lo, hi in ((0.0, 40.0), (16.0, 25.0), (31.0, 35.0), (25.0, 10.0)):
        by_quad = quad(s, lo, hi, points=[15])[0], quad(d, lo, hi, points=[30])[0]
        assert supply_area(lo, hi, 10.0, 2.0, 20.0) == pytest.approx(by_quad[0], abs=1e-9)
        assert demand_area(lo, hi, 30.0, 3.0, 20.0) == pytest.approx(by_quad[1], abs=1e-9)
    assert producer_surplus(20.0, 10.0, 2.0, 20.0) == pytest.approx(0.5 * 5 * 10)       # triangle 15..20
    assert consumer_surplus(20.0, 30.0, 3.0, 20.0) == pytest.approx(0.5 * 10 * 30)      # triangle 20..30
    assert producer_surplus(20.0, 10.0, 0.0, 20.0) == pytest.approx(200.0)             # fixed: S x p
    assert np.isinf(consumer_surplus(20.0, 30.0, 0.0, 20.0))


def test_a_fixed_demand_loses_its_quantity_times_the_price_rise():
    curve = {"supply_anchor": 0.0, "demand_anchor": 50.0, "anchor_price": 10.0, "supply_slope": 0.0,
             "demand_slope": 0.0}
    dcs, dps = surplus_changes({**curve, "price": 13.0}, {**curve, "price": 10.0})
    assert float(dcs) == pytest.approx(-150.0) and float(dps) == 0.0


def test_isoelastic_trade_cost_and_rent_integrate_the_marginal_cost():
    # MC(X) = a + tau (X/X_prev)^(1/e): trade cost = integral of MC over 0..X less the tariff x X
    a, transport, tariff, x_prev, e, X = 3.0, 8.0, 2.0, 50.0, 4.0, 80.0
    tau = transport + tariff
    tc = quad(lambda x: a + tau * (x / x_prev) ** (1 / e), 0.0, X)[0]
    gap = a + tau * (X / x_prev) ** (1 / e)          # an equilibrium: the gap is the marginal cost
    acc = route_accounts([X], [gap], [transport], [tariff], [a], [x_prev], [e], [0.0])
    assert acc["tariff_revenue"][0] == pytest.approx(tariff * X)
    assert acc["trade_cost"][0] == pytest.approx(tc - tariff * X, rel=1e-9)
    assert acc["trade_rent"][0] == pytest.approx(X * gap - tc, rel=1e-9)
    assert acc["trade_rent"][0] > 0  # a rising cost leaves an inframarginal rent
    # a new route: MC = a + tau + s X
    acc = route_accounts([X], [a + tau + 0.1 * X], [transport], [tariff], [a], [0.0], [e], [0.1])
    assert acc["trade_cost"][0] == pytest.approx((a + tau) * X + 0.05 * X * X - tariff * X)
    assert acc["trade_rent"][0] == pytest.approx(0.05 * X * X)
