"""Deforestation emissions allocated to expanding products and to trade (hand-computed)."""

import math

import pandas as pd
import pytest

from petra.embodied.deforestation import allocate_deforestation, area_change, expansion_shares

AREA = pd.DataFrame({
    "region": ["R"] * 6 + ["Q"] * 2 + ["R"] * 2,
    "commodity": ["soy", "soy", "maize", "maize", "wheat", "wheat", "soy", "soy", "beef", "beef"],
    "period": [2005, 2010] * 5,
    "land_type": ["cropland"] * 8 + ["pasture"] * 2,
    "area": [100.0, 160.0, 50.0, 70.0, 80.0, 70.0, 90.0, 80.0, 1000.0, 1200.0],
})
EMIS = pd.DataFrame({"region": ["R", "R", "Q", "R"], "period": [2010, 2010, 2010, 2005],
                     "land_type": ["cropland", "pasture", "cropland", "cropland"],
                     "value": [1000.0, 500.0, 700.0, 10.0]})
VA = pd.DataFrame({
    "exporter": ["R", "R", "R", "Q", "R", "S", "R"],
    "importer": ["C"] * 7,
    "commodity": ["soy", "maize", "wheat", "soy", "beef", "soy", "soy"],
    "period": [2010] * 6 + [2005],
    "land_type": ["cropland"] * 4 + ["pasture", "cropland", "cropland"],
    "value": [40.0, 7.0, 10.0, 8.0, 300.0, 5.0, 10.0],
})


def _v(out, exporter, commodity, period=2010):
    r = out[(out["exporter"] == exporter) & (out["commodity"] == commodity) & (out["period"] == period)]
    assert len(r) == 1
    return float(r["value"].iloc[0])


def test_shares_only_of_expanding_products():
    s = expansion_shares(area_change(AREA)).set_index(["region", "commodity", "period"])
    # R cropland 2005->2010: soy +60, maize +20, wheat -10 -> shares 60/80, 20/80, 0
    assert s.loc[("R", "soy", 2010), "share"] == pytest.approx(0.75)
    assert s.loc[("R", "maize", 2010), "share"] == pytest.approx(0.25)
    assert s.loc[("R", "wheat", 2010), "share"] == 0.0
    assert math.isnan(s.loc[("R", "soy", 2005), "share"])  # first period: change unknown


def test_route_allocation_by_hand():
    out = allocate_deforestation(AREA, EMIS, VA)
    # soy: 1000 t CO2 x 0.75 x 40 ha / 160 ha = 187.5
    assert _v(out, "R", "soy") == pytest.approx(187.5)
    # maize: 1000 x 0.25 x 7 / 70 = 25
    assert _v(out, "R", "maize") == pytest.approx(25.0)
    # wheat shrank: 0
    assert _v(out, "R", "wheat") == 0.0
    # Q's soy area fell (90 -> 80): no expansion anywhere in Q, nothing allocated
    assert _v(out, "Q", "soy") == 0.0
    # pasture analogue: 500 x (200 / 200) x 300 / 1200 = 125
    assert _v(out, "R", "beef") == pytest.approx(125.0)
    # S has no deforestation input: absent, not zero
    assert (out["exporter"] == "S").sum() == 0
    # 2005: no earlier area, change unknown -> NaN (missing), not zero
    assert math.isnan(_v(out, "R", "soy", 2005))


def test_products_without_any_area_do_not_blank_the_shares():
    # issue 14: livestock products have no cropland area in the shipped data (NaN every period); they
    # made every share unknown. R cropland 2005 -> 2010 as above (soy +60, maize +20, wheat -10).
    nan = float("nan")
    beef = pd.DataFrame({"region": "R", "commodity": "pork", "period": [2005, 2010], "land_type": "cropland",
                         "area": [nan, nan]})
    s = expansion_shares(area_change(pd.concat([AREA, beef], ignore_index=True)))
    s = s.set_index(["region", "commodity", "period"])
    assert s.loc[("R", "soy", 2010), "share"] == pytest.approx(0.75)
    assert s.loc[("R", "maize", 2010), "share"] == pytest.approx(0.25)
    assert math.isnan(s.loc[("R", "pork", 2010), "share"])
    # a product with an area in one period only still makes the change unknown (no silent shift)
    gap = beef.assign(commodity="oats", area=[nan, 10.0])
    s = expansion_shares(area_change(pd.concat([AREA, gap], ignore_index=True)))
    assert math.isnan(s.set_index(["region", "commodity", "period"]).loc[("R", "soy", 2010), "share"])
