"""Default feed requirements: t of feed crop per t of livestock product, by region (`feed.csv`).

Method (FAOSTAT food balance sheets, agrifoodpy-data `FAOSTAT.nc`, years FEED_YEARS summed):

1. Feed use of each petra feed crop per country (t, the commodity's unit): FBS element ``feed`` of its
   item; for the oilseeds plus the meal fed in the country, ``processing x CAKE_YIELD`` (cake from the
   domestic crush) + net imports of cake (FAOSTAT trade matrix, exporter-reported, `cake_of_*`), at
   least 0, in bean equivalent (x the cake's factor of `mappings/commodity_items.csv`, petra's
   joint-mass soybean/rapeseed equivalent).
2. Each country's feed use of a crop is split between its livestock products in proportion to
   ``production x CONCENTRATE_WEIGHT`` (eggs take their part and are dropped: not a petra commodity).
   Every product of a country is thus given the same feed mix.
3. Region requirement ``req[R, L, F] = sum_c feed[c, L, F] / sum_c production[c, L]`` (t/t), over the
   countries of R with production of L.

Uncertainty: the national feed totals are FAOSTAT's (their own uncertainty is that of the food balance
residuals, typically 10-20 %); the split between products rests on CONCENTRATE_WEIGHT, rounded
typical concentrate conversion ratios, and is uncertain by a factor of about 1.5-2 per product
(largest for bovine meat: feedlot vs grass systems). Feed of other crops (cassava, oats, pulses,
...), grass and fodder, and net trade in oilseed cake (crush country != feeding country) are not
counted: the land, water and N of feed are a lower bound. Aquaculture feed is attributed to the
livestock products (FBS does not separate it), an upward bias in countries with large fish farming.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

FEED_YEARS = (2018, 2019, 2020)
"""FBS years summed (the last three of agrifoodpy-data; matches the default runs' 2020 base year)."""

FEED_ITEMS = {"wheat": 2511, "maize": 2514, "rice": 2807, "barley": 2513, "sorghum": 2518,
              "soybeans": 2555, "rapeseed": 2558}
"""petra feed crop -> FBS item (rice: milled equivalent in FBS and petra)."""

CAKE_YIELD = {"soybeans": 0.79, "rapeseed": 0.58}
"""t cake (meal) per t of beans crushed (typical crush yields, USDA oilseed conversion factors:
soybeans 79 % meal + 18 % oil, rapeseed 58 % meal + 40 % oil). Applied to FBS ``processing``."""
CAKE_TRADE_ITEMS = {"soybeans": "cake_of_soya_beans", "rapeseed": "cake_of_rapeseed"}
"""petra oilseed -> its cake's trade item (faostat-tm-netviz item file, mappings/commodity_items.csv)."""

LIVESTOCK_ITEMS = {"bovine_meat": 2731, "pig_meat": 2733, "poultry_meat": 2734, "sheep_meat": 2732,
                   "dairy": 2948, "eggs": 2949}
"""petra livestock product -> FBS production item (eggs: a feed user that is not a petra commodity).
FBS "Milk - Excluding Butter" is item 2948 in this file."""

CONCENTRATE_WEIGHT = {"bovine_meat": 2.5, "pig_meat": 4.0, "poultry_meat": 3.0, "sheep_meat": 0.5,
                      "dairy": 0.3, "eggs": 2.5}
"""Relative concentrate feed per t of product (t feed as fed per t carcass / milk / eggs): rounded
typical conversion ratios (pigs ~3 kg feed per kg live weight / 0.75 dressing; broilers ~2 / 0.7;
beef a world mix of feedlot and grass; sheep and goats mostly grazing; milk ~0.3 kg per kg). They only
split each country's feed total between products."""

NOT_COUNTRIES = 5000
"""FAO area codes from here on are aggregates (world, continents, EU)."""
CHINA_AGGREGATE = 351
"""FAO 351 China incl. Hong Kong, Macao, Taiwan (41 is the mainland): never counted twice."""


def read_fbs_elements(path: Path, years=FEED_YEARS) -> pd.DataFrame:
    """area, item, element (feed, processing, production), value (t) of the feed and livestock items, summed
    over `years`; aggregates dropped."""
    import xarray as xr  # optional dependency, only needed for the build

    items = sorted(set(FEED_ITEMS.values()) | set(LIVESTOCK_ITEMS.values()))
    parts = []
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        for element in ("feed", "processing", "production"):
            da = ds[element].sel(Item=items, Year=list(years)).load()
            df = da.to_dataframe(name="value").reset_index()[["Region", "Item", "value"]]
            parts.append(df.assign(element=element))
    df = pd.concat(parts, ignore_index=True).rename(columns={"Region": "area", "Item": "item"})
    df = df[(df["area"] < NOT_COUNTRIES) & (df["area"] != CHINA_AGGREGATE)]
    df = df.groupby(["area", "item", "element"], as_index=False)["value"].sum(min_count=1)
    df["value"] = df["value"].fillna(0.0) * 1000.0
    return df


def cake_net_imports(trade: pd.DataFrame, years=FEED_YEARS) -> pd.DataFrame:
    """area, feed, value: net imports (imports - exports, t of cake, `years` summed) of each oilseed's cake
    from exporter-reported bilateral quantities (exporter, importer, item, year, quantity)."""
    t = trade[trade["year"].isin(list(years))]
    rows = []
    for feed, item in CAKE_TRADE_ITEMS.items():
        f = t[t["item"] == item]
        imp = f.groupby("importer")["quantity"].sum()
        exp = f.groupby("exporter")["quantity"].sum()
        net = imp.sub(exp, fill_value=0.0)
        rows.append(pd.DataFrame({"area": net.index.astype(int), "feed": feed, "value": net.to_numpy()}))
    return pd.concat(rows, ignore_index=True)


def feed_use(fbs: pd.DataFrame, cake_imports: pd.DataFrame, bean_equivalent: dict[str, float]
             ) -> pd.DataFrame:
    """area, feed, value (t of the petra feed crop fed in the country): FBS feed, plus for an oilseed its
    cake (domestic crush x CAKE_YIELD + net cake imports, at least 0) x `bean_equivalent[feed]`."""
    wide = fbs.pivot_table(index=["area", "item"], columns="element", values="value", aggfunc="sum",
                           fill_value=0.0)
    cake = cake_imports.set_index(["area", "feed"])["value"]
    rows = []
    for feed, item in FEED_ITEMS.items():
        if item not in wide.index.get_level_values("item"):
            continue
        w = wide.xs(item, level="item")
        v = w.get("feed", pd.Series(0.0, index=w.index)).to_numpy(dtype=float)
        if feed in CAKE_YIELD:
            crushed = w.get("processing", pd.Series(0.0, index=w.index)).to_numpy(dtype=float)
            net = np.array([cake.get((a, feed), 0.0) for a in w.index], dtype=float)
            v = v + np.maximum(crushed * CAKE_YIELD[feed] + net, 0.0) * bean_equivalent[feed]
        rows.append(pd.DataFrame({"area": w.index, "feed": feed, "value": v}))
    return pd.concat(rows, ignore_index=True)


def livestock_production(fbs: pd.DataFrame) -> pd.DataFrame:
    """area, product, production (t) of every LIVESTOCK_ITEMS product."""
    p = fbs[fbs["element"] == "production"]
    code = {v: k for k, v in LIVESTOCK_ITEMS.items()}
    p = p[p["item"].isin(code)]
    return pd.DataFrame({"area": p["area"].to_numpy(), "product": p["item"].map(code).to_numpy(),
                         "production": p["value"].to_numpy(dtype=float)})


def allocate_feed(use: pd.DataFrame, production: pd.DataFrame,
                  weight: dict[str, float] | None = None) -> pd.DataFrame:
    """area, product, feed, value (t): each country's feed use of a crop split between its products in
    proportion to production x weight. A country without livestock production allocates nothing."""
    weight = CONCENTRATE_WEIGHT if weight is None else weight
    p = production.assign(w=production["production"] * production["product"].map(weight).fillna(0.0))
    p = p[p["w"] > 0]
    p["share"] = p["w"] / p.groupby("area")["w"].transform("sum")
    m = use.merge(p[["area", "product", "share"]], on="area", how="inner")
    return m.assign(value=m["value"] * m["share"])[["area", "product", "feed", "value"]]


def regional_requirements(allocated: pd.DataFrame, production: pd.DataFrame) -> pd.DataFrame:
    """region, product, feed, value (t feed per t product): sum over R's countries of the allocated feed
    over their production. Inputs carry a `region` column; products without production are left out."""
    fed = allocated.groupby(["region", "product", "feed"], as_index=False)["value"].sum()
    prod = production.groupby(["region", "product"], as_index=False)["production"].sum()
    prod = prod[prod["production"] > 0]
    m = fed.merge(prod, on=["region", "product"], how="inner")
    m["value"] = m["value"] / m["production"]
    return m[m["value"] > 0][["region", "product", "feed", "value"]].sort_values(
        ["region", "product", "feed"]).reset_index(drop=True)


def bean_equivalents(item_map: pd.DataFrame) -> dict[str, float]:
    """petra oilseed -> t bean equivalent per t of its cake (`mappings/commodity_items.csv` factor)."""
    f = item_map.set_index("trade_item")["factor"]
    return {feed: float(f[item]) for feed, item in CAKE_TRADE_ITEMS.items()}


def feed_table(fbs: pd.DataFrame, cake_imports: pd.DataFrame, bean_equivalent: dict[str, float],
               to_region) -> pd.DataFrame:
    """feed.csv rows (region, product, feed, value, unit) of the petra livestock products.
    `to_region(frame)` adds a `region` column to a frame with an `area` column (unmapped rows dropped)."""
    prod = livestock_production(fbs)
    alloc = allocate_feed(feed_use(fbs, cake_imports, bean_equivalent), prod)
    req = regional_requirements(to_region(alloc), to_region(prod))
    req = req[req["product"] != "eggs"]
    return req.assign(unit="t/t")[["region", "product", "feed", "value", "unit"]]
