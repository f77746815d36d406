"""Productivity from data: yield and output-per-animal history (productivity_history.csv) and the robust
trend estimator with its convergence rule (petra.trends)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import petra.data
from petra.data import productivity_history as ph
from petra.trends import (
    RATE_BOUNDS,
    converged_rate,
    productivity_trend,
    robust_log_trend,
    trend_index,
)

ROOT = Path(petra.data.__file__).resolve().parent


def series(rate_pct, years, level=5.0):
    return level * np.exp(rate_pct / 100.0 * (np.asarray(years) - years[0]))


def test_robust_trend_recovers_the_rate_through_a_drought_and_a_level_break():
    years = np.arange(1991, 2011)
    v = series(1.5, years)
    v[10] *= 0.6                     # a drought year: 40 % below the line
    v[15:] *= 1.3                    # a reporting break: new level from 2006
    seg = (years >= 2006).astype(int)
    g, se, n = robust_log_trend(years, v, seg)
    assert g * 100 == pytest.approx(1.5, abs=0.02) and n == 20 and se < 0.01
    # plain least squares on the same points is pulled by the drought and misreads the break as growth
    ols = np.polyfit(years, np.log(v), 1)[0] * 100
    assert abs(ols - 1.5) > 0.5


def history(rows):
    return pd.DataFrame(rows, columns=["region", "commodity", "year", "production", "input"])


def test_trend_reads_only_years_up_to_the_estimate_and_short_series_take_the_world_rate():
    years = list(range(1985, 2021))
    rows = [("A", "maize", y, p, 1.0) for y, p in zip(years, series(2.0, years), strict=True)]
    rows += [("B", "maize", y, p, 2.0) for y, p in zip(years, series(1.0, years, 3.0), strict=True)]
    rows += [("C", "maize", y, 1.0, 1.0) for y in range(2006, 2011)]  # 5 years: too few
    h = history(rows)
    t = productivity_trend(h, 2010).set_index("region")
    assert t.loc["A", "rate"] == pytest.approx(2.0, abs=1e-9) and t.loc["A", "basis"] == "own"
    assert t.loc["C", "basis"] == "world" and t.loc["C", "rate"] == t.loc["C", "world_rate"]
    assert t.loc["A", "level"] == pytest.approx(series(2.0, years)[2010 - 1985])
    # a boom after 2010 changes nothing estimated up to 2010
    h2 = h.copy()
    h2.loc[h2["year"] > 2010, "production"] *= 10.0
    assert productivity_trend(h2, 2010).equals(productivity_trend(h, 2010))


def test_rates_beyond_the_bounds_are_set_to_them():
    years = list(range(1991, 2011))
    t = productivity_trend(history([("A", "x", y, p, 1.0) for y, p in
                                    zip(years, series(12.0, years), strict=True)]), 2010)
    assert t.loc[0, "rate"] == RATE_BOUNDS[1] and t.loc[0, "basis"] == "own, bounded"


def test_convergence_rule_by_hand():
    # 3 %/yr converging to 1 %/yr with half-life 5: after 5 years 2 %/yr, after 10 years 1.5 %/yr
    assert converged_rate(3.0, 1.0, [0, 5, 10], 5.0) == pytest.approx([3.0, 2.0, 1.5])
    # index: ln I(T) = (gw T + (g0 - gw) H / ln 2 (1 - 0.5^(T/H))) / 100
    expect = math.exp((1.0 * 10 + 2.0 * 5 / math.log(2) * 0.75) / 100)
    assert trend_index(3.0, 1.0, 10, 5.0) == pytest.approx(expect)
    assert trend_index(3.0, 1.0, 10, float("inf")) == pytest.approx(math.exp(0.3))


def test_usa_maize_yield_and_trend_by_hand(shipped):
    # FAOSTAT QCL (gcamdata-fao-raw): USA maize 2010 production 315,617,920 t, area 32,960,380 ha
    h = shipped("china9").productivity_history
    usa = h[(h["region"] == "USA") & (h["commodity"] == "maize")].set_index("year")
    assert usa.loc[2010, "value"] == pytest.approx(315_617_920 / 32_960_380, rel=1e-6)
    assert usa.loc[2010, "unit"] == "t/ha"
    t = productivity_trend(h, 2010).set_index(["region", "commodity"]).loc[("USA", "maize")]
    w = usa.loc[1991:2010]
    ols = np.polyfit(w.index, np.log(w["production"] / w["input"]), 1)[0] * 100
    # 1991-2010: about 1.8 %/yr; Huber down-weights the 1993 flood year, so it sits near plain OLS
    assert t["rate"] == pytest.approx(ols, abs=0.3) and 1.2 < t["rate"] < 2.4


@pytest.mark.parametrize("name", ["china9", "globiom37", "world"])
def test_history_covers_every_market_from_the_sixties(shipped, name):
    ds = shipped(name)
    h = ds.productivity_history
    assert h["year"].min() == 1961 and h["year"].max() == 2020
    assert np.allclose(h["value"], h["production"] / h["input"], rtol=2e-6)  # 7 digits each
    live = h[h["unit"] == "t/head"]
    assert set(live["commodity"]) == set(ph.LIVESTOCK_HEADS) and live["year"].min() == 1970


def test_segments_mark_a_country_set_change_not_small_entries():
    f = pd.DataFrame({"region": "R", "commodity": "x", "year": [1990, 1990, 1991, 1991, 1992, 1992, 1992],
                      "area": [1, 2, 1, 2, 1, 2, 3], "input": [50.0, 50.0, 50.0, 50.0, 50.0, 50.0, 1.0]})
    assert list(ph.composition_segments(f)) == [0, 0, 0, 0, 0, 0, 0]  # 1 % entering: same segment
    g = f[f["area"] != 2]  # country 2 gone from 1992 on? it never left; drop it only in 1992
    g = pd.concat([f[f["year"] < 1992], f[(f["year"] == 1992) & (f["area"] != 2)]])
    assert list(ph.composition_segments(g)) == [0, 0, 0, 0, 1, 1]
