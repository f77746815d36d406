"""IAMC-format variables of a projection (long frame; `to_pyam` makes a `pyam.IamDataFrame`).

Names follow the IAMC common definitions (github.com/IAMconsortium/common-definitions,
definitions/variable/afolu/agriculture.yaml) down to their crop and livestock groups, with petra's
commodities one level below; the codelist petra's outputs are validated against is `definitions/`
at the repository root (tests, with `nomenclature`):

    Agricultural Production|Crops|Oil Crops|Soybean        Mt/yr   production
    Agricultural Demand|Crops|Oil Crops|Soybean            Mt/yr   domestic use
    Agricultural Trade|Crops|Oil Crops|Soybean             Mt/yr   net exports (common definition)
    Agricultural Imports|Crops|Oil Crops|Soybean           Mt/yr   imports (petra)
    Agricultural Exports|Crops|Oil Crops|Soybean           Mt/yr   exports (petra)
    Price|Agriculture|Crops|Oil Crops|Soybean              USD_2010/t  market price (petra)
    Population                                             million     a scenario's SSP, as used
    GDP|PPP                                                billion USD_2017/yr (SSP v3; v2: USD_2005)

Quantities are in the dataset's primary-equivalent fresh weight (the common definitions use dry
matter; the unit says Mt/yr, not Mt DM/yr). Groups (Crops, Crops|Cereals, ...) and the World region
are sums of their members; prices are not aggregated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

IAMC_COLUMNS = ["model", "scenario", "region", "variable", "unit", "year", "value"]
WORLD = "World"
QUANTITY_UNIT = "Mt/yr"
PRICE_UNIT = "USD_2010/t"
POPULATION_UNIT = "million"

# commodity id -> IAMC path below the variable stem (group levels from the common definitions)
COMMODITY_PATHS = {
    "wheat": "Crops|Cereals|Wheat",
    "maize": "Crops|Cereals|Maize",
    "rice": "Crops|Cereals|Rice",
    "barley": "Crops|Cereals|Barley",
    "sorghum": "Crops|Cereals|Sorghum",
    "other_cereals": "Crops|Cereals|Other Cereals",
    "soybeans": "Crops|Oil Crops|Soybean",
    "rapeseed": "Crops|Oil Crops|Rapeseed",
    "sunflower": "Crops|Oil Crops|Sunflower",
    "palm_oil": "Crops|Oil Crops|Oil Palm",
    "groundnuts": "Crops|Oil Crops|Groundnut",
    "sugar": "Crops|Sugar Crops|Sugar",
    "bovine_meat": "Livestock|Ruminant|Bovine Meat",
    "sheep_meat": "Livestock|Ruminant|Sheep and Goat Meat",
    "pig_meat": "Livestock|Non-Ruminant|Pig Meat",
    "poultry_meat": "Livestock|Non-Ruminant|Poultry Meat",
    "dairy": "Livestock|Dairy|Milk",
    "eggs": "Livestock|Dairy|Eggs",
}

QUANTITY_STEMS = {"production": "Agricultural Production", "consumption": "Agricultural Demand",
                  "net_exports": "Agricultural Trade", "imports": "Agricultural Imports",
                  "exports": "Agricultural Exports"}


def commodity_path(commodity: str) -> str:
    """IAMC path of a commodity id; ids petra does not know go under Crops|Other Crops."""
    return COMMODITY_PATHS.get(commodity, f"Crops|Other Crops|{commodity.replace('_', ' ').title()}")


def _prefixes(path: str) -> list[str]:
    parts = path.split("|")
    return ["|".join(parts[:i]) for i in range(1, len(parts) + 1)]


def market_variables(markets: pd.DataFrame, *, model: str, quantity_factor: float = 1e-3) -> pd.DataFrame:
    """IAMC long frame from a projection's market table.

    markets: scenario, period, region, commodity, production, consumption, imports, exports,
        net_exports (data quantity unit), price (USD/t).
    quantity_factor: data quantity unit -> Mt (1e-3 for kt).
    """
    m = markets.copy()
    m["path"] = m["commodity"].map(commodity_path)
    rows = []
    q = m.melt(id_vars=["scenario", "period", "region", "path"], value_vars=list(QUANTITY_STEMS),
               var_name="what", value_name="value")
    q["value"] = q["value"] * quantity_factor
    world = q.groupby(["scenario", "period", "path", "what"], as_index=False, sort=False)["value"].sum()
    q = pd.concat([q, world.assign(region=WORLD)], ignore_index=True)
    # every row counts towards its path and each of the path's prefixes (Crops|Cereals|Wheat ->
    # Crops, Crops|Cereals, Crops|Cereals|Wheat): one grouped sum over the expanded rows
    prefixes = pd.DataFrame([(path, pre) for path in m["path"].unique() for pre in _prefixes(path)],
                            columns=["path", "group"])
    keys = ["group", "scenario", "period", "region", "what"]
    g = q.merge(prefixes, on="path").groupby(keys, as_index=False, sort=False)["value"].sum()
    g["variable"] = g["what"].map(QUANTITY_STEMS) + "|" + g["group"]
    rows.append(g.drop(columns="group"))
    price = m.assign(variable="Price|Agriculture|" + m["path"], value=m["price"])
    rows.append(price[["scenario", "period", "region", "variable", "value"]])
    out = pd.concat(rows, ignore_index=True)
    out["unit"] = np.where(out["variable"].str.startswith("Price|"), PRICE_UNIT, QUANTITY_UNIT)
    out = out.rename(columns={"period": "year"})
    out["model"] = model
    out["year"] = out["year"].astype(int)
    return out[IAMC_COLUMNS].sort_values(["scenario", "region", "variable", "year"]).reset_index(drop=True)


def socioeconomic_variables(levels: pd.DataFrame, *, model: str) -> pd.DataFrame:
    """IAMC long frame of Population (million) and GDP|PPP (in `gdp_unit`) per region, with World sums.

    levels: scenario, period, region, population (million), gdp_ppp, gdp_unit (one unit).
    """
    world = levels.groupby(["scenario", "period", "gdp_unit"], as_index=False, sort=False)[
        ["population", "gdp_ppp"]].sum().assign(region=WORLD)
    both = pd.concat([levels, world], ignore_index=True)
    pop = both.assign(variable="Population", unit=POPULATION_UNIT, value=both["population"])
    gdp = both.assign(variable="GDP|PPP", unit=both["gdp_unit"], value=both["gdp_ppp"])
    out = pd.concat([pop, gdp], ignore_index=True).rename(columns={"period": "year"})
    out["model"] = model
    out["year"] = out["year"].astype(int)
    return out[IAMC_COLUMNS].sort_values(["scenario", "region", "variable", "year"]).reset_index(drop=True)


def to_pyam(frame: pd.DataFrame):
    """A `pyam.IamDataFrame` of a long IAMC frame (rows with a missing value dropped)."""
    import pyam

    return pyam.IamDataFrame(frame.dropna(subset=["value"]))
