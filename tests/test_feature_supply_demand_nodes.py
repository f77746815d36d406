"""Supply and demand nodes (issue 24): a region exports only what it produces. Hand-solved cases, the
dual Newton's links, every solve path on random instances against the independent KKT check."""

import numpy as np
import pytest
from builders import dataset
from kkt_check import max_violation

import petra
from petra.model.dual_newton import dual_newton
from petra.model.nodes import split_nodes
from petra.model.problem import build_problem


def _route(exporter, importer, tau, slope, flow=0.0, e=None):
    return (exporter, importer, "w", flow, tau, 0.0, e, slope)


def test_a_transit_hub_carries_nothing_by_hand():
    # A (S = p) supplies C (D = 200 - p). B, with neither production nor consumption, offers a cheap
    # chain A -> B -> C (cost 1 + 1) next to the direct route (10 + 0.1 X). Without re-exports the
    # chain is closed: X = 190/2.1 on A -> C, p_A = X, p_C = 200 - X
    ds = dataset([("A", "w", 100, 0, 100, 1.0, 0.0), ("B", "w", 0, 0, 100, 1.0, -1.0),
                  ("C", "w", 0, 100, 100, 0.0, -1.0)],
                 [_route("A", "B", 1.0, 0.01), _route("B", "C", 1.0, 0.01), _route("A", "C", 10.0, 0.1)])
    res = petra.solve(ds)
    assert res.ok
    x = 190.0 / 2.1
    flows = res.flows.set_index(["exporter", "importer"])["flow"]
    assert flows[("A", "C")] == pytest.approx(x, rel=1e-9)
    assert flows[("A", "B")] == 0.0 and flows[("B", "C")] == 0.0
    prices = res.markets.set_index("region")["price"]
    assert prices["A"] == pytest.approx(x, rel=1e-9)
    assert prices["C"] == pytest.approx(200.0 - x, rel=1e-9)
    assert max_violation(ds, res)["max"] < 1e-9


def _exporting_importer():
    """B sells its whole production to C and buys its whole consumption from A (see the test)."""
    return dataset([("A", "w", 100, 0, 100, 1.0, 0.0), ("B", "w", 100, 100, 100, 1.0, -1.0),
                    ("C", "w", 0, 200, 200, 0.0, -1.0)],
                   [_route("A", "B", 5.0, 0.01), _route("B", "C", 5.0, 0.01), _route("A", "C", 200.0, 0.01)])


def test_a_region_exports_its_production_and_imports_its_consumption_by_hand():
    # S_A = p_A, S_B = ps_B, D_B = 200 - p_B, D_C = 400 - p_C. B's producers get C's price less the
    # route cost, B's consumers pay A's price plus the route cost: p_B = p_A + 5 + 0.01a with a = p_A =
    # 200 - p_B gives a = 195/2.01; ps_B = p_C - 5 - 0.01b with b = ps_B = 400 - p_C gives b = 395/2.01.
    # ps_B > p_B: B consumes none of its own production (the domestic route is unused)
    ds = _exporting_importer()
    res = petra.solve(ds)
    assert res.ok
    a, b = 195.0 / 2.01, 395.0 / 2.01
    flows = res.flows.set_index(["exporter", "importer"])["flow"]
    assert flows[("A", "B")] == pytest.approx(a, rel=1e-9)
    assert flows[("B", "C")] == pytest.approx(b, rel=1e-9)
    assert flows[("A", "C")] == 0.0
    mk = res.markets.set_index("region")
    assert mk.loc["B", "price"] == pytest.approx(200.0 - a, rel=1e-9)
    assert mk.loc["B", "supply_price"] == pytest.approx(b, rel=1e-9)
    assert mk.loc["B", "production"] == pytest.approx(b, rel=1e-9)   # exports = production
    assert mk.loc["B", "consumption"] == pytest.approx(a, rel=1e-9)  # imports = consumption
    assert mk.loc["C", "price"] == pytest.approx(400.0 - b, rel=1e-9)
    assert max_violation(ds, res)["max"] < 1e-9


