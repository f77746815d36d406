"""Analytic cases: one-region autarky and a two-region linear market solved by hand."""

import numpy as np
import pytest
from builders import dataset

import petra


def test_one_region_autarky_price_where_curves_cross():
    # S(p) = 100 + 0.5*100/200 (p - 200) = 100 + 0.25 (p - 200)
    # D(p) =  80 - 0.5* 80/200 (p - 200) =  80 - 0.20 (p - 200)
    # S = D  ->  20 = -0.45 (p - 200)  ->  p = 200 - 20/0.45 = 155.5556, q = 100 - 0.25*44.444 = 88.8889
    r = petra.solve(dataset([("A", "w", 100, 80, 200, 0.5, -0.5)], []))
    assert r.ok
    assert r.markets.loc[0, "price"] == pytest.approx(200 - 20 / 0.45, rel=1e-9)
    assert r.markets.loc[0, "production"] == pytest.approx(100 - 0.25 * 20 / 0.45, rel=1e-9)
    assert r.markets.loc[0, "consumption"] == pytest.approx(100 - 0.25 * 20 / 0.45, rel=1e-9)


def test_one_region_price_is_positive_dual_of_balance():
    # observed point is the equilibrium: price must come back as +200 (dual sign convention)
    r = petra.solve(dataset([("A", "w", 50, 50, 200, 0.3, -0.7)], []))
    assert r.markets.loc[0, "price"] == pytest.approx(200, rel=1e-9)


def test_two_regions_constant_cost_by_hand():
    # A: S = 100 + 0.25(pA-200), D = 100 - 0.25(pA-200)  -> excess supply ES_A = 0.5 (pA - 200)
    # B: S = 100 + 0.25(pB-300), D = 100 - 0.25(pB-300)  -> excess demand ED_B = -0.5 (pB - 300)
    # route A->B constant cost 40 (traded last period, infinite elasticity): pB = pA + 40
    # 0.5 (pA - 200) = -0.5 (pA + 40 - 300)  ->  pA - 200 = 260 - pA  ->  pA = 230, pB = 270, X = 15
    ds = dataset([("A", "w", 100, 100, 200, 0.5, -0.5), ("B", "w", 100, 100, 300, 0.75, -0.75)],
                 [("A", "B", "w", 10, 30, 10, None, None), ("B", "A", "w", 0, 30, 10, None, 0.0)])
    r = petra.solve(ds)
    assert r.ok
    p = r.markets.set_index("region")["price"]
    assert p["A"] == pytest.approx(230, rel=1e-9)
    assert p["B"] == pytest.approx(270, rel=1e-9)
    f = r.flows.set_index(["exporter", "importer"])["flow"]
    assert f["A", "B"] == pytest.approx(15, rel=1e-9)
    assert f["B", "A"] == 0
    mk = r.markets.set_index("region")
    assert mk.loc["A", "production"] - mk.loc["A", "consumption"] == pytest.approx(15, rel=1e-9)


def test_two_regions_no_trade_when_gap_below_cost():
    # autarky prices 200 and 230 differ by less than the cost 40: no trade, autarky prices stay
    ds = dataset([("A", "w", 100, 100, 200, 0.5, -0.5), ("B", "w", 100, 100, 230, 0.5, -0.5)],
                 [("A", "B", "w", 0, 40, 0, None, 2.0)])
    r = petra.solve(ds)
    assert r.flows["flow"].tolist() == [0.0]
    assert r.markets["price"].to_numpy() == pytest.approx(np.array([200, 230]), rel=1e-9)


def test_new_route_quadratic_cost_by_hand():
    # as the constant-cost case but a new route with marginal cost 40 + 2 X:
    # pB - pA = 40 + 2X, X = 0.5 (pA - 200) = -0.5 (pB - 300)
    # -> pA = 200 + 2X, pB = 300 - 2X -> 100 - 4X = 40 + 2X -> X = 10, pA = 220, pB = 280
    ds = dataset([("A", "w", 100, 100, 200, 0.5, -0.5), ("B", "w", 100, 100, 300, 0.75, -0.75)],
                 [("A", "B", "w", 0, 40, 0, None, 2.0)])
    r = petra.solve(ds)
    assert r.flows.loc[0, "flow"] == pytest.approx(10, rel=1e-9)
    assert r.markets["price"].to_numpy() == pytest.approx(np.array([220, 280]), rel=1e-9)


def test_fixed_supply_and_demand_markets():
    # inelastic supply in A (es = 0) and inelastic demand in B (ed = 0), constant cost 20:
    # A: S = 100 fixed, D = 60 - 0.3(pA - 100)  -> exports X = 40 + 0.3 (pA - 100)
    # B: D = 90 fixed, S = 50 + 0.5(pB - 100)   -> imports X = 40 - 0.5 (pB - 100), pB = pA + 20
    # 40 + 0.3 (pA - 100) = 40 - 0.5 (pA - 80)  ->  0.8 pA = 70  ->  pA = 87.5, pB = 107.5, X = 36.25
    ds = dataset([("A", "w", 100, 60, 100, 0.0, -0.5), ("B", "w", 50, 90, 100, 1.0, 0.0)],
                 [("A", "B", "w", 5, 20, 0, None, None)])
    r = petra.solve(ds)
    assert r.ok
    assert r.markets["price"].to_numpy() == pytest.approx(np.array([87.5, 107.5]), rel=1e-9)
    assert r.flows.loc[0, "flow"] == pytest.approx(36.25, rel=1e-9)
    assert r.markets.loc[0, "production"] == 100
    assert r.markets.loc[1, "consumption"] == 90
