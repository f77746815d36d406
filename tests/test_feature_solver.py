"""The HiGHS solve: HiPO really runs, both loaders and the full-Pyomo objective agree, the
certificate catches violations."""

import json

import numpy as np
import pytest
from builders import dataset
from kkt_check import max_violation
from pyomo.contrib.solver.common.factory import SolverFactory
from typer.testing import CliRunner

import petra
from petra.cli import app
from petra.model.certificate import certificate
from petra.model.equilibrium_math import quadratic_route_model
from petra.model.formulation import build_pyomo_model, market_scales
from petra.model.highs_backend import DEFAULT_HIGHS_OPTIONS, HighsBackend
from petra.model.problem import build_problem
from petra.synthetic import world_dataset


def test_hipo_really_ran_on_a_medium_instance():
    # 40 regions x 2 commodities, 3120 routes: the interior-point solver HiPO must have iterated,
    # and the active-set QP solver (the silent fallback without highspy-extras) must not have
    r = petra.solve(world_dataset(40, 2, seed=3))
    assert r.ok
    assert r.solver["qp_solver_by_solve"][0] == "hipo"
    assert r.iterations["ipm"][0] > 0
    assert r.iterations["qp"][0] == 0


def test_highspy_extras_provides_hipo():
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("solver", "hipo")
    # a 1-variable QP: min (x-1)^2 = x^2 - 2x + 1 -> x = 1
    inf = highspy.kHighsInf
    h.addVars(1, np.array([-inf]), np.array([inf]))
    h.changeColsCost(1, np.array([0], dtype=np.int32), np.array([-2.0]))
    h.passHessian(1, 1, highspy.HessianFormat.kTriangular, np.array([0], dtype=np.int32),
                  np.array([0], dtype=np.int32), np.array([2.0]))
    h.run()
    assert h.getInfo().ipm_iteration_count > 0
    assert h.getSolution().col_value[0] == pytest.approx(1.0, abs=1e-7)


def test_direct_and_pyomo_loaders_give_the_same_equilibrium():
    ds = world_dataset(25, 2, seed=5)
    a = petra.solve(ds, loader="direct")
    b = petra.solve(ds, loader="pyomo")
    assert a.ok and b.ok
    np.testing.assert_allclose(a.markets["price"], b.markets["price"], rtol=1e-7)
    np.testing.assert_allclose(a.flows["flow"], b.flows["flow"], rtol=1e-6, atol=1e-6)


def test_full_pyomo_objective_agrees_with_the_array_objective():
    # the Pyomo model with its welfare objective, solved through SolverFactory("highs") with no petra
    # code in the loop, gives the same QP solution as the array-objective backend (first QP)
    p = build_problem(world_dataset(12, 1, seed=7))
    c, h = quadratic_route_model(p, p.flow_prev)
    model = build_pyomo_model(p, c, h, objective=True)
    opt = SolverFactory("highs")
    options = {k: v for k, v in DEFAULT_HIGHS_OPTIONS.items() if k != "output_flag"}
    res = opt.solve(model, solver_options=options)
    duals = res.solution_loader.get_duals()
    q, pr = market_scales(p)
    price_pyomo = np.array([duals[model.balance[i]] for i in model.MARKETS]) * pr
    ours = HighsBackend(p).solve(c, h)
    # Pyomo reports duals of a maximisation with the opposite sign to HiGHS's minimisation
    np.testing.assert_allclose(np.abs(price_pyomo), ours.price, rtol=1e-6)
    X = np.array([model.X[r].value for r in model.ROUTES]) * q[p.exporter]
    np.testing.assert_allclose(X, ours.X, rtol=1e-5, atol=1e-5 * q.max())


def test_certificate_detects_each_violation():
    ds = dataset([("A", "w", 100, 100, 200, 0.5, -0.5), ("B", "w", 100, 100, 300, 0.75, -0.75)],
                 [("A", "B", "w", 10, 30, 10, None, None)])
    p = build_problem(ds)
    # the hand-solved equilibrium (see test_feature_analytic): pA 230, pB 270, X 15
    S, D = np.array([107.5, 92.5]), np.array([92.5, 107.5])
    X, price = np.array([15.0]), np.array([230.0, 270.0])
    assert certificate(p, S, D, X, price).max_violation < 1e-14
    assert certificate(p, S, D, X * 1.01, price).balance > 1e-3           # balance broken
    assert certificate(p, S + [1, 0], D, X, price).supply > 1e-3          # supply off its curve
    assert certificate(p, S, D, X, price + [0, 5]).price_gap > 1e-3       # gap above marginal cost
    assert certificate(p, S, D, X, price - [0, 5]).used_routes > 1e-3     # used route below cost


