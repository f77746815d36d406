"""Demand by use and supply from data (issue 25): food/feed/other uses with their drivers, feed tied to
the solved livestock output, partial adjustment of supply, productivity trends, the free hindcast.
Values by hand."""

import math

import numpy as np
import pandas as pd
import pytest
from builders import dataset

from petra.demand import feed_coupling, non_feed_demand, uses_demand
from petra.model.problem import build_problem
from petra.model.recursive import PeriodInputs, project_periods, step_problem
from petra.productivity import SUPPLY_ADJUSTMENT, productivity_index, supply_response

# one region: a livestock product L and its feed crop C, plus a second region to trade with
MARKETS = [("A", "L", 100.0, 100.0, 2000.0, 0.5, -0.5), ("A", "C", 300.0, 300.0, 200.0, 0.5, -0.5),
           ("B", "L", 10.0, 10.0, 2100.0, 0.5, -0.5), ("B", "C", 30.0, 30.0, 210.0, 0.5, -0.5)]
ROUTES = [("A", "B", "L", 0.0, 50.0, 0.0, None, 1.0), ("B", "A", "L", 0.0, 50.0, 0.0, None, 1.0),
          ("A", "B", "C", 0.0, 20.0, 0.0, None, 1.0), ("B", "A", "C", 0.0, 20.0, 0.0, None, 1.0)]


def _with_uses(ds):
    uses = pd.DataFrame({"region": ["A", "A", "B", "B"], "commodity": ["L", "C", "L", "C"], "year": 2010,
                         "food": [1.0, 0.2, 1.0, 0.5], "feed": [0.0, 0.7, 0.0, 0.4],
                         "other": [0.0, 0.1, 0.0, 0.1]})
    feed = pd.DataFrame({"region": ["A", "B"], "product": ["L", "L"], "feed": ["C", "C"],
                         "value": [2.1, 1.2], "unit": "t/t"})
    return ds.replace(uses=uses, feed=feed, metadata={"base_year": 2010})


def test_uses_split_the_base_year_consumption_by_hand():
    ds = _with_uses(dataset(MARKETS, ROUTES))
    p = build_problem(ds)
    u = uses_demand(ds, p.region, p.commodity, p.D0, 2010)
    np.testing.assert_allclose(u.food, [100.0, 60.0, 10.0, 15.0])
    np.testing.assert_allclose(u.feed, [0.0, 210.0, 0.0, 12.0])
    np.testing.assert_allclose(u.other, [0.0, 30.0, 0.0, 3.0])
    assert u.split.all()


def test_food_follows_population_and_a_falling_income_elasticity_by_hand():
    # e0 = 0.5 falling by 0.1 per unit of ln income: income x2 gives ln q = 0.5 ln2 - 0.05 (ln2)^2;
    # population x1.1 scales food and other uses alike
    ds = _with_uses(dataset(MARKETS, ROUTES))
    p = build_problem(ds)
    u = uses_demand(ds, p.region, p.commodity, p.D0, 2010)
    u = type(u)(**{**u.__dict__, "elasticity": np.full(4, 0.5), "slope": np.full(4, -0.1),
                   "low": np.full(4, -1.0), "high": np.full(4, 1.0)})
    got = non_feed_demand(u, np.full((1, 4), 1.1), np.full((1, 4), 2.0))[0]
    idx = math.exp(0.5 * math.log(2) - 0.05 * math.log(2) ** 2)
    np.testing.assert_allclose(got, 1.1 * (u.food * idx + u.other))
    # the elasticity falls: the same doubling again from the higher income adds less
    twice = non_feed_demand(u, np.ones((1, 4)), np.full((1, 4), 4.0))[0] / u.food.clip(1e-12)
    assert twice[0] / idx < idx


