"""Robust log-linear trends of ratio series (crop yields, output per animal, feed per unit of livestock
output), estimated only from years up to a given year, and the rule by which a trend converges over a
projection horizon. Pure functions over frames; no file access.

A history frame has the key columns, `year`, `numerator` and `denominator` (e.g. production t and area
harvested ha; the ratio is the series) and optionally `segment` (an integer id: a level break, e.g. a
change of the FAO food balance methodology or of the countries a region's series covers). Per key, the
model is

    ln(numerator / denominator) = a[segment] + g * year + e

over the years in [up_to_year - window + 1, up_to_year] with a positive ratio, fitted by Huber's
M-estimator (iteratively reweighted least squares, scale = MAD of the residuals): a weather year (a
drought) or a reporting jump gets a small weight instead of pulling the line. A segment has its own
level, so a break moves no slope; a segment with a single year carries no slope information. The
rate is g in %/yr (100 * g: log points), bounded to RATE_BOUNDS. A key with fewer than MIN_YEARS
usable years (years in segments of at least two) takes the world rate of its item: the same trend
fitted on the sum over every key of the item of numerator / sum of denominator (basis 'world').

Convergence over the horizon (`converged_rate`, `trend_index`): the rate decays from the estimated
rate g0 towards the item's long-run rate g_w (the world rate) with half-life HALF_LIFE years:
g(t) = g_w + (g0 - g_w) * 0.5 ** ((t - t0) / HALF_LIFE).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

TREND_WINDOW = 20
"""Years of history the trend is fitted on (the last ones up to `up_to_year`)."""
MIN_YEARS = 12
"""Fewest usable years in the window for a key's own trend; fewer take the world rate."""
HUBER_K = 1.345
"""Huber's tuning constant in units of the residual scale (95 % efficiency under normal errors)."""
MAD_TO_SIGMA = 1.4826
"""Median absolute deviation -> standard deviation of a normal distribution."""
RATE_BOUNDS = (-2.0, 5.0)
"""Accepted trend rates (%/yr); an estimate outside is set to the bound (and flagged)."""
HALF_LIFE = 2.0
"""Years in which a region's deviation from the world rate halves over the projection horizon. Chosen on
the hindcast from 2000 (trends of 1981-2000 predicting 2001-2010; half-lives inf, 20, 10, 5, 2 years and
the world rate alone): 2 has the lowest error in china9, globiom37 and world, and again in the hindcast
from 2010, reported out of sample (README, Productivity from data): regional deviations from the world
trend do not persist."""
MAX_ITER = 50


def robust_log_trend(years, values, segments=None, k: float = HUBER_K) -> tuple[float, float, int]:
    """Huber fit of ln(values) = a[segment] + g * year; returns (g, its standard error, usable points).

    Points with values <= 0 or NaN are dropped, then segments with a single point (no slope
    information). (nan, nan, n) when fewer than 3 points or no spread in years remain.
    """
    y = np.asarray(years, dtype=float)
    v = np.asarray(values, dtype=float)
    s = np.zeros(len(y), dtype=int) if segments is None else np.asarray(segments)
    ok = np.isfinite(v) & (v > 0)
    y, v, s = y[ok], v[ok], s[ok]
    ids, counts = np.unique(s, return_counts=True)
    keep = np.isin(s, ids[counts >= 2])
    y, lv, s = y[keep], np.log(v[keep]), s[keep]
    n = len(y)
    if n < 3:
        return math.nan, math.nan, n
    levels = np.unique(s)
    X = np.column_stack([(s == lv_id).astype(float) for lv_id in levels] + [y - y.mean()])
    if n <= X.shape[1] or np.ptp(y) == 0:
        return math.nan, math.nan, n
    w = np.ones(n)
    beta = np.zeros(X.shape[1])
    for _ in range(MAX_ITER):
        sw = np.sqrt(w)
        new, *_ = np.linalg.lstsq(X * sw[:, None], lv * sw, rcond=None)
        r = lv - X @ new
        scale = MAD_TO_SIGMA * np.median(np.abs(r - np.median(r)))
        converged = np.allclose(new, beta, rtol=0, atol=1e-10)
        beta = new
        if scale <= 1e-12 or converged:
            break
        u = np.abs(r) / (k * scale)
        w = np.where(u <= 1.0, 1.0, 1.0 / np.maximum(u, 1e-300))
    r = lv - X @ beta
    dof = n - X.shape[1]
    sigma2 = float((w * r * r).sum() / dof) if dof > 0 else math.nan
    cov = sigma2 * np.linalg.pinv((X * w[:, None]).T @ X)
    return float(beta[-1]), float(math.sqrt(max(cov[-1, -1], 0.0))), n


