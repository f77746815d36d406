"""SSP drivers: the shipped ssp_drivers.csv against the raw SSP files, growth rates by hand, explicit
rules over the SSP, IAMC Population and GDP|PPP of `petra run`, and bad `ssp:` values (exit 2)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import petra.data
from petra.dataset import load_dataset
from petra.errors import InputError
from petra.projection.drivers import BaseRates, EntityNames, driver_arrays
from petra.projection.scenario_config import Drivers
from petra.projection.ssp_drivers import compound_rates, log_interpolate, ssp_levels

DATA = Path(petra.data.__file__).resolve().parent
SSP_SOURCES = Path(__file__).resolve().parents[2] / "shared" / "data-sources" / "ssp-drivers"
V3 = SSP_SOURCES / "SSP_drivers_v3_2024-04-12.csv.gz"
needs_sources = pytest.mark.skipif(not V3.is_file(), reason="raw SSP files (/work/shared) absent")
# EU27 (2020 membership) by hand, independent of data/mappings/areas.csv
EU27 = ["AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN", "IRL",
        "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP", "SWE"]


def petra_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from petra.cli import app; app()", *args],
                          capture_output=True, text=True, check=False, cwd=cwd,
                          env={**os.environ, "COLUMNS": "200"})


def shipped(scheme: str = "china9") -> pd.DataFrame:
    return pd.read_csv(DATA / scheme / "ssp_drivers.csv")


def raw_v3(variable: str, unit: str, ssp: str, isos: list[str], year: int) -> float:
    raw = pd.read_csv(V3)
    rows = raw[(raw["Variable"] == variable) & (raw["Unit"] == unit) & (raw["SSP"] == ssp)
               & raw["ISO"].isin(isos)]
    assert set(rows["ISO"]) == set(isos)
    return float(rows[str(year)].sum())


# ------------------------------------------------------------------ the shipped series


@needs_sources
def test_shipped_eu_aggregate_equals_the_raw_country_sum():
    d = shipped()
    row = d[(d.release == "v3") & (d.ssp == "SSP2") & (d.region == "EU") & (d.year == 2050)].iloc[0]
    pop = raw_v3("Population", "million", "SSP2", EU27, 2050)
    gdp = raw_v3("GDP|PPP", "billion US$2017/yr", "SSP2", EU27, 2050)
    assert row.population == pytest.approx(pop, rel=1e-6)
    assert row.gdp_ppp == pytest.approx(gdp, rel=1e-6)
    assert row.gdp_per_capita == pytest.approx(gdp / pop, rel=1e-6)  # every EU country has both
    assert row.gdp_unit == "billion USD_2017/yr"


@needs_sources
def test_v2_counts_romania_under_its_old_code():
    pop = pd.read_csv(SSP_SOURCES / "SSPv2_IIASA-WiC_population_by_country.csv")
    by_hand = pop[(pop.scenario == "SSP2") & pop.iso3.isin([*EU27, "ROM"])]["2030"].sum()
    d = shipped()
    row = d[(d.release == "v2") & (d.ssp == "SSP2") & (d.region == "EU") & (d.year == 2030)].iloc[0]
    assert row.population == pytest.approx(by_hand, rel=1e-6) and row.gdp_unit == "billion USD_2005/yr"


def test_every_region_has_every_ssp_and_release():
    for scheme in ("china9", "globiom37"):
        ds = load_dataset(DATA / scheme)
        n = ds.ssp_drivers.groupby(["release", "ssp"])["region"].nunique()
        assert len(n) == 10 and (n == ds.markets["region"].nunique()).all()


# ------------------------------------------------------------------ the maths


def test_growth_rate_between_two_periods_is_the_compound_annual_rate():
    d = shipped()
    chn = d[(d.release == "v3") & (d.ssp == "SSP2") & (d.region == "CHN")].set_index("year")
    lv = ssp_levels(d, "v3", "SSP2", ["CHN", "USA"], [2020, 2030, 2050], key="base.ssp")
    p20, p30, p50 = chn.loc[2020, "population"], chn.loc[2030, "population"], chn.loc[2050, "population"]
    assert lv.population_rate[1, 0] == pytest.approx(((p30 / p20) ** (1 / 10) - 1) * 100, rel=1e-12)
    assert lv.population_rate[2, 0] == pytest.approx(((p50 / p30) ** (1 / 20) - 1) * 100, rel=1e-12)
    g20, g50 = chn.loc[2020, "gdp_per_capita"], chn.loc[2050, "gdp_per_capita"]
    g30 = chn.loc[2030, "gdp_per_capita"]
    assert lv.income_rate[2, 0] == pytest.approx(((g50 / g30) ** (1 / 20) - 1) * 100, rel=1e-12)
    assert np.isnan(lv.population_rate[0]).all()  # the base period has no growth
    assert (g50 / g20) ** (1 / 30) - 1 > 0.03  # China's SSP2 per-capita GDP grows > 3 %/yr to 2050


def test_periods_between_steps_interpolate_linearly_in_log():
    years, values = np.array([2025, 2030]), np.array([100.0, 150.0])
    assert log_interpolate(years, values, [2027])[0] == pytest.approx(100.0 * 1.5 ** (2 / 5), rel=1e-12)
    assert log_interpolate(years, values, [2025, 2030]).tolist() == pytest.approx([100.0, 150.0])
    # a period 2027 -> 2030 grows at the step's constant rate
    r = compound_rates(log_interpolate(years, values, [2027, 2030]), [2027, 2030])
    assert r[1] == pytest.approx((1.5 ** (1 / 5) - 1) * 100, rel=1e-12)
    with pytest.raises(ValueError, match="2035"):
        log_interpolate(years, values, [2035])


NAMES = EntityNames(region=np.array(["A", "A", "B"]), commodity=np.array(["x", "y", "x"]),
                    exporter=np.array(["A"]), importer=np.array(["B"]), route_commodity=np.array(["x"]))


def test_an_explicit_rule_overrides_the_ssp_and_the_rest_keeps_it():
    # SSP: population +1 %/yr, income +3 %/yr everywhere; a rule gives B 2 %/yr population from 2030
    base = BaseRates(population=np.full((3, 3), 1.0), income=np.full((3, 3), 3.0))
    d = Drivers.model_validate({"population_growth": [{"region": "B", "value": 2.0, "from": 2030}],
                                "income_elasticity": [{"value": 0.5}]})
    a = driver_arrays(d, NAMES, [2010, 2020, 2030], base_transport=np.array([1.0]),
                      base_tariff=np.array([0.0]), exporter_price=np.array([1.0]), base_rates=base)
    assert a.population_factor[:, 0].tolist() == pytest.approx([1.0, 1.01 ** 10, 1.01 ** 20])
    assert a.population_factor[:, 2].tolist() == pytest.approx([1.0, 1.01 ** 10, 1.01 ** 10 * 1.02 ** 10])
    assert a.income_factor[2, 2] == pytest.approx(1.03 ** 20)
    assert a.demand_factor[2, 2] == pytest.approx(1.01 ** 10 * 1.02 ** 10 * (1.03 ** 20) ** 0.5)
    # without an SSP, growth without a rule is zero (as before)
    b = driver_arrays(d, NAMES, [2010, 2020, 2030], base_transport=np.array([1.0]),
                      base_tariff=np.array([0.0]), exporter_price=np.array([1.0]))
    assert b.population_factor[:, 0].tolist() == [1.0, 1.0, 1.0]


# ------------------------------------------------------------------ petra run


@needs_sources
def test_petra_run_reports_the_ssp_population_of_the_source(tmp_path):
    out = tmp_path / "run"
    res = petra_cli("run", "--scenario", "SSP2", "--out", str(out), "--no-plots", "--no-embodied", "--quiet")
    assert res.returncode == 0, res.stderr
    iamc = pd.read_csv(out / "iamc.csv")
    row = iamc[(iamc.Scenario == "SSP2") & (iamc.Region == "CHN") & (iamc.Variable == "Population")].iloc[0]
    source = raw_v3("Population", "million", "SSP2", ["CHN"], 2030)
    assert row["Unit"] == "million" and abs(row["2030"] / source - 1) < 0.015
    gdp = iamc[(iamc.Region == "USA") & (iamc.Variable == "GDP|PPP")].iloc[0]
    assert gdp["Unit"] == "billion USD_2017/yr"
    usa_2050 = raw_v3("GDP|PPP", "billion US$2017/yr", "SSP2", ["USA"], 2050)
    assert gdp["2050"] == pytest.approx(usa_2050, rel=1e-6)


SMALL = """\
dataset: china9
base_year: 2020
periods: [2020, 2030]
base:
  ssp: SSP2
