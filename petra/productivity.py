"""Supply from data: productivity trends per market and the within-period share of the supply response
(pure functions over a Dataset's tables; issue 25).

* **Productivity.** Each market's yield (crops: production per hectare harvested; livestock: output per
  animal in stock) trend is estimated only from the years up to the base year
  (`petra.trends.productivity_trend`: robust log-linear over the last 20 years, per-segment levels; the
  commodity's world rate where a series is too short) and converges to the commodity's world rate with
  the half-life `petra.trends.HALF_LIFE` (regional deviations from the world trend did not persist in
  the 2001-2010 and 2011-2020 out-of-sample checks). The supply curve shifts horizontally by the
  cumulative index: S0_t = S0 x trend_index(rate, world rate, t - base year).
* **Partial adjustment.** The datasets' supply elasticities are long-run (IMPACT). Producers adjust a
  share `SUPPLY_ADJUSTMENT` of the way to the long-run response each year (Nerlove), so a period of
  dt years responds with 1 - (1 - SUPPLY_ADJUSTMENT)^dt of the long-run elasticity: a one-year hindcast
  step with a fraction of it, a ten-year projection period with nearly all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from petra.dataset import Dataset
from petra.trends import productivity_trend, trend_index

SUPPLY_ADJUSTMENT = 0.3
"""Share of the gap to the long-run supply response closed per year (partial adjustment); chosen by the
short-run hindcast (README, Demand and supply)."""


def supply_response(years: float, speed: float = SUPPLY_ADJUSTMENT) -> float:
    """Share of the long-run supply elasticity acting within a period of `years` years."""
    return float(1.0 - (1.0 - speed) ** max(float(years), 0.0)) if speed < 1.0 else 1.0


def productivity_rates(dataset: Dataset, region: np.ndarray, commodity: np.ndarray, base_year: int
                       ) -> tuple[np.ndarray, np.ndarray] | None:
    """(rate, world rate) per market in %/yr, estimated from the dataset's productivity history up to
    `base_year` (None without one); a market the history lacks takes its commodity's world rate (0
    where the commodity has none)."""
    h = dataset.productivity_history
    if h is None or h.empty:
        return None
    est = productivity_trend(h[h["year"] <= base_year], base_year)
    idx = pd.MultiIndex.from_arrays([np.asarray(region, dtype=str), np.asarray(commodity, dtype=str)])
    mine = est.set_index(["region", "commodity"]).reindex(idx)
    world = est.groupby("commodity")["world_rate"].first().reindex(np.asarray(commodity, dtype=str))
    world = np.nan_to_num(world.to_numpy(dtype=float))
    rate = mine["rate"].to_numpy(dtype=float)
    return np.where(np.isfinite(rate), rate, world), world


def productivity_index(rates: tuple[np.ndarray, np.ndarray], periods, base_year: int) -> np.ndarray:
    """(T, n) cumulative productivity factor of each period since the base year (1 at the base)."""
    rate, world = rates
    years = np.asarray(periods, dtype=float) - float(base_year)
    return trend_index(rate[None, :], world[None, :], np.maximum(years, 0.0)[:, None])
