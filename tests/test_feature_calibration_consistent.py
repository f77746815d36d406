"""Consistent calibration (`method = "consistent"`): cycles netted out of the observed flows with net
trade kept, trade-point prices whose gap along every used route is at least its transport cost + tariff
(the reported prices stay observed), robust to an implausible price, an exact equilibrium with
non-negative cost adjustments; hand-solved cases and random instances."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from builders import dataset

import petra
import petra.data as pdata
from petra.calibration.base_year import calibrate_base_year
from petra.calibration.config import CalibrationConfig, ConsistentConfig
from petra.dataset import load_dataset
from petra.model.diagnostics import cyclic_commodities
from petra.model.problem import build_problem

CONSISTENT = CalibrationConfig(trade_elasticity=None, method="consistent")


def test_consistent_is_the_default():
    assert CalibrationConfig().method == "consistent"


def _market(region, production, consumption, price):
    return (region, "w", production, consumption, price, 0.5, -0.5)


def _route(exporter, importer, flow, tau=10.0):
    return (exporter, importer, "w", flow, tau, 0.0, 2.0, 1.0)


def _net_exports(ds) -> pd.Series:
    r = ds.routes
    return (r.groupby("exporter")["flow"].sum().sub(r.groupby("importer")["flow"].sum(), fill_value=0.0))


def test_cycle_netted_out_by_hand():
    # A -> B 10, B -> C 6, C -> A 4: the cycle carries 4; netting removes it and keeps net trade
    # (A +6, B -4, C -2): A -> B 6, B -> C 2, C -> A 0
    markets = [_market("A", 100, 94, 200), _market("B", 50, 54, 210), _market("C", 60, 62, 220)]
    routes = [_route("A", "B", 10), _route("B", "C", 6), _route("C", "A", 4),
              _route("B", "A", 0), _route("C", "B", 0), _route("A", "C", 0)]
    ds = dataset(markets, routes)
    cal = calibrate_base_year(ds, CONSISTENT)
    flows = cal.dataset.routes.set_index(["exporter", "importer"])["flow"]
    assert flows[("A", "B")] == pytest.approx(6.0, abs=1e-9)
    assert flows[("B", "C")] == pytest.approx(2.0, abs=1e-9)
    assert flows[("C", "A")] == 0.0
    pd.testing.assert_series_equal(_net_exports(cal.dataset).sort_index(), _net_exports(ds).sort_index(),
                                   atol=1e-9)
    assert not cyclic_commodities(build_problem(cal.dataset), cal.dataset.routes["flow"].to_numpy()).any()
    c = cal.consistency.commodities.iloc[0]
    assert bool(c["cyclic_before"]) and not bool(c["cyclic_after"])
    assert c["moved_share"] == pytest.approx(12.0 / 20.0)  # 3 routes x 4 of 20 observed
    assert c["routes_closed"] == 1
    # the exact method keeps the cycle and its negative implied costs
    exact = calibrate_base_year(ds, CalibrationConfig(trade_elasticity=None, method="exact"))
    assert (exact.dataset.routes["flow"] == ds.routes["flow"]).all()
    assert len(exact.negative) == 1  # C (220) -> A (200)


SD_A, SD_B = 0.25 * 110, 0.25 * 100  # the default price_sd x observed price
W_A, W_B = 100 / 85, 70 / 85  # price weights: market size max(S0, D0) over the mean size


def test_route_from_the_dearer_market_by_hand():
    # A (110) exports 20 to B (100) with transport 10: at trade-point prices pi_B - pi_A = t >= 10 (the
    # default floor is the prior). Raising t only adds cost, so t = 10 and the two trade prices share
    # the move of 20 in proportion to their weighted variances (both within the Huber threshold):
    # min W_A ((pi_A - 110)/SD_A)^2 + W_B ((pi_A + 10 - 100)/SD_B)^2. The reported prices stay observed.
    markets = [_market("A", 100, 80, 110), _market("B", 50, 70, 100)]
    routes = [_route("A", "B", 20), _route("B", "A", 0)]
    cal = calibrate_base_year(dataset(markets, routes), CONSISTENT)
    pa = (W_A * 110 / SD_A**2 + W_B * 90 / SD_B**2) / (W_A / SD_A**2 + W_B / SD_B**2)
    mk = cal.dataset.markets.set_index("region")
    assert mk["price"].tolist() == [110.0, 100.0]
    assert mk.loc["A", "trade_price"] == pytest.approx(pa, rel=1e-7)
    assert mk.loc["B", "trade_price"] == pytest.approx(pa + 10.0, rel=1e-7)
    r = cal.dataset.routes.set_index(["exporter", "importer"])
    assert r.loc[("A", "B"), "flow"] == 20.0
    assert r.loc[("A", "B"), "transport_cost"] == 10.0  # the prior stays the transport cost
    assert r.loc[("A", "B"), "cost_adjustment"] == pytest.approx(0.0, abs=1e-6)
    assert len(cal.negative) == 0
    res = petra.solve(cal.dataset)
    np.testing.assert_allclose(res.markets["price"], [110.0, 100.0], rtol=1e-9)
    np.testing.assert_allclose(res.flows["flow"], [20.0, 0.0], atol=1e-6)


def test_floor_share_below_one_lets_the_transport_cost_fall_below_its_prior():
    # floor 0.5: t >= 5. With the price move D = 10 + t shared as above, the loss is
    # D^2 / (2 v) + ((t - 10) / (0.5 x 10))^2 / 2 with v = SD_A^2/W_A + SD_B^2/W_B, minimal at
    # t = (10/25 - 10/v) / (1/25 + 1/v), above the floor
    markets = [_market("A", 100, 80, 110), _market("B", 50, 70, 100)]
    routes = [_route("A", "B", 20), _route("B", "A", 0)]
    cfg = CalibrationConfig(trade_elasticity=None, method="consistent",
                            consistent=ConsistentConfig(transport_floor_share=0.5))
    cal = calibrate_base_year(dataset(markets, routes), cfg)
    v = SD_A**2 / W_A + SD_B**2 / W_B
    t = (10 / 25 - 10 / v) / (1 / 25 + 1 / v)
    mk = cal.dataset.markets.set_index("region")["trade_price"]
    assert mk["B"] - mk["A"] == pytest.approx(t, rel=1e-7)
    r = cal.dataset.routes.set_index(["exporter", "importer"]).loc[("A", "B")]
    # below its prior, the calibrated cost is the route's transport cost (adjustments stay >= 0)
    assert r["transport_cost"] == pytest.approx(t, rel=1e-6) and r["cost_adjustment"] == 0.0


def test_an_implausible_price_does_not_drag_a_major_exporter():
    # A (300) supplies five importers priced 330-350 and one small importer C whose observed price (3)
    # is a hundredfold off, outside the plausible band (4x the median 335): C's trade price follows A's,
    # A stays within 5 % of observed, and C is listed
    markets = [_market("A", 1000, 100, 300)] + [_market(f"B{k}", 10, 160, 330 + 5 * k) for k in range(5)]
    markets.append(_market("C", 0, 50, 3.0))
    routes = [_route("A", f"B{k}", 150) for k in range(5)] + [_route("A", "C", 50)]
    cal = calibrate_base_year(dataset(markets, routes), CONSISTENT)
    mk = cal.dataset.markets.set_index("region")
    assert abs(mk.loc["A", "trade_price"] / 300 - 1) < 0.05
    assert mk.loc["C", "price"] == 3.0 and mk.loc["C", "trade_price"] > 250
    bad = cal.consistency.inconsistent.set_index("region")
    assert "C" in bad.index and bad.loc["C", "partner"] == "A" and "imports from A" in bad.loc["C", "reason"]
    assert "more than 4 times off the median 335" in bad.loc["C", "reason"]
    # without the band (and with a squared loss) C drags A down: the contrast
    quad = calibrate_base_year(dataset(markets, routes), CalibrationConfig(trade_elasticity=None,
        consistent=ConsistentConfig(huber=1e6, plausible_band=1e6)))
    assert quad.dataset.markets.set_index("region").loc["A", "trade_price"] < 0.9 * 300


def _random_dataset(rng, n_regions, commodities=("w", "m")):
    """Random dense flows (cycles everywhere) on balanced markets: production = consumption + net exports,
    consumption raised where that would make production negative."""
    regions = [f"R{i}" for i in range(n_regions)]
    markets, routes = [], []
    for c in commodities:
        flows = rng.uniform(0, 50, (n_regions, n_regions)) * (rng.random((n_regions, n_regions)) < 0.6)
        np.fill_diagonal(flows, 0.0)
        net = flows.sum(axis=1) - flows.sum(axis=0)
        for i, reg in enumerate(regions):
            cons = max(rng.uniform(50, 300), -net[i])
            markets.append((reg, c, cons + net[i], cons, rng.uniform(150, 300), 0.4, -0.4))
            for j in range(n_regions):
                if i != j:
                    routes.append((reg, regions[j], c, flows[i, j], rng.uniform(2, 40), 0.0,
                                   float(rng.choice([1.0, 2.0, 4.0])), 1.0))
    return dataset(markets, routes)


def _commodity(ds, c):
    return ds.replace(routes=ds.routes[ds.routes["commodity"] == c])


@pytest.mark.parametrize("seed", range(12))
def test_random_matrices_calibrate_to_acyclic_equilibria(seed):
    rng = np.random.default_rng(seed)
    ds = _random_dataset(rng, int(rng.integers(3, 8)))
    cal = calibrate_base_year(ds, CONSISTENT)  # raises if the re-solve misses 1e-6
    out = cal.dataset
    p = build_problem(out)
    X = out.routes["flow"].to_numpy()
    assert not cyclic_commodities(p, X).any()
    for c in ("w", "m"):
        obs = _net_exports(_commodity(ds, c))
        new = _net_exports(_commodity(out, c))
        pd.testing.assert_series_equal(new.reindex(obs.index, fill_value=0.0), obs,
                                       atol=1e-8 * obs.abs().max())
    assert X.sum() <= ds.routes["flow"].sum() * (1 + 1e-12)  # netting never adds trade volume
    assert (out.markets["price"] == ds.markets["price"]).all()  # reported prices stay observed
    trade = out.markets["trade_price"].to_numpy()
    gap = trade[p.importer] - trade[p.exporter]
    used = X > 0
    assert (gap[used] >= p.tau[used] * (1 - 1e-7)).all()  # no used route from the dearer trade point
    assert (out.routes["cost_adjustment"].to_numpy() >= -1e-7 * p.p_scale[0]).all()
    mk = build_problem(out)
    exports = np.bincount(mk.exporter, X, mk.n_markets)
    assert (exports <= mk.S0 * (1 + 1e-9)).all()  # no region exports more than it produces
    # after a uniform 30% transport-cost cut, no cycle of routes carries trade
    cut = out.replace(routes=out.routes.assign(transport_cost=0.7 * out.routes["transport_cost"]))
    res = petra.solve(cut)
    assert res.ok and res.certificate["max_violation"] < 1e-6
    assert not cyclic_commodities(build_problem(cut), res.flows["flow"].to_numpy()).any()


def test_china9_consistent():
    ds = load_dataset(Path(pdata.__file__).parent / "china9")
    cal = calibrate_base_year(ds, CONSISTENT)
    c = cal.consistency.commodities
    assert c["cyclic_before"].sum() == 8  # the issue's count: 8 of china9's 13 commodities
    assert not c["cyclic_after"].any()
    assert c["dearer_routes_before"].sum() == 115 and c["dearer_routes_after"].sum() == 0
    assert (cal.dataset.markets["price"] == ds.markets["price"]).all()
    assert len(cal.negative) == 0
    assert cal.check["max_deviation"] < 1e-6
    # every market's net trade as observed (to 1e-9 of the market; the target is 1e-6)
    p0, p1 = build_problem(ds), build_problem(cal.dataset)
    n = p0.n_markets
    net = [np.bincount(q.exporter, q.flow_prev, n) - np.bincount(q.importer, q.flow_prev, n)
           for q in (p0, p1)]
    assert (np.abs(net[1] - net[0]) <= 1e-9 * np.maximum(p0.S0, p0.D0)).all()


def test_calibrate_command_method_option(tmp_path):
    from typer.testing import CliRunner

    from petra.cli import app

    src = Path(pdata.__file__).parent / "china9"
    runner = CliRunner()
    bad = runner.invoke(app, ["calibrate", str(src), "--out", str(tmp_path / "bad"), "--method", "nearest"])
    assert bad.exit_code == 2 and "method" in bad.output and not (tmp_path / "bad").exists()
    out = tmp_path / "cal"
    ok = runner.invoke(app, ["calibrate", str(src), "--out", str(out)])
    assert ok.exit_code == 0, ok.output
    table = pd.read_csv(out / "consistency_commodities.csv")
    assert not table["cyclic_after"].any() and table["cyclic_before"].sum() == 8
    assert "Consistent calibration: what moved" in (out / "report.html").read_text()
    exact = runner.invoke(app, ["calibrate", str(src), "--out", str(tmp_path / "exact"), "--method", "exact"])
    assert exact.exit_code == 0 and not (tmp_path / "exact" / "consistency_commodities.csv").exists()
    # exact: negative adjustments on the 115 dearer-market routes and on routes whose gap is below tau
    exact_routes = pd.read_csv(tmp_path / "exact" / "dataset" / "routes.csv")
    assert (exact_routes["cost_adjustment"] < 0).sum() >= 115
    assert (pd.read_csv(out / "dataset" / "routes.csv")["cost_adjustment"] >= -1e-9).all()


def test_cyclic_commodity_count_by_hand():
    from petra.projection.run import cyclic_commodity_count

    flows = pd.DataFrame({
        "period": [1, 1, 1, 1, 2, 2],
        "commodity": ["w", "w", "w", "m", "w", "w"],
        "exporter": ["A", "B", "C", "A", "A", "B"],
        "importer": ["B", "C", "A", "B", "B", "C"],
        "flow": [1.0, 2.0, 3.0, 1.0, 1.0, 0.0]})
    # period 1: w goes round A -> B -> C -> A; m does not; period 2: no cycle (B -> C carries nothing)
    assert cyclic_commodity_count(flows) == {1: 1, 2: 0}
