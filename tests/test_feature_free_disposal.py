"""Free disposal: prices are never negative. A market whose supply exceeds what its demand takes at
price 0 and what it can export throws the excess away at price 0 (excess >= 0, price >= 0,
complementary), in the QP, the refinement, the certificate and the independent KKT check."""

import numpy as np
import pandas as pd
import pytest
from builders import GOOD_MARKETS, GOOD_ROUTES, dataset, write_csvs
from kkt_check import max_violation
from typer.testing import CliRunner

import petra
from petra.cli import app

# A: fixed supply 100 (es 0), demand 60 at 200 with ed -0.2, so D(0) = 60 + 0.2*60 = 72 < 100; A cannot
# export (only B -> A exists). Without disposal the balance needs a price of 200 - 40/(0.2*60/200) =
# -466.67 (what petra reported before); with it the price is 0, demand 72 and 28 are thrown away.
DS = dataset([("A", "w", 100.0, 60.0, 200.0, 0.0, -0.2), ("B", "w", 50.0, 50.0, 250.0, 0.5, -0.5)],
             [("B", "A", "w", 0.0, 30.0, 0.0, None, 1.0)])


@pytest.mark.parametrize("loader", ["direct", "pyomo"])
def test_an_excess_is_disposed_of_at_price_zero(loader):
    res = petra.solve(DS, loader=loader)
    assert res.ok and res.certificate["max_violation"] < 1e-9
    a = res.markets.set_index("region").loc["A"]
    assert a["price"] == pytest.approx(0.0, abs=1e-9)
    assert a["consumption"] == pytest.approx(72.0, rel=1e-9)
    assert a["disposal"] == pytest.approx(28.0, rel=1e-9)
    b = res.markets.set_index("region").loc["B"]
    assert b["price"] == pytest.approx(250.0, rel=1e-9) and b["disposal"] == pytest.approx(0.0, abs=1e-9)
    assert max_violation(DS, res)["max"] < 1e-9


def test_the_certificate_rejects_a_negative_price():
    from petra.model.certificate import certificate
    from petra.model.problem import build_problem

    p = build_problem(DS)
    S, D = np.array([100.0, 50.0]), np.array([100.0, 50.0])  # the old answer: balanced at -466.67
    cert = certificate(p, S, D, np.zeros(1), np.array([-466.6666666666667, 250.0]))
    assert cert.balance == pytest.approx(1.0)  # |min(0, -466.67/466.67)|: a negative price counts
    assert cert.demand < 1e-12  # on its curve at that price: only the balance condition catches it


def test_disposal_when_an_outlet_exists_only_beyond_its_cost():
    # A can export to B at cost 30 + slope: the excess goes to B until B's price minus the route cost
    # reaches A's price; A keeps a positive price, so nothing is disposed of
    ds = dataset([("A", "w", 100.0, 60.0, 200.0, 0.0, -0.2), ("B", "w", 50.0, 50.0, 250.0, 0.5, -0.5)],
                 [("A", "B", "w", 0.0, 30.0, 0.0, None, 1.0)])
    res = petra.solve(ds)
    assert res.ok and (res.markets["price"] > 0).all() and (res.markets["disposal"] < 1e-9).all()
    assert max_violation(ds, res)["max"] < 1e-9


def test_excess_of_fixed_supply_solves_and_a_shortage_is_infeasible(tmp_path):
    runner = CliRunner()
    excess = write_csvs(tmp_path / "excess", GOOD_MARKETS + "C,wheat,10,5,100,0,0\n", GOOD_ROUTES)
    res = runner.invoke(app, ["solve", str(excess), "--out", str(tmp_path / "o1")])
    assert res.exit_code == 0, res.output
    m = pd.read_csv(tmp_path / "o1" / "markets.csv").set_index("region")
    assert m.loc["C", "price"] == pytest.approx(0.0, abs=1e-9)
    assert m.loc["C", "disposal"] == pytest.approx(5.0)
    short = write_csvs(tmp_path / "short", GOOD_MARKETS + "C,wheat,5,10,100,0,0\n", GOOD_ROUTES)
    res = runner.invoke(app, ["solve", str(short), "--out", str(tmp_path / "o2")])
    assert res.exit_code == 2 and "(C, wheat)" in res.output


def test_random_markets_never_get_a_negative_price():
    # many markets without an outlet and with supply beyond their demand at price 0
    rng = np.random.default_rng(4)
    markets, routes = [], []
    for i in range(8):
        d0 = rng.uniform(20, 100)
        markets.append((f"R{i}", "w", d0 * rng.uniform(0.5, 3.0), d0, rng.uniform(100, 300),
                        rng.uniform(0, 0.5), -rng.uniform(0.05, 0.5)))
    for i in range(8):
        for j in range(8):
            if i != j and rng.random() < 0.3:
                routes.append((f"R{i}", f"R{j}", "w", 0.0, rng.uniform(5, 60), 0.0, None,
                               rng.uniform(0.1, 2)))
    ds = dataset(markets, routes)
    res = petra.solve(ds)
    assert res.ok and (res.markets["price"] >= -1e-9).all()
    assert (res.markets["disposal"] > 1e-6).any()  # the case is exercised
    assert max_violation(ds, res)["max"] < 1e-6


def test_a_ban_on_every_route_leaves_no_negative_price():
    # the audit's case: `bans: [{}]` cut every route and prices fell to -1e11 in surplus markets
    from test_feature_projection import spec_of

    from petra.dataset import load_dataset
    from petra.projection.run import dataset_path, run_scenario

    ds = load_dataset(dataset_path("china9"))
    spec = spec_of({"drivers": {"bans": [{"from": 2020}]}}, periods=(2010, 2020))
    res = run_scenario(ds, spec, embodied=False)
    assert res.ok
    m = res.markets[res.markets["period"] == 2020]
    assert (m["price"] >= -1e-9 * m["price"].abs().max()).all()
    assert (res.flows[res.flows["period"] == 2020]["flow"] == 0).all()
