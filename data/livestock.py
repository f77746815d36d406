"""Livestock GHG intensities per tonne of product from IPCC Tier 1 per-head factors and FAOSTAT animal
numbers (pure functions over country-level frames with FAO area codes).

Enteric fermentation CH4 (IPCC 2006 Vol. 4 Ch. 10, Tier 1; factors in `petra.emission_factors`): each
country's head counts (FAOSTAT QCL stocks and milk animals, via gcamfaostat `GCAMFAOSTAT_AnimalStock`)
x the factor of its IPCC region (`mappings/ipcc_livestock_regions.csv`, by the country's GLOBIOM region),
attributed to one product each:

  dairy         milking cows x dairy-cow factor + milking buffalo, sheep and goats x their factors
  bovine_meat   (cattle - milking cows) x other-cattle factor
  sheep_meat    (sheep - milking sheep) + (goats - milking goats), x their factors
  pig_meat      pigs x swine factor
  poultry_meat  0 (Table 10.10 gives no enteric factor for poultry)

Non-milking buffalo are not attributed (buffalo meat is not a petra commodity). Meat from culled dairy
cows counts as bovine meat without their emissions (no joint allocation at Tier 1). The intensity of a
region is its emissions / its production, over the countries with both (kg CH4 per t of product).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from petra import emission_factors as ef
from petra.data.commodities import MAPPINGS

# FAOSTAT item codes: (stock item, milk item) per animal
CATTLE, COW_MILK = 866, 882
BUFFALO_MILK = 951
SHEEP, SHEEP_MILK = 976, 982
GOATS, GOAT_MILK = 1016, 1020
PIGS = 1034
STOCKS, MILK_ANIMALS = "Stocks", "Milk Animals"


def ipcc_regions(amap: pd.DataFrame) -> pd.DataFrame:
    """FAO area code -> IPCC region and developed flag (via the GLOBIOM region of areas.csv)."""
    reg = pd.read_csv(MAPPINGS / "ipcc_livestock_regions.csv")
    m = amap[["fao_code", "globiom37"]].dropna().drop_duplicates("fao_code").merge(reg, on="globiom37")
    return m.rename(columns={"fao_code": "area"})[["area", "ipcc_region", "developed"]]


def head_counts(stock: pd.DataFrame) -> pd.DataFrame:
    """area, year and one column per head count (cattle, cows, buffalo_milk, sheep, sheep_milk, goats,
    goat_milk, pigs; head) from the AnimalStock long frame (area, item_code, element, year, value)."""
    want = {"cattle": (CATTLE, STOCKS), "cows": (COW_MILK, MILK_ANIMALS),
            "buffalo_milk": (BUFFALO_MILK, MILK_ANIMALS), "sheep": (SHEEP, STOCKS),
            "sheep_milk": (SHEEP_MILK, MILK_ANIMALS), "goats": (GOATS, STOCKS),
            "goat_milk": (GOAT_MILK, MILK_ANIMALS), "pigs": (PIGS, STOCKS)}
    cols = []
    for name, (item, element) in want.items():
        s = stock[(stock["item_code"] == item) & (stock["element"] == element)]
        cols.append(s.groupby(["area", "year"])["value"].sum().rename(name))
    return pd.concat(cols, axis=1).fillna(0.0).reset_index()


def enteric_ch4(heads: pd.DataFrame, regions: pd.DataFrame) -> pd.DataFrame:
    """kg CH4 per year by area, year and commodity (dairy, bovine_meat, sheep_meat, pig_meat,
    poultry_meat) from `head_counts` and `ipcc_regions` (areas without an IPCC region are dropped)."""
    h = heads.merge(regions, on="area", how="inner")
    dairy_cow = h["ipcc_region"].map({k: v[0] for k, v in ef.ENTERIC_CATTLE.items()}).to_numpy(float)
    other_cattle = h["ipcc_region"].map({k: v[1] for k, v in ef.ENTERIC_CATTLE.items()}).to_numpy(float)
    dev = h["developed"].to_numpy(dtype=int) == 1

    def other(animal: str) -> np.ndarray:
        developed, developing = ef.ENTERIC_OTHER[animal]
        return np.where(dev, developed, developing)

    kg = {
        "dairy": h["cows"] * dairy_cow + h["buffalo_milk"] * other("buffalo")
        + h["sheep_milk"] * other("sheep") + h["goat_milk"] * other("goats"),
        "bovine_meat": (h["cattle"] - h["cows"]).clip(lower=0.0) * other_cattle,
        "sheep_meat": (h["sheep"] - h["sheep_milk"]).clip(lower=0.0) * other("sheep")
        + (h["goats"] - h["goat_milk"]).clip(lower=0.0) * other("goats"),
        "pig_meat": h["pigs"] * other("swine"),
        "poultry_meat": h["pigs"] * 0.0 + ef.ENTERIC_OTHER["poultry"][0],
    }
    parts = [h[["area", "year"]].assign(commodity=c, value=np.asarray(v, dtype=float)) for c, v in kg.items()]
    return pd.concat(parts, ignore_index=True)
