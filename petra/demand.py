"""Demand by use: food, feed and other uses, each with its own driver (pure functions over a Dataset's
tables; issue 25).

A market's base-year consumption D0 is split by the dataset's `uses.csv` shares of the base year
(FAOSTAT food balance sheets: food, feed, other = processing, seed, losses, industrial, residual):

* **food** follows population and per-capita income with an income elasticity that falls as income
  rises: food_t = food_0 x pop_t/pop_0 x food_demand_index(e0, y0, y_t, slope, bounds)
  (`petra.income_response`; e0 the region's own food income elasticity at its base-year income, moved
  along the commodity's slope from the year the dataset's table holds it for);
* **other uses** follow population (per-capita use constant);
* **feed** follows the region's livestock output weighted by the feed requirements of feed.csv
  (t feed per t of product): feed_t = feed_0 x (R S_t) / (R S_0), with S the livestock markets'
  production solved in the same period (`FeedCoupling`). The base-year level is the balance sheets'
  feed use, so only the requirements' ratios between products matter, not their level; feed per unit
  of output is held at its base-year value (a feed-efficiency trend made the 2011-2020 out-of-sample
  fit worse in all three datasets: README, Demand and supply).
  Option (off by default, `FEED_INTENSITY_HALF_LIFE`): the protein feeds' intensity trend
  (`feed_intensity`): feed_t = feed_0 x k_t x (R S_t) / (R S_0), k_t the factor of feed per unit of
  requirement-weighted output relative to the base year, from the region's trend up to the base year.

Markets without a uses split (a dataset without uses.csv, or a market it lacks) keep the whole of D0 as
"other" unless a scenario gives them an income elasticity.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import scipy.sparse as sp

from petra.dataset import Dataset
from petra.income_response import food_demand_index, food_income_elasticity
from petra.trends import feed_efficiency_trend, trend_index

PROTEIN_FEEDS = ("soybeans", "rapeseed")
"""Feed commodities fed for their protein (the oilseeds whose cake is fed; feed.csv counts the cake in
seed equivalent): the ones the intensity trend may move. The energy feeds (maize, wheat, barley,
sorghum, rice) keep their base-year intensity."""
INTENSITY_BOUNDS = (0.5, 2.0)
"""Bounds of the cumulative intensity factor k_t (feed per unit of requirement-weighted output over its
base-year value): at most doubling, at least halving, whatever the horizon (a chosen limit, not
estimated; the rate itself is bounded to petra.trends.RATE_BOUNDS, -2 to +5 %/yr)."""
FEED_INTENSITY_HALF_LIFE: float | None = None
"""The default variant of the protein-feed intensity trend: None constant intensity (off); math.inf the
region's trend kept; a number, the half-life (years) in which the region's rate converges to the feed's
world rate (petra.trends.converged_rate). Off: the trend kept (the best variant on the free hindcast's
net imports 2011-2015) improves the free hindcast from 2010 but puts China's 2030 soybean imports and
world soybean trade further outside the outlook bands, and the FBS feed of 2011-2014 is fitted better
with the constant intensity (README, Demand and supply in projections)."""


@dataclass(frozen=True)
class UsesDemand:
    """Per market (in the given order) the base-year uses (commodity unit) and the food income response.

    food, feed, other: base-year quantities (sum = consumption where `split`); elasticity: the food
    income elasticity at base-year income; slope, low, high: its response to ln income and bounds;
    split: whether the market has a uses split (else all of its consumption is `other`).
    """

    food: np.ndarray
    feed: np.ndarray
    other: np.ndarray
    elasticity: np.ndarray
    slope: np.ndarray
    low: np.ndarray
    high: np.ndarray
    split: np.ndarray


@dataclass(frozen=True)
class FeedCoupling:
    """Feed demand driven by livestock output (see module docstring).

    matrix: (n, n) sparse, row i a feed market, column j a livestock market of the same region, the
    requirement (t feed per t product); base: base-year feed use per market; driver0: matrix @ base-year
    livestock production; livestock: markets whose production drives feed (their commodities are
    solved first in a period); intensity: (n,) the period's feed per unit of requirement-weighted output
    relative to the base year (dimensionless, `feed_intensity`; None: 1, the base-year intensity).
    """

    matrix: sp.csr_matrix
    base: np.ndarray
    driver0: np.ndarray
    livestock: np.ndarray
    intensity: np.ndarray | None = None

    def feed(self, production: np.ndarray) -> np.ndarray:
        """Feed use per market given the period's livestock production (commodity unit):
        base x intensity x (matrix @ production) / driver0 where driver0 > 0, else base."""
        driver = self.matrix @ np.asarray(production, dtype=float)
        k = 1.0 if self.intensity is None else np.asarray(self.intensity, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.driver0 > 0, self.base * k * driver / np.where(self.driver0 > 0,
                                                                                self.driver0, 1.0),
                            self.base)

    def at(self, intensity: np.ndarray | None) -> FeedCoupling:
        """The coupling with a period's intensity factor (n,) (None: the base-year intensity)."""
        return replace(self, intensity=None if intensity is None else np.asarray(intensity, dtype=float))


