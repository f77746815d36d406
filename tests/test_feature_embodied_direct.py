"""Direct embodied flows: flow x exporter-average intensity, units, missing and bad intensities."""

import math

import numpy as np
import pandas as pd
import pytest

from petra.embodied import embodied_math as em
from petra.embodied import iamc, units
from petra.errors import InputError


def _ints(rows):
    return pd.DataFrame(rows, columns=["region", "commodity", "period", "indicator", "value", "unit"])


FLOWS = pd.DataFrame({"exporter": ["BR", "US"], "importer": ["CN", "CN"], "commodity": ["soy", "soy"],
                      "period": [2010, 2010], "flow": [20.0, 10.0]})  # kt
INTS = _ints([
    ("BR", "soy", 2010, "land", 0.35, "ha/t"),
    ("US", "soy", 2010, "land", 0.34, "ha/t"),
    ("BR", "soy", 2010, "water_blue", 5.0, "m3/t"),
    ("US", "soy", 2010, "water_blue", 40.0, "m3/t"),
    ("BR", "soy", 2010, "water_green", 2000.0, "m3/t"),
    ("US", "soy", 2010, "water_green", 1900.0, "m3/t"),
    ("BR", "soy", 2010, "nitrogen", 3.0, "kg/t"),
    ("US", "soy", 2010, "nitrogen", 2.0, "kg/t"),
])


def _value(e, exporter, indicator):
    r = e[(e["exporter"] == exporter) & (e["indicator"] == indicator)]
    assert len(r) == 1
    return float(r["value"].iloc[0]), r["unit"].iloc[0]


def test_land_water_nitrogen_by_hand():
    e, missing = em.embodied_flows(FLOWS, INTS, {"soy": "kt"})
    assert missing.empty
    # BR: 20 kt = 20,000 t x 0.35 ha/t = 7,000 ha
    assert _value(e, "BR", "land") == (pytest.approx(7000.0), "ha")
    # US: 10,000 t x 0.34 = 3,400 ha
    assert _value(e, "US", "land") == (pytest.approx(3400.0), "ha")
    # blue and green kept separate: BR 20,000 t x 5 m3/t = 100,000 m3; x 2000 = 40,000,000 m3
    assert _value(e, "BR", "water_blue") == (pytest.approx(1.0e5), "m3")
    assert _value(e, "BR", "water_green") == (pytest.approx(4.0e7), "m3")
    # nitrogen: US 10,000 t x 2 kg/t = 20,000 kg = 20 t
    assert _value(e, "US", "nitrogen") == (pytest.approx(20.0), "t")


def test_unit_conversion_of_flows_and_intensities():
    # a flow in t and an intensity in ha/kt: 500 t x 300 ha/kt = 500 x 0.3 ha = 150 ha
    f = FLOWS.iloc[:1].assign(flow=500.0)
    i = _ints([("BR", "soy", 2010, "land", 300.0, "ha/kt")])
    e, _ = em.embodied_flows(f, i, "t")
    assert _value(e, "BR", "land") == (pytest.approx(150.0), "ha")
    assert units.factor("Mha", "ha") == pytest.approx(1e6)
    assert units.factor("km3", "m3") == pytest.approx(1e9)
    assert units.factor("kt", "t") == pytest.approx(1e3)  # kilotonne, not knot


def test_ipcc_fertiliser_n2o_and_gas_totals():
    # direct N2O: 100 kg N/t x 0.01 x 44/28 = 1.5714 kg N2O/t
    assert em.n2o_from_nitrogen(100.0) == pytest.approx(100 * 0.01 * 44 / 28)
    # flooded rice EF1 0.004 (IPCC 2019): 100 x 0.004 x 44/28 = 0.6286
    assert em.n2o_from_nitrogen(100.0, flooded_rice=True) == pytest.approx(0.4 * 44 / 28)
    # with indirect: 100 x (0.01 + 0.1 x 0.01 + 0.3 x 0.0075) x 44/28 = 100 x 0.01325 x 44/28
    assert em.n2o_from_nitrogen(100.0, indirect=True) == pytest.approx(1.325 * 44 / 28)
    # rice CH4: 1.19 kg/ha/day (IPCC 2019) x 120 days / 6 t/ha = 23.8 kg/t
    assert em.rice_ch4_per_tonne(6.0, 120.0) == pytest.approx(23.8)
    ints = _ints([("BR", "soy", 2010, "nitrogen", 3.0, "kg/t"),
                  ("BR", "beef", 2010, "ch4_enteric", 200.0, "kg/t"),
                  ("BR", "beef", 2010, "ch4_manure", 0.01, "kg/kg"),
                  ("BR", "beef", 2010, "n2o", 5.0, "kg/t")])
    d = em.derive_ghg(ints).set_index(["commodity", "indicator"])
    # soy n2o derived from N: 3 x 0.01 x 44/28
    assert d.loc[("soy", "n2o"), "value"] == pytest.approx(0.03 * 44 / 28)
    assert d.loc[("soy", "n2o"), "source"].startswith("derived")
    # beef ch4 total = 200 + 0.01 kg/kg (= 10 kg/t) = 210 kg/t; given n2o kept as is
    assert d.loc[("beef", "ch4"), "value"] == pytest.approx(210.0)
    assert d.loc[("beef", "n2o"), "value"] == 5.0
    assert ("beef", "n2o") in d.index and d.loc[("beef", "n2o"), "source"] == ""


