"""The isoelastic trade-expansion cost: its formulas, an analytic two-region case, random instances."""

import numpy as np
import pytest
from builders import dataset
from kkt_check import max_violation
from scipy.optimize import brentq

import petra
from petra.model.equilibrium_math import route_marginal_cost, route_total_cost
from petra.model.problem import ISOELASTIC, build_problem

MARKETS = [("A", "w", 100, 80, 200, 0.5, -0.5), ("B", "w", 50, 70, 250, 0.5, -0.5)]


def _iso_problem(e=2.0, flow=20.0, tau=30.0):
    return build_problem(dataset(MARKETS, [("A", "B", "w", flow, tau - 5.0, 5.0, e, None)]))


def test_marginal_cost_equals_tau_at_previous_flow():
    p = _iso_problem()
    assert p.kind[0] == ISOELASTIC
    assert route_marginal_cost(p, np.array([20.0]))[0] == pytest.approx(30.0, rel=1e-15)
    # and (X/X_prev)^(1/e) scaling: at 4x the flow with e = 2 the marginal cost doubles
    assert route_marginal_cost(p, np.array([80.0]))[0] == pytest.approx(60.0, rel=1e-15)


def test_total_cost_is_the_issue_formula_and_integrates_the_marginal_cost():
    e, F, tau = 2.5, 20.0, 30.0
    p = _iso_problem(e=e, flow=F, tau=tau)
    X = 33.0
    formula = e / (1 + e) * tau / F ** (1 / e) * X ** (1 / e + 1)
    assert route_total_cost(p, np.array([X]))[0] == pytest.approx(formula, rel=1e-13)
    h = 1e-4
    numeric = (route_total_cost(p, np.array([X + h])) - route_total_cost(p, np.array([X - h])))[0] / (2 * h)
    assert numeric == pytest.approx(route_marginal_cost(p, np.array([X]))[0], rel=1e-8)


def test_two_region_isoelastic_against_root_finding():
    # excess supply of A: 20 + 0.45 (pA - 200); excess demand of B: 20 - 0.24 (pB - 250)
    # so pA(X) = 200 + (X - 20)/0.45, pB(X) = 250 - (X - 20)/0.24, and pB - pA = 30 (X/20)^(1/2)
    def g(X):
        return (250 - (X - 20) / 0.24) - (200 + (X - 20) / 0.45) - 30 * (X / 20) ** 0.5

    X = brentq(g, 1e-9, 100, xtol=1e-14)
    r = petra.solve(dataset(MARKETS, [("A", "B", "w", 20, 25, 5, 2.0, None)]))
    assert r.ok
    assert r.flows.loc[0, "flow"] == pytest.approx(X, rel=1e-9)
    assert r.markets.loc[0, "price"] == pytest.approx(200 + (X - 20) / 0.45, rel=1e-9)
    assert r.markets.loc[1, "price"] == pytest.approx(250 - (X - 20) / 0.24, rel=1e-9)


def test_calibrated_point_is_reproduced_in_one_qp():
    # if the observed point is an equilibrium (gap = tau at X = flow), the first QP (tangent at the
    # previous flow) is already exact: prices and flow come back unchanged
    # A: ES_A = 20 + 0.45 (pA - 200) = 20 at 200; B: ED_B = 20 at 250; gap 50 = tau at X = 20
    r = petra.solve(dataset(MARKETS, [("A", "B", "w", 20, 45, 5, 3.0, None)]))
    assert r.iterations["qp_solves"] == 1
    assert r.flows.loc[0, "flow"] == pytest.approx(20, rel=1e-9)
    assert r.markets["price"].to_numpy() == pytest.approx([200, 250], rel=1e-9)


def random_dataset(seed: int, n_regions: int = 6, n_commodities: int = 2):
    """Random markets and all-pairs routes with mixed isoelastic / constant / new / flat routes."""
    rng = np.random.default_rng(seed)
    markets, routes = [], []
    regions = [f"R{i}" for i in range(n_regions)]
    for k in range(n_commodities):
        c = f"c{k}"
        for reg in regions:
            S0 = float(rng.lognormal(4, 1.5)) if rng.random() > 0.1 else 0.0
            D0 = float(rng.lognormal(4, 1.5))
            markets.append((reg, c, S0, D0, float(rng.uniform(100, 400)), float(rng.uniform(0, 1.2)),
                            -float(rng.uniform(0, 1.2))))
        for a in regions:
            for b in regions:
                if a == b or rng.random() < 0.15:
                    continue
                kind = rng.choice(["iso", "iso_inelastic", "constant", "new", "flat"])
                tau = float(rng.uniform(5, 80))
                flow = float(rng.lognormal(2, 1)) if kind in ("iso", "iso_inelastic", "constant") else 0.0
                e = {"iso": rng.uniform(1, 6), "iso_inelastic": rng.uniform(0.3, 1)}.get(kind)
                slope = float(rng.uniform(0.1, 5)) if kind == "new" else (0.0 if kind == "flat" else None)
                routes.append((a, b, c, flow, tau * 0.8, tau * 0.2, e, slope))
    return dataset(markets, routes)


@pytest.mark.parametrize("seed", range(12))
def test_random_mixed_instances_meet_the_equilibrium_conditions(seed):
    ds = random_dataset(seed)
    r = petra.solve(ds)
    assert r.ok, r.certificate
    assert r.certificate["max_violation"] <= 1e-6
    v = max_violation(ds, r)
    assert v["max"] <= 1e-6, v
