"""How well feed requirements x livestock output reproduce FBS feed use, and its trend: `feed_history.csv`
and `feed_calibration.csv` per region and feed commodity.

History (every year from FIRST_YEAR, when the cake trade begins, to the FBS's last): the region's FBS
feed use of each petra feed crop, counted exactly as feed.csv counts it (feed_requirements.feed_use: the
crop's FBS feed, oilseeds plus their cake from the domestic crush and net cake imports of the year, seed
equivalent), and the feed its livestock output implies: implied[r, f, t] = sum over products L of
feed.csv's req[r, L, f] x FBS production[r, L, t]. Their ratio is the feed use per unit of
requirement-weighted output; `segment` marks the FBS methodology (fbs.method_segment).

Calibration at the base year (what the projection multiplies): factor = FBS feed / (sum_L req x the
dataset's own base-year production of L, observed_markets.csv), so factor x req x output reproduces the
base year's FBS feed exactly; trend = petra.trends.feed_efficiency_trend from years <= base year
(%/yr; negative: less of that feed per unit of output). The fit of requirements x output is reported as
the weighted absolute percentage error (WAPE, over the region-feeds and years) of factor x implied (x the
trend) against FBS feed, in the fit window up to the base year and out of sample after it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from petra.data import fbs
from petra.data import feed_requirements as fr
from petra.trends import HALF_LIFE, TREND_WINDOW, feed_efficiency_trend, trend_index

FIRST_YEAR = 1986
"""First year of the cake trade (faostat-tm-netviz), hence of oilseed feed use."""
HISTORY_COLUMNS = ["region", "feed", "year", "fbs_feed", "implied_feed", "segment"]
CALIBRATION_COLUMNS = ["region", "feed", "fbs_feed", "implied_feed", "factor", "trend", "trend_se",
                       "trend_basis", "n_years", "world_trend"]


def country_history(bal: pd.DataFrame, cake_trade: pd.DataFrame, years: list[int],
                    bean_equivalent: dict[str, float]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(feed: area, feed, year, value t; production: area, product, year, production t) per year, as
    feed_requirements computes them for its years (one year at a time here)."""
    items = set(fr.FEED_ITEMS.values()) | set(fr.LIVESTOCK_ITEMS.values())
    b = bal[bal["item"].isin(items) & bal["element"].isin(["feed", "processing", "production"])]
    feeds, prods = [], []
    for y in years:
        f = b[b["year"] == y][["area", "item", "element", "value"]]
        net = fr.cake_net_imports(cake_trade, years=[y])
        feeds.append(fr.feed_use(f, net, bean_equivalent).assign(year=y))
        prods.append(fr.livestock_production(f).assign(year=y))
    return pd.concat(feeds, ignore_index=True), pd.concat(prods, ignore_index=True)


def implied_feed(req: pd.DataFrame, production: pd.DataFrame) -> pd.DataFrame:
    """region, feed, year, implied_feed: sum over products of req (region, product, feed, value t/t) x
    production (region, product, year, production; same unit out)."""
    m = req.merge(production, on=["region", "product"], how="inner")
    m["implied_feed"] = m["value"] * m["production"]
    return m.groupby(["region", "feed", "year"], as_index=False)["implied_feed"].sum()


def region_history(feed: pd.DataFrame, production: pd.DataFrame, req: pd.DataFrame) -> pd.DataFrame:
    """feed_history.csv rows (t): feed and production with a `region` column, summed per region-year, for
    the region-feeds of req (feed.csv)."""
    f = feed.groupby(["region", "feed", "year"], as_index=False)["value"].sum()
    p = production.groupby(["region", "product", "year"], as_index=False)["production"].sum()
    imp = implied_feed(req, p)
    h = imp.merge(f.rename(columns={"value": "fbs_feed"}), on=["region", "feed", "year"], how="left")
    h["fbs_feed"] = h["fbs_feed"].fillna(0.0)
    h["segment"] = fbs.method_segment(h["year"])
    return h[HISTORY_COLUMNS].sort_values(["region", "feed", "year"]).reset_index(drop=True)