def test_missing_intensity_is_reported_and_never_zero():
    ints = INTS.copy()
    ints.loc[(ints["region"] == "US") & (ints["indicator"] == "nitrogen"), "value"] = np.nan  # known missing
    ints = ints[~((ints["region"] == "BR") & (ints["indicator"] == "water_blue"))]  # no row at all
    flows = pd.concat([FLOWS, pd.DataFrame({"exporter": ["AR"], "importer": ["CN"], "commodity": ["maize"],
                                            "period": [2010], "flow": [1.0]})], ignore_index=True)
    e, missing = em.embodied_flows(flows, ints, "kt")
    assert math.isnan(_value(e, "US", "nitrogen")[0])
    assert math.isnan(_value(e, "BR", "water_blue")[0])
    got = set(zip(missing["region"], missing["commodity"], missing["indicator"], strict=True))
    assert ("US", "soy", "nitrogen") in got and ("BR", "soy", "water_blue") in got
    # a traded commodity without any intensity: every indicator missing, listed by product and region
    assert {("AR", "maize", i) for i in ["land", "nitrogen", "water_blue", "water_green"]} <= got
    assert e[e["commodity"] == "maize"]["value"].isna().all()
    r = missing[(missing["region"] == "US")]
    assert r["flow"].iloc[0] == 10.0 and r["flow_unit"].iloc[0] == "kt"


def test_negative_or_nonfinite_intensity_is_a_clear_error():
    for bad in (-1.0, np.inf):
        ints = INTS.copy()
        ints.loc[0, "value"] = bad
        with pytest.raises(InputError, match="region BR, commodity soy, indicator land"):
            em.embodied_flows(FLOWS, ints, "kt")


def test_carry_forward_uses_latest_earlier_period_only():
    f = FLOWS.iloc[:1].assign(period=2030)
    ints = _ints([("BR", "soy", 2010, "land", 0.5, "ha/t"), ("BR", "soy", 2020, "land", 0.4, "ha/t"),
                  ("BR", "soy", 2040, "land", 0.1, "ha/t")])
    e, _ = em.embodied_flows(f, ints, "kt")
    # 2030 uses 2020: 20,000 t x 0.4 = 8,000 ha
    assert _value(e, "BR", "land")[0] == pytest.approx(8000.0)
    assert int(e["intensity_period"].iloc[0]) == 2020
    e, missing = em.embodied_flows(f.assign(period=2000), ints, "kt")
    assert math.isnan(_value(e, "BR", "land")[0]) and len(missing) == 1


def test_accounts_and_iamc_co2e():
    ints = _ints([("A", "rice", 2010, "ch4", 100.0, "kg/t"), ("A", "rice", 2010, "n2o", 1.0, "kg/t"),
                  ("B", "rice", 2010, "ch4", 50.0, "kg/t"), ("B", "rice", 2010, "n2o", 2.0, "kg/t")])
    prod = pd.DataFrame({"region": ["A", "B"], "commodity": "rice", "period": 2010,
                         "production": [10.0, 4.0]})
    flows = pd.DataFrame({"exporter": ["A"], "importer": ["B"], "commodity": ["rice"], "period": [2010],
                          "flow": [2.0]})
    acc = em.accounts(prod, flows, ints, "kt").set_index(["region", "indicator"])
    # A production-based CH4: 10,000 t x 100 kg/t = 1,000 t; exports 2,000 t x 100 = 200 t
    assert acc.loc[("A", "ch4"), "production_based"] == pytest.approx(1000.0)
    assert acc.loc[("A", "ch4"), "exports"] == pytest.approx(200.0)
    # B imports 200 t CH4; consumption-based (direct) = 4,000 x 50 kg - 0 + 200 t = 200 + 200 = 400 t
    assert acc.loc[("B", "ch4"), "consumption_direct"] == pytest.approx(400.0)
    assert acc.loc[("B", "ch4"), "net_exports"] == pytest.approx(-200.0)
    t = iamc.iamc_table(acc.reset_index()).set_index(["region", "variable"])
    assert t.loc[("B", "Embodied Emissions|CH4|Imports"), "value"] == pytest.approx(200.0 / 1e6)  # Mt
    assert t.loc[("B", "Embodied Emissions|CH4|Imports"), "unit"] == "Mt CH4/yr"
    # the same per commodity (one commodity here)
    assert t.loc[("B", "Embodied Emissions|CH4|Imports|rice"), "value"] == pytest.approx(200.0 / 1e6)
    # B imports: 200 t CH4 x 27 + 2 t N2O (2,000 t x 1 kg/t) x 273 = 5,400 + 546 = 5,946 t CO2e
    assert t.loc[("B", "Embodied Emissions|Kyoto Gases (AR6-GWP100)|Imports"), "value"] == pytest.approx(
        5946.0 / 1e6)
    assert iamc.variable_name("land") + "|Imports" == "Embodied Land|Cropland|Imports"
    assert iamc.variable_name("water_blue") == "Embodied Water|Blue"
    assert iamc.variable_name("feed_land") == "Embodied Land|Cropland|Feed"
    assert iamc.variable_name("ch4_enteric") == "Embodied Emissions|CH4|Enteric"


def test_rice_ch4_derived_only_when_asked_and_never_over_a_given_value():
    ints = _ints([("A", "rice", 2010, "land", 0.2, "ha/t"), ("A", "rice", 2010, "ch4", np.nan, "kg/t"),
                  ("B", "rice", 2010, "land", 0.25, "ha/t"), ("B", "rice", 2010, "ch4", 100.0, "kg/t")])
    assert math.isnan(em.derive_ghg(ints).set_index(["region", "indicator"]).loc[("A", "ch4"), "value"])
    d = em.derive_ghg(ints, rice_season_days=120).set_index(["region", "indicator"])
    # A: yield 1 / 0.2 = 5 t/ha; 1.19 kg/ha/day x 120 days / 5 t/ha = 28.56 kg CH4/t
    assert d.loc[("A", "ch4"), "value"] == pytest.approx(28.56)
    assert d.loc[("B", "ch4"), "value"] == 100.0