def log_trends(history: pd.DataFrame, keys: list[str], item: str, up_to_year: int,
               window: int = TREND_WINDOW, min_years: int = MIN_YEARS,
               bounds: tuple[float, float] = RATE_BOUNDS) -> pd.DataFrame:
    """Trend rate per key of `history` from years <= up_to_year (see the module docstring).

    history: `keys` + year, numerator, denominator [, segment]; `item` (one of `keys`) names the column
    whose world rate is the fallback. Returns keys + rate (%/yr, bounded), se (%/yr, of the own fit),
    n_years, basis ('own', 'own, bounded', 'world'), world_rate (%/yr), level (the fitted ratio at
    up_to_year in the last segment; the world's level scaled by nothing where basis is 'world': NaN).
    """
    lo = up_to_year - window + 1
    h = history[(history["year"] >= lo) & (history["year"] <= up_to_year)]
    h = h[(h["numerator"] > 0) & (h["denominator"] > 0)]
    seg = "segment" if "segment" in h.columns else None
    world = {}
    for name, g in h.groupby(item, sort=True):
        tot = g.groupby("year")[["numerator", "denominator"]].sum()
        rate, _, n = robust_log_trend(tot.index, tot["numerator"] / tot["denominator"])
        world[name] = float(np.clip(100.0 * rate, *bounds)) if n >= min_years else math.nan
    rows = []
    for key, g in h.groupby(keys, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        ratio = g["numerator"] / g["denominator"]
        segs = g[seg] if seg else None
        rate, se, n = robust_log_trend(g["year"], ratio, segs)
        w_rate = world.get(dict(zip(keys, key, strict=True))[item], math.nan)
        level = math.nan
        if n >= min_years and np.isfinite(rate):
            pct = 100.0 * rate
            basis = "own" if bounds[0] <= pct <= bounds[1] else "own, bounded"
            pct = float(np.clip(pct, *bounds))
            last = g[g[seg] == g.loc[g["year"].idxmax(), seg]] if seg else g
            lr = np.log(last["numerator"] / last["denominator"])
            level = float(np.exp(np.median(lr - rate * (last["year"] - up_to_year))))
        else:
            pct, basis = w_rate, "world"
        rows.append((*key, pct, 100.0 * se if np.isfinite(se) else math.nan, n, basis, w_rate, level))
    return pd.DataFrame(rows, columns=[*keys, "rate", "se", "n_years", "basis", "world_rate", "level"])


def productivity_trend(history: pd.DataFrame, up_to_year: int, window: int = TREND_WINDOW,
                       min_years: int = MIN_YEARS, bounds: tuple[float, float] = RATE_BOUNDS
                       ) -> pd.DataFrame:
    """Crop yield / livestock output-per-animal trend per region and commodity (%/yr), estimated only
    from years <= up_to_year. history: region, commodity, year, production, input [, segment] (the
    dataset's `productivity_history.csv`). Columns as `log_trends` (level in the history's unit)."""
    h = history.rename(columns={"production": "numerator", "input": "denominator"})
    return log_trends(h, ["region", "commodity"], "commodity", up_to_year, window, min_years, bounds)


def feed_efficiency_trend(history: pd.DataFrame, up_to_year: int, window: int = TREND_WINDOW,
                          min_years: int = MIN_YEARS, bounds: tuple[float, float] = RATE_BOUNDS
                          ) -> pd.DataFrame:
    """Trend of feed use per unit of requirement-weighted livestock output per region and feed (%/yr;
    negative = less feed per unit of output), from years <= up_to_year. history: region, feed, year,
    fbs_feed, implied_feed [, segment] (feed_calibration's history). Columns as `log_trends`."""
    h = history.rename(columns={"fbs_feed": "numerator", "implied_feed": "denominator"})
    return log_trends(h, ["region", "feed"], "feed", up_to_year, window, min_years, bounds)


def converged_rate(rate, world_rate, years_ahead, half_life: float = HALF_LIFE):
    """Rate (%/yr) `years_ahead` years after the estimate: world_rate + (rate - world_rate) *
    0.5 ** (years_ahead / half_life). Arrays broadcast; half_life = inf keeps the rate."""
    decay = np.power(0.5, np.asarray(years_ahead, dtype=float) / half_life)
    return np.asarray(world_rate) + (np.asarray(rate) - np.asarray(world_rate)) * decay


def trend_index(rate, world_rate, years_ahead, half_life: float = HALF_LIFE):
    """Productivity index (1 at the estimate's year) after `years_ahead` years of `converged_rate`:
    exp(integral of the rate / 100), in closed form
    ln I = (g_w T + (g0 - g_w) H / ln 2 * (1 - 0.5 ** (T / H))) / 100."""
    t = np.asarray(years_ahead, dtype=float)
    g0, gw = np.asarray(rate, dtype=float), np.asarray(world_rate, dtype=float)
    if math.isinf(half_life):
        return np.exp(g0 * t / 100.0)
    tail = half_life / math.log(2.0) * (1.0 - np.power(0.5, t / half_life))
    return np.exp((gw * t + (g0 - gw) * tail) / 100.0)