def calibration(history: pd.DataFrame, req: pd.DataFrame, base_production: pd.DataFrame,
                base_year: int) -> pd.DataFrame:
    """feed_calibration.csv rows: fbs_feed and implied_feed (kt, base year; history in kt, implied from
    the dataset's own production: base_production region, product, production kt), factor, the trend up
    to the base year (petra.trends.feed_efficiency_trend: trend, trend_se %/yr, trend_basis, n_years,
    world_trend)."""
    base = history[history["year"] == base_year][["region", "feed", "fbs_feed"]]
    imp = implied_feed(req, base_production.assign(year=base_year))
    t = base.merge(imp, on=["region", "feed"], how="outer").fillna({"fbs_feed": 0.0})
    t["factor"] = np.where(t["implied_feed"] > 0, t["fbs_feed"] / t["implied_feed"], np.nan)
    tr = feed_efficiency_trend(history, base_year).rename(columns={
        "rate": "trend", "se": "trend_se", "basis": "trend_basis", "world_rate": "world_trend"})
    t = t.merge(tr[["region", "feed", "trend", "trend_se", "trend_basis", "n_years", "world_trend"]],
                on=["region", "feed"], how="left")
    t["n_years"] = t["n_years"].fillna(0).astype(int)
    t["trend_basis"] = t["trend_basis"].fillna("none")
    return t[CALIBRATION_COLUMNS].sort_values(["region", "feed"]).reset_index(drop=True)


def fit_scores(history: pd.DataFrame, base_year: int, window: int = TREND_WINDOW,
               half_life: float = HALF_LIFE) -> pd.DataFrame:
    """How well the base year's ratio (FBS feed / implied feed, FBS production) x implied feed reproduces
    FBS feed: WAPE over the region-feeds and years of the fit window (base_year - window + 1 ..
    base_year - 1) and after the base year (out of sample), with the ratio constant, moved by each
    region-feed's trend (up to base_year) kept, or converging to the feed's world trend (half_life; after
    the base year only).
    Rows: scope ('all' or 'REGION feed'), period ('fit', 'after'), method, wape."""
    tr = feed_efficiency_trend(history, base_year).set_index(["region", "feed"])
    h = history.set_index(["region", "feed"])
    base = h[h["year"] == base_year]
    ratio = (base["fbs_feed"] / base["implied_feed"]).replace([np.inf, -np.inf], np.nan)
    h = h.assign(k=ratio.reindex(h.index).to_numpy(),
                 g=tr["rate"].reindex(h.index).fillna(0.0).to_numpy(),
                 gw=tr["world_rate"].reindex(h.index).fillna(0.0).to_numpy()).dropna(subset=["k"])
    t = (h["year"] - base_year).to_numpy(dtype=float)
    flat = h["k"].to_numpy() * h["implied_feed"].to_numpy()
    preds = {"constant": flat, "trend kept": flat * np.exp(h["g"].to_numpy() / 100.0 * t),
             f"trend, half-life {half_life:g} yr": flat * trend_index(h["g"], h["gw"], t, half_life)}
    periods = {"fit": ((h["year"] >= base_year - window + 1) & (h["year"] < base_year)).to_numpy(),
               "after": (h["year"] > base_year).to_numpy()}
    obs = h["fbs_feed"].to_numpy()
    keys = [("all", np.ones(len(h), dtype=bool))]
    keys += [(f"{r} {f}", (h.index.get_level_values(0) == r) & (h.index.get_level_values(1) == f))
             for r, f in h.index.unique()]
    rows = []
    for scope, sel in keys:
        for period, ps in periods.items():
            m = sel & ps
            for method, p in preds.items():
                den = obs[m].sum()
                if period == "fit" and "half-life" in method:  # convergence runs forward only
                    rows.append((scope, period, method, np.nan))
                    continue
                wape = float(np.abs(p[m] - obs[m]).sum() / den) if den else np.nan
                rows.append((scope, period, method, wape))
    return pd.DataFrame(rows, columns=["scope", "period", "method", "wape"])