def _lookup(table: pd.DataFrame | None, keys: list[str], cols: list[str], region: np.ndarray,
            commodity: np.ndarray) -> pd.DataFrame:
    idx = pd.MultiIndex.from_arrays([np.asarray(region, dtype=str), np.asarray(commodity, dtype=str)])
    if table is None or table.empty:
        return pd.DataFrame(np.nan, index=idx, columns=cols)
    return table.set_index(keys)[cols].reindex(idx)


def uses_demand(dataset: Dataset, region: np.ndarray, commodity: np.ndarray, consumption: np.ndarray,
                base_year: int, gdp_pc: dict[int, np.ndarray] | None = None) -> UsesDemand:
    """The base-year uses of every market (see `UsesDemand`).

    gdp_pc: GDP per capita per market at the base year and at the year of the dataset's food income
    elasticities (`income_response.csv` column up_to_year) to move them to the base year; None keeps
    them as they are."""
    n = len(region)
    d0 = np.asarray(consumption, dtype=float)
    u = dataset.uses
    if u is not None and not u.empty:
        years = np.sort(u["year"].unique())
        year = base_year if base_year in set(years) else int(years[years <= base_year].max(initial=years[0]))
        shares = _lookup(u[u["year"] == year], ["region", "commodity"], ["food", "feed", "other"], region,
                         commodity)
    else:
        shares = _lookup(None, [], ["food", "feed", "other"], region, commodity)
    split = shares.notna().all(axis=1).to_numpy()
    sh = shares.fillna(0.0).to_numpy()
    food = np.where(split, d0 * sh[:, 0], 0.0)
    feed = np.where(split, d0 * sh[:, 1], 0.0)
    other = np.where(split, d0 * sh[:, 2], d0)
    e = _lookup(dataset.food_income_elasticities, ["region", "commodity"], ["food_income_elasticity"],
                region, commodity)["food_income_elasticity"].to_numpy()
    ir = dataset.income_response
    if ir is not None and not ir.empty:
        r = ir.set_index("commodity").reindex(np.asarray(commodity, dtype=str))
        slope, low, high = (r[c].to_numpy(dtype=float) for c in ("slope", "low", "high"))
        held = int(ir["up_to_year"].iloc[0]) if "up_to_year" in ir.columns else base_year
    else:
        slope, low, high, held = np.zeros(n), np.full(n, -np.inf), np.full(n, np.inf), base_year
    slope, low, high = np.nan_to_num(slope), np.nan_to_num(low, nan=-np.inf), np.nan_to_num(high, nan=np.inf)
    e = np.nan_to_num(e)
    if gdp_pc is not None and held != base_year and held in gdp_pc and base_year in gdp_pc:
        e = food_income_elasticity(e, gdp_pc[held], gdp_pc[base_year], slope, (low, high))
    return UsesDemand(food=food, feed=feed, other=other, elasticity=e, slope=slope, low=low, high=high,
                      split=split)


