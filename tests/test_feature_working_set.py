"""Solving on a working set of routes (petra.model.working_set): the equilibrium of the whole problem,
certified on every route, equal to the solve of the whole problem and to the independent KKT check."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from kkt_check import max_violation

from petra.model import working_set as ws
from petra.model.equilibrium_math import route_marginal_cost
from petra.model.problem import build_problem, route_subset
from petra.model.recursive import step_problem
from petra.model.solve import solve_problem
from petra.synthetic import world_dataset


def shifted_period(seed: int, n_regions: int = 14):
    """A synthetic world one 10-year period on: demand and supply anchors moved by -40 %..+150 % per
    market, so that routes unused last period become profitable (the working set must grow)."""
    ds = world_dataset(n_regions, 1, seed=seed, traded_share=0.15, expansion_elasticity=(1.0, 4.0))
    p = build_problem(ds)
    base, _ = solve_problem(p, tol=1e-9, working_set=False)
    rng = np.random.default_rng(seed)
    pk = step_problem(p, base.X, p.S0 * rng.uniform(0.6, 2.5, p.n_markets),
                      p.D0 * rng.uniform(0.6, 2.5, p.n_markets), years=10.0)
    return ds, pk


@pytest.mark.parametrize("seed", [3, 4, 5, 6])
def test_working_set_gives_the_whole_problems_equilibrium(seed, monkeypatch):
    ds, pk = shifted_period(seed)
    whole, _ = solve_problem(pk, tol=1e-9, working_set=False)
    monkeypatch.setattr(ws, "MIN_ROUTES", 0)
    sol, info = solve_problem(pk, tol=1e-9)
    assert info["working_set_rounds"] >= 1
    assert sol.certificate.max_violation <= 1e-9
    assert np.allclose(sol.price, whole.price, rtol=1e-7)
    assert np.allclose(sol.X, whole.X, rtol=1e-6, atol=1e-8 * pk.q_scale[0])
    # the independent checker, on every route of the whole period problem (its own columns: the
    # previous flow, the period's expansion elasticity and cost adjustments, the moved anchors)
    routes = ds.routes.assign(flow=pk.flow_prev, transport_cost=pk.tau, tariff=0.0,
                              cost_adjustment=pk.adjustment, expansion_elasticity=pk.elasticity,
                              new_flow_slope=pk.slope)
    period = SimpleNamespace(markets=ds.markets.assign(production=pk.S0, consumption=pk.D0), routes=routes)
    result = SimpleNamespace(
        markets=ds.markets[["region", "commodity"]].assign(price=sol.price, supply_price=sol.supply_price,
                                                           production=sol.S, consumption=sol.D),
        flows=ds.routes[["exporter", "importer", "commodity"]].assign(flow=sol.X))
    assert max_violation(period, result)["max"] < 1e-8


def test_the_working_set_grows_when_a_route_outside_it_becomes_profitable(monkeypatch):
    grown = []
    for seed in (3, 4, 5, 6):
        _, pk = shifted_period(seed)
        start = ws.initial_working_set(pk, route_marginal_cost(pk, np.zeros(pk.n_routes)))
        monkeypatch.setattr(ws, "MIN_ROUTES", 0)
        sol, info = solve_problem(pk, tol=1e-9)
        used_outside = (sol.X > 0) & ~start
        grown.append((info["working_set_rounds"], int(used_outside.sum())))
        # routes used in the solution but not in the first set were added by the rounds
        if used_outside.any():
            assert info["working_set_rounds"] >= 2
    assert any(r >= 2 and n > 0 for r, n in grown), grown


def test_a_restricted_problem_that_fails_falls_back_to_the_whole_problem(monkeypatch):
    _, pk = shifted_period(3)
    monkeypatch.setattr(ws, "MIN_ROUTES", 0)

    def failing(sub):
        from petra.errors import SolveError
        raise SolveError("restricted QP failed")

    assert ws.solve_on_working_set(pk, failing, tol=1e-9) is None
    sol, info = solve_problem(pk, tol=1e-9, highs_options=None)
    assert sol.certificate.max_violation <= 1e-9


def test_route_subset_keeps_every_market_and_the_chosen_routes_in_order():
    ds = world_dataset(5, 1, seed=1)
    p = build_problem(ds)
    idx = np.array([7, 2, 11])
    sub = route_subset(p, idx)
    assert sub.n_markets == p.n_markets and sub.n_routes == 3
    assert (sub.exporter == p.exporter[idx]).all() and (sub.tau == p.tau[idx]).all()
    assert (sub.flow_prev == p.flow_prev[idx]).all() and (sub.kind == p.kind[idx]).all()