def test_dual_newton_opens_a_link_by_hand():
    # the same equilibrium by Newton on the dual alone, from the anchor prices: B's domestic link starts
    # tight (one price) and must open (two prices)
    ds = _exporting_importer()
    p = build_problem(ds)
    split = split_nodes(p)
    dn = dual_newton(split.problem, split.problem.P0, tol=1e-12)
    assert dn is not None
    res = petra.solve(ds)
    S, D, X, price, supply = (res.markets["production"].to_numpy(), res.markets["consumption"].to_numpy(),
                              res.flows["flow"].to_numpy(), res.markets["price"].to_numpy(),
                              res.markets["supply_price"].to_numpy())
    sn, dn_ = split.supply_node, split.demand_node
    np.testing.assert_allclose(dn.price[sn[sn >= 0]], supply[sn >= 0], rtol=1e-9)
    np.testing.assert_allclose(dn.price[dn_[dn_ >= 0]], price[dn_ >= 0], rtol=1e-9)
    np.testing.assert_allclose(dn.X[split.trade_route[split.trade_route >= 0]], X[split.trade_route >= 0],
                               rtol=1e-9, atol=1e-9)
    assert dn.S[sn[sn >= 0]] == pytest.approx(S[sn >= 0], rel=1e-9)
    assert dn.D[dn_[dn_ >= 0]] == pytest.approx(D[dn_ >= 0], rel=1e-9)


def test_the_split_is_the_market_problem_where_no_region_would_re_export():
    # two regions, positive costs: no chain is possible, and the split problem's equilibrium is the
    # one-node equilibrium (solved by hand: S_A = p_A, D_B = 300 - p_B, gap = 10 + 0.1X)
    ds = dataset([("A", "w", 100, 0, 100, 1.0, 0.0), ("B", "w", 0, 200, 100, 0.0, -0.5)],
                 [_route("A", "B", 10.0, 0.1)])
    res = petra.solve(ds)
    # D_B = 200 - 0.5*200/100*(p - 100) = 300 - p; X = p_A = 300 - p_B; p_B - p_A = 10 + 0.1X
    x = 290.0 / 2.1
    assert res.flows["flow"].iloc[0] == pytest.approx(x, rel=1e-9)
    assert res.markets["price"].tolist() == pytest.approx([x, 300.0 - x], rel=1e-9)


def _random_world(rng, n, negative_share=0.3):
    """Random markets with rising-cost routes, some with negative adjustments, which make chains and
    re-exports profitable in a one-node model."""
    markets, routes = [], []
    for i in range(n):
        prod = float(rng.choice([0.0, rng.uniform(20, 200)]))
        cons = float(rng.choice([0.0, rng.uniform(20, 200)])) if prod > 0 else float(rng.uniform(20, 200))
        markets.append((f"R{i}", "w", prod, cons, float(rng.uniform(80, 160)), 0.8, -0.6))
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            flow = float(rng.uniform(1, 30)) if rng.random() < 0.4 else 0.0
            routes.append((f"R{i}", f"R{j}", "w", flow, float(rng.uniform(2, 40)), 0.0,
                           float(rng.choice([0.5, 2.0, 4.0])) if flow > 0 else None, 0.05))
    ds = dataset(markets, routes)
    adj = np.where(rng.random(len(routes)) < negative_share, -rng.uniform(0, 30, len(routes)), 0.0)
    return ds.replace(routes=ds.routes.assign(cost_adjustment=adj))


