"""Two-way trade and graded responses with the logit route cost (`petra.model.route_costs.Logit`,
issue 26): its equilibrium is RAS's biproportional scaling (checked against a RAS written here), a
tariff moves its route's flow by exactly exp(-t/w) relative to the others, the calibration keeps observed
two-way trade with every trade cost >= 0, random instances meet the independent KKT check, and the
projection does not depend on the period step."""

import numpy as np
import pytest
from builders import dataset
from kkt_check import max_violation

from petra.calibration.base_year import calibrate_base_year
from petra.calibration.config import CalibrationConfig
from petra.model.problem import LOGIT, build_problem
from petra.model.recursive import PeriodInputs, project_periods
from petra.model.solve import solve

EPS = 6.0


def plain_ras(seed: np.ndarray, rows: np.ndarray, cols: np.ndarray, rounds: int = 5000) -> np.ndarray:
    """Biproportional scaling of a dense matrix to row and column sums (written for this test)."""
    x = seed.copy()
    for _ in range(rounds):
        x *= (rows / x.sum(axis=1))[:, None]
        x *= (cols / x.sum(axis=0))[None, :]
    return x


def logit_dataset(markets, routes, preference=None, adjustment=None):
    ds = dataset(markets, routes)
    r = ds.routes.assign(trade_elasticity=EPS)
    if preference is not None:
        r = r.assign(preference=preference)
    if adjustment is not None:
        r = r.assign(cost_adjustment=adjustment)
    return ds.replace(routes=r)


def test_logit_equilibrium_is_the_ras_of_its_seed():
    # exporters without consumption, importers without production: no domestic routes, so the flows
    # are A*exp((p_j - p_i - a - tau)/w), a seed times an exporter factor times an importer factor
    rng = np.random.default_rng(3)
    ex, im = ["E1", "E2", "E3"], ["I1", "I2", "I3", "I4"]
    markets = [(e, "w", float(rng.uniform(50, 150)), 0.0, 200.0, 0.6, 0.0) for e in ex] + \
              [(i, "w", 0.0, float(rng.uniform(40, 120)), 260.0, 0.0, -0.4) for i in im]
    flows = rng.uniform(1, 40, (3, 4))
    tau = rng.uniform(5, 60, (3, 4))
    pref = rng.uniform(-20, 20, (3, 4))
    routes = [(e, i, "w", float(flows[a, b]), float(tau[a, b]), 0.0, None, 1.0)
              for a, e in enumerate(ex) for b, i in enumerate(im)]
    ds = logit_dataset(markets, routes, preference=pref.ravel())
    assert (build_problem(ds).kind == LOGIT).all()
    res = solve(ds, tol=1e-10)
    assert res.ok and max_violation(ds, res)["max"] < 1e-9
    X = res.flows["flow"].to_numpy().reshape(3, 4)
    w = (3 * 200.0 + 4 * 260.0) / 7 / EPS  # the mean of the markets' anchor prices / epsilon
    seed = flows * np.exp(pref / w) * np.exp(-tau / w)
    ras = plain_ras(seed, X.sum(axis=1), X.sum(axis=0))
    assert X == pytest.approx(ras, rel=1e-7)
    assert (X > 0).all()


def two_by_two(tariff: float):
    markets = [("A", "w", 100.0, 30.0, 200.0, 0.5, -0.5), ("B", "w", 80.0, 30.0, 210.0, 0.5, -0.5),
               ("C", "w", 20.0, 90.0, 260.0, 0.5, -0.5), ("D", "w", 10.0, 60.0, 250.0, 0.5, -0.5)]
    routes = [("A", "C", "w", 40.0, 30.0, tariff, None, 1.0), ("A", "D", "w", 30.0, 35.0, 0.0, None, 1.0),
              ("B", "C", "w", 30.0, 40.0, 0.0, None, 1.0), ("B", "D", "w", 20.0, 25.0, 0.0, None, 1.0)]
    return logit_dataset(markets, routes, preference=[-20.0, -10.0, 5.0, 10.0])


def test_a_tariff_moves_its_route_by_exp_minus_t_over_w_relative_to_the_others():
    base, taxed = (solve(two_by_two(t), tol=1e-10) for t in (0.0, 50.0))
    assert base.ok and taxed.ok
    x0, x1 = (r.flows["flow"].to_numpy() for r in (base, taxed))
    cross = (x1[0] * x1[3] / (x1[1] * x1[2])) / (x0[0] * x0[3] / (x0[1] * x0[2]))
    w = (200.0 + 210.0 + 260.0 + 250.0) / 4 / EPS
    assert cross == pytest.approx(np.exp(-50.0 / w), rel=1e-8)
    # graded: the taxed route falls but keeps trade, its competitor into C gains
    assert 0.0 < x1[0] < x0[0] and x1[2] > x0[2]


