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

Manure management CH4 (IPCC 2006 Vol. 4 Ch. 10 Tier 1, Tables 10.14-10.15, one temperature class for
every country; factors from `petra.emission_factors.manure_ch4_factors`), the same head attribution:

  dairy         milking cows x dairy-cattle factor + milking buffalo x buffalo factor (Table 10.14, 0
                where the region has none) + milking sheep and goats x their Table 10.15 factors
  bovine_meat   (cattle - milking cows) x other-cattle factor (Table 10.14)
  sheep_meat    non-milking sheep and goats x their Table 10.15 factors
  pig_meat      pigs x the region's 'swine' factor, or its 'market swine' factor where Table 10.14
                splits swine (developed regions; FAOSTAT does not count breeding swine apart)
  poultry_meat  developed: chickens x broilers + turkeys x turkeys + ducks x ducks (geese: no factor);
                developing: (chickens + ducks + geese + turkeys) x the poultry factor. The chicken stock
                includes laying hens (the extract has no count of them): an upper estimate.

Table 10.14 rows use the country's `manure_region` (Table 10.14 separates Africa and the Middle East),
Table 10.15 rows its developed flag.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from petra import emission_factors as ef
from petra.data.commodities import MAPPINGS
from petra.errors import InputError

# FAOSTAT item codes: (stock item, milk item) per animal
CATTLE, COW_MILK = 866, 882
BUFFALO_MILK = 951
SHEEP, SHEEP_MILK = 976, 982
GOATS, GOAT_MILK = 1016, 1020
PIGS = 1034
CHICKENS, DUCKS, GEESE, TURKEYS = 1057, 1068, 1072, 1079
STOCKS, MILK_ANIMALS = "Stocks", "Milk Animals"
HEADS_PER_UNIT = {"An": 1.0, "Head": 1.0, "1000 An": 1000.0, "1000 Head": 1000.0}
"""Heads per unit of FAOSTAT's animal numbers (poultry stocks are in 1000 head)."""


def ipcc_regions(amap: pd.DataFrame) -> pd.DataFrame:
    """FAO area code -> IPCC region (Table 10.11), manure region (Table 10.14) and developed flag (via
    the GLOBIOM region of areas.csv)."""
    reg = pd.read_csv(MAPPINGS / "ipcc_livestock_regions.csv")
    m = amap[["fao_code", "globiom37"]].dropna().drop_duplicates("fao_code").merge(reg, on="globiom37")
    return m.rename(columns={"fao_code": "area"})[["area", "ipcc_region", "manure_region", "developed"]]


def head_counts(stock: pd.DataFrame) -> pd.DataFrame:
    """area, year and one column per head count (cattle, cows, buffalo_milk, sheep, sheep_milk, goats,
    goat_milk, pigs, chickens, ducks, geese, turkeys; head) from the AnimalStock long frame (area,
    item_code, element, unit, year, value); units per HEADS_PER_UNIT."""
    want = {"cattle": (CATTLE, STOCKS), "cows": (COW_MILK, MILK_ANIMALS),
            "buffalo_milk": (BUFFALO_MILK, MILK_ANIMALS), "sheep": (SHEEP, STOCKS),
            "sheep_milk": (SHEEP_MILK, MILK_ANIMALS), "goats": (GOATS, STOCKS),
            "goat_milk": (GOAT_MILK, MILK_ANIMALS), "pigs": (PIGS, STOCKS), "chickens": (CHICKENS, STOCKS),
            "ducks": (DUCKS, STOCKS), "geese": (GEESE, STOCKS), "turkeys": (TURKEYS, STOCKS)}
    if "unit" not in stock.columns:
        raise InputError("animal stock: no unit column (head or 1000 head)", column="unit")
    cols = []
    for name, (item, element) in want.items():
        s = stock[(stock["item_code"] == item) & (stock["element"] == element)]
        per = s["unit"].map(HEADS_PER_UNIT)
        if per.isna().any():
            raise InputError(f"animal stock item {item}: unknown unit {s['unit'][per.isna()].iloc[0]!r}",
                             column="unit")
        heads = s.assign(value=s["value"] * per)
        cols.append(heads.groupby(["area", "year"])["value"].sum().rename(name))
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
    return _long(h, kg)


