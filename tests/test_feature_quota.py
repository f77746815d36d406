"""Route quotas (upper bounds on flows): a binding quota leaves a rent between the price gap and the
marginal cost. Checked by hand on every route kind, against the unbounded solution, and by the
independent KKT checker on random instances."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from builders import dataset
from kkt_check import max_violation

from petra.errors import InfeasibleMarketError
from petra.model.problem import build_problem
from petra.model.solve import solve_problem
from petra.projection.run import run_scenario
from petra.projection.scenario_config import parse_scenario_file, resolve
from petra.synthetic import world_dataset

MARKETS = [("A", "wheat", 100.0, 60.0, 200.0, 0.5, -0.5), ("B", "wheat", 40.0, 80.0, 260.0, 0.5, -0.5)]


def two_region(flow_prev, elasticity, slope):
    return dataset(MARKETS, [("A", "B", "wheat", flow_prev, 30.0, 0.0, elasticity, slope)])


@pytest.mark.parametrize(("kind", "flow_prev", "elasticity", "slope"), [
    ("isoelastic", 40.0, 2.0, 0.0), ("constant", 40.0, None, 0.0), ("new", 0.0, None, 0.5),
    ("new flat", 0.0, None, 0.0)])
def test_a_binding_quota_fixes_the_flow_and_leaves_a_rent(kind, flow_prev, elasticity, slope):
    p = build_problem(two_region(flow_prev, elasticity, slope))
    sol, _ = solve_problem(replace(p, quota=np.array([10.0])))
    assert sol.converged
    assert sol.X[0] == pytest.approx(10.0, rel=1e-9)
    # A's excess supply and B's excess demand both equal 10 (curves through the base point):
    # A: 40 + (0.25 + 0.15) (p - 200) = 10; B: 40 - (20/260 + 40/260) (p - 260) = 10
    assert sol.price[0] == pytest.approx(200 - 30 / 0.4, rel=1e-9)
    assert sol.price[1] == pytest.approx(260 + 30 / (60 / 260), rel=1e-9)
    gap = sol.price[1] - sol.price[0]
    mc = {"isoelastic": 30 * (10 / 40) ** 0.5, "constant": 30.0, "new": 30 + 0.5 * 10, "new flat": 30.0}[kind]
    assert gap - mc > 200  # the quota rent


def test_a_quota_that_does_not_bind_changes_nothing():
    p = build_problem(two_region(40.0, 2.0, 0.0))
    free, _ = solve_problem(p)
    capped, _ = solve_problem(replace(p, quota=np.array([free.X[0] * 1.5])))
    assert np.allclose(capped.X, free.X, rtol=1e-9) and np.allclose(capped.price, free.price, rtol=1e-9)


def test_an_import_need_above_the_quota_is_an_infeasible_market():
    ds = dataset([MARKETS[0], ("B", "wheat", 40.0, 80.0, 260.0, 0.0, 0.0)],
                 [("A", "B", "wheat", 40.0, 30.0, 0.0, 2.0, 0.0)])
    p = replace(build_problem(ds), quota=np.array([10.0]))
    with pytest.raises(InfeasibleMarketError, match=r"\(B, wheat\)"):
        solve_problem(p)


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_random_instances_with_binding_quotas_pass_the_independent_kkt_check(seed):
    ds = world_dataset(7, 1, seed=seed, traded_share=0.5)
    p = build_problem(ds)
    free, _ = solve_problem(p)
    rng = np.random.default_rng(seed)
    used = np.flatnonzero(free.X > 0)
    chosen = rng.choice(used, size=max(1, used.size // 3), replace=False)
    quota = np.full(p.n_routes, np.inf)
    quota[chosen] = 0.5 * free.X[chosen]
    sol, _ = solve_problem(replace(p, quota=quota))
    assert sol.converged
    assert (sol.X <= quota * (1 + 1e-9)).all()
    result = SimpleNamespace(
        markets=ds.markets[["region", "commodity"]].assign(price=sol.price, production=sol.S,
                                                             consumption=sol.D),
        flows=ds.routes[["exporter", "importer", "commodity"]].assign(flow=sol.X))
    checked = SimpleNamespace(markets=ds.markets, routes=ds.routes.assign(quota=quota))
    v = max_violation(checked, result)
    assert v["max"] < 1e-6, v
    at = np.isclose(sol.X, quota, rtol=1e-9)
    gap = sol.price[p.importer] - sol.price[p.exporter]
    assert at.any() and (gap[at] > 0).any()


def test_a_scenario_quota_caps_a_route_from_its_period():
    from petra.dataset import load_dataset
    from petra.projection.run import dataset_path

    ds = load_dataset(dataset_path("china9"))
    r = ds.routes
    q = 0.5 * float(r[(r["exporter"] == "USA") & (r["importer"] == "CHN") & (r["commodity"] == "soybeans")]
                    ["flow"].iloc[0])
    sf = parse_scenario_file({"periods": [2010, 2020], "scenarios": {"q": {"drivers": {
        "population_growth": [{"value": 1.0}],
        "quotas": [{"exporter": "USA", "importer": "CHN", "commodity": "soybeans", "max_flow": q,
                    "from": 2020}]}}}}, "t.yaml")
    res = run_scenario(ds, resolve(sf, "q"), embodied=False)
    assert res.ok
    f = res.flows.set_index(["period", "exporter", "importer", "commodity"])
    assert f.loc[(2020, "USA", "CHN", "soybeans"), "flow"] == pytest.approx(q, rel=1e-9)
    assert f.loc[(2020, "USA", "CHN", "soybeans"), "quota"] == q
    assert np.isinf(f.loc[(2010, "USA", "CHN", "soybeans"), "quota"])
    assert pd.Series(res.log["certificate"]).max() < 1e-6


def test_the_certificate_accepts_a_rent_only_at_the_quota_and_flags_flows_above_it():
    from petra.model.certificate import certificate

    p = replace(build_problem(two_region(40.0, 2.0, 0.0)), quota=np.array([10.0]))
    sol, _ = solve_problem(p)
    assert certificate(p, sol.S, sol.D, sol.X, sol.price).max_violation < 1e-9
    unbounded = replace(p, quota=None)
    assert certificate(unbounded, sol.S, sol.D, sol.X, sol.price).price_gap > 0.1  # rent without quota
    over = replace(p, quota=np.array([9.0]))
    # (X - Q) / q_route with q_route = min(max(S0, D0, S, D, trade)) = min(100, 80)
    assert certificate(over, sol.S, sol.D, sol.X, sol.price).used_routes == pytest.approx(1.0 / 80.0)