def test_feed_follows_the_solved_livestock_output_by_hand():
    # region A's livestock supply shifts up 50 % (productivity) while its food demand stays: the crop's
    # feed use must equal base feed x (2.1 S_L) / (2.1 x 100) with S_L A's solved livestock production
    ds = _with_uses(dataset(MARKETS, ROUTES))
    p = build_problem(ds)
    u = uses_demand(ds, p.region, p.commodity, p.D0, 2010)
    feed = feed_coupling(ds, p.region, p.commodity, p.S0, u)
    assert feed is not None and feed.livestock.tolist() == [True, False, True, False]
    nonfeed = u.food + u.other
    S = p.S0 * np.array([1.5, 1.0, 1.0, 1.0])
    proj = project_periods(p, [PeriodInputs(key=1, production=S, consumption=nonfeed, feed=feed)], tol=1e-10)
    assert proj.ok
    s_l = proj.S[0][0]
    assert s_l > 100.0  # more livestock output ...
    expected = nonfeed[1] + 210.0 * s_l / 100.0
    assert proj.demand_anchor[0][1] == pytest.approx(expected, rel=1e-12)  # ... more feed demand
    # B's feed use follows B's own output
    assert proj.demand_anchor[0][3] == pytest.approx(nonfeed[3] + 12.0 * proj.S[0][2] / 10.0, rel=1e-12)


def test_partial_adjustment_of_supply():
    assert supply_response(1.0) == pytest.approx(SUPPLY_ADJUSTMENT)
    assert supply_response(10.0) == pytest.approx(1 - (1 - SUPPLY_ADJUSTMENT) ** 10)
    p = build_problem(dataset(MARKETS, ROUTES))
    q = step_problem(p, p.flow_prev, p.S0, p.D0, supply_response=supply_response(1.0))
    np.testing.assert_allclose(q.es, p.es * SUPPLY_ADJUSTMENT)
    np.testing.assert_allclose(q.ed, p.ed)


def test_productivity_index_converges_to_the_world_rate_by_hand():
    # own rate 3 %/yr, world 1 %/yr, half-life 2 years: ln I(T) = (T + 2 x 2/ln2 x (1 - 0.5^(T/2))) / 100
    idx = productivity_index((np.array([3.0]), np.array([1.0])), [2010, 2020], 2010)
    t = 10.0
    assert idx[0, 0] == 1.0
    assert idx[1, 0] == pytest.approx(math.exp((t + 2 * 2 / math.log(2) * (1 - 0.5 ** (t / 2))) / 100))


def test_free_hindcast_scores_persistence_by_hand():
    from petra.calibration.free_hindcast import run_free_hindcast
    from petra.dataset import load_dataset
    from petra.embedded import embedded_dataset

    ds = load_dataset(embedded_dataset("china9"))
    res = run_free_hindcast(ds, 2015, [2016])
    om = ds.observed_markets.set_index(["year", "region", "commodity"])
    keys = list(zip(ds.markets["region"], ds.markets["commodity"], strict=True))
    s15 = np.array([om.loc[(2015, r, c), "production"] for r, c in keys])
    s16 = np.array([om.loc[(2016, r, c), "production"] for r, c in keys])
    assert res.score("production", 2016, "persistence") == pytest.approx(
        np.abs(s15 - s16).sum() / np.abs(s16).sum(), rel=1e-9)
    for q in ("net_imports", "production", "consumption"):
        assert np.isfinite(res.score(q, 2016, "petra"))


def test_hindcast_quantities_model_writes_scores_and_refuses_bad_options(tmp_path):
    from typer.testing import CliRunner

    from petra.cli import app

    runner = CliRunner()
    bad = runner.invoke(app, ["hindcast", "china9", "--base-year", "2015", "--eval", "2016",
                              "--quantities", "free", "--out", str(tmp_path / "bad")])
    assert bad.exit_code == 2 and "--quantities" in bad.output and not (tmp_path / "bad").exists()
    fit = runner.invoke(app, ["hindcast", "china9", "--base-year", "2015", "--eval", "2017",
                              "--fit", "2016", "--quantities", "model", "--out", str(tmp_path / "fit")])
    assert fit.exit_code == 2 and not (tmp_path / "fit").exists()
    ok = runner.invoke(app, ["hindcast", "china9", "--base-year", "2015", "--eval", "2016",
                             "--quantities", "model", "--out", str(tmp_path / "ok")])
    assert ok.exit_code == 0, ok.output
    scores = pd.read_csv(tmp_path / "ok" / "scores.csv")
    assert set(scores["method"]) == {"petra", "persistence", "trend"}
    assert set(scores["quantity"]) == {"net_imports", "production", "consumption"}


# --- the protein-feed intensity trend (option, off by default: petra.demand.FEED_INTENSITY_HALF_LIFE) ---

