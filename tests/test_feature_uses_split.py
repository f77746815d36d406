"""Uses split (uses.csv): shares of domestic use that are food, feed and other, from the FAOSTAT food
balance sheets, oilseed crush followed to oil and cake (petra.data.uses)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import petra.data
from petra.data import uses as us
from petra.dataset import load_dataset
from petra.errors import InputError

ROOT = Path(petra.data.__file__).resolve().parent
FBS = Path("/work/shared/data-sources/agrifoodpy-data/FAOSTAT.nc")
SOY_EQ = 1.065859      # t soybean equivalent per t oil or cake (mappings/commodity_items.csv)
SOY_CAKE_YIELD = 0.79  # t cake per t beans crushed (feed_requirements.CAKE_YIELD)

# FAOSTAT FBS, China mainland (FAO 41), kt. Soyabeans 2555 (other: empty), Soyabean Oil 2571 (feed, seed,
# losses empty), Maize 2514. Net soybean cake imports (FAOSTAT trade matrix, exporter-reported): 2010
# 343.698 - 1016.006 = -672.308 kt; 2020 63.85036 - 967.35472 = -903.50436 kt.
RAW = {
    2010: {"bean": dict(food=5284, feed=9296, seed=826, losses=607, processing=51935, residual=0),
           "oil": dict(food=2502, processing=0, other=7795, residual=0), "cake_net": -672.308,
           "maize": dict(food=9507, feed=125152, seed=1538, losses=8078, processing=5634, other=27708,
                         residual=0)},
    2020: {"bean": dict(food=7789, feed=18864, seed=1073, losses=1042, processing=90888, residual=0),
           "oil": dict(food=4041, other=13066, residual=0), "cake_net": -903.50436,
           "maize": dict(food=8392, feed=189620, seed=2161, losses=12284, processing=5663, other=47689,
                         residual=0)},
}


def hand_soy(year: int) -> tuple[float, float, float]:
    r = RAW[year]
    b, o = r["bean"], r["oil"]
    cake = b["processing"] * SOY_CAKE_YIELD + r["cake_net"]
    food = b["food"] + SOY_EQ * o["food"]
    feed = b["feed"] + SOY_EQ * cake
    other = b["seed"] + b["losses"] + b["residual"] + SOY_EQ * (o["other"] + o["residual"])
    return food, feed, other


def hand_maize(year: int) -> tuple[float, float, float]:
    m = RAW[year]["maize"]
    return m["food"], m["feed"], m["seed"] + m["losses"] + m["processing"] + m["other"] + m["residual"]


@pytest.fixture(scope="module")
def china9_uses(shipped):
    return shipped("china9").uses.set_index(["region", "commodity", "year"])


@pytest.mark.parametrize("year", [2010, 2020])
@pytest.mark.parametrize("commodity", ["soybeans", "maize"])
def test_china_shares_equal_the_fbs_numbers_by_hand(china9_uses, commodity, year):
    food, feed, other = (hand_soy if commodity == "soybeans" else hand_maize)(year)
    total = food + feed + other
    row = china9_uses.loc[("CHN", commodity, year)]
    assert row["domestic_use"] == pytest.approx(total, rel=1e-6)
    for name, v in (("food", food), ("feed", feed), ("other", other)):
        assert row[name] == pytest.approx(v / total, abs=2e-6), name


def test_china_soybeans_are_mostly_feed_and_maize_feed_share_is_seventy_percent(china9_uses):
    # by hand above: soybeans 2010 food 7,950.8 kt, feed 52,310.2 kt of 70,002.3 kt
    assert china9_uses.loc[("CHN", "soybeans", 2010), "feed"] == pytest.approx(52310.17 / 70002.32, abs=1e-5)
    assert china9_uses.loc[("CHN", "maize", 2020), "feed"] == pytest.approx(189620 / 265809, abs=1e-6)


@pytest.mark.parametrize("name", ["china9", "globiom37", "world"])
def test_every_market_and_observed_year_has_shares_summing_to_one(shipped, name):
    ds = shipped(name)
    u = ds.uses
    years = ds.metadata["observed_years"]
    assert len(u) == len(ds.markets) * len(years)
    total = u["food"] + u["feed"] + u["other"]
    assert np.allclose(total, 1.0, atol=2e-6)
    assert ((u[["food", "feed", "other"]] >= 0) & (u[["food", "feed", "other"]] <= 1)).all().all()
    # livestock products are eaten; no region feeds its meat
    meat = u[u["commodity"].isin(["pig_meat", "poultry_meat"]) & (u["basis"] == "fbs")]
    assert meat["food"].mean() > 0.95


def test_negative_residual_nets_against_other_and_missing_regions_take_world_shares():
    uses = pd.DataFrame({"region": ["A", "A", "B"], "commodity": "x", "year": 2010,
                         "food": [60.0, 40.0, 10.0], "feed": [0.0, 0.0, 30.0],
                         "other": [5.0, -8.0, 0.0]})  # A: residual -8 nets other 5 -> 0
    out = us.region_shares(uses, ["A", "B", "C"], ["x"], [2010]).set_index("region")
    assert out.loc["A", "food"] == 1.0 and out.loc["A", "other"] == 0.0
    assert out.loc["A", "domestic_use"] == pytest.approx(0.1)  # kt
    assert out.loc["B", "feed"] == pytest.approx(0.75)
    # world = A (100, 0, 0 after the floor) + B (10, 30, 0)
    assert out.loc["C", "basis"] == "world"
    assert out.loc["C", "food"] == pytest.approx(110 / 140)
    assert out.loc["C", "domestic_use"] == 0.0


def test_oilseed_meal_follows_the_crush_and_imported_meal_counts_where_fed():
    bal = pd.DataFrame([(1, 2010, 1, "processing", 100.0), (1, 2010, 1, "food", 10.0),
                        (1, 2010, 2, "food", 5.0), (1, 2010, 2, "other", 13.0)],
                       columns=["area", "year", "item", "element", "value"])
    net = pd.DataFrame({"area": [1], "year": [2010], "value": [20.0]})
    u = us.oilseed_uses(bal, 1, 2, 0.8, 1.5, net).iloc[0]
    assert u["food"] == 10.0 + 1.5 * 5.0
    assert u["feed"] == 1.5 * (100 * 0.8 + 20.0)
    assert u["other"] == 1.5 * 13.0


def test_shares_not_summing_to_one_are_refused_in_one_line(tmp_path):
    folder = tmp_path / "d"
    shutil.copytree(ROOT / "china9", folder)
    u = pd.read_csv(folder / "uses.csv")
    u.loc[3, "food"] += 0.1
    u.to_csv(folder / "uses.csv", index=False)
    with pytest.raises(InputError) as e:
        load_dataset(folder)
    msg = str(e.value)
    assert "uses.csv" in msg and "line 5" in msg and "not 1" in msg and "\n" not in msg


def test_a_dataset_without_the_projection_inputs_still_loads(tmp_path):
    folder = tmp_path / "old"
    shutil.copytree(ROOT / "china9", folder)
    for name in ("uses.csv", "income_response.csv", "food_income_elasticities.csv",
                 "productivity_history.csv.gz", "feed_history.csv.gz", "feed_calibration.csv"):
        (folder / name).unlink()
    ds = load_dataset(folder)
    assert ds.uses is None and ds.feed_calibration is None and ds.income_elasticities is not None


@pytest.mark.skipif(not FBS.is_file(), reason="shared FAOSTAT food balances absent")
def test_the_hand_numbers_are_the_fbs_file_s():
    pytest.importorskip("xarray")  # the data extra (pip install -e ".[data]") reads the NetCDF file
    from petra.data import fbs

    bal = fbs.read_balances(FBS, [2555, 2571, 2514])
    c = bal[bal["area"] == 41].set_index(["year", "item", "element"])["value"] / 1000.0
    for year, r in RAW.items():
        for item, key in ((2555, "bean"), (2571, "oil"), (2514, "maize")):
            for element, v in r[key].items():
                assert c.get((year, item, element), 0.0) == pytest.approx(v), (year, item, element)