@pytest.mark.parametrize("seed", range(10))
def test_random_worlds_export_only_their_production(seed):
    rng = np.random.default_rng(seed)
    ds = _random_world(rng, int(rng.integers(3, 9)))
    res = petra.solve(ds, tol=1e-9)
    assert res.ok
    v = max_violation(ds, res)
    assert v["max"] < 1e-7, v
    mk = res.markets.set_index("region")
    exports = res.flows.groupby("exporter")["flow"].sum().reindex(mk.index, fill_value=0.0)
    assert (exports <= mk["production"] * (1 + 1e-9) + 1e-9).all()
    # Pyomo's persistent HiGHS loader solves the same model
    pyo = petra.solve(ds, tol=1e-9, loader="pyomo")
    np.testing.assert_allclose(pyo.flows["flow"], res.flows["flow"], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("seed", range(6))
def test_dual_newton_with_links_matches_the_qp_path(seed):
    rng = np.random.default_rng(100 + seed)
    ds = _random_world(rng, int(rng.integers(3, 9)))
    split = split_nodes(build_problem(ds))
    dn = dual_newton(split.problem, split.problem.P0, tol=1e-10)
    assert dn is not None
    res = petra.solve(ds, tol=1e-10)
    tr = split.trade_route
    np.testing.assert_allclose(dn.X[tr[tr >= 0]], res.flows["flow"].to_numpy()[tr >= 0], rtol=1e-6,
                               atol=1e-6 * split.problem.q_scale[0])


def test_observed_re_exports_are_traced_to_direct_flows_by_hand():
    # hub K produces 10, imports 30 from I and 10 from I2, exports 35 to J and 15 to J2: it re-exports
    # R = 50 - 10 = 40, a mix of its imports (3/4 I, 1/4 I2) sent as its exports (0.7 J, 0.3 J2):
    # I -> J 21, I -> J2 9, I2 -> J 7, I2 -> J2 3; K keeps imports 0 and exports 7 and 3 (= production)
    from petra.calibration.reexports import net_reexports

    regions = ["I", "I2", "K", "J", "J2"]
    prod = {"I": 100.0, "I2": 50.0, "K": 10.0, "J": 0.0, "J2": 0.0}
    flows = {("I", "K"): 30.0, ("I2", "K"): 10.0, ("K", "J"): 35.0, ("K", "J2"): 15.0}
    markets = []
    for r in regions:
        imports = sum(v for (e, i), v in flows.items() if i == r)
        exports = sum(v for (e, i), v in flows.items() if e == r)
        markets.append((r, "w", prod[r], prod[r] + imports - exports, 100.0, 0.5, -0.5))
    routes = [(e, i, "w", flows.get((e, i), 0.0), 10.0, 0.0, 2.0, 1.0) for e in regions for i in regions
              if e != i]
    ds = dataset(markets, routes)
    p = build_problem(ds)
    out = net_reexports(p, p.S0, p.flow_prev)
    got = dict(zip(zip(ds.routes["exporter"], ds.routes["importer"], strict=True), out.X, strict=True))
    expected = {("I", "J"): 21.0, ("I", "J2"): 9.0, ("I2", "J"): 7.0, ("I2", "J2"): 3.0, ("K", "J"): 7.0,
                ("K", "J2"): 3.0}
    for key, value in got.items():
        assert value == pytest.approx(expected.get(key, 0.0), abs=1e-12), key
    hub = out.hubs.set_index("region").loc["K"]
    assert hub["reexports"] == pytest.approx(40.0) and hub["share"] == pytest.approx(0.8)


def test_a_market_without_consumption_passes_on_even_a_round_off_import():
    # K consumes nothing: its import of 1e-10 from I (round-off of a balance) is traced to K's buyer like
    # any re-export, so that no flow enters a market the model gives no demand node
    from petra.calibration.reexports import net_reexports

    markets = [("I", "w", 100.0, 100.0 - 1e-10, 100.0, 0.5, -0.5), ("K", "w", 10.0, 0.0, 100.0, 0.5, -0.5),
               ("J", "w", 0.0, 10.0 + 1e-10, 100.0, 0.5, -0.5)]
    flows = {("I", "K"): 1e-10, ("K", "J"): 10.0 + 1e-10}
    regions = ["I", "K", "J"]
    routes = [(e, i, "w", flows.get((e, i), 0.0), 10.0, 0.0, 2.0, 1.0) for e in regions for i in regions
              if e != i]
    p = build_problem(dataset(markets, routes))
    X = dict(zip(zip(p.region[p.exporter], p.region[p.importer], strict=True),
                 net_reexports(p, p.S0, p.flow_prev).X, strict=True))
    assert X[("I", "K")] == 0.0
    assert X[("I", "J")] == pytest.approx(1e-10, rel=1e-6)
    assert X[("K", "J")] == pytest.approx(10.0, rel=1e-12)