def non_feed_demand(u: UsesDemand, population_factor: np.ndarray, income_factor: np.ndarray) -> np.ndarray:
    """Food + other uses (commodity unit) per period and market, (T, n) from the cumulative population
    and per-capita income factors (T, n) since the base period."""
    pop = np.asarray(population_factor, dtype=float)
    idx = food_demand_index(u.elasticity, 1.0, np.asarray(income_factor, dtype=float), u.slope,
                            (u.low, u.high))
    return u.food * pop * idx + u.other * pop


def feed_coupling(dataset: Dataset, region: np.ndarray, commodity: np.ndarray, production: np.ndarray,
                  u: UsesDemand) -> FeedCoupling | None:
    """The feed coupling of a dataset's markets from its feed.csv (None without one or without feed use).

    production: base-year production per market (the livestock output the base feed goes with)."""
    req = getattr(dataset, "feed", None)
    if req is None or req.empty or not (u.feed > 0).any():
        return None
    index = {(str(r), str(c)): i for i, (r, c) in enumerate(zip(region, commodity, strict=True))}
    rows, cols, vals = [], [], []
    for r, prod, feed, value in req[["region", "product", "feed", "value"]].itertuples(index=False):
        i, j = index.get((str(r), str(feed))), index.get((str(r), str(prod)))
        if i is not None and j is not None and value > 0:
            rows.append(i)
            cols.append(j)
            vals.append(float(value))
    n = len(region)
    m = sp.csr_matrix((vals, (rows, cols)), shape=(n, n))
    if m.nnz == 0:
        return None
    driver0 = m @ np.asarray(production, dtype=float)
    livestock = np.zeros(n, dtype=bool)
    livestock[np.unique(cols)] = True
    return FeedCoupling(matrix=m, base=u.feed, driver0=driver0, livestock=livestock)


def feed_intensity(history: pd.DataFrame | None, region: np.ndarray, commodity: np.ndarray, base_year: int,
                   years, half_life: float | None, feeds: tuple[str, ...] = PROTEIN_FEEDS,
                   bounds: tuple[float, float] = INTENSITY_BOUNDS) -> np.ndarray:
    """(T, n) factor k per year of `years` and market: feed use per unit of requirement-weighted livestock
    output (t of FBS feed per t of feed.csv requirements x output) relative to its base-year value,
    dimensionless (1: the base-year intensity).

    history: the dataset's feed_history (region, feed, year, fbs_feed, implied_feed kt [, segment]); only
    its years <= base_year are read. For a market whose commodity is in `feeds`:
    k_t = clip(trend_index(g, g_w, t - base_year, half_life), *bounds), g the region-feed's rate
    (petra.trends.feed_efficiency_trend up to base_year, %/yr, bounded to RATE_BOUNDS), g_w the feed's
    world rate (g where it has none); half_life = inf keeps g. 1 for every other market, for a
    region-feed without a rate, and everywhere when half_life is None or there is no history.
    """
    years = np.asarray(list(years), dtype=float)
    n = len(region)
    out = np.ones((len(years), n))
    if half_life is None or history is None or history.empty:
        return out
    tr = feed_efficiency_trend(history[history["year"] <= base_year], base_year)
    if tr.empty:
        return out
    idx = pd.MultiIndex.from_arrays([np.asarray(region, dtype=str), np.asarray(commodity, dtype=str)])
    tr = tr.set_index(["region", "feed"]).reindex(idx)
    g = tr["rate"].to_numpy(dtype=float)
    gw = tr["world_rate"].to_numpy(dtype=float)
    gw = np.where(np.isfinite(gw), gw, g)
    use = np.isin(np.asarray(commodity, dtype=str), list(feeds)) & np.isfinite(g)
    if not use.any():
        return out
    t = (years - base_year)[:, None]
    k = trend_index(g[use][None, :], gw[use][None, :], t, half_life)
    out[:, use] = np.clip(k, *bounds)
    return out
