"""Feed efficiency: how feed requirements (feed.csv) x livestock output reproduce FBS feed use, the
calibration factor and trend the projection needs (feed_history.csv, feed_calibration.csv)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import petra.data
from petra.data import feed_calibration as fc
from petra.dataset import load_dataset
from petra.errors import InputError
from petra.trends import feed_efficiency_trend

ROOT = Path(petra.data.__file__).resolve().parent
LIVESTOCK = ["bovine_meat", "pig_meat", "poultry_meat", "sheep_meat", "dairy"]


@pytest.fixture(scope="module")
def china9(shipped):
    return shipped("china9")


def test_china_maize_and_soybean_calibration_by_hand(china9):
    req = pd.read_csv(ROOT / "china9" / "feed.csv")
    om = china9.observed_markets
    prod = om[(om["region"] == "CHN") & (om["year"] == 2010)].set_index("commodity")["production"]
    cal = china9.feed_calibration.set_index(["region", "feed"])
    # FBS China 2010 (kt): maize feed 125,152; soybeans feed 9,296 + crush 51,935 x 0.79 cake + net cake
    # imports -672.308, x 1.065859 seed equivalent
    fbs = {"maize": 125152.0, "soybeans": 9296.0 + 1.065859 * (51935 * 0.79 - 672.308)}
    for feed, fbs_feed in fbs.items():
        r = req[(req["region"] == "CHN") & (req["feed"] == feed)].set_index("product")["value"]
        implied = sum(r[p] * prod[p] for p in LIVESTOCK)
        row = cal.loc[("CHN", feed)]
        assert row["fbs_feed"] == pytest.approx(fbs_feed, rel=1e-6)
        assert row["implied_feed"] == pytest.approx(implied, rel=1e-6)
        assert row["factor"] == pytest.approx(fbs_feed / implied, rel=2e-6)
    # requirements of 2018-2020 x 2010 output overstate China's 2010 maize feed by about a fifth
    assert 0.75 < cal.loc[("CHN", "maize"), "factor"] < 0.9


def test_calibrated_requirements_reproduce_the_base_year_fbs_feed(china9):
    cal = china9.feed_calibration.dropna(subset=["factor"])
    assert np.allclose(cal["factor"] * cal["implied_feed"], cal["fbs_feed"], rtol=2e-6, atol=1e-6)


def test_feed_trend_uses_years_up_to_the_base_year_only(china9):
    h = china9.feed_history
    t = feed_efficiency_trend(h, 2010)
    later = h.copy()
    later.loc[later["year"] > 2010, "fbs_feed"] *= 5.0
    assert feed_efficiency_trend(later, 2010).equals(t)
    cal = china9.feed_calibration.set_index(["region", "feed"])
    mine = t.set_index(["region", "feed"]).loc[("CHN", "soybeans")]
    assert cal.loc[("CHN", "soybeans"), "trend"] == pytest.approx(mine["rate"], abs=1e-5)
    # the 2010 methodology break is a level, not growth: the 2010 point (its own segment) is not used
    assert mine["n_years"] == 19


def test_history_holds_the_fbs_feed_and_marks_the_methodology_break(china9):
    h = china9.feed_history.set_index(["region", "feed", "year"])
    row = h.loc[("CHN", "maize", 2010)]
    assert row["fbs_feed"] == pytest.approx(125152.0)
    assert row["segment"] == 1 and h.loc[("CHN", "maize", 2009), "segment"] == 0


def test_implied_feed_is_requirements_times_output():
    req = pd.DataFrame({"region": "R", "product": ["pig_meat", "dairy"], "feed": "maize",
                        "value": [2.0, 0.5]})
    prod = pd.DataFrame({"region": "R", "product": ["pig_meat", "dairy", "sheep_meat"], "year": 2000,
                         "production": [10.0, 40.0, 99.0]})
    out = fc.implied_feed(req, prod)
    assert out.loc[0, "implied_feed"] == 2.0 * 10 + 0.5 * 40


@pytest.mark.parametrize("name", ["globiom37", "world"])
def test_every_feed_requirement_has_a_calibration_row(shipped, name):
    ds = shipped(name)
    req = pd.read_csv(next((ROOT / name).glob("feed.csv*")))
    assert set(zip(req["region"], req["feed"], strict=True)) <= set(
        zip(ds.feed_calibration["region"], ds.feed_calibration["feed"], strict=True))


def test_a_feed_row_of_an_unknown_region_is_refused_in_one_line(tmp_path):
    folder = tmp_path / "d"
    shutil.copytree(ROOT / "china9", folder)
    c = pd.read_csv(folder / "feed_calibration.csv")
    c.loc[1, "region"] = "XYZ"
    c.to_csv(folder / "feed_calibration.csv", index=False)
    with pytest.raises(InputError) as e:
        load_dataset(folder)
    msg = str(e.value)
    assert "feed_calibration.csv" in msg and "line 3" in msg and "'XYZ'" in msg and "\n" not in msg
