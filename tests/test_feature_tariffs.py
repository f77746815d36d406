"""Tariffs in the shipped datasets (data/tariffs.py) and named tariff schedules in scenarios: values
recomputed from the raw schedules, weights by hand, China's 2018 retaliation on US soybeans end to end."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import petra.data
from petra.cli import app
from petra.data import tariffs
from petra.dataset import load_dataset
from petra.errors import InputError
from petra.projection.drivers import EntityNames, driver_arrays, schedule_rates
from petra.projection.scenario_config import Drivers

ROOT = Path(petra.data.__file__).resolve().parent
SOURCES = Path("/work/shared/data-sources")
CHINA = SOURCES / "china-retaliatory-tariffs-2018"
raw = pytest.mark.skipif(not CHINA.is_dir(), reason="raw tariff files not available")


@pytest.fixture(scope="module")
def china9():
    return load_dataset(ROOT / "china9")


@pytest.fixture(scope="module")
def globiom37():
    return load_dataset(ROOT / "globiom37")


def route(ds, e, i, c):
    r = ds.routes
    return r[(r["exporter"] == e) & (r["importer"] == i) & (r["commodity"] == c)].iloc[0]


def price(ds, region, c):
    m = ds.markets
    return float(m[(m["region"] == region) & (m["commodity"] == c)]["price"].iloc[0])


def test_us_soybeans_into_china_pay_3_percent_of_the_price(china9):
    share = route(china9, "USA", "CHN", "soybeans")["tariff"] / price(china9, "USA", "soybeans")
    assert share == pytest.approx(0.03, abs=0.001)   # MFN 3 % on beans; soy oil 9 % and cake 5 % weigh little


@raw
def test_china_soybean_rate_is_the_trade_weighted_mfn_of_the_raw_file(china9):
    # independent recomputation: HS 1201/1507/2304 lines, weights = 2017 imports from the US (HS8)
    kusd = {}
    with open(CHINA / "china_imports_from_us_2017_hs8.csv") as fh:
        for r in csv.DictReader(fh):
            kusd[r["hs8"]] = kusd.get(r["hs8"], 0.0) + float(r["china_imports_from_us_2017_kusd"])
    lines = []
    with open(CHINA / "china_tariffs_on_us_hs10_2018_2019.csv") as fh:
        lines = [r for r in csv.DictReader(fh) if r["hs10"][:4] in ("1201", "1507", "2304")]
    per_hs8 = pd.Series([r["hs10"][:8] for r in lines]).value_counts()
    w = np.array([kusd.get(r["hs10"][:8], 0.0) / per_hs8[r["hs10"][:8]] for r in lines])
    mfn = np.array([float(r["mfn_2018_01_01"]) for r in lines]) / 100
    expected = float(np.average(mfn, weights=w))
    r = route(china9, "USA", "CHN", "soybeans")
    assert r["tariff"] == pytest.approx(expected * price(china9, "USA", "soybeans"), rel=1e-9)
    # no free-trade agreements: Brazil pays China's MFN rate too
    assert route(china9, "BRA", "CHN", "soybeans")["tariff"] == pytest.approx(
        expected * price(china9, "BRA", "soybeans"), rel=1e-9)


@raw
def test_japan_rice_is_impacts_import_wedge(globiom37):
    with gzip.open(SOURCES / "impact-ifpri" / "TM.csv.gz", "rt") as fh:
        (tm,) = [float(v) for c, cty, v in csv.reader(fh) if (c, cty) == ("crice", "JPN")]
    assert tm == pytest.approx(3.87, abs=0.01)   # SOURCE.md check figure
    r = route(globiom37, "USAReg", "JapanReg", "rice")
    assert r["tariff"] == pytest.approx(tm * price(globiom37, "USAReg", "rice"), rel=1e-9)


def test_routes_between_eu_regions_carry_no_tariff_and_others_do(globiom37):
    r = globiom37.routes
    eu = r["exporter"].str.startswith("EU_") & r["importer"].str.startswith("EU_")
    assert eu.sum() == 5 * 4 * 13 and (r.loc[eu, "tariff"] == 0).all()
    assert (r.loc[~eu, "tariff"] > 0).sum() > 0.8 * (~eu).sum()


@pytest.mark.parametrize("scheme", ["china9", "globiom37"])
def test_tariff_sources_give_every_route_its_rate(scheme):
    ds = load_dataset(ROOT / scheme)
    src = pd.read_csv(ROOT / scheme / "tariff_sources.csv", keep_default_na=False)
    key = ["exporter", "importer", "commodity"]
    m = ds.routes.merge(src, on=key, validate="one_to_one")
    assert len(m) == len(ds.routes)
    p = ds.markets.set_index(["region", "commodity"])["price"]
    ex_price = p.reindex(pd.MultiIndex.from_frame(m[["exporter", "commodity"]])).to_numpy()
    assert np.allclose(m["tariff"], m["ad_valorem"] * ex_price, rtol=1e-5, atol=1e-9)
    assert set(";".join(m["source"]).split(";")) - {""} <= set(tariffs.SOURCE_CODES)


def test_route_rates_weight_member_countries_by_imports_from_the_exporter():
    rates = pd.DataFrame({"area": [1, 2, 3], "commodity": "x", "ad_valorem": [0.1, 0.3, 0.5],
                          "source": "impact_tm", "year": 2005})
    region_of = pd.Series({1: "I", 2: "I", 3: "J", 7: "E", 8: "F"})
    flows = pd.DataFrame({"exporter": [7, 7, 8, 3, 8], "importer": [1, 2, 2, 1, 3], "commodity": "x",
                          "quantity": [30.0, 10.0, 50.0, 5.0, 20.0]})
    routes = pd.DataFrame({"exporter": ["E", "F", "J", "I"], "importer": ["I", "I", "I", "J"],
                           "commodity": "x"})
    out = tariffs.route_rates(rates, flows, region_of, routes, single_market=set())
    assert out["ad_valorem"].tolist() == pytest.approx([
        (30 * 0.1 + 10 * 0.3) / 40,          # E->I: imports from E
        0.3,                                 # F->I: only country 2 imports from F
        0.1,                                 # J->I: only country 1 imports from J
        0.5])                                # I->J: J's only country
    assert out["weights"].tolist() == ["exporter"] * 3 + ["imports"]
    both = tariffs.route_rates(rates, flows, region_of, routes, single_market={"E", "I"})
    assert both["ad_valorem"].iloc[0] == 0.0 and both["source"].iloc[0] == tariffs.SOURCE_EU


def test_longest_hs_prefix_wins():
    table = pd.DataFrame({"hs": ["1006", "100610"], "commodity": ["rice", "rice"], "factor": [1.0, 0.67]})
    m = tariffs.match_hs(pd.Series(["1006101190", "1006309090", "1201901000"]), table, ["factor"])
    assert m["factor"].iloc[0] == 0.67 and m["factor"].iloc[1] == 1.0 and pd.isna(m["factor"].iloc[2])


# ---------------------------------------------------------------------------- named schedules
def test_the_retaliation_schedule_adds_25_percent_on_us_soybeans(china9):
    s = china9.tariff_schedules
    row = s[(s["schedule"] == tariffs.RETALIATION) & (s["commodity"] == "soybeans")]
    assert row[["exporter", "importer"]].values.tolist() == [["USA", "CHN"]]
    assert float(row["ad_valorem"].iloc[0]) == pytest.approx(0.25, abs=1e-9)


def test_a_schedule_rule_adds_its_ad_valorem_from_its_year():
    names = EntityNames(region=np.array(["U", "C"]), commodity=np.array(["soy", "soy"]),
                        exporter=np.array(["U", "C"]), importer=np.array(["C", "U"]),
                        route_commodity=np.array(["soy", "soy"]))
    table = pd.DataFrame({"schedule": "s", "exporter": ["U"], "importer": ["C"], "commodity": ["soy"],
                          "ad_valorem": [0.25]})
    d = Drivers.model_validate({"tariff_schedules": [{"name": "s", "from": 2030}],
                                "tariffs": [{"exporter": "U", "specific": 4.0, "from": 2030}]})
    a = driver_arrays(d, names, (2010, 2020, 2030), base_transport=np.zeros(2),
                      base_tariff=np.array([3.0, 1.0]), exporter_price=np.array([400.0, 500.0]),
                      schedules=schedule_rates(table, names))
    assert a.tariff[:, 0].tolist() == [3.0, 3.0, 4.0 + 0.25 * 400.0]   # on top of the rule's tariff
    assert a.tariff[:, 1].tolist() == [1.0, 1.0, 1.0]


SCENARIOS = """\
dataset: china9
periods: [2010, 2020]
scenarios:
  baseline: {}
  retaliation:
    drivers:
      tariff_schedules: [{name: china_retaliation_2018, commodity: soybeans, from: 2020}]
