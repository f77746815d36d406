"""FAOSTAT food balance sheets (agrifoodpy-data `FAOSTAT.nc`, 1961-2020) for petra's commodities: the
items, elements and the methodology break that the uses split, the Engel curves and the feed history
read. Countries only (aggregates and FAO 351 China incl. HK/MO/TW dropped, as in feed_requirements).

The file joins FAO's two series: the old methodology up to 2009 and the new one (2014 revision, back-cast
to 2010) from NEW_METHOD_FROM on. The new series reports rice in paddy equivalent (China 2010 production
195.8 Mt = QCL paddy; 2009 130.1 Mt milled): `RICE_PADDY_TO_MILLED` converts it to petra's milled unit.
Levels of feed and of other uses jump between the two (China maize feed 105.6 Mt 2009, 125.2 Mt 2010), so
series that span 2009/2010 carry a segment id (`method_segment`) and trends fit a level per segment.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from petra.data.commodities import load_commodities, load_item_map
from petra.data.feed_requirements import (
    CAKE_TRADE_ITEMS,
    CHINA_AGGREGATE,
    FEED_ITEMS,
    LIVESTOCK_ITEMS,
    NOT_COUNTRIES,
)

FBS_FILE = Path("agrifoodpy-data") / "FAOSTAT.nc"
POPULATION_FILE = Path("agrifoodpy-data") / "Population_FAOSTAT.nc"
USE_ELEMENTS = ("food", "feed", "seed", "losses", "processing", "other", "residual")
"""FBS utilisation elements (kt); their sum is the domestic supply (up to FAO's rounding)."""
NEW_METHOD_FROM = 2010
"""First year of FAO's new food balance methodology in FAOSTAT.nc (a level break in the series)."""
OIL_ITEMS = {"soybeans": 2571, "rapeseed": 2574}
"""petra oilseed -> FBS item of its oil (the crush's oil is used through the oil's own balance)."""


def commodity_items() -> dict[str, int]:
    """petra commodity -> FBS item of its primary product (feed crops, sugar 2542, livestock)."""
    sugar = [int(i) for i in load_commodities()["fbs_item"] if i]
    livestock = {k: v for k, v in LIVESTOCK_ITEMS.items() if k != "eggs"}
    return {**FEED_ITEMS, "sugar": sugar[0], **livestock}


def rice_paddy_to_milled() -> float:
    """t milled per t paddy: petra's rice production factor (mappings/commodities.csv)."""
    c = load_commodities().set_index("commodity")
    return float(c.loc["rice", "production_factor"])


def oil_bean_equivalent() -> dict[str, float]:
    """petra oilseed -> t seed equivalent per t of its oil (and of its cake): the joint oil + cake mass
    factor of mappings/commodity_items.csv."""
    f = load_item_map().set_index("trade_item")["factor"]
    return {c: float(f[item]) for c, item in CAKE_TRADE_ITEMS.items()}


def method_segment(years) -> np.ndarray:
    """0 for years of the old FBS methodology, 1 from NEW_METHOD_FROM on."""
    return (np.asarray(years) >= NEW_METHOD_FROM).astype(int)


def read_balances(path: Path, items: list[int], elements=("production", *USE_ELEMENTS)) -> pd.DataFrame:
    """area, year, item, element, value (t) of `items`, every year of the file; countries only, empty
    cells dropped. New-methodology rice (item 2807, years >= NEW_METHOD_FROM) converted to milled."""
    import xarray as xr  # optional dependency, only needed for the build

    parts = []
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        for element in elements:
            da = ds[element].sel(Item=list(items)).load()
            df = da.to_dataframe(name="value").reset_index()[["Region", "Year", "Item", "value"]]
            parts.append(df.assign(element=element))
    df = pd.concat(parts, ignore_index=True)
    df = df.rename(columns={"Region": "area", "Year": "year", "Item": "item"})
    df = df[(df["area"] < NOT_COUNTRIES) & (df["area"] != CHINA_AGGREGATE)].dropna(subset=["value"])
    df["value"] = df["value"].astype(float) * 1000.0
    paddy = (df["item"] == FEED_ITEMS["rice"]) & (df["year"] >= NEW_METHOD_FROM)
    df.loc[paddy, "value"] *= rice_paddy_to_milled()
    return df.reset_index(drop=True)


def read_population(path: Path) -> pd.DataFrame:
    """area, year, population (persons) of FAOSTAT's population file; countries only."""
    import xarray as xr

    with xr.open_dataset(path, engine="h5netcdf") as ds:
        df = ds["population"].load().to_dataframe(name="population").reset_index()
    df = df.rename(columns={"Region": "area", "Year": "year"})[["area", "year", "population"]]
    df = df[(df["area"] < NOT_COUNTRIES) & (df["area"] != CHINA_AGGREGATE)]
    return df.dropna().reset_index(drop=True)
