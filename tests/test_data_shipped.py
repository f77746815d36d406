"""Sanity tests on the shipped default datasets (data/china9, data/globiom37)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import petra.data
from petra.data.build import BASE_YEAR, PRICE_FILLED, PRICE_MISSING, screen_country_exports
from petra.dataset import load_dataset

ROOT = Path(petra.data.__file__).resolve().parent
SCHEMES = ["china9", "globiom37"]
FBS_CHINA_SOY_IMPORTS_2010 = 54_800.0  # kt, FAOSTAT food balance sheet, China mainland, item 2555
LAST_YEAR_AT_LEAST = 2020  # the FBS sugar extract (agrifoodpy-data FAOSTAT.nc) ends 2020


@pytest.fixture(scope="module", params=(*SCHEMES, "world"))
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


def observed(ds):
    """observed_markets and observed_flows with integer years."""
    om, of = ds.observed_markets, ds.observed_flows
    return om.assign(year=om["year"].astype(int)), of.assign(year=of["year"].astype(int))


def test_observed_years_continuous_from_base_year(ds):
    om, of = observed(ds)
    years = sorted(om["year"].unique())
    assert years == list(range(BASE_YEAR, years[-1] + 1))
    assert years[-1] >= LAST_YEAR_AT_LEAST
    assert sorted(of["year"].unique()) == years
    assert ds.metadata["observed_years"] == years
    assert set(ds.intensities["period"].astype(int)) == set(years)
    # every market in every year
    assert len(om) == len(ds.markets) * len(years)


def test_observed_base_year_equals_markets_and_routes(ds):
    om, of = observed(ds)
    base = om[om["year"] == BASE_YEAR].set_index(["region", "commodity"])
    m = ds.markets.set_index(["region", "commodity"])
    assert base.index.sort_values().equals(m.index.sort_values())
    for col in ("production", "consumption", "price"):
        assert (base.loc[m.index, col] == m[col]).all(), col
    flows = of[of["year"] == BASE_YEAR].set_index(["exporter", "importer", "commodity"])["flow"]
    r = ds.routes.set_index(["exporter", "importer", "commodity"])["flow"]
    assert (r.loc[flows.index] == flows).all()
    assert r.drop(flows.index).eq(0).all()  # routes without a 2010 row have no 2010 flow


def test_markets_balance_every_observed_year(ds):
    om, of = observed(ds)
    for year in sorted(om["year"].unique()):
        keys = ["region", "commodity", "year"]
        assert balance_residual(om[om["year"] == year], of[of["year"] == year], keys) < 1e-6, year
    assert (om[["production", "consumption"]] >= 0).all().all()
    assert (of["flow"] > 0).all()


def test_observed_prices_positive_or_flagged(ds):
    om, _ = observed(ds)
    basis = om["price_basis"]
    assert set(basis) <= {"", PRICE_FILLED, PRICE_MISSING}
    assert (om.loc[om["price"].notna(), "price"] > 0).all()
    assert om.loc[basis == "", "price"].notna().all()  # an unflagged price is observed
    assert om.loc[om["price"].isna(), "price_basis"].eq(PRICE_MISSING).all()
    # a filled price is the commodity-year's world average: the same for every filled market
    filled = om[basis == PRICE_FILLED]
    assert (filled.groupby(["commodity", "year"])["price"].nunique() == 1).all()
    # price_fills.csv lists exactly the filled markets
    fills = pd.read_csv(ds.path / "price_fills.csv")
    assert set(zip(fills["region"], fills["commodity"], fills["year"], strict=True)) == set(
        zip(filled["region"], filled["commodity"], filled["year"], strict=True))


def test_provenance_years_per_source(ds):
    prov = ds.metadata["provenance"]
    years = ds.metadata["observed_years"]
    for source in ("trade", "production_value", "sugar_production", "deflator"):
        assert prov["years"][source] == years, source
    assert prov["years"]["area_harvested"] == [y for y in years if y <= 2019]  # extract ends 2019
    assert prov["years"]["nitrogen"] == [BASE_YEAR]
    assert prov["available"]["sugar_production"].endswith(str(years[-1]))  # the FBS extract ends the range
    assert "sugar_production" in prov["limited_by"]


def test_land_missing_after_area_extract(ds):
    it = ds.intensities
    land = it[(it["indicator"] == "land") & (it["period"] == 2020)]
    assert land["value"].isna().all()
    crops = land[land["source"] != "missing: livestock land (no source)"]
    assert (crops["source"] == "missing: area harvested extract ends 2019").all()
    assert it[(it["indicator"] == "land") & (it["period"] == 2014)]["value"].notna().any()


# Check figures copied by hand from the raw downloads (one per year added in issue "every year").
def china9_observed():
    return observed(load_dataset(ROOT / "china9"))


def test_check_2011_china_wheat_production():
    # gcamfaostat GCAMFAOSTAT_ProdPrice: item 15 Wheat, area 41 China mainland, Production 2011
    # = 117,410,000 t
    om, _ = china9_observed()
    row = om[(om["year"] == 2011) & (om["region"] == "CHN") & (om["commodity"] == "wheat")]
    assert row["production"].iloc[0] == pytest.approx(117_410.0, rel=1e-12)


def test_check_2012_brazil_sugar_production():
    # agrifoodpy-data FAOSTAT.nc: production, Item 2542 Sugar (Raw Equivalent), Region 21 Brazil, 2012
    # = 40,219 kt
    om, _ = china9_observed()
    row = om[(om["year"] == 2012) & (om["region"] == "BRA") & (om["commodity"] == "sugar")]
    assert row["production"].iloc[0] == pytest.approx(40_219.0, rel=1e-12)


def test_check_2013_brazil_china_soybeans():
    # faostat-tm-brazil-soy-2013 (genuine FAOSTAT TM download): Brazil -> China, mainland export quantity
    # 2013: soybeans 32,251,520 t, soybean oil 529,034 t, soybean cake 25,943 t. Oil and cake count in
    # soybean equivalent (commodity_items.csv factor, 1/0.938210713 rounded); China mainland reported no
    # soy exports to Brazil in 2013 (faostat-tm-netviz soya items), so the net flow equals the gross.
    items = pd.read_csv(ROOT / "mappings" / "commodity_items.csv").set_index("trade_item")["factor"]
    assert items["soya_bean_oil"] == items["cake_of_soya_beans"] == pytest.approx(1 / 0.938210713, rel=1e-6)
    expected_t = 32_251_520 + (529_034 + 25_943) * items["soya_bean_oil"]
    _, of = china9_observed()
    f = of[(of["year"] == 2013) & (of["commodity"] == "soybeans")].set_index(["exporter", "importer"])["flow"]
    assert ("CHN", "BRA") not in f.index
    assert f.loc[("BRA", "CHN")] == pytest.approx(expected_t / 1000.0, rel=1e-9)


def test_check_2014_usa_maize_price():
    # gcamfaostat GCAMFAOSTAT_ProdPrice: item 56 Maize (corn), area 231 USA, 2014 Production
    # 361,091,140 t, Prod_Value 52,719,306,440 USD; FAO_GDP_Deflators USA 2010 92.0832597492,
    # 2014 99.080339731 -> USD(2010)/t
    om, _ = china9_observed()
    row = om[(om["year"] == 2014) & (om["region"] == "USA") & (om["commodity"] == "maize")]
    expected = 52_719_306_440 / 361_091_140 * 92.0832597492 / 99.080339731
    assert row["price_basis"].iloc[0] == ""
    assert row["price"].iloc[0] == pytest.approx(expected, rel=1e-9)


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
             "ch4": "kg/t", "ch4_enteric": "kg/t", "ch4_manure": "kg/t"}
    assert set(it["indicator"]) == set(units)
    for ind, unit in units.items():
        assert (it.loc[it["indicator"] == ind, "unit"] == unit).all()
    v = it["value"]
    # missing is an empty value, never 0; reported zeros exist only for blue water (rainfed), IFA N and
    # the CH4 of crops other than rice (IPCC has no CH4 source for them)
    zero = it[v == 0]
    # (livestock CH4 is 0 where FAOSTAT counts no heads of the animal while the country reports meat,
    # e.g. Singapore's pig meat from imported live pigs: the Tier 1 arithmetic gives 0, not a gap)
    assert set(zero["indicator"]) <= {"water_blue", "nitrogen", "n2o", "ch4", "ch4_enteric", "ch4_manure"}
    # enteric CH4 is 0 for poultry (no IPCC factor); elsewhere only where no heads are counted, which
    # shows as a zero manure CH4 of the same market and year too
    key = ["region", "commodity", "period"]
    enteric0 = zero[(zero["indicator"] == "ch4_enteric") & (zero["commodity"] != "poultry_meat")]
    manure0 = zero[zero["indicator"] == "ch4_manure"]
    assert set(map(tuple, enteric0[key].to_numpy())) == set(map(tuple, manure0[key].to_numpy()))
    assert (zero.loc[zero["indicator"] == "ch4", "commodity"] != "rice").all()
    assert (v.dropna() >= 0).all()
    assert it.loc[v.isna(), "source"].str.startswith("missing").all()
    # n2o = nitrogen * EF1 * 44/28, EF1 0.01 (0.004 for flooded rice, IPCC 2019)
    n = it[it["indicator"] == "nitrogen"].set_index(["region", "commodity", "period"])["value"]
    o = it[it["indicator"] == "n2o"].set_index(["region", "commodity", "period"])["value"]
    both = n.dropna().index
    ef1 = np.where(both.get_level_values("commodity") == "rice", 0.004, 0.01)
    assert np.allclose(o.loc[both], n.loc[both] * ef1 * 44 / 28)
    china = "CHN" if "CHN" in set(it["region"]) else "ChinaReg"
    soy = it[(it["region"] == china) & (it["commodity"] == "soybeans") & (it["period"] == 2010)]
    land = soy.loc[soy["indicator"] == "land", "value"].iloc[0]
    assert 0.4 < land < 0.7  # ~1.8 t/ha soybean yield in China 2010


# Size budget of the two folders. Measured for 2010-2020 (11 observed years): 6.64 MB in all, of which
# about 0.95 MB do not depend on the years (markets, routes, reports) and about 0.52 MB come with each
# observed year (observed markets and flows, intensities, price fills). Fewer significant digits would
# save about 2% (most bytes are the key columns); known-missing intensity rows cannot be dropped.
# ssp_drivers.csv (SSP v3 and v2, SSP1-5, 2010-2100 every 5 years, both schemes) adds 0.59 MB; per-route
# tariff provenance (tariff_sources.csv, routes' tariffs at 12 digits), income elasticities and tariff
# schedules add ~1.3 MB (issue 15). Manure CH4 (`ch4_manure` rows, livestock `ch4` totals with values)
# adds 232 kB, 21 kB per observed year (issue 14). The projection inputs (issue 25) add 0.97 MB: uses.csv
# 33 kB per observed year, the rest (gzip-compressed histories, income response, feed calibration) 0.61 MB.
SIZE_FIXED_BYTES = 3_520_000
SIZE_BYTES_PER_OBSERVED_YEAR = 603_000


def test_world_dataset_within_its_25_mb_budget_with_its_large_tables_compressed():
    files = list((ROOT / "world").iterdir())
    assert sum(f.stat().st_size for f in files) < 25_000_000
    assert {"routes.csv.gz", "observed_flows.csv.gz"} <= {f.name for f in files}


def test_shipped_size_compact():
    total = sum(f.stat().st_size for s in SCHEMES for f in (ROOT / s).iterdir())
    n_years = len(load_dataset(ROOT / "china9").metadata["observed_years"])
    assert total < SIZE_FIXED_BYTES + SIZE_BYTES_PER_OBSERVED_YEAR * n_years
    assert pd.read_csv(ROOT / "china9" / "markets.csv").shape[0] == 9 * 13


# Country-level export screen (build.screen_country_exports) and the mis-scaled records it removes.
def net_exports_share(markets: pd.DataFrame, flows: pd.DataFrame) -> pd.Series:
    """Per region, commodity and year: net exports (kt, negative = net imports) / world production."""
    exp = flows.groupby(["exporter", "commodity", "year"])["flow"].sum()
    imp = flows.groupby(["importer", "commodity", "year"])["flow"].sum()
    exp.index.names = imp.index.names = ["region", "commodity", "year"]
    net = exp.sub(imp, fill_value=0.0)
    world = markets.groupby(["commodity", "year"])["production"].sum()
    return net / world.reindex(net.index.droplevel("region")).to_numpy()


# Largest shares of world production in the screened 2010-2020 data: net exports 0.30 (BRA soybeans
# 2018), net imports 0.29 (CHN soybeans 2020). Before the screen, Mozambique's mis-scaled 2016 sugar
# records (82 Mt to France and Poland) gave EU sugar net imports of 0.46 of world production (82,051 kt
# of 178,652 kt) and ROW net exports of 0.34: below world production itself, so the first test alone
# does not see them; the second does.
MAX_NET_TRADE_SHARE = 0.4


def test_region_net_exports_below_world_production(ds):
    om, of = observed(ds)
    share = net_exports_share(om, of)
    assert (share.abs() <= 1.0).all(), share[share.abs() > 1.0]


def test_region_net_trade_below_share_of_world_production(ds):
    om, of = observed(ds)
    share = net_exports_share(om, of)
    assert (share.abs() <= MAX_NET_TRADE_SHARE).all(), share[share.abs() > MAX_NET_TRADE_SHARE]


def test_china9_row_eu_sugar_2016_plausible():
    # Mozambique -> France 49,306,251.8 t and -> Poland 32,980,900 t of raw sugar in 2016 (Mozambique
    # produces ~0.3-0.4 Mt): without the screen ROW -> EU sugar 2016 was 82,051 kt.
    _, of = china9_observed()
    f = of[(of["year"] == 2016) & (of["commodity"] == "sugar") & (of["exporter"] == "ROW")
           & (of["importer"] == "EU")]["flow"].sum()
    assert f < 1_000.0


def test_build_report_lists_screened_mozambique_sugar(ds):
    report = (ds.path / "BUILD_REPORT.md").read_text(encoding="utf-8")
    assert "## Country export screen" in report
    assert "| Mozambique (144) | sugar | 2016 | 84,235,289 |" in report


def test_screen_country_exports_hand_example():
    # A exports 100 (60 to B, 40 to C), produces 20 and imports 10 (from B): bound 1.5 x 30 = 45, so
    # its flows are scaled by 0.45 (27 and 18). B (production 100, imports 60 -> 27) and C
    # (production 10, exports 5) are within their bounds and untouched. D has no production row at
    # all: not screened, listed as unscreened.
    flows = pd.DataFrame({"exporter": ["A", "A", "B", "C", "D"], "importer": ["B", "C", "A", "B", "C"],
                          "commodity": "wheat", "year": 2016, "quantity": [60.0, 40.0, 10.0, 5.0, 50.0]})
    prod = pd.DataFrame({"area": ["A", "B", "C"], "commodity": "wheat", "year": 2016,
                         "value": [20.0, 100.0, 10.0]})
    out, cases, unscreened = screen_country_exports(flows, prod, factor=1.5)
    q = out.set_index(["exporter", "importer"])["quantity"]
    assert q[("A", "B")] == pytest.approx(27.0) and q[("A", "C")] == pytest.approx(18.0)
    assert q[("A", "B")] + q[("A", "C")] == pytest.approx(45.0)
    assert q[("B", "A")] == 10.0 and q[("C", "B")] == 5.0 and q[("D", "C")] == 50.0
    assert len(cases) == 1
    c = cases.iloc[0]
    assert (c["exporter"], c["commodity"], c["year"]) == ("A", "wheat", 2016)
    assert (c["exports"], c["production"], c["imports"]) == (100.0, 20.0, 10.0)
    assert c["bound"] == pytest.approx(45.0) and c["scale"] == pytest.approx(0.45)
    assert list(unscreened["exporter"]) == ["D"] and np.isnan(unscreened["scale"].iloc[0])
    # the input is not modified; a generous factor leaves every flow as it is
    assert flows["quantity"].tolist() == [60.0, 40.0, 10.0, 5.0, 50.0]
    same, none, _ = screen_country_exports(flows, prod, factor=4.0)
    assert same["quantity"].tolist() == flows["quantity"].tolist() and none.empty
