"""Every route cost form (`petra.model.route_costs`): its marginal cost against the closed form, its
derivative and total cost against finite differences and quadrature, its inverse (the flow response)
against the marginal cost, and the SQP's local line through the true marginal cost."""

import numpy as np
import pytest
from builders import dataset
from scipy.integrate import quad

from petra.model.equilibrium_math import (
    flat_cost_routes,
    quadratic_route_model,
    route_marginal_cost,
    route_marginal_cost_derivative,
    route_response,
    route_total_cost,
)
from petra.model.problem import build_problem
from petra.model.route_costs import CONSTANT, FORMS, ISOELASTIC, LOGIT, NEW

TAU, ADJ, XPREV = 20.0, 5.0, 40.0

# (name, expected kind, previous flow, elasticity (None: infinite), slope, closed-form MC)
CASES = [
    ("isoelastic e=2", ISOELASTIC, XPREV, 2.0, 0.0, lambda x: ADJ + TAU * (x / XPREV) ** 0.5),
    ("isoelastic e=0.5", ISOELASTIC, XPREV, 0.5, 0.0, lambda x: ADJ + TAU * (x / XPREV) ** 2.0),
    ("constant", CONSTANT, XPREV, None, 0.0, lambda x: ADJ + TAU + 0.0 * x),
    ("new", NEW, 0.0, 2.0, 0.7, lambda x: ADJ + TAU + 0.7 * x),
    ("new, zero slope", NEW, 0.0, 2.0, 0.0, lambda x: ADJ + TAU + 0.0 * x),
]


def one_route(prev, e, slope):
    ds = dataset([("A", "w", 100.0, 50.0, 200.0, 0.5, -0.5), ("B", "w", 10.0, 60.0, 250.0, 0.5, -0.5)],
                 [("A", "B", "w", prev, TAU, 0.0, e, slope)])
    return build_problem(ds.replace(routes=ds.routes.assign(cost_adjustment=ADJ)))


@pytest.mark.parametrize("name, kind, prev, e, slope, mc", CASES, ids=[c[0] for c in CASES])
def test_route_cost_form(name, kind, prev, e, slope, mc):
    p = one_route(prev, e, slope)
    assert p.kind[0] == kind and type(FORMS[kind]).__name__.lower().startswith(name.split()[0][:3])
    xs = np.array([0.5, 7.0, 40.0, 95.0])
    for x in xs:
        X = np.array([x])
        assert route_marginal_cost(p, X)[0] == pytest.approx(mc(x), rel=1e-12)
        h = 1e-6 * x
        fd = (route_marginal_cost(p, X + h)[0] - route_marginal_cost(p, X - h)[0]) / (2 * h)
        assert route_marginal_cost_derivative(p, X)[0] == pytest.approx(fd, rel=1e-6, abs=1e-9)
        # total cost: the integral of the marginal cost from 0
        assert route_total_cost(p, X)[0] == pytest.approx(quad(mc, 0.0, x)[0], rel=1e-9)
        # the SQP's line passes through the true marginal cost, with the tangent's slope (X >= 1e-3 X_prev)
        c, hq = quadratic_route_model(p, X)
        assert c[0] + hq[0] * x == pytest.approx(mc(x), rel=1e-12)
        assert hq[0] == pytest.approx(route_marginal_cost_derivative(p, X)[0], rel=1e-12)
    flat = bool(flat_cost_routes(p)[0])
    assert flat == (kind == CONSTANT or (kind == NEW and slope == 0.0))
    # the flow response inverts the marginal cost on rising routes; 0 on flat ones and below MC(0)
    for gap in (ADJ + TAU * 0.3, ADJ + TAU * 1.0, ADJ + TAU * 1.8, ADJ + TAU + 9.0):
        X, dX = route_response(p, np.array([gap]))
        if flat or gap <= mc(0.0):
            assert X[0] == 0.0 and dX[0] == 0.0
            continue
        assert mc(X[0]) == pytest.approx(gap, rel=1e-12)
        g = 1e-6 * gap
        up, down = (route_response(p, np.array([gap + d]))[0][0] for d in (g, -g))
        fd = (up - down) / (2 * g)
        assert dX[0] == pytest.approx(fd, rel=1e-6)
    assert route_response(p, np.array([ADJ - 1.0]))[0][0] == 0.0


def test_isoelastic_secant_below_the_floor():
    # below floor x X_prev the line is the secant to floor x X_prev: finite at X = 0 (tangent vertical, e > 1)
    p = one_route(XPREV, 2.0, 0.0)
    c, h = quadratic_route_model(p, np.array([0.0]), floor=1e-3)
    xf = 1e-3 * XPREV
    assert h[0] == pytest.approx((TAU * (xf / XPREV) ** 0.5) / xf, rel=1e-12)
    assert c[0] == pytest.approx(ADJ, rel=1e-12)
    assert np.isinf(route_marginal_cost_derivative(p, np.array([0.0]))[0])


def test_logit_form():
    # MC = a + tau - preference + w ln(X/flow), w = P_c/epsilon (P_c the commodity's mean anchor price)
    eps, pref = 8.0, 3.0
    ds = dataset([("A", "w", 100.0, 50.0, 200.0, 0.5, -0.5), ("B", "w", 10.0, 60.0, 250.0, 0.5, -0.5)],
                 [("A", "B", "w", XPREV, TAU, 0.0, 2.0, 0.0)])
    p = build_problem(ds.replace(routes=ds.routes.assign(cost_adjustment=ADJ, trade_elasticity=eps,
                                                         preference=pref)))
    w = 225.0 / eps

    def mc(x):
        return ADJ + TAU - pref + w * np.log(x / XPREV)

    assert p.kind[0] == LOGIT and type(FORMS[LOGIT]).__name__ == "Logit"
    assert not flat_cost_routes(p)[0]
    for x in (0.5, 7.0, 40.0, 95.0):
        X = np.array([x])
        assert route_marginal_cost(p, X)[0] == pytest.approx(mc(x), rel=1e-12)
        assert route_marginal_cost_derivative(p, X)[0] == pytest.approx(w / x, rel=1e-12)
        # the integral from 0 converges (x ln x -> 0): TC = (a + tau - pref) x + w x (ln(x/flow) - 1)
        assert route_total_cost(p, X)[0] == pytest.approx(quad(mc, 0.0, x, limit=200)[0], rel=1e-9)
        c, hq = quadratic_route_model(p, X)
        assert c[0] + hq[0] * x == pytest.approx(mc(x), rel=1e-12) and hq[0] == pytest.approx(w / x)
    assert route_marginal_cost(p, np.array([0.0]))[0] == -np.inf
    # the response is positive at every gap, also far below the cost (no all-or-nothing)
    for gap in (-200.0, 0.0, ADJ + TAU - pref, 60.0):
        X, dX = route_response(p, np.array([gap]))
        assert X[0] == pytest.approx(XPREV * np.exp((gap - ADJ - TAU + pref) / w), rel=1e-12)
        assert X[0] > 0 and dX[0] == pytest.approx(X[0] / w, rel=1e-12)
        assert mc(X[0]) == pytest.approx(gap, rel=1e-9, abs=1e-9)
    # at zero flow the SQP's line is the tangent at floor x A, finite
    c, h = quadratic_route_model(p, np.array([0.0]), floor=1e-3)
    assert np.isfinite(c[0]) and h[0] == pytest.approx(w / (1e-3 * XPREV * np.exp(pref / w)), rel=1e-12)
