"""FAOSTAT bulk readers, netviz adapter, region and commodity mapping on small hand-made fixtures."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from petra.data.build import limiting_sources, observed_years, year_span
from petra.data.commodities import load_item_map, to_primary
from petra.data.faostat import read_producer_prices, read_production, read_trade_matrix, trade_quantities
from petra.data.netviz import read_netviz
from petra.data.regions import load_area_map, map_areas
from petra.errors import InputError

TM_M49 = (
    "Reporter Country Code,Reporter Country Code (M49),Reporter Countries,Partner Country Code,"
    "Partner Country Code (M49),Partner Countries,Item Code,Item Code (CPC),Item,Element Code,Element,"
    "Year Code,Year,Unit,Value,Flag\n"
    "41,'156,\"China, mainland\",21,'076,Brazil,236,'0141,Soya beans,5610,Import quantity,2010,2010,t,"
    "19000000,A\n"
    "21,'076,Brazil,41,'156,\"China, mainland\",236,'0141,Soya beans,5910,Export quantity,2010,2010,t,"
    "18500000,A\n"
    "21,'076,Brazil,41,'156,\"China, mainland\",236,'0141,Soya beans,5922,Export value,2010,2010,1000 USD,"
    "7000000,A\n"
    "41,'156,\"China, mainland\",21,'076,Brazil,236,'0141,Soya beans,5610,Import quantity,2011,2011,t,,\n"
)
TM_OLD = (
    "Reporter Country Code,Reporter Countries,Partner Country Code,Partner Countries,Item Code,Item,"
    "Element Code,Element,Year Code,Year,Unit,Value,Flag\n"
    "68,France,41,\"China, mainland\",15,Wheat,5910,Export quantity,2010,2010,t,1234.5,\n"
)


def write(tmp_path, name, text, encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_trade_matrix_m49_layout_and_orientation(tmp_path):
    tm = read_trade_matrix(write(tmp_path, "tm.csv", TM_M49))
    assert len(tm) == 3  # the empty value row is dropped
    assert set(tm["element"]) == {5610, 5910, 5922}
    q = trade_quantities(tm)
    assert len(q) == 2
    imp = q[q["reported_by"] == "importer"].iloc[0]
    assert (imp["exporter"], imp["importer"], imp["quantity"]) == (21, 41, 19_000_000)
    exp = q[q["reported_by"] == "exporter"].iloc[0]
    assert (exp["exporter"], exp["importer"], exp["quantity"]) == (21, 41, 18_500_000)


def test_trade_matrix_old_layout_latin1(tmp_path):
    text = TM_OLD.replace("France", "Réunion")
    tm = read_trade_matrix(write(tmp_path, "tm_latin1.csv", text, encoding="latin-1"))
    assert tm.loc[0, "reporter"] == 68 and tm.loc[0, "value"] == 1234.5


def test_trade_matrix_wrong_columns(tmp_path):
    p = write(tmp_path, "bad.csv", "a,b,c\n1,2,3\n")
    with pytest.raises(InputError, match=r"bad\.csv.*column 'Reporter Country Code'"):
        read_trade_matrix(p)


def test_trade_matrix_unknown_element_names_file_row_code(tmp_path):
    text = TM_OLD + TM_OLD.splitlines()[1].replace(",5910,", ",5999,") + "\n"
    msg = r"bad_el\.csv line 3, column 'Element Code': unknown element code 5999"
    with pytest.raises(InputError, match=msg):
        read_trade_matrix(write(tmp_path, "bad_el.csv", text))


def test_trade_matrix_non_numeric_value(tmp_path):
    text = TM_OLD.replace("1234.5", "12x")
    with pytest.raises(InputError, match=r"nn\.csv line 2, column 'Value': '12x' is not a number"):
        read_trade_matrix(write(tmp_path, "nn.csv", text))


def test_trade_matrix_bad_code(tmp_path):
    text = TM_OLD.replace("68,France", "'6a,France")
    with pytest.raises(InputError, match=r"line 2, column 'Reporter Country Code'"):
        read_trade_matrix(write(tmp_path, "code.csv", text))


def test_production_qcl(tmp_path):
    text = ("Area Code,Area Code (M49),Area,Item Code,Item Code (CPC),Item,Element Code,Element,Year Code,"
            "Year,Unit,Value,Flag\n"
            "41,'156,\"China, mainland\",236,'0141,Soya beans,5312,Area harvested,2010,2010,ha,8515750,A\n"
            "41,'156,\"China, mainland\",236,'0141,Soya beans,5510,Production,2010,2010,t,15083300,A\n"
            "41,'156,\"China, mainland\",236,'0141,Soya beans,5419,Yield,2010,2010,100 g/ha,17712,A\n")
    df = read_production(write(tmp_path, "qcl.csv", text))
    assert list(df["element_name"]) == ["area_harvested", "production"]
    assert df["value"].tolist() == [8515750, 15083300]
    bad = text.replace(",5419,", ",7777,")
    with pytest.raises(InputError, match=r"qcl_bad\.csv line 4.*unknown element code 7777"):
        read_production(write(tmp_path, "qcl_bad.csv", bad))


def test_producer_prices_annual_only(tmp_path):
    text = ("Area Code,Area,Item Code,Item,Element Code,Element,Year Code,Year,Months Code,Months,Unit,Value,"
            "Flag\n"
            "21,Brazil,236,Soya beans,5532,Producer Price (USD/tonne),2010,2010,7021,Annual value,USD,360,A\n"
            "21,Brazil,236,Soya beans,5532,Producer Price (USD/tonne),2010,2010,7001,January,USD,350,A\n"
            "21,Brazil,236,Soya beans,5530,Producer Price (LCU/tonne),2010,2010,7021,Annual value,LCU,630,"
            "A\n")
    df = read_producer_prices(write(tmp_path, "pp.csv", text))
    assert df["value"].tolist() == [360.0]


def test_netviz_adapter_drops_self_loops(tmp_path):
    text = ("o_code,d_code,o_name,d_name,year,item,weight\n"
            "21,41,Brazil,\"China, mainland\",2010,soya_beans,100.5\n"
            "21,21,Brazil,Brazil,2010,soya_beans,7\n"
            "231,41,USA,\"China, mainland\",2009,soya_beans,50\n")
    p = tmp_path / "soya_beans.csv.gz"
    p.write_bytes(gzip.compress(text.encode()))
    df = read_netviz(p, years=[2010])
    assert len(df) == 1 and df.loc[0, "quantity"] == 100.5 and df.loc[0, "reported_by"] == "exporter"
    bad = tmp_path / "bad.csv"
    bad.write_text("o_code,d_code,year,item\n1,2,2010,x\n")
    with pytest.raises(InputError, match="column 'weight'"):
        read_netviz(bad)


def test_region_map_china_and_aggregates():
    amap = load_area_map()
    df = pd.DataFrame({"exporter": [21, 351, 96, 41], "importer": [41, 41, 41, 214], "q": [1.0, 2, 3, 4]})
    out, missing = map_areas(df, ["exporter", "importer"], "china9", amap)
    assert missing == []
    # 351 (China aggregate) is dropped, Hong Kong and Taiwan are rest of world
    assert out[["exporter", "importer", "q"]].values.tolist() == [["BRA", "CHN", 1.0], ["ROW", "CHN", 3.0],
                                                                  ["CHN", "ROW", 4.0]]
    g, _ = map_areas(df, ["exporter", "importer"], "globiom37", amap)
    assert g["importer"].iloc[0] == "ChinaReg"
    assert amap["globiom37"].replace("", pd.NA).dropna().nunique() == 37


def test_unmapped_area_raise_or_list():
    amap = load_area_map()
    df = pd.DataFrame({"exporter": [21, 99999], "importer": [41, 41], "_line": [2, 3]})
    with pytest.raises(InputError, match=r"f\.csv line 3, column 'exporter': unmapped FAO area code 99999"):
        map_areas(df, ["exporter", "importer"], "china9", amap, file="f.csv")
    out, missing = map_areas(df, ["exporter", "importer"], "china9", amap, unmapped="list")
    assert missing == [99999] and len(out) == 1


def test_commodity_primary_equivalents():
    items = load_item_map()
    df = pd.DataFrame({"item": ["rice", "rice_milled", "meat_of_cattle_boneless_fresh_or_chilled", "cotton"],
                       "quantity": [100.0, 10.0, 71.0, 5.0]})
    out = to_primary(df, items)
    assert out["commodity"].tolist() == ["rice", "rice", "bovine_meat"]
    assert out["quantity"].tolist() == pytest.approx([67.0, 10.0, 100.0], rel=1e-5)
    with pytest.raises(InputError, match="cotton"):
        to_primary(df, items, unmapped="raise")


def test_observed_years_stop_at_the_first_year_a_market_source_lacks():
    coverage = {"trade": list(range(1986, 2024)), "production_value": list(range(2010, 2023)),
                "sugar_production": list(range(1961, 2021)), "deflator": list(range(1973, 2024)),
                "area_harvested": list(range(1961, 2020))}
    years = observed_years(coverage)
    assert years == list(range(2010, 2021))  # the FBS sugar extract ends 2020; area harvested does not count
    assert limiting_sources(coverage, years) == ["sugar_production"]
    gap = dict(coverage, trade=[y for y in coverage["trade"] if y != 2013])
    assert observed_years(gap) == [2010, 2011, 2012]  # continuous: a gap ends the range
    with pytest.raises(InputError, match="year 2010 is not covered by production_value"):
        observed_years(dict(coverage, production_value=list(range(2011, 2023))))


def test_year_span():
    assert year_span([2012, 2010, 2011, 2015, 2017, 2018]) == "2010-2012, 2015, 2017-2018"
    assert year_span([]) == "none"
