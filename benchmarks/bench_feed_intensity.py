"""The protein-feed intensity trend (issue 25; `petra.demand.feed_intensity`, off by default): its
selection on the evidence before 2015 and its free hindcast from 2010.

Variants: none (the base-year intensity, the default), the region's trend up to the base year kept, or
converging to the feed's world rate with a half-life of 2, 5 or 10 years; the protein feeds only
(`petra.demand.PROTEIN_FEEDS`: soybeans, rapeseed), the cumulative factor bounded to
`petra.demand.INTENSITY_BOUNDS`; every trend from `feed_history.csv` years <= 2010.

1. **Selection, feed** (`--parts feed`): WAPE of FBS feed 2011-2014 (`--feed-years`) predicted as the 2010
   ratio FBS feed / implied feed x the year's implied feed (FBS livestock production x feed.csv
   requirements) x the variant's factor: over all region-feeds (energy feeds constant in every
   variant), over the protein feeds, and China's soybeans and rapeseed. As
   `petra.data.feed_calibration.fit_scores` (README, Feed efficiency), restricted to the protein feeds.
2. **Free hindcast** (`--parts free`): `run_free_hindcast(dataset, 2010, years)` per variant: WAPE of net
   imports, production and consumption per year (and their mean over the selection years 2011-2015)
   against persistence, and China's soybean net imports (Mt) beside the observed ones.

Run: python benchmarks/bench_feed_intensity.py [--datasets china9,globiom37] [--parts feed,free]
     [--years 2011,2012,2013,2014,2015,2020]
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import pandas as pd

from petra.calibration.free_hindcast import run_free_hindcast
from petra.dataset import load_dataset
from petra.demand import PROTEIN_FEEDS, feed_intensity

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
BASE = 2010
VARIANTS = {"none": None, "kept": math.inf, "hl2": 2.0, "hl5": 5.0, "hl10": 10.0}
CHINA = {"china9": "CHN", "globiom37": "ChinaReg", "world": "CHN"}
SELECTION_YEARS = (2011, 2012, 2013, 2014, 2015)


def feed_scores(history: pd.DataFrame, china: str, years: list[int]) -> pd.DataFrame:
    """WAPE of FBS feed in `years` per variant (rows) and scope (columns; see module docstring)."""
    h = history.set_index(["region", "feed"])
    base = h[h["year"] == BASE]
    ratio = (base["fbs_feed"] / base["implied_feed"]).replace([np.inf, -np.inf], np.nan)
    h = h.assign(k=ratio.reindex(h.index).to_numpy()).dropna(subset=["k"])
    h = h[h["year"].isin(years)]
    region = h.index.get_level_values(0).to_numpy(str)
    feed = h.index.get_level_values(1).to_numpy(str)
    obs = h["fbs_feed"].to_numpy(float)
    flat = h["k"].to_numpy() * h["implied_feed"].to_numpy(float)
    scopes = {"all": np.ones(len(h), dtype=bool), "protein": np.isin(feed, PROTEIN_FEEDS),
              f"{china} soybeans": (region == china) & (feed == "soybeans"),
              f"{china} rapeseed": (region == china) & (feed == "rapeseed")}
    rows = {}
    for name, hl in VARIANTS.items():
        # one factor per row: its region-feed's factor in its year (feed_intensity per year, markets
        # = the rows' region-feeds)
        k = feed_intensity(history, region, feed, BASE, sorted(set(years)), hl)
        pos = np.searchsorted(sorted(set(years)), h["year"].to_numpy())
        pred = flat * k[pos, np.arange(len(h))]
        rows[name] = {s: float(np.abs(pred[m] - obs[m]).sum() / obs[m].sum()) for s, m in scopes.items()}
    return pd.DataFrame(rows).T


def free_scores(ds, china: str, years: list[int]) -> pd.DataFrame:
    """Per variant (and persistence): WAPE per quantity and year, the mean over the selection years,
    and China's soybean net imports (Mt)."""
    rows = {}
    for name, hl in VARIANTS.items():
        r = run_free_hindcast(ds, BASE, years, feed_half_life=hl)
        m = r.markets
        soy = m[(m["region"] == china) & (m["commodity"] == "soybeans")
                & (m["quantity"] == "net_imports")].set_index("year")
        for method, label in (("petra", name), ("persistence", "persistence")):
            if method == "persistence" and "persistence" in rows:
                continue
            row = {}
            for q in ("net_imports", "production", "consumption"):
                for y in years:
                    row[f"{q} {y}"] = r.score(q, y, method)
                sel = [y for y in years if y in SELECTION_YEARS]
                if sel:
                    row[f"{q} mean {sel[0]}-{sel[-1]}"] = float(np.mean([r.score(q, y, method) for y in sel]))
            col = "petra" if method == "petra" else "observed"
            for y in years:
                row[f"{china} soybean net imports {y} (Mt)"] = soy.loc[y, col] / 1e3
            rows[label if method == "petra" else "persistence (observed Mt)"] = row
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default="china9,globiom37")
    ap.add_argument("--parts", default="feed,free")
    ap.add_argument("--feed-years", default="2011,2012,2013,2014")
    ap.add_argument("--years", default="2011,2012,2013,2014,2015,2020")
    args = ap.parse_args()
    parts = args.parts.split(",")
    pd.set_option("display.width", 200)
    for name in args.datasets.split(","):
        ds = load_dataset(DATA / name)
        china = CHINA.get(name, "CHN")
        if "feed" in parts:
            fy = [int(y) for y in args.feed_years.split(",")]
            print(f"1. {name}: WAPE of FBS feed {fy[0]}-{fy[-1]}, trends up to {BASE}")
            print(feed_scores(ds.feed_history, china, fy).round(4).to_string(), "\n")
        if "free" in parts:
            years = [int(y) for y in args.years.split(",")]
            print(f"2. {name}: free hindcast from {BASE}, WAPE (China's soybean net imports in Mt)")
            print(free_scores(ds, china, years).round(4).to_string(), "\n")


if __name__ == "__main__":
    main()
