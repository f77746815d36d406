"""Food income elasticity that falls as income rises (petra.income_response) and its estimation across
countries (petra.data.income_response; income_response.csv, food_income_elasticities.csv)."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import petra.data
from petra.data import income_response as ir
from petra.dataset import load_dataset
from petra.errors import InputError
from petra.income_response import food_demand_index, food_income_elasticity

ROOT = Path(petra.data.__file__).resolve().parent


def test_elasticity_moves_along_the_slope_and_stops_at_the_bounds():
    # e0 0.5 at 10, slope -0.2 per ln unit: at 10 e = 0.5; at 10 e^1 = 0.3; at 10 e^3 the floor 0.1
    e = food_income_elasticity(0.5, 10.0, [10.0, 10 * math.e, 10 * math.e ** 3, 10 / math.e ** 5], -0.2,
                               (0.1, 0.9))
    assert np.allclose(e, [0.5, 0.3, 0.1, 0.9])


def test_a_region_keeps_its_offset_outside_the_bounds():
    # China dairy 0.89 above the ceiling 0.6: it falls from its own value, never jumps to the ceiling
    assert food_income_elasticity(0.89, 5.0, 5.0, -0.12, (-0.05, 0.6)) == pytest.approx(0.89)
    assert food_income_elasticity(0.89, 5.0, 5.0 * math.e, -0.12, (-0.05, 0.6)) == pytest.approx(0.77)
    # and never rises above it when income falls
    assert food_income_elasticity(0.89, 5.0, 5.0 / math.e ** 3, -0.12, (-0.05, 0.6)) == pytest.approx(0.89)


def test_food_demand_index_is_the_integral_of_the_elasticity_by_hand():
    # e0 0.5, slope -0.2, floor 0.2 reached at x = 1.5; x = 2: 0.5*1.5 - 0.1*1.5^2 + 0.2*0.5 = 0.625
    assert food_demand_index(0.5, 1.0, math.exp(2.0), -0.2, (0.2, 1.0)) == pytest.approx(math.exp(0.625))
    # unbounded: e0 x + s x^2 / 2
    assert food_demand_index(0.5, 1.0, math.exp(1.0), -0.2, (-5, 5)) == pytest.approx(math.exp(0.4))
    # constant elasticity (slope 0): (y / y0) ** e0; income falling
    assert food_demand_index(0.3, 4.0, 2.0, 0.0, (0, 1)) == pytest.approx(0.5 ** 0.3)
    # income falling along a negative slope: the elasticity rises towards the ceiling 0.6 (x = -1 reached)
    # integral from 0 to -2: -(0.4*1 + 0.1*1) - 0.6*1 = -1.1
    assert food_demand_index(0.4, 1.0, math.exp(-2.0), -0.2, (0.0, 0.6)) == pytest.approx(math.exp(-1.1))


def test_food_demand_index_matches_numerical_integration():
    from scipy.integrate import quad

    for e0, s, x, bounds in ((0.89, -0.12, 1.7, (0.0, 0.6)), (0.1, -0.3, 2.5, (-0.1, 0.5)),
                             (0.2, 0.1, 1.2, (0.0, 0.3))):
        f = lambda u, e0=e0, s=s, bounds=bounds: food_income_elasticity(e0, 1.0, math.exp(u), s, bounds)  # noqa: E731
        assert food_demand_index(e0, 1.0, math.exp(x), s, bounds) == pytest.approx(math.exp(quad(f, 0, x)[0]))


def test_engel_panel_recovers_a_known_curve_through_country_and_year_effects():
    rng = np.random.default_rng(0)
    rows = []
    b, c = 0.8, -0.06  # elasticity b + 2c ln y: slope -0.12
    for area in range(40):
        a_i, g = rng.normal(0, 1), rng.uniform(0.0, 0.06)
        x0 = rng.uniform(-0.5, 3.0)
        for year in range(1990, 2011):
            x = x0 + g * (year - 1990) + 0.02 * math.sin(area + year)
            d_t = 0.01 * (year - 1990) ** 0.5
            lnq = a_i + d_t + b * x + c * x * x + (0.3 if year >= 2010 else 0.0)  # a method break in 2010
            rows.append((area, year, math.exp(lnq), x, int(year >= 2010)))
    food = pd.DataFrame(rows, columns=["area", "year", "q", "ln_gdp_pc", "segment"])
    est = ir.engel_panel(food, 2010)
    assert est["slope"] == pytest.approx(2 * c, abs=1e-6)
    assert est["b"] == pytest.approx(b, abs=1e-5)
    # nothing after up_to_year is read
    later = food.assign(year=food["year"] + 30, q=food["q"] * 7.0)
    assert ir.engel_panel(pd.concat([food, later]), 2010)["slope"] == est["slope"]


def test_slope_rule_takes_significant_negative_slopes_else_the_group_else_zero():
    engel = pd.DataFrame({"slope": [-0.2, -0.05, 0.3, 0.4, -0.1], "se": [0.02, 0.04, 0.05, 0.1, 0.1],
                          "t": [-10, -1.25, 6, 4, -1]},
                         index=["wheat", "maize", "poultry_meat", "rapeseed", "soybeans"])
    s = ir.choose_slopes(engel).set_index("commodity")
    assert s.loc["wheat", "slope"] == -0.2 and s.loc["wheat", "basis"] == "engel"
    assert s.loc["maize", "slope"] == -0.2 and s.loc["maize", "basis"] == "engel group cereals"
    assert s.loc["poultry_meat", "slope"] == 0.0 and s.loc["poultry_meat", "basis"] == "constant"
    assert s.loc["rapeseed", "slope"] == 0.0  # its only group mate (soybeans) is not significant


@pytest.mark.parametrize("name", ["china9", "globiom37", "world"])
def test_shipped_income_response_falls_with_income_within_its_bounds(shipped, name):
    ds = shipped(name)
    r = ds.income_response.set_index("commodity")
    assert set(r.index) == set(ds.markets["commodity"])
    assert (r["slope"] <= 0).all() and (r["low"] < r["high"]).all()
    fe = ds.food_income_elasticities
    assert set(zip(fe["region"], fe["commodity"], strict=True)) == set(
        zip(ds.markets["region"], ds.markets["commodity"], strict=True))
    # the old table (IMPACT on total use) is still there, unchanged in form
    assert list(ds.income_elasticities.columns) == ["region", "commodity", "income_elasticity"]


def test_china_dairy_base_year_food_elasticity_by_hand(shipped):
    # IMPACT 3 IncDmdElasH cmilk CHM 0.892102 (2005); SSP v3 SSP2 China GDP PPP / population:
    # 2005 7112.15 / 1300.8477, 2010 12153.7 / 1343.6976 (billion US$2017, million)
    ds = shipped("china9")
    slope = ds.income_response.set_index("commodity").loc["dairy", "slope"]
    x = math.log((12153.7 / 1343.6976) / (7112.15 / 1300.8477))
    fe = ds.food_income_elasticities.set_index(["region", "commodity"])
    assert fe.loc[("CHN", "dairy"), "food_income_elasticity"] == pytest.approx(0.892102 + slope * x, abs=2e-6)
    # the shipped dairy slope is the Engel panel's and falls: China's dairy elasticity ~0.83 in 2010
    assert -0.2 < slope < -0.05


def test_bounds_the_wrong_way_round_are_refused_in_one_line(tmp_path):
    folder = tmp_path / "d"
    shutil.copytree(ROOT / "china9", folder)
    r = pd.read_csv(folder / "income_response.csv")
    r.loc[2, "low"] = r.loc[2, "high"] + 0.1
    r.to_csv(folder / "income_response.csv", index=False)
    with pytest.raises(InputError) as e:
        load_dataset(folder)
    msg = str(e.value)
    assert "income_response.csv" in msg and "line 4" in msg and "above high" in msg and "\n" not in msg