def manure_ch4(heads: pd.DataFrame, regions: pd.DataFrame, factors: pd.DataFrame) -> pd.DataFrame:
    """kg CH4 per year from manure management by area, year and commodity (as `enteric_ch4`) from
    `head_counts`, `ipcc_regions` and one temperature class of `emission_factors.manure_ch4_factors`
    (animal, ipcc_region, development, kg_ch4_per_head). A needed factor absent from `factors` is a
    one-line InputError, except buffalo (Table 10.14 has none for some regions: 0)."""
    h = heads.merge(regions, on="area", how="inner")
    dev = h["developed"].to_numpy(dtype=int) == 1
    by_region = factors[factors["ipcc_region"] != ""]
    by_dev = factors[factors["development"] != ""]

    def region_factor(animal: str) -> np.ndarray:
        f = by_region[by_region["animal"] == animal].set_index("ipcc_region")["kg_ch4_per_head"]
        return h["manure_region"].map(f).to_numpy(dtype=float)

    def dev_factor(animal: str, where: np.ndarray = dev | ~dev) -> np.ndarray:
        f = by_dev[by_dev["animal"] == animal].set_index("development")["kg_ch4_per_head"]
        got = np.where(dev, f.get("developed", np.nan), f.get("developing", np.nan))
        if np.isnan(got[where]).any():
            raise InputError(f"no manure CH4 factor for {animal} "
                             f"({'developed' if dev[where][np.isnan(got[where])][0] else 'developing'})")
        return np.where(where, got, 0.0)

    def needed(values: np.ndarray, animal: str) -> np.ndarray:
        if np.isnan(values).any():
            region = h["manure_region"].to_numpy()[np.isnan(values)][0]
            raise InputError(f"no manure CH4 factor for {animal} in IPCC region {region!r}")
        return values

    swine = region_factor("swine")
    swine = needed(np.where(np.isnan(swine), region_factor("market_swine"), swine), "swine")
    buffalo = np.nan_to_num(region_factor("buffalo"), nan=0.0)
    dairy_cattle = needed(region_factor("dairy_cattle"), "dairy cattle")
    other_cattle = needed(region_factor("other_cattle"), "other cattle")
    sheep, goats = dev_factor("sheep"), dev_factor("goats")
    broilers, turkeys, ducks = (dev_factor(a, dev) for a in ("broilers", "turkeys", "ducks"))
    all_poultry = h["chickens"] + h["ducks"] + h["geese"] + h["turkeys"]
    kg = {
        "dairy": h["cows"] * dairy_cattle + h["buffalo_milk"] * buffalo + h["sheep_milk"] * sheep
        + h["goat_milk"] * goats,
        "bovine_meat": (h["cattle"] - h["cows"]).clip(lower=0.0) * other_cattle,
        "sheep_meat": (h["sheep"] - h["sheep_milk"]).clip(lower=0.0) * sheep
        + (h["goats"] - h["goat_milk"]).clip(lower=0.0) * goats,
        "pig_meat": h["pigs"] * swine,
        "poultry_meat": np.where(dev, h["chickens"] * broilers + h["turkeys"] * turkeys + h["ducks"] * ducks,
                                 all_poultry * dev_factor("poultry", ~dev)),
    }
    return _long(h, kg)


def _long(h: pd.DataFrame, kg: dict) -> pd.DataFrame:
    """area, year, commodity, value rows from per-commodity arrays aligned with `h`'s rows."""
    parts = [h[["area", "year"]].assign(commodity=c, value=np.asarray(v, dtype=float)) for c, v in kg.items()]
    return pd.concat(parts, ignore_index=True)
