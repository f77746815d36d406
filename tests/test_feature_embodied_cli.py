"""`petra embodied SOURCE --out DIR` on a dataset folder and on a run directory."""

import json

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from petra.dataset import from_frames, write_dataset
from petra.embodied.cli import embodied_command

M = pd.DataFrame({"region": ["A", "B", "C", "A", "B", "C"], "commodity": ["soy"] * 3 + ["beef"] * 3,
                  "production": [100.0, 20.0, 0.0, 10.0, 5.0, 1.0],
                  "consumption": [40.0, 40.0, 40.0, 5, 5, 6],
                  "price": [400.0] * 3 + [3000.0] * 3, "supply_elasticity": 0.5, "demand_elasticity": -0.3})
R = pd.DataFrame({"exporter": ["A", "B", "A"], "importer": ["B", "C", "C"],
                  "commodity": ["soy", "soy", "beef"],
                  "flow": [60.0, 40.0, 5.0], "transport_cost": 10.0, "tariff": 0.0,
                  "expansion_elasticity": np.inf, "new_flow_slope": 0.0})
INT = pd.DataFrame({"region": ["A", "B", "A", "B", "A", "B", "A"], "commodity": ["soy"] * 6 + ["beef"],
                    "period": 2010,
                    "indicator": ["land", "land", "water_blue", "water_blue", "nitrogen", "nitrogen",
                                  "pasture"],
                    "value": [0.5, 1.0, 100.0, 200.0, 10.0, np.nan, 20.0],
                    "unit": ["ha/t", "ha/t", "m3/t", "m3/t", "kg/t", "kg/t", "ha/t"]})
COM = pd.DataFrame({"commodity": ["soy", "beef"], "name": ["Soybeans", "Beef"], "unit": ["kt", "kt"]})


def _dataset(folder, intensities=INT):
    write_dataset(from_frames(M, R, commodities=COM, metadata={"base_year": 2010}, intensities=intensities),
                  folder)
    return folder


def _run(args):
    app = typer.Typer(add_completion=False)
    app.command()(embodied_command)
    return CliRunner().invoke(app, [str(a) for a in args])


def _e(out):
    return pd.read_csv(out / "embodied.csv", keep_default_na=False, na_values=[""])


def test_dataset_source(tmp_path):
    src = _dataset(tmp_path / "ds")
    res = _run([src, "--out", tmp_path / "out"])
    assert res.exit_code == 0, res.output
    e = _e(tmp_path / "out")
    assert list(e.columns) == ["exporter", "importer", "commodity", "period", "indicator", "value", "unit"]
    v = e.set_index(["exporter", "importer", "commodity", "indicator"])
    # A->B soy: 60 kt x 1000 x 0.5 ha/t = 30,000 ha; blue 60,000 t x 100 m3/t = 6e6 m3
    assert v.loc[("A", "B", "soy", "land"), "value"] == pytest.approx(30000.0)
    assert v.loc[("A", "B", "soy", "land"), "unit"] == "ha"
    assert v.loc[("A", "B", "soy", "water_blue"), "value"] == pytest.approx(6e6)
    # derived N2O: 60,000 t x 10 kg N/t x 0.01 x 44/28 = 9,428.6 kg = 9.4286 t
    assert v.loc[("A", "B", "soy", "n2o"), "value"] == pytest.approx(9.4285714, rel=1e-6)
    # B's nitrogen is known-missing: empty cell, listed in missing.csv
    assert np.isnan(v.loc[("B", "C", "soy", "nitrogen"), "value"])
    miss = pd.read_csv(tmp_path / "out" / "missing.csv")
    assert {("B", "soy", "nitrogen"), ("B", "soy", "n2o")} <= set(
        zip(miss["region"], miss["commodity"], miss["indicator"], strict=True))
    # no deforestation input: the indicator is absent, not zero
    assert "deforestation_co2" not in set(e["indicator"])
    assert not (tmp_path / "out" / "deforestation.csv").exists()
    # tables and plots
    for f in ["accounts.csv", "reexport.csv", "traced.csv", "water.csv", "iamc.csv", "routes.csv",
              "summary.json"]:
        assert (tmp_path / "out" / f).is_file(), f
    assert any((tmp_path / "out" / "plots").glob("bar_land_*.png"))
    assert any((tmp_path / "out" / "plots").glob("flows_land_*.png"))
    acc = pd.read_csv(tmp_path / "out" / "accounts.csv").set_index(["region", "commodity", "indicator"])
    # C's traced soy land: 30 kt from A x 0.5 + 10 kt from B x 1.0 = 25,000 ha
    assert acc.loc[("C", "soy", "land"), "consumption_traced"] == pytest.approx(25000.0)
    iamc = pd.read_csv(tmp_path / "out" / "iamc.csv").set_index(["region", "variable"])
    # C imports 40 kt from B x 1 ha/t + A's beef is pasture: cropland 40,000 ha = 0.04 million ha
    assert iamc.loc[("C", "Embodied Land|Cropland|Imports"), "value"] == pytest.approx(0.04)
    assert iamc.loc[("C", "Embodied Land|Pasture|Imports"), "value"] == pytest.approx(0.1)  # 5,000 t x 20