scenarios:
  rule:
    drivers:
      population_growth: [{region: USA, value: 5.0}]
"""


def test_run_reports_the_drivers_it_used_with_a_rule_over_the_ssp(tmp_path):
    from petra.projection.run import run_scenarios

    (tmp_path / "s.yaml").write_text(SMALL)
    run = run_scenarios(tmp_path / "s.yaml", embodied=False)
    iamc = run.results[0].iamc
    pop = iamc[iamc.variable == "Population"].set_index(["region", "year"])["value"]
    d = shipped()
    v3 = d[(d.release == "v3") & (d.ssp == "SSP2")].set_index(["region", "year"])
    assert pop["USA", 2030] == pytest.approx(v3.loc[("USA", 2020), "population"] * 1.05 ** 10, rel=1e-12)
    assert pop["CHN", 2030] == pytest.approx(v3.loc[("CHN", 2030), "population"], rel=1e-12)
    assert pop["World", 2030] == pytest.approx(pop.xs(2030, level="year").drop("World").sum(), rel=1e-12)
    gdp = iamc[iamc.variable == "GDP|PPP"].set_index(["region", "year"])["value"]
    # USA per-capita GDP still follows the SSP: GDP = rule population x SSP per-capita GDP
    assert gdp["USA", 2030] == pytest.approx(pop["USA", 2030] * v3.loc[("USA", 2030), "gdp_per_capita"],
                                             rel=1e-12)


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize("ssp, key, words", [
    ("SSP7", "base.ssp.name", "'SSP1', 'SSP2'"),
    ("{name: SSP2, release: v4}", "base.ssp.release", "'v3' or 'v2'"),
    ("{name: SSP2, relase: v2}", "base.ssp.relase", "unknown key"),
])
def test_bad_ssp_values_exit_2_in_one_line(tmp_path, ssp, key, words):
    (tmp_path / "s.yaml").write_text(SMALL.replace("ssp: SSP2", f"ssp: {ssp}"))
    res = petra_cli("run", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "out"))
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and f"key '{key}'" in lines[0] and words in lines[0], res.stderr
    assert not (tmp_path / "out").exists()


def test_a_dataset_without_the_file_exits_2_naming_the_key(tmp_path):
    shutil.copytree(DATA / "china9", tmp_path / "c9", ignore=shutil.ignore_patterns("ssp_drivers.csv"))
    text = SMALL.replace("dataset: china9", "dataset: ./c9").replace(
        "scenarios:\n  rule:", "scenarios:\n  rule:\n    ssp: SSP3")
    (tmp_path / "s.yaml").write_text(text)
    res = petra_cli("run", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "out"))
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "key 'scenarios.rule.ssp'" in lines[0] and "no ssp_drivers.csv" in lines[0]
    assert not (tmp_path / "out").exists()


def test_a_period_outside_the_series_names_the_key():
    with pytest.raises(InputError, match="key 'base.ssp'.*region 'CHN'.*2105"):
        ssp_levels(shipped(), "v3", "SSP2", ["CHN"], [2020, 2105], key="base.ssp")


def _with_ssp_rows(tmp_path, edit) -> Path:
    folder = tmp_path / "c9"
    shutil.copytree(DATA / "china9", folder)
    lines = (folder / "ssp_drivers.csv").read_text().splitlines()
    (folder / "ssp_drivers.csv").write_text("\n".join(edit(lines)) + "\n")
    return folder


@pytest.mark.parametrize("edit, words", [
    (lambda ls: [ls[0], ",".join(ls[1].split(",")[:4] + ["-1"] + ls[1].split(",")[5:]), *ls[2:]],
     "ssp_drivers.csv line 2, column 'population'"),
    (lambda ls: [ls[0], ls[1].replace(",CHN,", ",CHINA,"), *ls[2:]],
     "ssp_drivers.csv line 2, column 'region': region 'CHINA' is not in markets.csv"),
    (lambda ls: [x for x in ls if ",SSP4,NZL," not in x or ",v2," in x],
     "release 'v3', ssp 'SSP4': region 'NZL' has 0 year(s)"),
])
def test_bad_ssp_driver_files_are_one_line_errors(tmp_path, edit, words):
    folder = _with_ssp_rows(tmp_path, edit)
    with pytest.raises(InputError) as e:
        load_dataset(folder)
    assert words in str(e.value) and "\n" not in str(e.value)


def test_the_builder_lists_unmapped_countries_and_refuses_a_region_without_any():
    from petra.data.ssp import aggregate

    c = pd.DataFrame({"ssp": "SSP2", "iso3": ["AAA", "BBB", "ZZZ", "AAA", "BBB", "ZZZ"],
                      "year": [2020] * 3 + [2025] * 3, "population": [1.0, 3.0, 9.0, 2.0, 3.0, 9.0],
                      "gdp_ppp": [10.0, np.nan, 1.0, 20.0, np.nan, 1.0]})
    agg = aggregate({"v3": c}, {"AAA": "R", "BBB": "R"}, ["R"])
    assert agg.unmapped == {"v3": ["ZZZ"]} and agg.population_only == {"v3": ["BBB"]}
    r = agg.table.set_index("year")
    assert r.loc[2020, "population"] == 4.0 and r.loc[2020, "gdp_ppp"] == 10.0
    assert r.loc[2025, "gdp_per_capita"] == 10.0  # 20 / 2: BBB has no GDP, so not in the denominator
    with pytest.raises(InputError, match="region 'S' has no country"):
        aggregate({"v3": c}, {"AAA": "R", "BBB": "R"}, ["R", "S"])


def test_a_region_without_any_gdp_takes_the_worlds_gdp_per_capita():
    # in a country-level map a country with population but no SSP GDP (AFG, VEN in v3) is a region alone:
    # it takes the world's GDP per capita of that SSP and year, by hand (10 + 30) / (1 + 3) = 10
    from petra.data.ssp import aggregate, report_lines

    c = pd.DataFrame({"ssp": "SSP2", "iso3": ["AAA", "BBB", "CCC"], "year": 2020,
                      "population": [1.0, 3.0, 5.0], "gdp_ppp": [10.0, 30.0, np.nan]})
    agg = aggregate({"v3": c}, {"AAA": "R", "BBB": "R", "CCC": "S"}, ["R", "S"])
    t = agg.table.set_index("region")
    assert t.loc["S", "gdp_per_capita"] == 10.0 and t.loc["S", "gdp_ppp"] == 50.0
    assert t.loc["R", "gdp_per_capita"] == 10.0 and t.loc["R", "gdp_ppp"] == 40.0
    assert agg.gdp_filled == {"v3": ["S"]}
    assert any("S" in line and "world" in line for line in report_lines(agg))
