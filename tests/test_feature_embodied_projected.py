"""Embodied accounts of every projected period (issue 14, item 1): intensities by the projection rule,
totals over the data that exist with their coverage, China's embodied imports in every period of every
default scenario."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import petra.data
from petra.dataset import load_dataset
from petra.embodied import coverage as cov
from petra.embodied import embodied_math as em
from petra.embodied.projected import latest_known, project_intensities

ROOT = Path(petra.data.__file__).resolve().parent
LIVESTOCK = {"bovine_meat", "pig_meat", "poultry_meat", "sheep_meat", "dairy"}
FIVE = [
    "Embodied Land|Cropland|Imports",
    "Embodied Water|Blue|Imports",
    "Embodied Water|Green|Imports",
    "Embodied Nitrogen|Imports",
    "Embodied Emissions|Kyoto Gases (AR6-GWP100)|Imports",
]
SMALL = """\
dataset: china9
base_year: 2020
periods: [2020, 2030]
focus_region: CHN
base:
  drivers:
    yield_growth: [{value: 1.0}, {commodity: soybeans, value: 1.5}]
scenarios:
  ref: {description: reference}
"""


def petra_cli(*args: str) -> subprocess.CompletedProcess:
    """`petra ARGS` in a fresh process, as a user runs it (the solves leave no state in the test process)."""
    return subprocess.run(
        [sys.executable, "-c", "from petra.cli import app; app()", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )


def _ints(rows):
    return pd.DataFrame(rows, columns=["region", "commodity", "period", "indicator", "value", "unit"])


def test_projection_rule_by_hand():
    ints = _ints(
        [
            ("A", "soy", 2018, "land", 0.60, "ha/t"),
            ("A", "soy", 2019, "land", 0.50, "ha/t"),
            ("A", "soy", 2020, "land", np.nan, "ha/t"),  # the area extract ends in 2019
            ("A", "soy", 2020, "water_blue", 100.0, "m3/t"),
            ("A", "soy", 2010, "nitrogen", 20.0, "kg/t"),
            ("A", "soy", 2020, "nitrogen", np.nan, "kg/t"),
            ("A", "soy", 2021, "water_blue", 1.0, "m3/t"),  # after the base period: not used
            ("B", "soy", 2020, "land", np.nan, "ha/t"),
        ]
    )  # nothing known: stays missing
    yf = pd.DataFrame(
        {"region": ["A", "A"], "commodity": "soy", "period": [2020, 2030], "factor": [1.0, 1.25]}
    )
    out = project_intensities(ints, [2020, 2030], 2020, yf).set_index(["region", "period", "indicator"])
    # land: 2019's 0.50 ha/t at the base period, / 1.25 in 2030 = 0.40 ha/t
    assert out.loc[("A", 2020, "land"), "value"] == pytest.approx(0.50)
    assert out.loc[("A", 2030, "land"), "value"] == pytest.approx(0.40)
    assert out.loc[("A", 2030, "land"), "known_period"] == 2019
    assert out.loc[("A", 2030, "land"), "source"].startswith("projected: 2019 value / scenario yield factor")
    # water and N per tonne are carried from their latest known value (N from 2010)
    assert out.loc[("A", 2030, "water_blue"), "value"] == pytest.approx(100.0)
    assert out.loc[("A", 2030, "nitrogen"), "value"] == pytest.approx(20.0)
    assert out.loc[("A", 2030, "nitrogen"), "known_period"] == 2010
    assert out.loc[("A", 2020, "nitrogen"), "source"].startswith("carried from 2010")
    assert math.isnan(out.loc[("B", 2030, "land"), "value"])
    assert (
        latest_known(ints, 2020).set_index(["region", "indicator"]).loc[("A", "land"), "known_period"] == 2019
    )


def test_coverage_by_hand():
    # imports of C: 60 kt soy from A (known), 30 kt soy from B (missing), 10 kt beef from A (missing)
    flows = pd.DataFrame(
        {
            "exporter": ["A", "B", "A"],
            "importer": "C",
            "commodity": ["soy", "soy", "beef"],
            "period": 2030,
            "flow": [60.0, 30.0, 10.0],
        }
    )
    ints = _ints(
        [
            ("A", "soy", 2030, "land", 1.0, "ha/t"),
            ("B", "soy", 2030, "land", np.nan, "ha/t"),
            ("A", "beef", 2030, "land", np.nan, "ha/t"),
        ]
    )
    prod = pd.DataFrame(
        {"region": ["A", "B"], "commodity": "soy", "period": 2030, "production": [100.0, 50.0]}
    )
    direct, _ = em.embodied_flows(flows, ints, "kt", carry_forward=False)
    prod_e, _ = em.production_embodied(prod, ints, "kt", carry_forward=False)
    acc, comp = em.accounts_and_components(prod_e, direct, None, {"land": "ha"}, partial=True)
    c = cov.coverage(comp).set_index(["region", "commodity", "account"])
    assert c.loc[("C", "total", "imports"), "coverage"] == pytest.approx(0.60)  # 60 / 100
    assert c.loc[("C", "soy", "imports"), "coverage"] == pytest.approx(60 / 90)
    assert c.loc[("A", "total", "exports"), "coverage"] == pytest.approx(60 / 70)
    assert c.loc[("A", "total", "production_based"), "coverage"] == pytest.approx(1.0)
    assert c.loc[("B", "total", "production_based"), "coverage"] == pytest.approx(0.0)
    # the total sums the known part only: 60,000 t x 1 ha/t
    a = acc.set_index(["region", "commodity", "indicator"])
    assert a.loc[("C", "soy", "land"), "imports"] == pytest.approx(60000.0)
    assert math.isnan(a.loc[("C", "beef", "land"), "imports"])


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("proj")
    (base / "small.yaml").write_text(SMALL)
    res = petra_cli("run", str(base / "small.yaml"), "--out", str(base / "out"), "--no-plots")
    assert res.returncode == 0, res.stderr
    return base / "out", res.stdout + res.stderr


def test_land_moves_with_the_yield_driver_in_a_run(small_run):
    out, _ = small_run
    e = pd.read_parquet(out / "embodied.parquet")
    f = pd.read_parquet(out / "flows.parquet")
    m = pd.read_parquet(out / "markets.parquet")
    it = load_dataset(ROOT / "china9").intensities
    land19 = it[
        (it["region"] == "BRA")
        & (it["commodity"] == "soybeans")
        & (it["indicator"] == "land")
        & (it["period"] == 2019)
    ]["value"].item()
    yf = m[(m["region"] == "BRA") & (m["commodity"] == "soybeans") & (m["period"] == 2030)][
        "yield_factor"
    ].item()
    assert yf == pytest.approx(1.015**10)
    flow = f[
        (f["exporter"] == "BRA")
        & (f["importer"] == "CHN")
        & (f["commodity"] == "soybeans")
        & (f["period"] == 2030)
    ]["flow"].item()
    got = e[
        (e["exporter"] == "BRA")
        & (e["importer"] == "CHN")
        & (e["commodity"] == "soybeans")
        & (e["period"] == 2030)
        & (e["indicator"] == "land")
    ]["value"].item()
    # kt x 1000 t/kt x ha/t of 2019 (2020 is missing in the area extract) / 1.015^10
    assert got == pytest.approx(flow * 1000 * land19 / 1.015**10, rel=1e-12)


def test_coverage_in_summary_and_printed(small_run):
    out, printed = small_run
    summary = json.loads((out / "summary.json").read_text())
    land = summary["embodied_coverage"]["scenarios"]["ref"]["imports"]["land"]
    # by hand from the files: CHN's imports whose exporter has a land value known up to 2020
    f = pd.read_parquet(out / "flows.parquet")
    f = f[(f["importer"] == "CHN") & (f["flow"] > 0)]
    it = load_dataset(ROOT / "china9").intensities
    known = it[(it["indicator"] == "land") & (it["period"] <= 2020) & it["value"].notna()]
    has = set(zip(known["region"], known["commodity"], strict=True))
    # a livestock product is covered where each feed crop it needs (feed.csv) that its exporter grows
    # (a crop it does not grow is all imported: it adds nothing) has a land value
    feed = pd.read_csv(ROOT / "china9" / "feed.csv")
    m = pd.read_parquet(out / "markets.parquet")
    pos = m[m["production"] > 0]
    grown = set(zip(pos["region"], pos["commodity"], strict=True))
    for (r, p), g in feed[feed["value"] > 0].groupby(["region", "product"]):
        if all((r, f) in has or (r, f) not in grown for f in g["feed"]):
            has.add((r, p))
    for period in (2020, 2030):
        fp = f[f["period"] == period]
        fp = fp[
            fp["flow"]
            > 1e-9
            * f[f["period"] == period]
            .groupby("commodity")["flow"]
            .transform("max")
            .reindex(fp.index)
            .fillna(0)
        ]
        ok = [(x, c) in has for x, c in zip(fp["exporter"], fp["commodity"], strict=True)]
        assert land[str(period)] == pytest.approx(fp.loc[ok, "flow"].sum() / fp["flow"].sum(), abs=1e-6)
        # livestock counts: above the share of the crops alone
        crops_only = 1 - fp.loc[fp["commodity"].isin(LIVESTOCK), "flow"].sum() / fp["flow"].sum()
        assert land[str(period)] > crops_only
    assert "embodied imports of CHN" in printed and "land" in printed
    c = pd.read_csv(out / "embodied_coverage.csv")
    assert {"scenario", "region", "commodity", "period", "indicator", "account", "coverage"} <= set(c.columns)


def test_china_five_totals_positive_in_every_period_of_every_default_scenario(tmp_path):
    res = petra_cli("run", "--out", str(tmp_path / "default"), "--no-plots", "--quiet")  # runs/default.yaml
    assert res.returncode == 0, res.stderr
    df = pd.read_csv(tmp_path / "default" / "iamc.csv").rename(
        columns=str.lower
    )  # pyam: Model, Scenario, ...
    cov_ = pd.read_csv(tmp_path / "default" / "embodied_coverage.csv")
    assert set(df["scenario"]) == {"SSP1", "SSP2", "SSP3", "trade_liberalisation", "us_china_soy_tariff"}
    for scenario, d in df[(df["region"] == "CHN") & df["variable"].isin(FIVE)].groupby("scenario"):
        got = d.set_index("variable")[["2020", "2030", "2040", "2050"]]
        assert set(got.index) == set(FIVE), scenario
        assert (got > 0).all().all(), (scenario, got)
        c = cov_[
            (cov_["scenario"] == scenario)
            & (cov_["region"] == "CHN")
            & (cov_["commodity"] == "total")
            & (cov_["account"] == "imports")
        ]
        # livestock carries its feed (the dataset's default feed.csv): >= 95 % of the import volume
        sel = c["indicator"].isin(["land", "water_blue", "water_green", "nitrogen"])
        assert sel.sum() == 16 and (c.loc[sel, "coverage"] >= 0.95).all(), c[sel]