def test_observed_years_count_the_base_year_once(tmp_path):
    # observed files that repeat the base year 2010 (as the shipped datasets do) and add 2011
    obs_flows = pd.concat([R[["exporter", "importer", "commodity", "flow"]].assign(year=2010),
                           R[["exporter", "importer", "commodity"]].assign(flow=2 * R["flow"], year=2011)],
                          ignore_index=True)
    obs_markets = pd.concat([M[["region", "commodity", "production", "consumption", "price"]].assign(year=y)
                             for y in (2010, 2011)], ignore_index=True)
    write_dataset(from_frames(M, R, commodities=COM, metadata={"base_year": 2010}, intensities=INT,
                              observed_flows=obs_flows, observed_markets=obs_markets), tmp_path / "ds")
    res = _run([tmp_path / "ds", "--out", tmp_path / "out", "--observed-years"])
    assert res.exit_code == 0, res.output
    e = _e(tmp_path / "out")
    ab = e[(e["exporter"] == "A") & (e["importer"] == "B") & (e["indicator"] == "land")].set_index("period")
    assert len(ab) == 2
    # 2010: 60 kt x 0.5 ha/t (once, not twice); 2011: 120 kt, 2010 intensity carried forward
    assert ab.loc[2010, "value"] == pytest.approx(30000.0)
    assert ab.loc[2011, "value"] == pytest.approx(60000.0)


def test_run_directory_with_periods_and_deforestation(tmp_path):
    ds = _dataset(tmp_path / "ds")
    run = tmp_path / "run"
    run.mkdir()
    # a projection run: two periods; soy production in A grows 100 -> 120 kt
    pd.DataFrame({"exporter": ["A", "A"], "importer": ["B", "B"], "commodity": "soy", "period": [2010, 2020],
                  "flow": [60.0, 70.0]}).to_csv(run / "flows.csv", index=False)
    pd.DataFrame({"region": ["A", "A", "B", "B"], "commodity": "soy", "period": [2010, 2020, 2010, 2020],
                  "price": 400.0, "production": [100.0, 120.0, 20.0, 20.0],
                  "consumption": [40.0, 50.0, 80.0, 90.0]}).to_csv(run / "markets.csv", index=False)
    (run / "solve.json").write_text(json.dumps({"dataset": str(ds.resolve())}))
    (tmp_path / "defor.csv").write_text("region,period,land_type,value,unit\nA,2020,cropland,2,Mt\n"
                                         "A,2010,cropland,1,Mt\n")
    res = _run([run, "--out", tmp_path / "out", "--deforestation", tmp_path / "defor.csv", "--no-plots"])
    assert res.exit_code == 0, res.output
    e = _e(tmp_path / "out").set_index(["exporter", "commodity", "period", "indicator"])
    # 2020 uses the 2010 intensity (carried forward): 70,000 t x 0.5 = 35,000 ha
    assert e.loc[("A", "soy", 2020, "land"), "value"] == pytest.approx(35000.0)
    # A's soy area 50,000 -> 60,000 ha (the only expansion): 2e6 t CO2 x 1 x 35,000 / 60,000
    assert e.loc[("A", "soy", 2020, "deforestation_co2"), "value"] == pytest.approx(2e6 * 35000 / 60000)
    assert e.loc[("A", "soy", 2020, "deforestation_co2"), "unit"] == "t"
    # 2010: no earlier area in the run nor the dataset -> change unknown -> missing, not zero
    assert np.isnan(e.loc[("A", "soy", 2010, "deforestation_co2"), "value"])


def test_bad_intensity_file_is_a_clear_error_and_out_untouched(tmp_path):
    src = _dataset(tmp_path / "ds")
    p = src / "intensities.csv"
    p.write_text(p.read_text().replace(",0.5,", ",-0.5,", 1))
    res = _run([src, "--out", tmp_path / "out"])
    assert res.exit_code == 2
    assert "intensities.csv line 2" in res.output and "out of range" in res.output
    assert not (tmp_path / "out").exists()


def test_feed_and_footprint_inputs(tmp_path):
    src = _dataset(tmp_path / "ds")
    (tmp_path / "feed.csv").write_text("region,product,feed,value,unit\n,beef,soy,2,t/t\n")
    (tmp_path / "fp.csv").write_text("region,period,land_type,footprint,biocapacity,unit,yield_factor,"
                                     "equivalence_factor\nC,2010,cropland,100000,50000,gha,1,2.5\n")
    res = _run([src, "--out", tmp_path / "out", "--feed", tmp_path / "feed.csv", "--footprint",
                tmp_path / "fp.csv", "--feed-origin", "all", "--no-plots"])
    assert res.exit_code == 0, res.output
    e = _e(tmp_path / "out").set_index(["exporter", "importer", "commodity", "indicator"])
    # A->C beef 5 kt x 2 t soy/t = 10,000 t soy at A's 0.5 ha/t = 5,000 ha of feed cropland
    assert e.loc[("A", "C", "beef", "feed_land"), "value"] == pytest.approx(5000.0)
    d = pd.read_csv(tmp_path / "out" / "deficit.csv").set_index(["region", "period"])
    # C net cropland import: 40,000 ha soy (direct) + 5,000 ha feed = 45,000 ha x 2.5 = 112,500 gha
    # over a deficit of 50,000 gha -> 2.25
    assert d.loc[("C", 2010), "compensation"] == pytest.approx(2.25)
