"""Compensation of the ecological deficit by net virtual land imports."""

import math

import pandas as pd
import pytest

from petra.embodied.deficit import deficit_compensation, net_virtual_land_imports

ACC = pd.DataFrame({
    "region": ["CN"] * 4, "commodity": ["soy", "soy", "beef", "beef"], "period": [2010, 2011, 2010, 2011],
    "indicator": ["land", "land", "pasture", "pasture"], "unit": "ha",
    "imports": [20e6, 30e6, 3e6, 3e6], "exports": [1e6, 1e6, 0.0, 0.0]})
FP = pd.DataFrame({
    "region": ["CN"] * 4, "period": [2010, 2011, 2010, 2011],
    "land_type": ["cropland", "cropland", "grazing", "grazing"],
    "footprint": [200e6, 200e6, 40e6, 20e6], "biocapacity": [150e6, 150e6, 30e6, 30e6], "unit": "gha",
    "yield_factor": [1.0, 1.0, 2.0, 2.0], "equivalence_factor": [2.5, 2.5, 0.5, 0.5]})


def test_compensation_by_hand():
    net = net_virtual_land_imports(ACC)
    out = deficit_compensation(net, FP).set_index(["land_type", "period"])
    # cropland 2010: (20e6 - 1e6) ha x 1.0 x 2.5 = 47.5e6 gha over a deficit of 200e6 - 150e6 = 50e6 -> 0.95
    assert out.loc[("cropland", 2010), "net_import"] == pytest.approx(47.5e6)
    assert out.loc[("cropland", 2010), "compensation"] == pytest.approx(0.95)
    # 2011: 29e6 x 2.5 = 72.5e6 / 50e6 = 1.45; all periods: (47.5 + 72.5) / (50 + 50) = 1.2
    assert out.loc[("cropland", 2011), "compensation"] == pytest.approx(1.45)
    assert out.loc[("cropland", 0), "compensation"] == pytest.approx(1.2)
    assert out.loc[("cropland", 0), "span"] == "2010-2011"
    # grazing 2010: 3e6 ha x 2.0 x 0.5 = 3e6 gha / (40e6 - 30e6) = 0.3
    assert out.loc[("grazing", 2010), "compensation"] == pytest.approx(0.3)
    # grazing 2011: no deficit (20e6 < 30e6) -> undefined, not a number
    assert math.isnan(out.loc[("grazing", 2011), "compensation"])


def test_missing_land_makes_net_import_missing():
    acc = ACC.copy()
    acc.loc[0, "imports"] = float("nan")
    net = net_virtual_land_imports(acc).set_index(["land_type", "period"])
    assert math.isnan(net.loc[("cropland", 2010), "net_import_ha"])
    assert net.loc[("cropland", 2011), "net_import_ha"] == pytest.approx(29e6)


def test_a_land_type_without_data_is_missing_not_zero():
    # accounts without any pasture intensity: grazing's net import is unknown, so is its compensation
    acc = ACC[ACC["indicator"] == "land"]
    out = deficit_compensation(net_virtual_land_imports(acc), FP).set_index(["land_type", "period"])
    assert math.isnan(out.loc[("grazing", 2010), "net_import_ha"])
    assert math.isnan(out.loc[("grazing", 2010), "compensation"])
    assert math.isnan(out.loc[("grazing", 0), "compensation"])
    assert out.loc[("cropland", 2010), "compensation"] == pytest.approx(0.95)


def test_fed_livestock_counts_its_feed_land_and_missing_feed_stays_missing():
    # pork has no own cropland value (missing in the shipped data) but its feed land is known: cropland
    # net import = soy (20e6 - 1e6) + pork feed (4e6 - 0) = 23e6 ha
    pork = pd.DataFrame({"region": "CN", "commodity": "pork", "period": 2010, "unit": "ha",
                         "indicator": ["land", "feed_land"], "imports": [float("nan"), 4e6],
                         "exports": [float("nan"), 0.0]})
    acc = pd.concat([ACC[(ACC["indicator"] == "land") & (ACC["period"] == 2010)], pork], ignore_index=True)
    net = net_virtual_land_imports(acc).set_index(["land_type", "period"])
    assert net.loc[("cropland", 2010), "net_import_ha"] == pytest.approx(23e6)
    # its feed land missing too: the cropland total is missing, never the crops alone
    acc.loc[acc["indicator"] == "feed_land", "imports"] = float("nan")
    net = net_virtual_land_imports(acc).set_index(["land_type", "period"])
    assert math.isnan(net.loc[("cropland", 2010), "net_import_ha"])
    # without feed accounting the missing livestock land keeps the total missing
    acc = pd.concat([ACC[(ACC["indicator"] == "land") & (ACC["period"] == 2010)], pork.iloc[[0]]],
                    ignore_index=True)
    assert math.isnan(net_virtual_land_imports(acc).set_index(["land_type", "period"]).loc[
        ("cropland", 2010), "net_import_ha"])


def test_no_land_data_at_all_is_missing_for_every_land_type():
    acc = ACC.assign(indicator="water_blue")
    out = deficit_compensation(net_virtual_land_imports(acc), FP)
    assert len(out) == 6 and out["net_import_ha"].isna().all() and out["compensation"].isna().all()
