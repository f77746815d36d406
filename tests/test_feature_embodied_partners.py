"""Embodied resources by partner for projections (issue 14, item 6): `petra run` writes
embodied.parquet, `petra embodied` accepts a `petra run` folder and gives the run's own values, and the
IAMC output can hold the focus region's imports per partner as directional regions (BRA>CHN)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from petra.cli import app

DEFINITIONS = Path(__file__).resolve().parent.parent / "definitions"
SMALL = """\
dataset: china9
base_year: 2020
periods: [2020, 2030]
focus_region: CHN
embodied: {partners: true}
base:
  drivers:
    yield_growth: [{value: 1.0}]
    income_growth: [{value: 2.0}]
scenarios:
  ref: {description: reference}
  soy_tariff:
    drivers:
      tariffs: [{exporter: USA, importer: CHN, commodity: soybeans, ad_valorem: 0.25, from: 2030}]
"""
KEY = ["scenario", "period", "exporter", "importer", "commodity", "indicator"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    base = tmp_path_factory.mktemp("partners")
    (base / "small.yaml").write_text(SMALL)
    # in a fresh process, as a user runs it (its solves leave no state in the test process)
    res = subprocess.run(
        [
            sys.executable,
            "-c",
            "from petra.cli import app; app()",
            "run",
            str(base / "small.yaml"),
            "--out",
            str(base / "run"),
            "--quiet",
            "--no-plots",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    return base / "run"


def test_embodied_parquet_per_route(run_dir):
    e = pd.read_parquet(run_dir / "embodied.parquet")
    assert list(e.columns) == [*KEY[:2], "exporter", "importer", "commodity", "indicator", "value", "unit"]
    assert set(e["scenario"]) == {"ref", "soy_tariff"} and set(e["period"]) == {2020, 2030}
    f = pd.read_parquet(run_dir / "flows.parquet")
    used = f[f["flow"] > 0]
    # every used route of every scenario and period has its land row (value missing where unknown)
    land = e[e["indicator"] == "land"].merge(used, on=KEY[:5])
    assert len(land) == len(
        used[used["flow"] > 1e-9 * used.groupby(["scenario", "period", "commodity"])["flow"].transform("max")]
    )
    # soy_tariff 2030, BRA -> CHN soybeans blue water = flow (kt) x 1000 x BRA's M&H-based m3/t (the
    # USA -> CHN route the tariff closes: with the per-year expansion elasticity a 25 % tariff held for
    # ten years takes the US flow to 0)
    it = pd.read_csv(Path(__file__).resolve().parents[1] / "data" / "china9" / "intensities.csv")
    blue = it[
        (it["region"] == "BRA")
        & (it["commodity"] == "soybeans")
        & (it["indicator"] == "water_blue")
        & (it["period"] == 2020)
    ]["value"].item()
    flow = used[
        (used["scenario"] == "soy_tariff")
        & (used["period"] == 2030)
        & (used["exporter"] == "BRA")
        & (used["importer"] == "CHN")
        & (used["commodity"] == "soybeans")
    ]["flow"].item()
    got = e.set_index(KEY).loc[("soy_tariff", 2030, "BRA", "CHN", "soybeans", "water_blue"), "value"]
    assert got == pytest.approx(flow * 1000 * blue, rel=1e-12)


def test_petra_embodied_on_a_run_folder_equals_the_runs_values(run_dir, tmp_path):
    res = CliRunner().invoke(app, ["embodied", str(run_dir), "--out", str(tmp_path / "e")])
    assert res.exit_code == 0, res.output
    mine = pd.read_csv(tmp_path / "e" / "embodied.csv", keep_default_na=False, na_values=[""])
    run = pd.read_parquet(run_dir / "embodied.parquet")
    a = mine.set_index(KEY).sort_index()
    b = run.set_index(KEY).sort_index()
    assert a.index.equals(b.index)
    assert np.allclose(a["value"], b["value"], rtol=1e-14, equal_nan=True)
    assert (a["unit"] == b["unit"]).all()
    # and the IAMC embodied variables of both agree
    import pyam

    iamc_run = pyam.IamDataFrame(str(run_dir / "iamc.csv")).filter(variable="Embodied*").data
    iamc_e = pd.read_csv(tmp_path / "e" / "iamc.csv").dropna(subset=["value"])
    m = iamc_run.merge(iamc_e, on=["scenario", "region", "variable", "year"], suffixes=("_run", "_e"))
    assert len(m) == len(iamc_run) and np.allclose(m["value_run"], m["value_e"], rtol=1e-12)


def test_a_folder_that_is_not_a_run_is_bad_input(run_dir, tmp_path):
    (tmp_path / "broken").mkdir()
    for name in ("flows.parquet", "scenarios.yaml"):
        (tmp_path / "broken" / name).write_bytes((run_dir / name).read_bytes())
    pd.read_parquet(run_dir / "markets.parquet").drop(columns="yield_factor").to_parquet(
        tmp_path / "broken" / "markets.parquet"
    )
    res = CliRunner().invoke(app, ["embodied", str(tmp_path / "broken"), "--out", str(tmp_path / "e")])
    assert res.exit_code == 2
    assert "markets.parquet" in res.output and "yield_factor" in res.output
    assert not (tmp_path / "e").exists()


def test_partner_values_as_directional_regions(run_dir):
    import nomenclature
    import pyam

    df = pyam.IamDataFrame(str(run_dir / "iamc.csv"))
    nomenclature.DataStructureDefinition(DEFINITIONS).validate(df)
    assert "BRA>CHN" in df.region and "USA>CHN" in df.region
    e = pd.read_parquet(run_dir / "embodied.parquet")
    sel = e[
        (e["scenario"] == "ref")
        & (e["period"] == 2030)
        & (e["exporter"] == "BRA")
        & (e["importer"] == "CHN")
        & (e["indicator"] == "land")
    ]
    v = (
        df.filter(scenario="ref", region="BRA>CHN", year=2030, variable="Embodied Land|Cropland|Imports")
        .data["value"]
        .item()
    )
    assert v == pytest.approx(sel["value"].sum() / 1e6, rel=1e-12)  # ha -> million ha
    # the partners' values add up to CHN's total over the same known routes
    tot = df.filter(scenario="ref", region="CHN", year=2030, variable="Embodied Land|Cropland|Imports")
    parts = df.filter(scenario="ref", region="*>CHN", year=2030, variable="Embodied Land|Cropland|Imports")
    assert parts.data["value"].sum() == pytest.approx(tot.data["value"].item(), rel=1e-12)
