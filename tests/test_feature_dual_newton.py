"""Newton's method on the dual (the fallback when the successive QPs stall): certified equilibria that
agree with the HiGHS path and with the independent KKT checker."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from builders import dataset
from kkt_check import max_violation

from petra.model.dual_newton import applicable, dual_newton
from petra.model.highs_backend import HighsBackend
from petra.model.nodes import market_values, split_nodes
from petra.model.problem import build_problem
from petra.model.solve import solve_problem
from petra.model.sqp import solve_sqp
from petra.synthetic import world_dataset

MARKETS = [("A", "wheat", 100.0, 60.0, 200.0, 0.5, -0.5), ("B", "wheat", 40.0, 80.0, 260.0, 0.5, -0.5)]


def rising_world(seed):
    """A synthetic world whose routes all have rising costs (isoelastic or sloped new routes)."""
    ds = world_dataset(8, 1, seed=seed, traded_share=0.4, expansion_elasticity=(0.5, 4.0))
    assert applicable(build_problem(ds))
    return ds


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_dual_newton_from_base_prices_matches_highs_and_the_kkt_check(seed):
    # on the supply/demand-node problem the solve builds (its domestic routes are the dual's links)
    ds = rising_world(seed)
    p = build_problem(ds)
    split = split_nodes(p)
    dn = dual_newton(split.problem, split.problem.P0, tol=1e-9)
    assert dn is not None and dn.certificate.max_violation <= 1e-9
    S, D, X, price, supply_price = market_values(split, (dn.S, dn.D, dn.X, dn.price), p)
    ref, _ = solve_problem(p, tol=1e-9)
    assert np.allclose(price, ref.price, rtol=1e-7)
    assert np.allclose(X, ref.X, rtol=1e-6, atol=1e-9 * p.q_scale[0])
    result = SimpleNamespace(
        markets=ds.markets[["region", "commodity"]].assign(price=price, supply_price=supply_price,
                                                           production=S, consumption=D),
        flows=ds.routes[["exporter", "importer", "commodity"]].assign(flow=X))
    assert max_violation(ds, result)["max"] < 1e-8


def test_the_two_region_isoelastic_price_by_hand():
    # A exports to B, e = 1, tau 30, previous flow 40, no adjustment: X = 40 (gap / 30);
    # A: S - D = 40 + 0.4 (pA - 200); B: D - S = 40 - (60 / 260) (pB - 260)
    ds = dataset(MARKETS, [("A", "B", "wheat", 40.0, 30.0, 0.0, 1.0, 0.0)])
    p = build_problem(ds)
    dn = dual_newton(p, np.array([150.0, 400.0]), tol=1e-12)
    # X = 40 gap / 30 with pA = 200 + (X - 40) / 0.4 and pB = 260 + (40 - X) 260 / 60: linear in X
    a = 1 / 0.4 + 260 / 60
    x = 40 * (60 + 40 * a) / (30 + 40 * a)
    assert dn.X[0] == pytest.approx(x, rel=1e-10)
    assert dn.price[0] == pytest.approx(200 + (x - 40) / 0.4, rel=1e-10)


def test_flat_cost_routes_are_left_to_the_qp_path():
    # two flat routes at one market are not links (one flat route per market is: a domestic route)
    markets = [*MARKETS, ("C", "wheat", 10.0, 50.0, 280.0, 0.5, -0.5)]
    ds = dataset(markets, [("A", "B", "wheat", 40.0, 30.0, 0.0, None, 0.0),
                           ("A", "C", "wheat", 40.0, 30.0, 0.0, None, 0.0)])
    p = build_problem(ds)
    assert not applicable(p) and dual_newton(p, p.P0, tol=1e-9) is None
    assert applicable(build_problem(dataset(MARKETS, [("A", "B", "wheat", 40.0, 30.0, 0.0, None, 0.0)])))


def test_stalled_qps_are_finished_by_the_dual_newton_fallback():
    ds = rising_world(14)
    p = build_problem(ds).with_routes(flow_prev=build_problem(ds).flow_prev * 3.0)  # far from equilibrium
    # one QP and no refinement cannot certify an isoelastic problem: the fallback must
    sol = solve_sqp(p, HighsBackend(p), tol=1e-9, max_iter=1, refine_solution=False)
    assert sol.converged and sol.trace.solvers[-1] == "dual-newton"
    assert "dual Newton" in sol.status
    ref, _ = solve_problem(p, tol=1e-9)
    assert np.allclose(sol.price, ref.price, rtol=1e-7)


def test_free_disposal_by_hand_price_zero_where_the_excess_cannot_be_sold():
    # A: S = 100 + 0.1 (100/200)(p - 200), D = 10 - 0.5 (10/200)(p - 200): at p = 0 supply 90, demand
    # 15. New route A -> B, tau 50, slope 1 (no trade last period): X = pB - pA - 50.
    # B: S = 10 + 0.025 (pB - 200), D = 40 - 0.1 (pB - 200). With pA = 0 B balances at
    # -45 + 1.025 pB = 60 - 0.1 pB, pB = 105 / 1.125; X = pB - 50 leaves A an excess 75 - X > 0 at
    # price 0: free disposal, which the unconstrained dual cannot express (its minimiser has pA < 0).
    ds = dataset([("A", "milk", 100.0, 10.0, 200.0, 0.1, -0.5), ("B", "milk", 10.0, 40.0, 200.0, 0.5, -0.5)],
                 [("A", "B", "milk", 0.0, 50.0, 0.0, 2.0, 1.0)])
    p = build_problem(ds)
    dn = dual_newton(p, p.P0, tol=1e-12)
    assert dn is not None and dn.certificate.max_violation <= 1e-12
    pb = 105.0 / 1.125
    assert dn.price[0] == 0.0
    assert dn.price[1] == pytest.approx(pb, rel=1e-10)
    assert dn.X[0] == pytest.approx(pb - 50.0, rel=1e-10)
    assert dn.S[0] - dn.D[0] - dn.X[0] == pytest.approx(75.0 - (pb - 50.0), rel=1e-10)  # disposed
    # the same equilibrium through the QP path (its free-disposal model)
    ref, _ = solve_problem(p, tol=1e-9)
    assert np.allclose(ref.price, dn.price, atol=1e-6) and np.allclose(ref.X, dn.X, rtol=1e-7)