"""


def test_petra_run_applies_the_retaliation_to_us_soybeans(tmp_path, china9):
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIOS)
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["run", str(path), "--out", str(out), "--no-plots"])
    assert res.exit_code == 0, res.output
    f = pd.read_parquet(out / "flows.parquet")
    soy_2020 = (f["commodity"] == "soybeans") & (f["period"] == 2020) & (f["importer"] == "CHN")
    sel = soy_2020 & (f["exporter"] == "USA")
    base = f[sel & (f["scenario"] == "baseline")].iloc[0]
    ret = f[sel & (f["scenario"] == "retaliation")].iloc[0]
    base_tariff = route(china9, "USA", "CHN", "soybeans")["tariff"]
    assert base["tariff"] == pytest.approx(base_tariff, rel=1e-12)
    # ad valorem x the exporter's base-year price of the calibrated base (as scenario ad_valorem rules)
    m = pd.read_parquet(out / "markets.parquet")
    p0 = m[(m["scenario"] == "baseline") & (m["period"] == 2010) & (m["region"] == "USA")
           & (m["commodity"] == "soybeans")]["price"].iloc[0]
    assert ret["tariff"] - base["tariff"] == pytest.approx(0.25 * p0, rel=1e-6)
    assert ret["flow"] < base["flow"]   # dearer US soybeans: China buys fewer of them
    other = soy_2020 & (f["exporter"] == "BRA")
    assert f[other & (f["scenario"] == "retaliation")]["tariff"].iloc[0] == pytest.approx(
        f[other & (f["scenario"] == "baseline")]["tariff"].iloc[0])


def test_an_unknown_schedule_is_exit_2_naming_the_key(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIOS.replace("china_retaliation_2018", "no_such_schedule"))
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["run", str(path), "--out", str(out), "--no-plots"])
    assert res.exit_code == 2
    assert "drivers.tariff_schedules[0].name" in res.output and "no_such_schedule" in res.output
    assert not out.exists()


def test_schedule_rows_must_name_known_regions(tmp_path):
    import shutil
    folder = tmp_path / "ds"
    shutil.copytree(ROOT / "china9", folder)
    p = folder / "tariff_schedules.csv"
    p.write_text(p.read_text().replace(",USA,CHN,soybeans,", ",XXX,CHN,soybeans,"))
    with pytest.raises(InputError, match="tariff_schedules.csv.*exporter"):
        load_dataset(folder)


def test_us_specific_rates_become_ad_valorem_at_the_unit_value(tmp_path):
    d = tmp_path / tariffs.US_DIR
    d.mkdir()
    cols = ["hts8", "mfn_rate_type_code", "mfn_ad_val_rate", "mfn_specific_rate", "quantity_1_code"]
    rows = [["10019100", "7", "0.1", "0", "KG"],               # 10 % ad valorem
            ["10019900", "1", "0", "0.05", "KG"],              # 5 cents/kg on wheat
            ["11010000", "4", "0.02", "0.05", "KG"],           # flour: 5 cents/kg + 2 %
            ["10011100", "K", "9999.999999", "9999.999999", "KG"]]   # formula rate: left out
    with gzip.open(d / "usitc_tariff_database_2017_ch01-24.csv.gz", "wt") as fh:
        csv.writer(fh).writerows([cols, *rows])
    lines = tariffs.us_lines(tmp_path, pd.Series({"wheat": 500.0}), usd_to_base=0.9)
    # 50 USD/t x 0.9 / 500 USD/t = 0.09; flour's unit value is 500 x 1.265823 (wheat equivalent)
    assert lines["ad_valorem"].iloc[:3].tolist() == pytest.approx([0.1, 0.09, 0.02 + 45.0 / (500 * 1.265823)])
    assert lines["used"].tolist() == [True, True, True, False]
    rates = tariffs.us_rates(lines)
    assert rates["mfn"].iloc[0] == pytest.approx((0.1 + 0.09 + 0.02 + 45.0 / (500 * 1.265823)) / 3)
    assert rates[["n_lines", "n_skipped"]].values.tolist() == [[3, 1]]


def test_rebasing_converts_ad_valorem_tariffs_at_the_new_years_exporter_prices():
    # the shipped tariffs are ad valorem rates x the 2010 exporter price (tariff_basis); re-based on 2020
    # (the shipped scenario files' base year) the same rate applies to 2020's price. A dataset without the
    # basis keeps its tariffs (specific, currency per unit).
    from petra.calibration.observed import at_base_year
    from petra.dataset import AD_VALOREM_BASIS, load_dataset
    from petra.projection.run import embedded_dataset

    ds = load_dataset(embedded_dataset("china9"))
    assert ds.metadata["tariff_basis"] == AD_VALOREM_BASIS
    key = ("USA", "CHN", "soybeans")
    rate = (ds.routes.set_index(["exporter", "importer", "commodity"]).loc[key, "tariff"]
            / ds.markets.set_index(["region", "commodity"]).loc[("USA", "soybeans"), "price"])
    assert rate == pytest.approx(0.0303, abs=5e-5)
    for data, converted in ((ds, True), (ds.replace(metadata={k: v for k, v in ds.metadata.items()
                                                               if k != "tariff_basis"}), False)):
        r20 = at_base_year(data, 2020)
        tariff = r20.routes.set_index(["exporter", "importer", "commodity"]).loc[key, "tariff"]
        price20 = r20.markets.set_index(["region", "commodity"]).loc[("USA", "soybeans"), "price"]
        original = ds.routes.set_index(["exporter", "importer", "commodity"]).loc[key, "tariff"]
        if converted:
            assert tariff == pytest.approx(rate * price20, rel=1e-12) and tariff != original
        else:
            assert tariff == original
