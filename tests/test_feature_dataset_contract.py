"""Bad input: one clear line naming file, line and column; exit code 2; no output left behind."""

from pathlib import Path

import pandas as pd
import pytest
from builders import GOOD_MARKETS, GOOD_ROUTES, write_csvs
from typer.testing import CliRunner

from petra.cli import app
from petra.dataset import load_dataset
from petra.errors import InputError

runner = CliRunner()


def _replace(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


CASES = [
    # (description, markets text, routes text, expected fragments of the message)
    ("non-numeric", _replace(GOOD_MARKETS, "A,wheat,100,80,200", "A,wheat,abc,80,200"), GOOD_ROUTES,
     ["markets.csv line 2", "column 'production'", "'abc' is not a number"]),
    ("NaN", GOOD_MARKETS, _replace(GOOD_ROUTES, "A,B,wheat,20,30", "A,B,wheat,NaN,30"),
     ["routes.csv line 2", "column 'flow'", "not a finite number"]),
    ("negative quantity", _replace(GOOD_MARKETS, "B,wheat,50,70", "B,wheat,50,-70"), GOOD_ROUTES,
     ["markets.csv line 3", "column 'consumption'", "out of range"]),
    ("negative price", _replace(GOOD_MARKETS, "80,200,", "80,-200,"), GOOD_ROUTES,
     ["markets.csv line 2", "column 'price'"]),
    ("zero price", _replace(GOOD_MARKETS, "80,200,", "80,0,"), GOOD_ROUTES,
     ["markets.csv line 2", "column 'price'", "> 0"]),
    ("positive demand elasticity", _replace(GOOD_MARKETS, "0.5,-0.5\nB", "0.5,0.5\nB"), GOOD_ROUTES,
     ["markets.csv line 2", "column 'demand_elasticity'", "<= 0"]),
    ("negative transport cost", GOOD_MARKETS, _replace(GOOD_ROUTES, "20,30,0", "20,-30,0"),
     ["routes.csv line 2", "column 'transport_cost'"]),
    ("empty required cell", GOOD_MARKETS, _replace(GOOD_ROUTES, "A,B,wheat,20", "A,B,wheat,"),
     ["routes.csv line 2", "column 'flow'", "empty value"]),
    ("unknown region", GOOD_MARKETS, _replace(GOOD_ROUTES, "B,A,wheat", "B,Z,wheat"),
     ["routes.csv line 3", "column 'importer'", "region 'Z' is not in markets.csv"]),
    ("unknown commodity", GOOD_MARKETS, _replace(GOOD_ROUTES, "B,A,wheat", "B,A,maize"),
     ["routes.csv line 3", "column 'commodity'", "commodity 'maize'"]),
    ("duplicate key", GOOD_MARKETS + "A,wheat,1,1,1,0.1,-0.1\n", GOOD_ROUTES,
     ["markets.csv line 4", "duplicate key (A, wheat)", "first given on line 2"]),
    ("self-route", GOOD_MARKETS, GOOD_ROUTES + "A,A,wheat,0,1,0,,\n",
     ["routes.csv line 4", "self-route"]),
    ("missing column", GOOD_MARKETS.replace(",supply_elasticity", ""), GOOD_ROUTES,
     ["markets.csv", "column 'supply_elasticity'", "missing column"]),
    ("zero expansion elasticity", GOOD_MARKETS, _replace(GOOD_ROUTES, "0,2,", "0,0,"),
     ["routes.csv line 2", "column 'expansion_elasticity'", "> 0"]),
]


@pytest.mark.parametrize("name,markets,routes,fragments", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_naming_file_line_column(tmp_path: Path, name, markets, routes, fragments):
    folder = write_csvs(tmp_path / "ds", markets, routes)
    with pytest.raises(InputError) as err:
        load_dataset(folder)
    message = str(err.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message
    out = tmp_path / "out"
    result = runner.invoke(app, ["solve", str(folder), "--out", str(out)])
    assert result.exit_code == 2
    assert fragments[0] in result.output
    assert not out.exists()
    assert not list(tmp_path.glob(".out*")), "temporary output left behind"


def test_missing_file(tmp_path: Path):
    folder = tmp_path / "ds"
    folder.mkdir()
    (folder / "markets.csv").write_text(GOOD_MARKETS)
    with pytest.raises(InputError, match="routes.csv: file not found"):
        load_dataset(folder)


def test_blank_optional_cells_take_their_defaults(good_dataset_dir: Path):
    ds = load_dataset(good_dataset_dir)
    assert ds.routes.loc[0, "new_flow_slope"] == 0.0          # blank slope -> 0
    assert ds.routes.loc[1, "expansion_elasticity"] == float("inf")  # blank elasticity -> infinite
    assert (ds.routes["cost_adjustment"] == 0.0).all()       # absent optional column -> 0


def test_infeasible_market_is_named(tmp_path: Path):
    # C's supply and demand are fixed (elasticities 0), demand exceeds supply and no route can bring
    # the shortfall (an excess would be disposed of at price 0: test_feature_free_disposal)
    markets = GOOD_MARKETS + "C,wheat,5,10,100,0,0\n"
    folder = write_csvs(tmp_path / "ds", markets, GOOD_ROUTES)
    out = tmp_path / "out"
    result = runner.invoke(app, ["solve", str(folder), "--out", str(out)])
    assert result.exit_code == 2
    assert "infeasible" in result.output and "(C, wheat)" in result.output
    assert not out.exists()


def test_a_negative_cost_cycle_is_bounded_by_production(tmp_path: Path):
    # a constant-cost cycle A->B->A with negative total cost (-10 per route) made a one-node model's
    # welfare unbounded; with supply and demand nodes each region ships at most its production. By hand:
    # both routes used at gap -10; A also consumes its own (p_A = ps_A = x), B exports its whole
    # production and imports its whole consumption (ps_B = x + 10 > p_B = x - 10). With S_A = 100 +
    # 0.25 (ps - 200), D_A = 80 - 0.2 (p - 200), S_B = 50 + 0.1 (ps - 250), D_B = 70 - 0.14 (p - 250):
    # X_AB = D_B(x - 10) = 106.4 - 0.14x, X_BA = S_B(x + 10) = 26 + 0.1x and A's balance give
    # 120 - 0.2x = X_BA + S_A(x) - X_AB, x = 150.4 / 0.69
    routes = ("exporter,importer,commodity,flow,transport_cost,tariff,expansion_elasticity,new_flow_slope,"
              "cost_adjustment\nA,B,wheat,20,30,0,,,-40\nB,A,wheat,5,30,0,,,-40\n")
    folder = write_csvs(tmp_path / "ds", GOOD_MARKETS, routes)
    result = runner.invoke(app, ["solve", str(folder), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    mk = pd.read_csv(tmp_path / "out" / "markets.csv").set_index("region")
    fl = pd.read_csv(tmp_path / "out" / "flows.csv").set_index("exporter")["flow"]
    x = 150.4 / 0.69
    assert fl["A"] == pytest.approx(106.4 - 0.14 * x, rel=1e-9)
    assert fl["B"] == pytest.approx(26 + 0.1 * x, rel=1e-9)
    assert fl["B"] == pytest.approx(mk.loc["B", "production"], rel=1e-9)
    assert mk.loc["A", "price"] == pytest.approx(x, rel=1e-9)
    assert mk.loc["A", "supply_price"] == pytest.approx(x, rel=1e-9)
    assert mk.loc["B", "price"] == pytest.approx(x - 10, rel=1e-9)
    assert mk.loc["B", "supply_price"] == pytest.approx(x + 10, rel=1e-9)
