"""Resource intensities per tonne of product, by region, commodity and year.

Pure functions over country-level frames (FAO area codes already mapped to `region`):
  land        ha/t   harvested area / production (crops)
  water_green m3/t   Mekonnen & Hoekstra (2011) national green footprints, production-weighted
  water_blue  m3/t   same, blue
  nitrogen    kg/t   IFA (Heffer 2009) N applied 2007/08 per t of 2007/08 production
  n2o         kg/t   nitrogen * EF1 * 44/28 (IPCC 2006 EF1 0.01 kg N2O-N/kg N; flooded rice 0.004,
                     IPCC 2019 Refinement)
  ch4         kg/t   rice: land (ha/t) * baseline factor (kg CH4/ha/day, IPCC 2019 Table 5.11) * season
                     days (`rice_ch4`); 0 for other crops (no IPCC source); livestock: ch4_enteric +
                     ch4_manure (`gas_total`)
  ch4_enteric kg/t   livestock: IPCC 2006 Tier 1 per head x FAOSTAT heads / production (`livestock`)
  ch4_manure  kg/t   same, manure management (one temperature class, `emission_factors`)
Emission factors come from petra.emission_factors (one home, shared with the post-processor).
Values are per t of the model commodity's unit (rice: milled equivalent; sugar: raw sugar).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from petra import emission_factors as ef

UNITS = {"land": "ha/t", "water_green": "m3/t", "water_blue": "m3/t", "nitrogen": "kg/t", "n2o": "kg/t",
         "ch4": "kg/t",
         "ch4_enteric": "kg/t", "ch4_manure": "kg/t"}


WATER_GLOBAL_CODE = 999
"""Mekonnen & Hoekstra's 'Global average' row (used for producing countries without a value)."""


def water_code_map(fao_codes: pd.Series, water_codes: pd.Series) -> dict[int, int]:
    """FAO area code -> the area code of Mekonnen & Hoekstra's water table, from the concordance
    shipped with it (`regions_concordance_water.csv`: Area.Code -> Code_water). The table uses one
    row for areas FAO splits: 351 China for 41 China mainland (and 96 Hong Kong, 128 Macao, 214
    Taiwan), 186 Serbia and Montenegro for 272 and 273, 206 Sudan (former) for 276 and 277; 999
    (global average) for Liechtenstein and a few territories. Unparseable cells are skipped."""
    a = pd.to_numeric(pd.Series(fao_codes), errors="coerce").to_numpy()
    w = pd.to_numeric(pd.Series(water_codes), errors="coerce").to_numpy()
    ok = np.isfinite(a) & np.isfinite(w)
    return {int(x): int(y) for x, y in zip(a[ok], w[ok], strict=True)}


def water_per_tonne(areas: pd.Series, footprint: pd.Series, codes: dict[int, int]) -> pd.Series:
    """Each FAO area's water footprint (m3/t) looked up in `footprint` (indexed by the water table's
    area codes) through the concordance `codes` (an area without a concordance row is looked up by its
    own code); NaN where the table has no value for it."""
    looked_up = pd.Series(areas).map(lambda a: codes.get(int(a), int(a)))
    return looked_up.map(footprint).astype(float)


def ratio_by_region(num: pd.DataFrame, den: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """sum(num.value) / sum(den.value) by keys over the areas present in both. Returns keys + value."""
    common = num.merge(den, on=keys + ["area"], suffixes=("_n", "_d"))
    common = common[common["value_d"] > 0]
    g = common.groupby(keys)[["value_n", "value_d"]].sum()
    return (g["value_n"] / g["value_d"]).rename("value").reset_index()


def weighted_by_region(per_t: pd.DataFrame, prod: pd.DataFrame, keys: list[str],
                       fallback: pd.Series | None = None) -> pd.DataFrame:
    """Production-weighted mean of country intensities (per_t: area, commodity[, ...], value).

    Countries producing but without an intensity use `fallback[commodity]` (e.g. a global average)
    when given, else are left out. Returns keys + value.
    """
    on = [k for k in per_t.columns if k not in ("value",)]
    m = prod.merge(per_t, on=on, how="left", suffixes=("_q", ""))
    if fallback is not None:
        m["value"] = m["value"].fillna(m["commodity"].map(fallback))
    m = m.dropna(subset=["value"])
    m = m[m["value_q"] > 0]
    m["vq"] = m["value"] * m["value_q"]
    g = m.groupby(keys)[["vq", "value_q"]].sum()
    return (g["vq"] / g["value_q"]).rename("value").reset_index()


def n2o_from_nitrogen(nitrogen: pd.DataFrame) -> pd.DataFrame:
    """Direct N2O (kg N2O per t) from synthetic N (kg N per t): N * EF1 * 44/28, with the flooded-rice
    EF1 for rice (petra.emission_factors)."""
    out = nitrogen.copy()
    rice = out["commodity"].map(ef.is_flooded_rice).to_numpy(dtype=bool)
    out["value"] = out["value"] * np.where(rice, ef.EF1_FLOODED_RICE, ef.EF1) * ef.N2O_PER_N2O_N
    return out


def rice_ch4(land: pd.DataFrame) -> pd.DataFrame:
    """Rice CH4 (kg CH4 per t) from the land intensity (ha harvested per t): IPCC Tier 1
    ``EF_baseline * days * ha/t`` with scaling factors 1 (petra.emission_factors)."""
    out = land.copy()
    out["value"] = out["value"] * ef.RICE_CH4_EF_BASELINE * ef.RICE_SEASON_DAYS
    return out


def complete(values: pd.DataFrame, regions: list[str], commodities: list[str], periods: list[int],
             indicator: str, source: str, missing_reason) -> pd.DataFrame:
    """Full region x commodity x period grid for one indicator; gaps get an empty value + reason.

    values: region, commodity, period, value. missing_reason(commodity, period) -> str.
    """
    idx = pd.MultiIndex.from_product([regions, commodities, periods], names=["region", "commodity", "period"])
    v = values.set_index(["region", "commodity", "period"])["value"] if len(values) else pd.Series(
        dtype=float, index=pd.MultiIndex.from_arrays([[], [], []], names=idx.names))
    full = v.reindex(idx).rename("value").reset_index()
    full["indicator"] = indicator
    full["unit"] = UNITS[indicator]
    ok = full["value"].notna() & np.isfinite(full["value"])
    full["source"] = np.where(ok, source, [missing_reason(c, p) for c, p in
                                           zip(full["commodity"], full["period"], strict=True)])
    full.loc[~ok, "value"] = np.nan
    return full[["region", "commodity", "period", "indicator", "value", "unit", "source"]]


def gas_total(parts: list[pd.DataFrame], indicator: str, missing_reason) -> pd.DataFrame:
    """A gas total (e.g. ``ch4``) as the sum of its sources' `complete` frames (same grid and unit):
    missing (empty value + `missing_reason(commodity, period)`) where any source is."""
    keys = ["region", "commodity", "period"]
    vals = pd.concat([p.set_index(keys)["value"] for p in parts], axis=1)
    total = vals.sum(axis=1, min_count=len(parts)).where(vals.notna().all(axis=1))
    full = total.rename("value").reset_index()
    names = " + ".join(p["indicator"].iloc[0] for p in parts)
    ok = full["value"].notna().to_numpy()
    reasons = [missing_reason(c, p) for c, p in zip(full["commodity"], full["period"], strict=True)]
    full = full.assign(indicator=indicator, unit=UNITS[indicator],
                       source=np.where(ok, f"sum: {names}", reasons))
    return full[["region", "commodity", "period", "indicator", "value", "unit", "source"]]