def test_cli_writes_the_three_files(good_dataset_dir, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["solve", str(good_dataset_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(x.name for x in out.iterdir()) == [".petra-output.json", "flows.csv", "markets.csv",
                                                     "solve.json"]
    summary = json.loads((out / "solve.json").read_text())
    assert summary["certificate"]["max_violation"] <= 1e-6
    assert summary["status"] == "Optimal" and summary["converged"]
    assert {"total_seconds", "highs_seconds"} <= set(summary["timings"])
    assert (out / "flows.csv").read_text().splitlines()[0] == "exporter,importer,commodity,flow"
    header = (out / "markets.csv").read_text().splitlines()[0]
    assert header == "region,commodity,price,supply_price,production,consumption,disposal"


def test_cli_replaces_an_existing_output_whole(good_dataset_dir, tmp_path):
    out = tmp_path / "out"
    assert CliRunner().invoke(app, ["solve", str(good_dataset_dir), "--out", str(out)]).exit_code == 0
    (out / "stale.txt").write_text("old")  # a file in petra's own earlier output
    result = CliRunner().invoke(app, ["solve", str(good_dataset_dir), "--out", str(out)])
    assert result.exit_code == 0
    assert not (out / "stale.txt").exists()


def test_cli_exits_1_when_the_certificate_cannot_be_met(good_dataset_dir, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["solve", str(good_dataset_dir), "--out", str(out), "--tol", "0"])
    assert result.exit_code == 1
    assert "equilibrium not reached" in result.output
    assert not out.exists()


def test_stalled_hipo_iterate_is_refined_to_a_certified_equilibrium():
    # found by the property test: HiPO reports "no progress" (status Unknown) on the first QP of this
    # small badly scaled world (R2 must export a 7 Mt glut; prices turn negative); its primal-feasible
    # iterate with duals is refined, and the certificate, not the HiGHS status, decides
    inf = float("inf")
    ds = dataset([("R0", "c", 1998.809363, 1.0, 202.392581, 0.853669, -1.343317),
                  ("R1", "c", 0.0, 1609.527577, 48.267028, 0.470671, -0.247294),
                  ("R2", "c", 7255.814779, 1.0, 10.0, 0.0, -0.01),
                  ("R3", "c", 0.0, 1.0, 10.0, 0.0, -0.01)],
                 [("R1", "R0", "c", 1407.465854, 108.408925, 5.331758, inf, 0.0),
                  ("R1", "R2", "c", 1.609528, 197.147047, 28.427511, 7.25815, 0.0),
                  ("R2", "R1", "c", 1.609528, 84.333605, 24.118093, inf, 0.0),
                  ("R2", "R3", "c", 0.0, 103.371333, 21.113986, inf, 0.0),
                  ("R3", "R0", "c", 0.001, 168.197748, 2.39398, inf, 0.0)])
    r = petra.solve(ds)
    assert r.ok
    assert r.certificate["max_violation"] <= 1e-6
    assert max_violation(ds, r)["max"] <= 1e-6


def test_newton_jacobian_dense_equals_sparse_and_finite_differences():
    """The refinement's Jacobian of excess supply in prices, dense (small markets) and sparse, against
    central finite differences of S(p) - D(p) + imports(X(gap)) - exports (isoelastic and new routes)."""
    from petra.model.certificate import market_trade
    from petra.model.equilibrium_math import demand_at, excess_supply_jacobian, route_response, supply_at

    p = build_problem(world_dataset(12, 1, seed=3, traded_share=0.5))
    rng = np.random.default_rng(1)
    price = p.P0 * rng.uniform(0.9, 1.1, p.n_markets)  # gaps on both sides of the new routes' intercepts

    def excess(x):
        X, _ = route_response(p, x[p.importer] - x[p.exporter])
        imports, exports = market_trade(p, X)
        return supply_at(p, x) - demand_at(p, x) + imports - exports

    X, dX = route_response(p, price[p.importer] - price[p.exporter])
    S, D = supply_at(p, price), demand_at(p, price)
    assert (S > 0).all() and (D > 0).all() and (X > 0).any() and (dX > 0).any()
    dense = excess_supply_jacobian(p, S, D, dX, dense=True)
    sparse = excess_supply_jacobian(p, S, D, dX).toarray()
    np.testing.assert_allclose(dense, sparse, rtol=1e-14, atol=0)
    h = 1e-6 * price
    fd = np.column_stack([(excess(price + h[k] * np.eye(p.n_markets)[k])
                           - excess(price - h[k] * np.eye(p.n_markets)[k])) / (2 * h[k])
                          for k in range(p.n_markets)])
    np.testing.assert_allclose(dense, fd, rtol=1e-5, atol=1e-6 * np.abs(fd).max())
