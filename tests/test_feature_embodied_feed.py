"""Feed embodied in livestock trade, joint-product splits, domestic share of feed."""

import math

import pandas as pd
import pytest

from petra.embodied import feed as fd
from petra.errors import InputError

JOINT = pd.DataFrame({"system": ["dairy", "dairy"], "product": ["milk", "beef"], "output": [1.0, 0.05],
                      "protein": [0.034, 0.2], "price": [300.0, 3000.0]})
REQ = pd.DataFrame({"region": [""], "product": ["dairy"], "feed": ["maize"], "value": [2.0]})
FLOWS = pd.DataFrame({"exporter": ["A"], "importer": ["B"], "commodity": ["milk"], "period": [2010],
                      "flow": [10.0]})
INTS = pd.DataFrame({"region": ["A", "A"], "commodity": "maize", "period": 2010,
                     "indicator": ["land", "water_blue"], "value": [0.2, 100.0], "unit": ["ha/t", "m3/t"]})


def test_joint_split_by_protein_mass_value():
    # protein weights: milk 1 x 0.034 = 0.034, beef 0.05 x 0.2 = 0.01 -> milk share 0.034 / 0.044
    r = fd.feed_requirements(REQ, JOINT, "protein").set_index("product")["value"]
    assert r["milk"] == pytest.approx(2.0 * (0.034 / 0.044) / 1.0)
    assert r["beef"] == pytest.approx(2.0 * (0.01 / 0.044) / 0.05)
    # mass: shares 1/1.05 and 0.05/1.05 -> per tonne both 2 / 1.05
    r = fd.feed_requirements(REQ, JOINT, "mass").set_index("product")["value"]
    assert r["milk"] == pytest.approx(2.0 / 1.05) and r["beef"] == pytest.approx(2.0 / 1.05)
    # value: 300 and 150 -> milk share 2/3: 2 x 2/3 = 1.3333 per t milk; beef 2 x 1/3 / 0.05 = 13.333
    r = fd.feed_requirements(REQ, JOINT, "value").set_index("product")["value"]
    assert r["milk"] == pytest.approx(4.0 / 3.0) and r["beef"] == pytest.approx(40.0 / 3.0)
    with pytest.raises(InputError):
        fd.feed_requirements(REQ, JOINT, "energy")


def test_embodied_feed_domestic_share_by_hand():
    req = fd.feed_requirements(REQ, JOINT, "mass")  # milk: 2 / 1.05 t maize per t milk
    prod = pd.DataFrame({"region": ["A", "A"], "commodity": ["maize", "milk"], "period": 2010,
                         "production": [100.0, 50.0]})
    maize_in = pd.DataFrame({"exporter": ["C"], "importer": ["A"], "commodity": ["maize"], "period": [2010],
                             "flow": [25.0]})
    all_flows = pd.concat([FLOWS, maize_in], ignore_index=True)
    per_feed, per_route, missing = fd.embodied_feed(FLOWS, req, INTS, "kt", production=prod,
                                                    all_flows=all_flows)
    assert missing.empty
    # feed in 10 kt milk: 10,000 t x 2/1.05 = 19,047.6 t maize; A's domestic share 100 / (100 + 25) = 0.8
    feed_t = 10000.0 * 2.0 / 1.05
    assert per_feed["feed_t"].iloc[0] == pytest.approx(feed_t)
    assert per_feed["domestic_share"].iloc[0] == pytest.approx(0.8)
    r = per_route.set_index("indicator")
    # land: 19,047.6 x 0.8 x 0.2 ha/t = 3,047.6 ha; blue water x 100 m3/t = 1,523,809.5 m3
    assert r.loc["feed_land", "value"] == pytest.approx(feed_t * 0.8 * 0.2)
    assert r.loc["feed_land", "unit"] == "ha"
    assert r.loc["feed_water_blue", "value"] == pytest.approx(feed_t * 0.8 * 100.0)
    # all feed counted
    _, per_route, _ = fd.embodied_feed(FLOWS, req, INTS, "kt", production=prod, all_flows=all_flows,
                                       origin="all")
    assert per_route.set_index("indicator").loc["feed_land", "value"] == pytest.approx(feed_t * 0.2)


def test_regional_requirement_overrides_default_and_missing_feed_intensity():
    req = pd.DataFrame({"region": ["", "A"], "product": ["milk", "milk"], "feed": ["maize", "soy"],
                        "value": [1.0, 0.5]})
    ff = fd.feed_flows(FLOWS, req, "kt")
    # A has its own row (soy only): 10,000 t x 0.5 = 5,000 t soy, default maize row not used
    assert list(ff["feed"]) == ["soy"] and ff["feed_t"].iloc[0] == pytest.approx(5000.0)
    _, per_route, missing = fd.embodied_feed(FLOWS, req, INTS, "kt", origin="all")
    # soy has no intensity at all: the feed indicators are missing, not zero
    assert per_route["value"].isna().all()
    assert set(missing["commodity"]) == {"soy"} and set(missing["region"]) == {"A"}
    assert math.isnan(per_route["value"].iloc[0])
