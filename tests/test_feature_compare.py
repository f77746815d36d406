"""`petra compare RUN_DIR`: IAMC differences equal the run's own values subtracted, the baseline rule,
welfare from the curves the run saved, bad input (exit 2, one line, nothing written)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from petra.cli import app
from petra.errors import InputError
from petra.projection.compare import choose_baseline

SMALL = """\
dataset: china9
periods: [2010, 2030]
base:
  drivers:
    population_growth: [{value: 1.0}]
    income_growth: [{value: 2.0}]
    income_elasticity: [{value: 0.2}]
    yield_growth: [{value: 1.2}]
scenarios:
  soy_tariff:
    drivers:
      tariffs: [{exporter: USA, importer: CHN, commodity: soybeans, ad_valorem: 0.25, from: 2030}]
  Reference: {description: reference}
  cheap_transport:
    drivers:
      transport_cost_growth: [{value: -2.0, from: 2030}]
"""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    base = tmp_path_factory.mktemp("cmp")
    (base / "small.yaml").write_text(SMALL)
    res = CliRunner().invoke(app, ["run", str(base / "small.yaml"), "--out", str(base / "run"), "--quiet"])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(app, ["compare", str(base / "run")])
    assert res.exit_code == 0, res.output
    return base / "run"


def wide_iamc(path):
    """iamc.csv read with pandas alone (not pyam): long frame."""
    w = pd.read_csv(path)
    return w.melt(id_vars=["Model", "Scenario", "Region", "Variable", "Unit"], var_name="year",
                  value_name="value").astype({"year": int})


def test_differences_are_the_runs_own_values_subtracted(run_dir):
    run = wide_iamc(run_dir / "iamc.csv").set_index(["Scenario", "Region", "Variable", "year"])["value"]
    cmp = wide_iamc(run_dir / "compare" / "compare.csv")
    summary = json.loads((run_dir / "compare" / "compare.json").read_text())
    assert summary["baseline"] == "Reference"  # named like a baseline, though not the file's first
    assert set(cmp["Scenario"]) == {"soy_tariff", "cheap_transport"}
    cases = [("soy_tariff", "CHN", "Agricultural Imports|Crops|Oil Crops|Soybean"),
             ("soy_tariff", "USA", "Price|Agriculture|Crops|Oil Crops|Soybean"),
             ("cheap_transport", "World", "Agricultural Production|Crops|Cereals"),
             ("cheap_transport", "BRA", "Agricultural Trade|Crops")]
    c = cmp.set_index(["Scenario", "Region", "Variable", "year"])["value"]
    for scen, region, var in cases:
        for year in (2010, 2030):
            v, b = run[(scen, region, var, year)], run[("Reference", region, var, year)]
            assert c[(scen, region, "Difference|" + var, year)] == pytest.approx(v - b, rel=1e-9, abs=1e-12)
            if b != 0:
                assert c[(scen, region, "Relative Difference|" + var, year)] == pytest.approx(
                    100 * (v - b) / abs(b), rel=1e-9, abs=1e-12)
    assert c[("soy_tariff", "CHN", "Difference|Agricultural Imports|Crops|Oil Crops|Soybean", 2030)] < 0
    # the base year is the same equilibrium in every scenario
    # (variables without a base-year value, e.g. deforestation, which needs an earlier observed year, are
    # empty in both and so in the difference)
    base = cmp[(cmp["year"] == 2010) & cmp["Variable"].str.startswith("Difference|")]["value"]
    assert (base.dropna() == 0).all() and base.notna().sum() > 1000
    units = cmp.drop_duplicates("Variable").set_index("Variable")["Unit"]
    assert units["Relative Difference|Price|Agriculture|Crops|Oil Crops|Soybean"] == "%"
    assert units["Difference|Price|Agriculture|Crops|Oil Crops|Soybean"] == "USD_2010/t"


def test_relative_differences_are_empty_where_the_baseline_is_zero(run_dir):
    run = wide_iamc(run_dir / "iamc.csv")
    zero = run[(run["Scenario"] == "Reference") & (run["value"] == 0)]
    assert len(zero), "the run has zero baseline values to test"
    text = (run_dir / "compare" / "compare.csv").read_text()
    assert "inf" not in text.lower()
    cmp = wide_iamc(run_dir / "compare" / "compare.csv").set_index(
        ["Scenario", "Region", "Variable", "year"])["value"]
    row = zero.iloc[0]
    key = ("soy_tariff", row["Region"], "Relative Difference|" + row["Variable"], row["year"])
    assert key not in cmp.index or pd.isna(cmp[key])
    assert cmp[("soy_tariff", row["Region"], "Difference|" + row["Variable"], row["year"])] == pytest.approx(
        run.set_index(["Scenario", "Region", "Variable", "year"])["value"][
            ("soy_tariff", row["Region"], row["Variable"], row["year"])])


def test_the_saved_curves_are_the_ones_solved(run_dir):
    # supply and demand of curves.parquet at the solved price give the solved quantities, and every
    # used route's marginal cost from flows.parquet's parameters equals its price gap (curves and route
    # costs are in trade-point prices: a reported price / price_factor)
    from petra.projection.welfare import route_problem

    m = pd.read_parquet(run_dir / "markets.parquet")
    c = pd.read_parquet(run_dir / "curves.parquet")
    j = m.merge(c, on=["scenario", "period", "region", "commodity"])
    assert len(j) == len(m)
    np.testing.assert_allclose(j["trade_price"], j["price"] / j["price_factor"], rtol=1e-12)
    s = np.maximum(j["supply_anchor"] + j["supply_slope"] * (j["supply_price"] / j["price_factor"]
                                                             - j["anchor_price"]), 0)
    d = np.maximum(j["demand_anchor"] - j["demand_slope"] * (j["trade_price"] - j["anchor_price"]), 0)
    scale = j.groupby("commodity")["production"].transform("max")
    assert (np.abs(s - j["production"]) / scale).max() < 1e-6
    assert (np.abs(d - j["consumption"]) / scale).max() < 1e-6
    from petra.model.equilibrium_math import route_marginal_cost

    f = pd.read_parquet(run_dir / "flows.parquet")
    f = f[f["flow"] > 1e-6 * f.groupby("commodity")["flow"].transform("max")]
    jj = j.set_index(["scenario", "period", "region", "commodity"])
    price = jj["trade_price"]
    supply = jj["supply_price"] / jj["price_factor"]
    at = {side: prices.reindex(pd.MultiIndex.from_frame(f[["scenario", "period", side, "commodity"]]))
          .to_numpy() for side, prices in (("importer", price), ("exporter", supply))}
    gap = at["importer"] - at["exporter"]
    p = route_problem(f["transport_cost"] + f["tariff"], f["cost_adjustment"], f["previous_flow"],
                      f["period_elasticity"], f["new_flow_slope"], f.get("logit_scale"), f.get("log_anchor"))
    mc = route_marginal_cost(p, f["flow"].to_numpy())
    ref = price.groupby(level="commodity").transform("mean").reindex(
        pd.MultiIndex.from_frame(f[["scenario", "period", "importer", "commodity"]])).to_numpy()
    assert (np.abs(mc - gap) / ref).max() < 1e-6


def test_welfare_table(run_dir):
    w = pd.read_csv(run_dir / "compare" / "welfare.csv")
    assert set(w["scenario"]) == {"soy_tariff", "cheap_transport"} and (w["baseline"] == "Reference").all()
    parts = ["consumer_surplus", "producer_surplus", "tariff_revenue", "trade_rent"]
    assert np.allclose(w[parts].sum(axis=1), w["total"], rtol=1e-9, atol=1e-9)
    assert (w[w["period"] == 2010][parts + ["total", "trade_cost"]].abs() < 1e-9).all().all()
    regions = w[w["region"] != "World"].groupby(["scenario", "period"])[parts + ["trade_cost"]].sum()
    world = w[w["region"] == "World"].set_index(["scenario", "period"])[parts + ["trade_cost"]]
    assert np.allclose(regions.loc[world.index], world, rtol=1e-9, atol=1e-9)
    t = w[(w["scenario"] == "soy_tariff") & (w["period"] == 2030)].set_index("region")
    # tariff revenue change by hand from the run's flows: sum of tariff x flow into the region, minus the
    # baseline's (the shipped tariffs are real now: the 25 % stops US soybeans, whose 3 % MFN revenue goes)
    fl = pd.read_parquet(run_dir / "flows.parquet")
    fl = fl[fl["period"] == 2030].assign(revenue=lambda d: d["tariff"] * d["flow"])
    rev = fl.groupby(["scenario", "importer"])["revenue"].sum()
    for region in ("CHN", "USA"):
        # kt x USD/t -> million USD
        expected = (rev[("soy_tariff", region)] - rev[("Reference", region)]) / 1e3
        assert t.loc[region, "tariff_revenue"] == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert t.loc["CHN", "tariff_revenue"] != 0
    cheap = w[(w["scenario"] == "cheap_transport") & (w["period"] == 2030)].set_index("region")
    # cheaper transport is a gain for the world (its trade cost may rise: trade volume grows 80 % here)
    assert cheap.loc["World", "total"] > 0
    plots = sorted(p.name for p in (run_dir / "compare" / "plots").iterdir())
    assert plots == ["embodied_CHN.png", "imports_CHN.png", "prices_CHN.png", "welfare_2030.png",
                     "welfare_world.png"]


def test_baseline_rule():
    assert choose_baseline(["a", "SSP2", "b"], None)[0] == "SSP2"
    assert choose_baseline(["x", "y"], None) == ("x", "the file's first scenario")
    assert choose_baseline(["x", "y"], "y") == ("y", "--baseline")
    with pytest.raises(InputError, match="unknown scenario 'z'"):
        choose_baseline(["x", "y"], "z")
    with pytest.raises(InputError, match="at least two"):
        choose_baseline(["x"], None)


def test_bad_input_exits_2_in_one_line_and_writes_nothing(run_dir, tmp_path):
    res = CliRunner().invoke(app, ["compare", str(run_dir), "--baseline", "nope", "--out",
                                   str(tmp_path / "o")])
    assert res.exit_code == 2 and "unknown scenario 'nope'" in res.output
    assert len(res.output.strip().splitlines()) == 1 and not (tmp_path / "o").exists()
    folder = tmp_path / "notarun"
    folder.mkdir()
    (folder / "iamc.csv").write_text("x\n")
    res = CliRunner().invoke(app, ["compare", str(folder)])
    assert res.exit_code == 2 and "not a petra output" in res.output
    assert len(res.output.strip().splitlines()) == 1
    assert sorted(p.name for p in folder.iterdir()) == ["iamc.csv"]
    res = CliRunner().invoke(app, ["compare", str(run_dir / "compare")])
    assert res.exit_code == 2 and "`petra compare`" in res.output
    # the run folder itself is never an output of compare
    res = CliRunner().invoke(app, ["compare", str(run_dir), "--out", str(run_dir)])
    assert res.exit_code == 2 and (run_dir / "iamc.csv").is_file()


def objective_plus_revenue(markets, curves, flows, scenario, period) -> float:
    """The model's own welfare function (petra.model.equilibrium_math.welfare: areas under the inverse
    curves minus route costs) on a period's problem rebuilt from the run's tables, plus tariff revenue."""
    from petra.model.equilibrium_math import welfare
    from petra.model.problem import Problem, route_kind

    keys = ["scenario", "period", "region", "commodity"]
    mm = markets[(markets["scenario"] == scenario) & (markets["period"] == period)].merge(curves, on=keys)
    ff = flows[(flows["scenario"] == scenario) & (flows["period"] == period)]
    idx = pd.MultiIndex.from_frame(mm[["region", "commodity"]])
    S0, D0, P0 = (mm[c].to_numpy() for c in ("supply_anchor", "demand_anchor", "anchor_price"))
    es = np.where(S0 > 0, mm["supply_slope"].to_numpy() * P0 / np.where(S0 > 0, S0, 1), 0)
    ed = -np.where(D0 > 0, mm["demand_slope"].to_numpy() * P0 / np.where(D0 > 0, D0, 1), 0)
    fp, e = ff["previous_flow"].to_numpy(), ff["period_elasticity"].to_numpy()
    w = ff["logit_scale"].to_numpy() if "logit_scale" in ff.columns else None
    log_a = ff["log_anchor"].to_numpy() if "log_anchor" in ff.columns else None
    n = len(mm)
    p = Problem(region=mm["region"].to_numpy(object), commodity=mm["commodity"].to_numpy(object),
                commodity_index=np.zeros(n, np.int64), commodities=np.array(["all"], object), S0=S0, D0=D0,
                P0=P0, es=es, ed=ed,
                exporter=idx.get_indexer(pd.MultiIndex.from_frame(ff[["exporter", "commodity"]])),
                importer=idx.get_indexer(pd.MultiIndex.from_frame(ff[["importer", "commodity"]])),
                tau=(ff["transport_cost"] + ff["tariff"]).to_numpy(), flow_prev=fp, elasticity=e,
                slope=ff["new_flow_slope"].to_numpy(),
                adjustment=ff["cost_adjustment"].to_numpy(),
                kind=route_kind(fp, e, w), q_scale=np.ones(1), p_scale=np.ones(1), logit_scale=w,
                log_anchor=log_a)
    X = ff["flow"].to_numpy()
    return welfare(p, mm["production"].to_numpy(), mm["consumption"].to_numpy(), X) + float(
        (ff["tariff"] * X).sum())


def test_world_welfare_is_the_change_in_the_models_objective_plus_tariff_revenue(run_dir):
    # the scenarios share their supply and demand curves (same base drivers), so the World total must
    # equal the change in the objective the model maximised (logit, isoelastic and new routes included)
    tables = [pd.read_parquet(run_dir / f"{n}.parquet") for n in ("markets", "curves", "flows")]
    w = pd.read_csv(run_dir / "compare" / "welfare.csv").set_index(["scenario", "period", "region"])["total"]
    for scen in ("soy_tariff", "cheap_transport"):
        change = (objective_plus_revenue(*tables, scen, 2030)
                  - objective_plus_revenue(*tables, "Reference", 2030))
        assert w[(scen, 2030, "World")] * 1e3 == pytest.approx(change, rel=1e-6, abs=1e-3)
        assert abs(change) > 1.0  # the scenario does move welfare


def _damaged(run_dir, tmp_path, name: str, damage) -> object:
    """`petra compare` of a copy of the run with one file damaged (--out outside the copy)."""
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns("compare"))
    damage(copy / name)
    return CliRunner().invoke(app, ["compare", str(copy), "--no-plots", "--out", str(tmp_path / "o")])


def _drop_column(column):
    def damage(path):
        pd.read_parquet(path).drop(columns=column).to_parquet(path)
    return damage


@pytest.mark.parametrize("name,damage,message", [
    # before: ArrowInvalid / pyam ValueError / KeyError tracebacks; a garbage summary.json compared, exit 0
    ("curves.parquet", lambda p: p.write_text("garbage"), "curves.parquet: cannot be read (ArrowInvalid"),
    ("flows.parquet", lambda p: p.write_bytes(b"PAR1 broken"), "flows.parquet: cannot be read"),
    ("markets.parquet", lambda p: p.write_text(""), "markets.parquet: cannot be read"),
    ("iamc.csv", lambda p: p.write_text("garbage\n1\n"), "iamc.csv: cannot be read"),
    ("summary.json", lambda p: p.write_text("garbage"), "summary.json: cannot be read (JSONDecodeError"),
    ("summary.json", lambda p: p.write_text('{"scenarios": [1, 2]}'),
     "summary.json: not the summary of a run"),
    ("scenarios.yaml", lambda p: p.write_text("- a\n- b\n"), "scenarios.yaml: is not a mapping"),
    ("curves.parquet", _drop_column("demand_slope"), "curves.parquet: column 'demand_slope' is missing"),
    ("flows.parquet", _drop_column("tariff"), "flows.parquet: column 'tariff' is missing"),
    ("curves.parquet", lambda p: pd.concat([pd.read_parquet(p)] * 2).to_parquet(p),
     "the run's files cannot be compared (MergeError"),
])
def test_a_damaged_run_file_is_one_line_exit_2(run_dir, tmp_path, name, damage, message):
    res = _damaged(run_dir, tmp_path, name, damage)
    assert res.exit_code == 2, res.output
    line = res.output.strip()
    assert line.startswith("petra: error:") and "\n" not in line and message in line, line
    assert not (tmp_path / "o").exists()
