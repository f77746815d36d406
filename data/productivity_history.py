"""Productivity history per region and commodity (`productivity_history.csv`): crop yields and livestock
output per animal, every year of the sources, for petra.trends.productivity_trend.

* Crops (FAOSTAT QCL via gcamdata-fao-raw, 1961-2019): production of the commodity's items (x its
  production factor: rice in milled equivalent) / area harvested of its area items, t/ha. Sugar:
  FBS sugar production (raw equivalent, the commodity's own series) / area of sugar cane + beet.
* Livestock (FBS production 1961-2020 / FAOSTAT QCL animal numbers via gcamfaostat, 1970-2022): t per
  head in stock. bovine_meat per cattle + buffalo (FBS bovine meat includes buffalo meat), dairy per milk
  animal (cows, buffalo, sheep, goats, camels milked), pig_meat per pig, poultry_meat per chicken, duck,
  goose and turkey (laying hens included: the stock does not separate them), sheep_meat per sheep + goat.

Per region and year: production (t) and input (ha or head) summed over the region's countries that report
both (> 0) that year; value = production / input. `segment` numbers the runs of years over which the
set of countries is the same up to COMPOSITION_BREAK_SHARE: a country entering or leaving with more than
that share of the region's input (e.g. the USSR's successors in 1992, where a country-level map folds
the USSR into RUS) starts a new segment, so a trend fits a level per segment instead of reading the
break as growth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from petra.data import livestock as lv
from petra.data.commodities import load_commodities, split_codes
from petra.trends import HALF_LIFE, productivity_trend
from petra.trends import trend_index as trend_index_of

COMPOSITION_BREAK_SHARE = 0.05
"""Share of a region's input carried by countries entering or leaving that starts a new segment."""
LIVESTOCK_HEADS = {
    "bovine_meat": [(lv.CATTLE, lv.STOCKS), (946, lv.STOCKS)],
    "dairy": [(lv.COW_MILK, lv.MILK_ANIMALS), (lv.BUFFALO_MILK, lv.MILK_ANIMALS),
              (lv.SHEEP_MILK, lv.MILK_ANIMALS), (lv.GOAT_MILK, lv.MILK_ANIMALS), (1130, lv.MILK_ANIMALS)],
    "pig_meat": [(lv.PIGS, lv.STOCKS)],
    "poultry_meat": [(lv.CHICKENS, lv.STOCKS), (lv.DUCKS, lv.STOCKS), (lv.GEESE, lv.STOCKS),
                     (lv.TURKEYS, lv.STOCKS)],
    "sheep_meat": [(lv.SHEEP, lv.STOCKS), (lv.GOATS, lv.STOCKS)],
}
"""petra livestock product -> (FAOSTAT item, element) of the animals it is produced per (946: buffalo,
1130: camels milked)."""
UNITS = {"crop": "t/ha", "livestock": "t/head"}
HINDCAST_LAST = {"crop": 2019, "livestock": 2020}
"""Last year of the productivity hindcast (area harvested ends 2019, FBS 2020)."""
HINDCAST_HALF_LIVES = tuple(sorted({float("inf"), 20.0, 10.0, 5.0, HALF_LIFE}, reverse=True))
HINDCAST_EARLY = 2000
"""Anchor of the earlier productivity hindcast (trends to 2000 predicting 2001-2010; chose HALF_LIFE)."""
COLUMNS = ["region", "commodity", "year", "production", "input", "value", "unit", "segment"]


def crop_country(prod: pd.DataFrame, area: pd.DataFrame, fbs_sugar: pd.DataFrame) -> pd.DataFrame:
    """area, commodity, year, production (t commodity unit), input (ha) of the crops. prod / area: QCL
    long frames (area, item_code, year, value t / ha); fbs_sugar: area, year, value (t raw sugar)."""
    rows = []
    for c in load_commodities().itertuples():
        if not c.area_items:
            continue
        a = area[area["item_code"].isin(split_codes(c.area_items))].groupby(["area", "year"])["value"].sum()
        if c.fbs_item:
            q = fbs_sugar.groupby(["area", "year"])["value"].sum()
        else:
            q = prod[prod["item_code"].isin(split_codes(c.production_items))].groupby(["area", "year"])[
                "value"].sum() * float(c.production_factor)
        j = pd.concat([q.rename("production"), a.rename("input")], axis=1, join="inner").reset_index()
        rows.append(j.assign(commodity=c.commodity))
    return pd.concat(rows, ignore_index=True)


def livestock_country(production: pd.DataFrame, stock: pd.DataFrame) -> pd.DataFrame:
    """area, commodity, year, production (t), input (head) of the livestock products. production: area,
    commodity, year, value (t, FBS); stock: AnimalStock long frame (area, item_code, element, unit, year,
    value)."""
    per = stock["unit"].map(lv.HEADS_PER_UNIT)
    s = stock.assign(heads=stock["value"] * per)
    rows = []
    for commodity, animals in LIVESTOCK_HEADS.items():
        sel = np.zeros(len(s), dtype=bool)
        for item, element in animals:
            sel |= ((s["item_code"] == item) & (s["element"] == element)).to_numpy()
        h = s[sel].groupby(["area", "year"])["heads"].sum()
        q = production[production["commodity"] == commodity].groupby(["area", "year"])["value"].sum()
        j = pd.concat([q.rename("production"), h.rename("input")], axis=1, join="inner").reset_index()
        rows.append(j.assign(commodity=commodity))
    return pd.concat(rows, ignore_index=True)


