"""Time-consistent expansion costs: the expansion elasticity is per year and a period of dt years uses
e*dt, on a two-region case whose every period is solved independently by root finding."""

import numpy as np
import pytest
from builders import dataset
from scipy.optimize import brentq

from petra.calibration.base_year import calibrate_base_year
from petra.calibration.config import CalibrationConfig
from petra.model.problem import build_problem
from petra.model.recursive import MAX_PERIOD_ELASTICITY, PeriodInputs, period_elasticity, project_periods

E = 0.05         # per year
TAU, A0 = 30.0, 30.0  # transport cost, calibrated adjustment (observed gap 60)
SHOCK = 1.3      # B's demand anchor from the first projected year on (a persistent shock)

# A (200) exports 40 to B (260): linear curves with elasticities 0.5 / -0.5 through the observed point
DS = dataset([("A", "w", 100.0, 60.0, 200.0, 0.5, -0.5), ("B", "w", 40.0, 80.0, 260.0, 0.5, -0.5)],
             [("A", "B", "w", 40.0, TAU, 0.0, E, 0.5), ("B", "A", "w", 0.0, TAU, 0.0, None, 1.0)])


def gap(x, shock=SHOCK):
    """P_B - P_A at which A's excess supply and B's excess demand both equal x (demand of B x shock)."""
    pa = 200.0 + (x - 40.0) / (0.5 * 100 / 200 + 0.5 * 60 / 200)
    sb, db = 40.0, 80.0 * shock
    pb = 260.0 + ((db - sb) - x) / (0.5 * sb / 260 + 0.5 * db / 260)
    return pb - pa


def by_root_finding(steps):
    """Flows after each period of the given lengths (years), each solved by brentq."""
    x, out = 40.0, []
    for dt in steps:
        prev = x
        x = brentq(lambda z, prev=prev, dt=dt: gap(z) - A0 - TAU * (z / prev) ** (1 / (E * dt)), 1e-12, 500)
        out.append(x)
    return out


def by_petra(steps):
    cal = calibrate_base_year(DS, CalibrationConfig(trade_elasticity=None, method="exact")).dataset
    p = build_problem(cal)
    assert p.adjustment[0] == pytest.approx(A0)
    demand = p.D0 * np.array([1.0, SHOCK])
    inputs = [PeriodInputs(key=k, production=p.S0, consumption=demand, years=dt)
              for k, dt in enumerate(steps)]
    proj = project_periods(p, inputs, tol=1e-10)
    assert proj.ok
    return [X[0] for X in proj.X]


def test_periods_of_any_length_match_root_finding():
    for steps in ([1.0] * 10, [10.0], [5.0, 5.0], [2.0, 3.0, 5.0]):
        np.testing.assert_allclose(by_petra(steps), by_root_finding(steps), rtol=1e-7)
    assert period_elasticity(np.array([0.5, np.inf]), 10).tolist() == [5.0, np.inf]
    # capped at MAX_PERIOD_ELASTICITY (a flat cost the solver cannot resolve); constant routes stay so
    capped = period_elasticity(np.array([10.0, 4.0, np.inf]), 10)
    assert capped.tolist() == [MAX_PERIOD_ELASTICITY, 40.0, np.inf]


def test_one_ten_year_step_is_close_to_ten_one_year_steps():
    annual = by_root_finding([1.0] * 10)[-1]
    decade = by_root_finding([10.0])[-1]
    five = by_root_finding([5.0, 5.0])[-1]
    # the old rule (the elasticity per period, whatever its length): one ten-year period with e
    prev = 40.0
    old = brentq(lambda z: gap(z) - A0 - TAU * (z / prev) ** (1 / E), 1e-12, 500)
    # per year the distance to the long-run flow shrinks by 1/(1 + e*k) = 0.645 here (see below): ten
    # one-year steps leave 0.645^10 = 1 % of it, one ten-year step 1/(1 + 10*e*k) = 15 %, two five-year
    # steps 7 %; the old rule (one period with e) 65 %
    change = annual - 40.0
    assert abs(decade - annual) < 0.2 * change and abs(five - annual) < 0.1 * change
    assert abs(old - annual) > 0.5 * change


def test_long_run_convergence_and_speed_per_year():
    # the flow converges to the level at which the gap equals the route's cost a + tau (linear curves:
    # solved in closed form by brentq on a linear function), geometrically at 1/(1 + e*k) per year,
    # k = X*|gap'(X*)|/tau
    x_star = brentq(lambda z: gap(z) - A0 - TAU, 1e-12, 500)
    slope = (gap(x_star + 1e-3) - gap(x_star - 1e-3)) / 2e-3
    k = x_star * abs(slope) / TAU
    path = by_root_finding([1.0] * 120)
    assert path[-1] == pytest.approx(x_star, rel=1e-9)
    d = np.abs(np.log(np.array(path[25:29])) - np.log(x_star))
    np.testing.assert_allclose(d[1:] / d[:-1], 1.0 / (1.0 + E * k), rtol=1e-3)
    np.testing.assert_allclose(by_petra([1.0] * 30)[-1], path[29], rtol=1e-7)