def _feed_history(rate: float = 0.03) -> pd.DataFrame:
    """Region A, 1991-2020: soybeans fed at 0.5 x exp(rate (year - 2010)) per unit of implied feed (an
    exact log-linear series), maize at a falling 0.8 x exp(-0.02 (year - 2010)); one segment."""
    years = np.arange(1991, 2021)
    soy = pd.DataFrame({"region": "A", "feed": "soybeans", "year": years, "implied_feed": 100.0,
                        "fbs_feed": 50.0 * np.exp(rate * (years - 2010)), "segment": 0})
    maize = soy.assign(feed="maize", fbs_feed=80.0 * np.exp(-0.02 * (years - 2010)))
    return pd.concat([soy, maize], ignore_index=True)


def test_protein_feed_intensity_from_a_hand_made_history_by_hand():
    from petra.demand import INTENSITY_BOUNDS, feed_intensity

    h = _feed_history()
    region = np.array(["A", "A", "A", "B"])
    commodity = np.array(["soybeans", "maize", "pig_meat", "soybeans"])
    # kept: the exact series gives g = 3 %/yr, so k = exp(0.03 t); t = 30 would be exp(0.9) = 2.46,
    # held at the bound 2; maize (an energy feed), a livestock market and a region without history: 1
    k = feed_intensity(h, region, commodity, 2010, [2010, 2015, 2020, 2040], math.inf)
    np.testing.assert_allclose(k[:, 0], [1.0, math.exp(0.15), math.exp(0.30), INTENSITY_BOUNDS[1]],
                               rtol=1e-9)
    np.testing.assert_array_equal(k[:, 1:], 1.0)
    # converging (half-life 5) to the world rate, here the same single region's 3 %/yr: the same
    np.testing.assert_allclose(feed_intensity(h, region, commodity, 2010, [2020], 5.0)[0, 0],
                               math.exp(0.30), rtol=1e-9)
    # a falling trend is bounded below by 1/2: -2 %/yr (the rate bound) for 40 years gives exp(-0.8)
    down = _feed_history(rate=-0.02)
    np.testing.assert_allclose(feed_intensity(down, region, commodity, 2010, [2050], math.inf)[0, 0],
                               max(math.exp(-0.8), INTENSITY_BOUNDS[0]), rtol=1e-9)
    # off (None), or no feed history: the base-year intensity everywhere
    np.testing.assert_array_equal(feed_intensity(h, region, commodity, 2010, [2020], None), 1.0)
    np.testing.assert_array_equal(feed_intensity(None, region, commodity, 2010, [2020], math.inf), 1.0)


def test_protein_feed_intensity_converges_to_the_world_rate_by_hand():
    from petra.demand import feed_intensity
    from petra.trends import feed_efficiency_trend

    # region B's soybeans grow 1 %/yr: the world rate of the summed series lies between; A's 3 %/yr
    # decays towards it: ln k(T) = (g_w T + (g - g_w) H / ln 2 (1 - 0.5^(T/H))) / 100
    h = _feed_history()
    b = _feed_history(rate=0.01).assign(region="B")
    h = pd.concat([h, b[b["feed"] == "soybeans"]], ignore_index=True)
    gw = feed_efficiency_trend(h, 2010).set_index(["region", "feed"]).loc[("A", "soybeans"), "world_rate"]
    assert 1.0 < gw < 3.0
    k = feed_intensity(h, np.array(["A"]), np.array(["soybeans"]), 2010, [2020], 5.0)[0, 0]
    t, hl = 10.0, 5.0
    assert k == pytest.approx(math.exp((gw * t + (3.0 - gw) * hl / math.log(2) * (1 - 0.5 ** (t / hl)))
                                       / 100), rel=1e-9)