def composition_segments(frame: pd.DataFrame, share: float = COMPOSITION_BREAK_SHARE) -> pd.Series:
    """Segment id per row of a country-level frame (region, commodity, year, area, input), constant over
    a region-commodity's years unless countries carrying more than `share` of its input enter or leave."""
    seg = pd.Series(0, index=frame.index, dtype=int)
    for _, g in frame.groupby(["region", "commodity"], sort=False):
        years = sorted(g["year"].unique())
        sets = {y: dict(zip(d["area"], d["input"], strict=True)) for y, d in g.groupby("year")}
        sid, ids = 0, {}
        for i, y in enumerate(years):
            if i:
                prev, cur = sets[years[i - 1]], sets[y]
                entering = sum(v for a, v in cur.items() if a not in prev) / max(sum(cur.values()), 1e-300)
                leaving = sum(v for a, v in prev.items() if a not in cur) / max(sum(prev.values()), 1e-300)
                if max(entering, leaving) > share:
                    sid += 1
            ids[y] = sid
        seg[g.index] = g["year"].map(ids).to_numpy()
    return seg


def region_history(country: pd.DataFrame, livestock: set[str]) -> pd.DataFrame:
    """productivity_history.csv rows from a country frame with a `region` column (area, region,
    commodity, year, production, input): countries with both > 0 summed per region-year."""
    c = country[(country["production"] > 0) & (country["input"] > 0)].copy()
    c["segment"] = composition_segments(c)
    g = c.groupby(["region", "commodity", "year"], as_index=False).agg(
        production=("production", "sum"), input=("input", "sum"), segment=("segment", "first"))
    g["value"] = g["production"] / g["input"]
    g["unit"] = np.where(g["commodity"].isin(livestock), UNITS["livestock"], UNITS["crop"])
    return g[COLUMNS]


def hindcast(history: pd.DataFrame, up_to_year: int, last_year: int, half_lives, livestock: set[str]
             ) -> pd.DataFrame:
    """Score the trend estimator alone: trends from years <= up_to_year (petra.trends.productivity_trend)
    predict each region-commodity's productivity in up_to_year+1..last_year from an anchor (the trend's
    fitted level at up_to_year; where the key took the world rate, the mean of its last three observed
    years). Methods: 'no growth' (the anchor), 'world rate' (the commodity's world trend for every
    region), 'own trend, half-life H' for each H of `half_lives` (inf: the rate kept), and 'last observed'
    (the up_to_year value, no growth). Returns kind (crop, livestock, all), method, mean absolute log
    error weighted by up_to_year production, n (region-commodity-years)."""
    tr = productivity_trend(history, up_to_year).set_index(["region", "commodity"])
    h = history[history["value"] > 0]
    past = h[h["year"] <= up_to_year]
    recent = past[past["year"] > up_to_year - 3].groupby(["region", "commodity"])["value"].mean()
    last_obs = past[past["year"] == up_to_year].set_index(["region", "commodity"])
    anchor = tr["level"].where(tr["level"].notna(), recent.reindex(tr.index))
    ev = h[(h["year"] > up_to_year) & (h["year"] <= last_year)].set_index(["region", "commodity"])
    ev = ev[ev.index.isin(anchor.dropna().index) & ev.index.isin(last_obs.index)]
    tau = (ev["year"] - up_to_year).to_numpy(dtype=float)
    a = anchor.reindex(ev.index).to_numpy()
    g0, gw = tr["rate"].reindex(ev.index).to_numpy(), tr["world_rate"].reindex(ev.index).to_numpy()
    gw = np.where(np.isfinite(gw), gw, 0.0)
    w = last_obs["production"].reindex(ev.index).to_numpy(dtype=float)
    preds = {"no growth": a, "world rate": a * np.exp(gw * tau / 100.0),
             "last observed": last_obs["value"].reindex(ev.index).to_numpy()}
    for hl in half_lives:
        name = "own trend, rate kept" if np.isinf(hl) else f"own trend, half-life {hl:g} yr"
        preds[name] = a * trend_index_of(g0, gw, tau, hl)
    kinds = np.where(ev.index.get_level_values("commodity").isin(sorted(livestock)), "livestock", "crop")
    obs = ev["value"].to_numpy()
    rows = []
    for kind in ("crop", "livestock", "all"):
        sel = np.ones(len(ev), dtype=bool) if kind == "all" else kinds == kind
        for method, p in preds.items():
            err = np.abs(np.log(p[sel] / obs[sel]))
            rows.append((kind, method, float((err * w[sel]).sum() / w[sel].sum()), int(sel.sum())))
    return pd.DataFrame(rows, columns=["kind", "method", "male", "n"])
