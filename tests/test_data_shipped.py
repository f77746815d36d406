"""Sanity tests on the shipped default datasets (data/china9, data/globiom37)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import petra.data
from petra.dataset import load_dataset

ROOT = Path(petra.data.__file__).resolve().parent
SCHEMES = ["china9", "globiom37"]
FBS_CHINA_SOY_IMPORTS_2010 = 54_800.0  # kt, FAOSTAT food balance sheet, China mainland, item 2555


@pytest.fixture(scope="module", params=SCHEMES)
def ds(request):
    return load_dataset(ROOT / request.param)


def balance_residual(markets, flows, keys):
    imp = flows.groupby(["importer", "commodity"] + keys[2:])["flow"].sum()
    exp = flows.groupby(["exporter", "commodity"] + keys[2:])["flow"].sum()
    imp.index.names = exp.index.names = keys
    m = markets.set_index(keys)
    res = m["production"] + imp.reindex(m.index).fillna(0) - exp.reindex(m.index).fillna(0) - m["consumption"]
    scale = np.maximum(m["production"] + imp.reindex(m.index).fillna(0), 1.0)
    return (res.abs() / scale).max()


def test_china_2010_soybean_imports_within_5pct_of_fbs():
    d = load_dataset(ROOT / "china9")
    r = d.routes
    imports = r[(r["importer"] == "CHN") & (r["commodity"] == "soybeans")]["flow"].sum()
    assert abs(imports / FBS_CHINA_SOY_IMPORTS_2010 - 1) < 0.05, imports


def test_markets_balance_base_year(ds):
    assert balance_residual(ds.markets, ds.routes, ["region", "commodity"]) < 1e-6


def test_markets_balance_observed_years(ds):
    obs = ds.observed_markets.assign(year=ds.observed_markets["year"].astype(int))
    fl = ds.observed_flows.assign(year=ds.observed_flows["year"].astype(int))
    assert sorted(obs["year"].unique()) == list(range(2015, 2021))
    assert balance_residual(obs, fl, ["region", "commodity", "year"]) < 1e-6


def test_no_negatives_and_sane_markets(ds):
    m = ds.markets
    for col in ("production", "consumption", "price"):
        assert (m[col] >= 0).all()
    assert (m["price"] > 0).all()
    assert (ds.routes[["flow", "transport_cost", "tariff"]] >= 0).all().all()
    # a market that trades has production or consumption
    r = ds.routes[ds.routes["flow"] > 0]
    trading = set(zip(r["exporter"], r["commodity"], strict=True)) | set(zip(r["importer"], r["commodity"],
                                                                             strict=True))
    mm = m.set_index(["region", "commodity"])
    for key in trading:
        assert mm.loc[key, "production"] > 0 or mm.loc[key, "consumption"] > 0, key


def test_routes_complete_and_one_direction(ds):
    n_reg, n_com = len(ds.markets["region"].unique()), len(ds.markets["commodity"].unique())
    assert len(ds.routes) == n_reg * (n_reg - 1) * n_com
    assert n_com >= 13
    pos = ds.routes[ds.routes["flow"] > 0]
    pairs = set(zip(pos["exporter"], pos["importer"], pos["commodity"], strict=True))
    assert not any((b, a, c) in pairs for a, b, c in pairs)


def test_region_counts():
    assert len(load_dataset(ROOT / "china9").markets["region"].unique()) == 9
    assert len(load_dataset(ROOT / "globiom37").markets["region"].unique()) == 37


def test_intensities_units_and_missing_marked(ds):
    it = ds.intensities
    units = {"land": "ha/t", "water_green": "m3/t", "water_blue": "m3/t", "nitrogen": "kg/t", "n2o": "kg/t",
             "ch4": "kg/t"}
    assert set(it["indicator"]) == set(units)
    for ind, unit in units.items():
        assert (it.loc[it["indicator"] == ind, "unit"] == unit).all()
    v = it["value"]
    # missing is an empty value, never 0; reported zeros exist only for blue water (rainfed) and IFA N
    zero = it[v == 0]
    assert set(zero["indicator"]) <= {"water_blue", "nitrogen", "n2o"}
    assert (v.dropna() >= 0).all()
    assert it.loc[v.isna(), "source"].str.startswith("missing").all()
    # n2o = nitrogen * 0.01 * 44/28
    n = it[it["indicator"] == "nitrogen"].set_index(["region", "commodity", "period"])["value"]
    o = it[it["indicator"] == "n2o"].set_index(["region", "commodity", "period"])["value"]
    both = n.dropna().index
    assert np.allclose(o.loc[both], n.loc[both] * 0.01 * 44 / 28)
    china = "CHN" if "CHN" in set(it["region"]) else "ChinaReg"
    soy = it[(it["region"] == china) & (it["commodity"] == "soybeans") & (it["period"] == 2010)]
    land = soy.loc[soy["indicator"] == "land", "value"].iloc[0]
    assert 0.4 < land < 0.7  # ~1.8 t/ha soybean yield in China 2010


def test_shipped_size_compact():
    total = sum(f.stat().st_size for s in SCHEMES for f in (ROOT / s).iterdir())
    assert total < 5_000_000
    assert pd.read_csv(ROOT / "china9" / "markets.csv").shape[0] == 9 * 13