def test_feed_coupling_with_an_intensity_factor_by_hand():
    # A's soybean-like feed crop C at 1.3 times its base-year intensity, B's at 0.8: feed = base x k x
    # (2.1 S_L) / (2.1 x 100); in a projection the crop's demand anchor is non-feed + that feed
    ds = _with_uses(dataset(MARKETS, ROUTES))
    p = build_problem(ds)
    u = uses_demand(ds, p.region, p.commodity, p.D0, 2010)
    feed = feed_coupling(ds, p.region, p.commodity, p.S0, u)
    k = np.array([1.0, 1.3, 1.0, 0.8])
    np.testing.assert_allclose(feed.at(k).feed(np.array([120.0, 300.0, 10.0, 30.0])),
                               [0.0, 210.0 * 1.3 * 120.0 / 100.0, 0.0, 12.0 * 0.8 * 10.0 / 10.0])
    np.testing.assert_allclose(feed.at(None).feed(p.S0), feed.feed(p.S0))
    nonfeed = u.food + u.other
    S = p.S0 * np.array([1.5, 1.0, 1.0, 1.0])
    proj = project_periods(p, [PeriodInputs(key=1, production=S, consumption=nonfeed, feed=feed.at(k))],
                           tol=1e-10)
    assert proj.ok
    assert proj.demand_anchor[0][1] == pytest.approx(nonfeed[1] + 210.0 * 1.3 * proj.S[0][0] / 100.0,
                                                     rel=1e-12)
    assert proj.demand_anchor[0][3] == pytest.approx(nonfeed[3] + 12.0 * 0.8 * proj.S[0][2] / 10.0,
                                                     rel=1e-12)


def test_projection_periods_take_their_own_feed_intensity():
    from dataclasses import replace

    from petra.projection.drivers import DriverArrays
    from petra.projection.project import period_inputs

    ds = _with_uses(dataset(MARKETS, ROUTES))
    p = build_problem(ds)
    u = uses_demand(ds, p.region, p.commodity, p.D0, 2010)
    feed = feed_coupling(ds, p.region, p.commodity, p.S0, u)
    T, n, m = 2, p.n_markets, p.n_routes
    arrays = DriverArrays(periods=(2010, 2020), supply_factor=np.ones((T, n)), demand_factor=np.ones((T, n)),
                          transport_cost=np.ones((T, m)), tariff=np.zeros((T, m)),
                          banned=np.zeros((T, m), dtype=bool), quota=np.full((T, m), np.inf),
                          population_factor=np.ones((T, n)), income_factor=np.ones((T, n)),
                          fed=u.feed > 0)
    assert all(x.feed.intensity is None for x in period_inputs(p, arrays, feed))
    k = np.array([[1.0] * n, [1.0, 1.4, 1.0, 1.1]])
    got = period_inputs(p, replace(arrays, feed_intensity=k), feed)
    np.testing.assert_array_equal(got[1].feed.intensity, k[1])
    np.testing.assert_array_equal(got[1].feed.base, u.feed)


def test_feed_intensity_and_free_hindcast_read_no_year_after_the_base_year(shipped):
    from petra.calibration.free_hindcast import run_free_hindcast
    from petra.demand import feed_intensity

    ds = shipped("china9")
    h = ds.feed_history
    later = h.copy()
    after = later["year"] > 2010
    later.loc[after, "fbs_feed"] *= 5.0
    later.loc[after, "implied_feed"] *= 0.3
    later = pd.concat([later, later[after].assign(year=later.loc[after, "year"] + 10)], ignore_index=True)
    region, commodity = ds.markets["region"].to_numpy(), ds.markets["commodity"].to_numpy()
    years = list(range(2011, 2021))
    k = feed_intensity(h, region, commodity, 2010, years, math.inf)
    np.testing.assert_array_equal(feed_intensity(later, region, commodity, 2010, years, math.inf), k)
    chn_soy = (region == "CHN") & (commodity == "soybeans")
    assert k[-1, chn_soy][0] == pytest.approx(math.exp(0.05 * 10))  # +5 %/yr (bounded) kept
    a = run_free_hindcast(ds, 2010, [2012], feed_half_life=math.inf)
    b = run_free_hindcast(ds.replace(feed_history=later), 2010, [2012], feed_half_life=math.inf)
    pd.testing.assert_frame_equal(a.scores, b.scores)
    pd.testing.assert_frame_equal(a.markets, b.markets)
    # and the trend acts: China's soybean net imports of 2012 differ from the constant intensity's
    off = run_free_hindcast(ds, 2010, [2012], feed_half_life=None).markets
    sel = (off["region"] == "CHN") & (off["commodity"] == "soybeans") & (off["quantity"] == "net_imports")
    assert a.markets.loc[sel, "petra"].iloc[0] > off.loc[sel, "petra"].iloc[0]
