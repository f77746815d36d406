"""Deforestation CO2 by region and year from CAIT land-use change and forestry (LUCF) emissions.

CAIT 2021 (Climate Watch, via Our World in Data; `lucf-emissions-cait`) gives each country's net LUCF CO2
(Mt CO2 per year, FAOSTAT-based: deforestation and forest conversion net of forest sinks), 1990-2018,
by country name. Names map to FAO area codes through the committed table `mappings/cait_countries.csv`
(aggregates have no code and are not used; a name missing from the table is an error).

Rule: the deforestation emissions of a country in year y are the mean of its net LUCF CO2 over the
WINDOW years ending in y (smoothing fire years such as Indonesia 2015), counted only where positive (a
net sink has no deforestation to allocate; one country's sink never offsets another's deforestation);
a region's value is the sum over its countries (t CO2 per year). Every of it is attributed to cropland
expansion (`land_type` cropland): the sources hold no pasture areas, so pasture expansion cannot take
its share (an upper bound for crops). Years after CAIT's last year use the last year's value (the
post-processor takes the latest year at or before a period).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from petra.data.commodities import MAPPINGS
from petra.errors import InputError

CAIT_FILE = "CO2_emissions_by_sector_CAIT_2021.csv.gz"
LUCF_COLUMN = "Land-use change and forestry"
WINDOW = 5
"""Years averaged (trailing) for a year's deforestation emissions."""
MT = 1e6
"""t per Mt."""


def read_cait(path: Path) -> pd.DataFrame:
    """country, year, value (Mt CO2 per year, net LUCF) of the CAIT CO2-by-sector file."""
    df = pd.read_csv(path)
    if LUCF_COLUMN not in df.columns:
        raise InputError(f"no column '{LUCF_COLUMN}'", file=str(path))
    return pd.DataFrame({"country": df["Country"].astype(str), "year": df["Year"].astype(int),
                         "value": pd.to_numeric(df[LUCF_COLUMN], errors="coerce")})


def with_fao_codes(cait: pd.DataFrame, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """area (FAO code), year, value: CAIT rows of countries (aggregates dropped) through `table`
    (cait_name, fao_code; default `mappings/cait_countries.csv`)."""
    path = MAPPINGS / "cait_countries.csv"
    table = pd.read_csv(path, dtype=str, keep_default_na=False) if table is None else table
    codes = dict(zip(table["cait_name"], table["fao_code"], strict=True))
    unknown = sorted(set(cait["country"]) - set(codes))
    if unknown:
        raise InputError(f"CAIT country '{unknown[0]}' is not in the name table", file=str(path),
                         column="cait_name")
    area = cait["country"].map(codes)
    keep = area != ""
    return pd.DataFrame({"area": area[keep].astype(int).to_numpy(), "year": cait.loc[keep, "year"].to_numpy(),
                         "value": cait.loc[keep, "value"].to_numpy(dtype=float)})


def deforestation_by_country(lucf: pd.DataFrame, window: int = WINDOW) -> pd.DataFrame:
    """area, year, value (t CO2 per year): the positive part of the trailing `window`-year mean of net LUCF
    (years with fewer than `window` earlier values average what there is; missing values are skipped)."""
    df = lucf.sort_values(["area", "year"]).reset_index(drop=True)
    mean = df.groupby("area")["value"].transform(lambda s: s.rolling(window, min_periods=1).mean())
    return df.assign(value=np.maximum(mean.to_numpy(dtype=float), 0.0) * MT)[["area", "year", "value"]]


def deforestation_table(by_region: pd.DataFrame, regions: list[str], years: list[int]) -> pd.DataFrame:
    """deforestation.csv rows (region, period, land_type, value, unit): each region's sum over its
    countries (with a `region` column) per year in `years`; a region without a positive value has 0."""
    g = by_region.groupby(["region", "year"])["value"].sum()
    idx = pd.MultiIndex.from_product([regions, years], names=["region", "year"])
    out = g.reindex(idx, fill_value=0.0).rename("value").reset_index().rename(columns={"year": "period"})
    return out.assign(land_type="cropland", unit="t")[["region", "period", "land_type", "value", "unit"]]