def test_calibration_keeps_two_way_trade_with_costs_not_below_zero():
    # A and B trade both ways (40 and 10); isoelastic calibration nets the pair, the logit keeps it
    markets = [("A", "w", 100.0, 70.0, 200.0, 0.5, -0.5), ("B", "w", 40.0, 70.0, 240.0, 0.5, -0.5)]
    routes = [("A", "B", "w", 40.0, 20.0, 0.0, None, 1.0), ("B", "A", "w", 10.0, 20.0, 5.0, None, 1.0)]
    ds = dataset(markets, routes)
    isoelastic = CalibrationConfig(trade_elasticity=None)
    netted = calibrate_base_year(ds, isoelastic).dataset.routes["flow"].to_numpy()
    assert netted == pytest.approx([30.0, 0.0])
    cal = calibrate_base_year(ds, CalibrationConfig(trade_elasticity=EPS))
    r = cal.dataset.routes
    assert r["flow"].to_numpy() == pytest.approx([40.0, 10.0])
    assert (r["transport_cost"] + r["tariff"] + r["cost_adjustment"] >= 0).all()
    trade = cal.dataset.markets["trade_price"].to_numpy()
    gap = trade[1] - trade[0]
    # the B -> A leg runs against the trade-price gap: its preference is its cost plus the gap
    assert r["preference"].iloc[1] == pytest.approx(r["transport_cost"].iloc[1] + 5.0
                                                    + r["cost_adjustment"].iloc[1] + gap, rel=1e-9)
    assert r["preference"].iloc[0] == pytest.approx(0.0, abs=1e-9)
    res = solve(cal.dataset, tol=1e-10)
    assert res.ok and res.flows["flow"].to_numpy() == pytest.approx([40.0, 10.0], rel=1e-8)
    assert max_violation(cal.dataset, res)["max"] < 1e-9


@pytest.mark.parametrize("seed", range(12))
def test_random_logit_instances_meet_the_kkt_conditions(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(3, 7))
    names = [f"R{i}" for i in range(n)]
    markets = [(r, "w", float(rng.uniform(0, 100) * (rng.random() > 0.15)), float(rng.uniform(10, 100)),
                float(rng.uniform(100, 300)), float(rng.uniform(0.1, 1.0)), float(-rng.uniform(0.1, 1.0)))
               for r in names]
    routes, pref = [], []
    for a in names:
        for b in names:
            if a != b and rng.random() < 0.7:
                traded = rng.random() < 0.7
                routes.append((a, b, "w", float(rng.uniform(1, 30)) if traded else 0.0,
                               float(rng.uniform(0, 50)), float(rng.uniform(0, 20) * (rng.random() < 0.3)),
                               None, float(rng.uniform(0.1, 2.0))))
                pref.append(float(rng.uniform(-30, 30)))
    if not routes:
        pytest.skip("no routes drawn")
    ds = logit_dataset(markets, routes, preference=pref)
    res = solve(ds, tol=1e-9)
    assert res.ok, res.status
    assert max_violation(ds, res)["max"] < 1e-8
    p = build_problem(ds)
    served = (p.S0[p.exporter] > 0) & (p.D0[p.importer] > 0)
    logit = p.kind == LOGIT
    # every logit route between a supply and a demand node trades (its marginal cost is -inf at 0)
    assert (res.flows["flow"].to_numpy()[logit & served] > 0).all()


def test_logit_projection_does_not_depend_on_the_period_step():
    ds = two_by_two(0.0)
    p = build_problem(ds)
    grown = p.D0 * np.array([1.0, 1.0, 1.5, 1.2])

    def run(steps):
        inputs = [PeriodInputs(key=k, production=p.S0 * (1 + 0.2 * f), consumption=p.D0 + (grown - p.D0) * f,
                               years=dt) for k, (f, dt) in enumerate(steps)]
        proj = project_periods(p, inputs, tol=1e-11)
        assert proj.ok
        return proj.X[-1]

    assert run([(1.0, 10.0)]) == pytest.approx(run([(0.5, 5.0), (1.0, 5.0)]), rel=1e-8)


def test_a_preference_beyond_100_logit_scales_is_refused_naming_row_and_column(tmp_path):
    from petra.dataset import load_dataset
    from petra.errors import InputError

    ds = two_by_two(0.0)
    ds.markets.to_csv(tmp_path / "markets.csv", index=False)
    r = ds.routes.copy()
    r["expansion_elasticity"] = np.nan  # written empty: constant cost (unused on logit routes)
    w = (200.0 + 210.0 + 260.0 + 250.0) / 4 / EPS
    r.loc[2, "preference"] = 101.0 * w  # the third data row: line 4 of routes.csv
    r.to_csv(tmp_path / "routes.csv", index=False)
    with pytest.raises(InputError, match=r"line 4, column 'preference'.*101 logit scales.*at most 100"):
        load_dataset(tmp_path)
    r.loc[2, "preference"] = 99.0 * w  # within the bound: loads and solves
    r.to_csv(tmp_path / "routes.csv", index=False)
    assert solve(load_dataset(tmp_path), tol=1e-9).ok
