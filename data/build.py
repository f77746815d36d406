"""Build the embedded default datasets (china9, globiom37) from the raw downloads.

    python -m petra.data.build --sources ../shared/data-sources --out data

Reads only the raw extracts (never copied into the repository) and writes, per region scheme,
a dataset folder (markets, routes, observed years, intensities, regions, commodities, dataset.toml,
BUILD_REPORT.md, ssp_drivers.csv of petra.data.ssp, the projection inputs of
petra.data.projection_inputs) atomically. Country exports above
EXPORT_SCREEN_FACTOR x (production + imports) are scaled down before regions are formed
(screen_country_exports). Quantities kt, prices and costs USD(2010)/t. The base year is BASE_YEAR;
the observed years are every year from it, without a gap, that all MARKET_SOURCES cover (read from
the files), the base year included. See data/PROVENANCE.md.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import tomli_w

from petra.atomic import atomic_output_dir
from petra.data import (
    deforestation_cait,
    feed_requirements,
    freight,
    livestock,
    mirror,
    policy_inputs,
    projection_inputs,
    ssp,
    transport,
)
from petra.data import intensities as inten
from petra.data.commodities import MAPPINGS, load_commodities, load_item_map, split_codes, to_primary
from petra.data.faostat import read_text_csv, read_wide
from petra.data.netviz import read_netviz
from petra.data.regions import SCHEMES, load_area_map, map_areas, read_region_map, region_names
from petra.dataset import AD_VALOREM_BASIS, load_dataset
from petra.emission_factors import (
    MANURE_TEMPERATURE_CLASS,
    NON_RICE_CROP_CH4,
    RICE_SEASON_DAYS,
    is_flooded_rice,
    manure_ch4_factors,
)
from petra.errors import InputError

BASE_YEAR = 2010
"""Year of markets.csv and routes.csv; also the first observed year (the observed files include it)."""
LIVESTOCK = {"bovine_meat", "pig_meat", "poultry_meat", "sheep_meat", "dairy"}
US = 231
FLOAT_FORMAT = "%.12g"
"""CSV number format of quantities, prices and costs (12 significant digits keep balances exact)."""
INTENSITY_FLOAT_FORMAT = "%.7g"
"""CSV number format of intensities (ratios of source data with 2-5 significant digits; 7 are plenty)."""
RATE_FLOAT_FORMAT = "%.6g"
"""CSV number format of income elasticities and ad valorem rates (sources give 2-9 digits; routes.csv
holds the tariffs themselves at FLOAT_FORMAT)."""
COMPRESS_ABOVE_BYTES = 5_000_000
"""A built table larger than this (bytes of CSV) is shipped gzip-compressed (country-level datasets;
china9's and globiom37's tables are all smaller and stay plain)."""

# Sources a complete market year needs (production, prices, trade): observed years are the years
# every one of them covers. Keys name the sources in dataset.toml [provenance.years].
MARKET_SOURCES = {
    "trade": "faostat-tm-netviz items: FAOSTAT Detailed Trade Matrix export quantities",
    "production_value": "gcamfaostat GCAMFAOSTAT_ProdPrice: FAOSTAT QCL production and value of production",
    "sugar_production": "agrifoodpy-data FAOSTAT.nc: FAOSTAT Food Balance Sheets sugar production",
    "deflator": "gcamfaostat FAO_GDP_Deflators: FAOSTAT GDP deflator, USA",
}
# Sources of intensities only: a year they lack becomes a known-missing intensity, not a missing year.
INTENSITY_SOURCES = {
    "area_harvested": "gcamdata-fao-raw FAO_ag_HA_ha_PRODSTAT: FAOSTAT QCL area harvested (land)",
    "water_footprint": "water-footprint-mekonnen-hoekstra: static 1996-2005 footprints, weighted by the "
                       "year's production (water_green, water_blue)",
    "nitrogen": "fertilizer-by-crop-ifa: IFA 2007/08 N by crop, applied to the base year only "
                "(nitrogen, n2o)",
    "animal_stock": "gcamfaostat GCAMFAOSTAT_AnimalStock: FAOSTAT QCL livestock numbers "
                    "(ch4_enteric, ch4_manure)",
}
# Default inputs of the embodied post-processor (feed.csv, deforestation.csv).
EMBODIED_SOURCES = {
    "feed": "agrifoodpy-data FAOSTAT.nc: FAOSTAT food balances feed, processing, production "
            f"{feed_requirements.FEED_YEARS[0]}-{feed_requirements.FEED_YEARS[-1]}; faostat-tm-netviz "
            "cake trade (feed.csv, petra.data.feed_requirements)",
    "deforestation": "lucf-emissions-cait CO2_emissions_by_sector_CAIT_2021: net LUCF CO2, positive part of "
                     f"the {deforestation_cait.WINDOW}-year trailing mean (deforestation.csv, "
                     "petra.data.deforestation_cait)",
}
PRICE_OBSERVED = ""
PRICE_FILLED = "FILLED: world average producer unit value"
PRICE_MISSING = "MISSING: no producer unit value in any country for the commodity-year"

IFA_UNITS = {"China": [41], "India": [100], "USA": [231], "Brazil": [21], "Pakistan": [165],
             "Indonesia": [101], "Canada": [33], "Vietnam": [237], "Turkey": [223], "Australia": [10],
             "Malaysia": [131], "Iran": [102], "Thailand": [216], "Bangladesh": [16], "Russia": [185],
             "Mexico": [138], "Egypt": [59], "Argentina": [9], "South Africa": [202], "Philippines": [171],
             "Chile": [40], "Morocco": [143],
             # EU-27 as of 2007/08: today's EU27 without Croatia, plus the United Kingdom.
             "EU-27": [11, 255, 256, 27, 50, 167, 54, 63, 67, 68, 79, 84, 97, 104, 106, 119, 126, 134, 150,
                       173, 174, 183, 199, 198, 203, 210, 229]}
IFA_ITEMS = {"Wheat": [15], "Rice": [27], "Maize": [56], "Soybean": [236], "SugarCrops": [156, 157, 161],
             "OtherCoarseGrains": [44, 83, 75, 71, 79, 97, 89, 103, 108, 92, 94, 101],
             # gcamfaostat FAO_ag_items_PRODSTAT column IFA_commodity = OtherOilSeeds (rapeseed is 270)
             "OtherOilSeeds": [242, 296, 333, 292, 339, 260, 270, 280, 289, 267]}


# ----------------------------------------------------------------------------------------- reading
def read_sources(src: Path) -> dict:
    """All raw inputs as long frames (country level, FAO area codes), every year each source holds."""
    items = load_item_map()
    parts = []
    for item in items["trade_item"]:
        f = read_netviz(src / "faostat-tm-netviz" / "items" / f"{item}.csv.gz")
        parts.append(f)
    trade = to_primary(pd.concat(parts, ignore_index=True), items, item_col="item", qty_col="quantity")
    pv = read_wide(src / "gcamfaostat" / "GCAMFAOSTAT_ProdPrice.csv.gz")
    ha = read_wide(src / "gcamdata-fao-raw" / "FAO_ag_HA_ha_PRODSTAT.csv")
    prod_old = read_wide(src / "gcamdata-fao-raw" / "FAO_ag_Prod_t_PRODSTAT.csv", years=[2007, 2008])
    defl = read_wide(src / "gcamfaostat" / "FAO_GDP_Deflators.csv")
    defl = defl[defl["area"] == US].set_index("year")["value"]
    water = read_text_csv(src / "water-footprint-mekonnen-hoekstra" / "water_data.csv")
    water = pd.DataFrame({"area": pd.to_numeric(water["FAO.code"], errors="coerce"),
                          "product": water["Product"].str.strip(), "water": water["Water"].str.strip(),
                          "value": pd.to_numeric(water["Value"], errors="coerce")}).dropna()
    water["area"] = water["area"].astype(int)
    conc = read_text_csv(src / "water-footprint-mekonnen-hoekstra" / "regions_concordance_water.csv")
    water_codes = inten.water_code_map(conc["Area.Code"], conc["Code_water"])
    ifa = pd.read_csv(src / "fertilizer-by-crop-ifa" / "IFA_Fert_ktN.csv", comment="#")
    stock = read_wide(src / "gcamfaostat" / "GCAMFAOSTAT_AnimalStock.csv.gz", unit=True)
    (sugar_item,) = [int(i) for i in load_commodities()["fbs_item"] if i]  # FBS 2542 sugar (raw eq.)
    return {"trade": trade, "pv": pv, "ha": ha, "prod_old": prod_old, "deflator": defl, "water": water,
            "water_codes": water_codes, "ifa": ifa, "stock": stock, "fbs_sugar": read_fbs(src, sugar_item),
            "freight": freight.read_usda_rates(src),
            "policy": policy_inputs.read_policy_sources(src), **read_embodied_sources(src)}


def read_embodied_sources(src: Path) -> dict:
    """Raw inputs of the embodied default files: FBS feed use, oilseed cake trade, CAIT LUCF CO2."""
    fr = feed_requirements
    cake = pd.concat([read_netviz(src / "faostat-tm-netviz" / "items" / f"{i}.csv.gz")
                      for i in fr.CAKE_TRADE_ITEMS.values()], ignore_index=True)
    cait = deforestation_cait.read_cait(src / "lucf-emissions-cait" / deforestation_cait.CAIT_FILE)
    return {"feed_fbs": fr.read_fbs_elements(src / "agrifoodpy-data" / "FAOSTAT.nc"),
            "cake_net_imports": fr.cake_net_imports(cake),
            "lucf": deforestation_cait.with_fao_codes(cait)}


def read_fbs(src: Path, item: int) -> pd.DataFrame:
    """FAOSTAT food balance production of one FBS item, every year: area, year, value (t)."""
    import xarray as xr  # optional dependency, only needed for the build

    with xr.open_dataset(src / "agrifoodpy-data" / "FAOSTAT.nc", engine="h5netcdf") as ds:
        da = ds["production"].sel(Item=item).load()
    df = da.to_dataframe(name="value").reset_index()[["Region", "Year", "value"]]
    df.columns = ["area", "year", "value"]
    df["value"] = df["value"] * 1000.0
    return df.dropna().reset_index(drop=True)


# ------------------------------------------------------------------------------------------- years
def source_years(raw: dict) -> dict[str, list[int]]:
    """Years with data in each market source and in the area harvested extract (sorted)."""
    pv = raw["pv"]
    has_both = pv.groupby("year")["element"].agg(lambda e: {"Production", "Prod_Value"} <= set(e))
    return {"trade": sorted(int(y) for y in raw["trade"]["year"].unique()),
            "production_value": sorted(int(y) for y in has_both.index[has_both]),
            "sugar_production": sorted(int(y) for y in raw["fbs_sugar"]["year"].unique()),
            "deflator": sorted(int(y) for y in raw["deflator"].dropna().index),
            "area_harvested": sorted(int(y) for y in raw["ha"]["year"].unique()),
            "animal_stock": sorted(int(y) for y in raw["stock"]["year"].unique())}


def observed_years(coverage: dict[str, list[int]], first: int = BASE_YEAR) -> list[int]:
    """The continuous run of years from `first` that every market source covers (stops at a gap)."""
    common = set.intersection(*(set(coverage[k]) for k in MARKET_SOURCES))
    if first not in common:
        lacking = [k for k in MARKET_SOURCES if first not in coverage[k]]
        raise InputError(f"year {first} is not covered by {', '.join(lacking)}", file="data-sources")
    years = [first]
    while years[-1] + 1 in common:
        years.append(years[-1] + 1)
    return years


def limiting_sources(coverage: dict[str, list[int]], years: list[int]) -> list[str]:
    """Market sources lacking the year after the last observed year (why the range stops)."""
    after = years[-1] + 1
    return [k for k in MARKET_SOURCES if after not in coverage[k]]


def supplied_years(coverage: dict[str, list[int]], years: list[int]) -> dict[str, list[int]]:
    """Per source, the observed years whose values it supplied (dataset.toml [provenance.years])."""
    out = {k: [y for y in years if y in coverage[k]] for k in MARKET_SOURCES}
    out["area_harvested"] = [y for y in years if y in coverage["area_harvested"]]
    out["water_footprint"] = list(years)
    out["nitrogen"] = [BASE_YEAR]
    out["animal_stock"] = [y for y in years if y in coverage["animal_stock"]]
    return out


def year_span(years) -> str:
    """Sorted years as runs: [2010, 2011, 2012, 2015] -> '2010-2012, 2015'; [] -> 'none'."""
    ys = sorted(int(y) for y in years)
    runs: list[list[int]] = []
    for y in ys:
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs) or "none"


def restrict_years(raw: dict, years: list[int]) -> dict:
    """The raw frames cut to the observed years (the deflator keeps every year: freight is deflated
    from its own price year)."""
    out = dict(raw)
    for key in ("trade", "pv", "ha", "fbs_sugar", "stock"):
        out[key] = raw[key][raw[key]["year"].isin(years)].reset_index(drop=True)
    return out


# ------------------------------------------------------------------------------ country-level tables
def country_tables(raw: dict, commodities: pd.DataFrame) -> dict:
    """Per country, commodity and year: production (t, commodity unit), value (current USD),
    price quantity (t with a value), crop production by raw item (t) and harvested area (ha)."""
    pv = raw["pv"]
    prod_rows, val_rows, crop_rows, area_rows = [], [], [], []
    for c in commodities.itertuples():
        items = split_codes(c.production_items)
        sel = pv[pv["item_code"].isin(items)]
        q = sel[sel["element"] == "Production"].groupby(["area", "year"])["value"].sum()
        v = sel[sel["element"] == "Prod_Value"].groupby(["area", "year"])["value"].sum()
        if c.fbs_item:
            q = raw["fbs_sugar"].groupby(["area", "year"])["value"].sum()
        else:
            q = q * float(c.production_factor)
        prod_rows.append(q.rename("value").reset_index().assign(commodity=c.commodity))
        val_rows.append(pd.concat([v.rename("value"), q.rename("qty")], axis=1).dropna().reset_index()
                        .assign(commodity=c.commodity))
        crop = sel[sel["element"] == "Production"][["area", "year", "item_code", "value"]]
        crop_rows.append(crop.assign(commodity=c.commodity))
        if c.area_items:
            a = raw["ha"][raw["ha"]["item_code"].isin(split_codes(c.area_items))]
            area_rows.append(a.groupby(["area", "year"])["value"].sum().reset_index()
                             .assign(commodity=c.commodity))
    return {"production": pd.concat(prod_rows, ignore_index=True),
            "value": pd.concat(val_rows, ignore_index=True),
            "crop": pd.concat(crop_rows, ignore_index=True),
            "area": pd.concat(area_rows, ignore_index=True)}


def with_region(df: pd.DataFrame, scheme: str, amap: pd.DataFrame, unmapped: set[int],
                col: str = "area") -> pd.DataFrame:
    out, missing = map_areas(df.rename(columns={col: "_code"}).assign(region=lambda d: d["_code"]),
                             ["region"], scheme, amap, unmapped="list")
    unmapped.update(missing)
    return out.rename(columns={"_code": col})


# ------------------------------------------------------------------- country-level export screen
EXPORT_SCREEN_FACTOR = 1.5
"""A country's exports of a commodity-year may be at most this multiple of its production + imports
(country level, same year): the margin covers stock draws, re-exports out of stock and reporting noise;
records beyond it are mis-scaled (e.g. kg reported as t) or re-export goods that no reporter records as
shipped to the country. See screen_country_exports."""
MAX_SCREEN_PASSES = 30
"""Rounds of the export screen (a cut lowers the partners' imports, which may need a cut in turn; two
countries trading with each other converge geometrically: 6 rounds in 2010-2020)."""
SCREEN_TOLERANCE = 1e-9
"""Relative excess over the bound that counts as a breach (round-off of a previous cut is not one)."""
SCREEN_KEY = ["exporter", "commodity", "year"]


def screen_country_exports(flows: pd.DataFrame, production: pd.DataFrame,
                           factor: float = EXPORT_SCREEN_FACTOR
                           ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Cap each country's exports of a commodity-year at `factor` x (production + imports).

    flows: exporter, importer, commodity, year, quantity (country codes, t primary equivalent; imports
    of a country are the quantities of the rows naming it as importer). production: area, commodity,
    year, value (t, the commodity's unit, as country_tables). Where a country's exports exceed the bound,
    all its flows of that commodity-year are scaled by bound / exports (partners in proportion); the
    check repeats on the cut flows (a cut lowers the partners' imports) for up to MAX_SCREEN_PASSES rounds.

    A country with no production row for the commodity in any year of `production` is not screened
    (production unknown, e.g. countries absent from the production extract such as Uganda, not zero);
    a year missing from a country's known series counts as production 0.

    Returns (screened flows, cases, unscreened). cases: one row per capped country-commodity-year:
    exporter, commodity, year, exports (t, before the screen), production, imports (t, when capped),
    bound (t) and scale (exports after / before). unscreened: the same columns (scale NaN) for the
    country-commodity-years above the bound in the input that were not screened for lack of production.
    """
    flows = flows.copy()
    qty = flows["quantity"].astype(float)
    prod = production.groupby(["area", "commodity", "year"])["value"].sum()
    prod.index.names = SCREEN_KEY
    known = set(zip(production["area"], production["commodity"], strict=True))
    cols = SCREEN_KEY + ["exports", "production", "imports", "bound", "scale"]
    before = None
    cases: dict[tuple, dict] = {}
    unscreened = pd.DataFrame(columns=cols)
    for _ in range(MAX_SCREEN_PASSES):
        exp = qty.groupby([flows[k] for k in SCREEN_KEY]).sum().rename("exports")
        imp = qty.groupby([flows["importer"], flows["commodity"], flows["year"]]).sum()
        imp.index.names = SCREEN_KEY
        t = exp.to_frame()
        t["production"] = prod.reindex(t.index).fillna(0.0)
        t["imports"] = imp.reindex(t.index).fillna(0.0)
        t["bound"] = factor * (t["production"] + t["imports"])
        over = t["exports"] > t["bound"] * (1 + SCREEN_TOLERANCE)
        has_prod = np.array([(e, c) in known for e, c, _ in t.index], dtype=bool)
        if before is None:
            before = exp
            unscreened = t[over & ~has_prod].assign(scale=np.nan).reset_index()[cols]
        cut = t[over & has_prod]
        if cut.empty:
            rows = [dict(zip(SCREEN_KEY, k, strict=True)) | v for k, v in cases.items()]
            out = pd.DataFrame(rows, columns=cols)
            return flows.assign(quantity=qty), out.sort_values(SCREEN_KEY).reset_index(drop=True), unscreened
        scale = (cut["bound"] / cut["exports"]).rename("_scale").reset_index()
        factors = flows[SCREEN_KEY].merge(scale, on=SCREEN_KEY, how="left")["_scale"].fillna(1.0)
        qty = qty * factors.to_numpy()
        for key, r in cut.iterrows():
            first = float(before.loc[key])
            cases[key] = {"exports": first, "production": r["production"], "imports": r["imports"],
                          "bound": r["bound"], "scale": r["bound"] / first}
    raise RuntimeError(f"export screen not settled after {MAX_SCREEN_PASSES} rounds of cuts")


# ------------------------------------------------------------------------------------- markets
OUTLIER_FACTOR = 3.0


def screen_unit_values(v: pd.DataFrame, factor: float = OUTLIER_FACTOR) -> pd.DataFrame:
    """Drop country unit values (value/qty) outside [median/factor, median*factor] of all countries'
    unit values for the same commodity and year (gap-filled or mis-scaled values in the source)."""
    v = v[(v["value"] > 0) & (v["qty"] > 0)].copy()
    uv = v["value"] / v["qty"]
    med = uv.groupby([v["commodity"], v["year"]]).transform("median")
    ok = (uv >= med / factor) & (uv <= med * factor)
    return v[ok].reset_index(drop=True)


def to_base_usd(deflator: pd.Series, years) -> np.ndarray:
    """Factor from current USD of each year in `years` to USD(BASE_YEAR), by the US GDP deflator."""
    return (deflator[BASE_YEAR] / deflator.reindex(years)).to_numpy()


MAX_BALANCE_PASSES = 10
"""Rounds of export cuts (a cut lowers the importers' supply, which may need a cut in turn)."""


def market_tables(ct: dict, flows: pd.DataFrame, scheme: str, amap, regions, commodities, deflator,
                  unmapped: set[int], years: list[int]
                  ) -> tuple[pd.DataFrame, pd.DataFrame, list[tuple[int, str]]]:
    """Markets of every year in `years` (kt, USD(2010)/t; price NaN where unobserved) and the
    balanced net flows (kt) with the notes of the balance adjustments."""
    prod = with_region(ct["production"], scheme, amap, unmapped)
    prod = prod.groupby(["region", "commodity", "year"])["value"].sum() / 1000.0
    val = with_region(screen_unit_values(ct["value"]), scheme, amap, unmapped)
    val = val.groupby(["region", "commodity", "year"])[["value", "qty"]].sum()
    price = (val["value"] / val["qty"])
    price = price * to_base_usd(deflator, price.index.get_level_values("year"))
    idx = pd.MultiIndex.from_product([regions, commodities, years], names=["region", "commodity", "year"])
    m = pd.DataFrame({"production": prod.reindex(idx).fillna(0.0), "price": price.reindex(idx)})
    flows, cons, notes = balance_flows(m["production"], flows)
    m["consumption"] = np.where(cons > 1e-9, cons, 0.0)
    flows = flows[flows["flow"] > 0]
    return m.reset_index(), flows, notes


def apparent_consumption(production: pd.Series, flows: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """consumption = production + imports - exports (kt, net flows of the same year) and the exports,
    on production's (region, commodity, year) index; stock changes are out of scope."""
    idx = production.index
    imp = flows.groupby(["importer", "commodity", "year"])["flow"].sum()
    exp = flows.groupby(["exporter", "commodity", "year"])["flow"].sum()
    imp.index.names = exp.index.names = ["region", "commodity", "year"]
    return production + imp.reindex(idx).fillna(0.0) - exp.reindex(idx).fillna(0.0), exp


def balance_flows(production: pd.Series, flows: pd.DataFrame
                  ) -> tuple[pd.DataFrame, pd.Series, list[tuple[int, str]]]:
    """Scale down the outgoing net flows of markets whose net exports exceed production + imports
    (re-exports, stock draws) until no apparent consumption is negative.

    Returns the flows (kt), the apparent consumption (kt, may hold round-off below 1e-9) and one
    (year, text) note per adjustment. Raises if MAX_BALANCE_PASSES rounds do not balance every market.
    """
    flows = flows.copy()
    notes = []
    for _ in range(MAX_BALANCE_PASSES):
        cons, exp = apparent_consumption(production, flows)
        short = cons[cons < -1e-9]
        if short.empty:
            return flows, cons, notes
        for (r, c, y), gap in short.items():
            out_total = exp.loc[(r, c, y)]
            # exports cut so that consumption = 0; a region producing nothing keeps no exports at all
            scale = (out_total + gap) / out_total if production.loc[(r, c, y)] > 0 else 0.0
            sel = (flows["exporter"] == r) & (flows["commodity"] == c) & (flows["year"] == y)
            flows.loc[sel, "flow"] *= max(scale, 0.0)
            notes.append((y, f"{r} {c} {y}: net exports {out_total:.1f} kt exceeded production + imports by "
                             f"{-gap:.1f} kt; its outgoing net flows scaled by {max(scale, 0):.4f}"))
    raise RuntimeError(f"market balance not reached after {MAX_BALANCE_PASSES} rounds of export cuts")


def world_unit_values(ct_value: pd.DataFrame, deflator) -> pd.Series:
    """World average producer unit value per (commodity, year), USD(2010)/t: screened value of
    production / production over all countries."""
    wv = screen_unit_values(ct_value).groupby(["commodity", "year"])[["value", "qty"]].sum()
    return (wv["value"] / wv["qty"]) * to_base_usd(deflator, wv.index.get_level_values("year"))


def fill_prices(m: pd.DataFrame, ct_value: pd.DataFrame, deflator) -> pd.DataFrame:
    """Markets of every year without an observed price get the world average producer unit value of
    the commodity-year. Adds `price_basis`: PRICE_OBSERVED, PRICE_FILLED, or PRICE_MISSING (price left
    NaN) where the commodity-year has no world value either."""
    world = world_unit_values(ct_value, deflator)
    m = m.copy()
    m["price_basis"] = PRICE_OBSERVED
    miss = m["price"].isna()
    m.loc[miss, "price"] = [world.get((c, y), np.nan) for c, y in
                            zip(m.loc[miss, "commodity"], m.loc[miss, "year"], strict=True)]
    m.loc[miss, "price_basis"] = np.where(m.loc[miss, "price"].notna(), PRICE_FILLED, PRICE_MISSING)
    return m


# --------------------------------------------------------------------------------- intensities
def intensity_table(raw, ct, scheme, amap, regions, commodities, unmapped, years: list[int],
                    area_last_year: int) -> pd.DataFrame:
    """Intensities of every region x commodity x year in `years` (units: intensities.UNITS); a gap is
    an empty value with its reason. `area_last_year`: last year of the area harvested extract."""
    com = load_commodities()
    crops = [c for c in commodities if c not in LIVESTOCK]
    keys = ["region", "commodity", "year"]
    prod = with_region(ct["production"], scheme, amap, unmapped)
    out = []

    # land: harvested area / production
    area = with_region(ct["area"], scheme, amap, unmapped)
    land = inten.ratio_by_region(area[["area"] + keys + ["value"]], prod[["area"] + keys + ["value"]], keys)
    land = land[land["value"] > 0]  # production without harvested area: inconsistent, left missing
    out.append(("land", land, "QCL-area/QCL-production",
                lambda c, p: ("missing: livestock land (no source)" if c in LIVESTOCK else
                              f"missing: area harvested extract ends {area_last_year}")))

    # water: M&H national footprints (m3/t crop) x crop production / commodity production
    w = raw["water"]
    crop = with_region(ct["crop"], scheme, amap, unmapped)
    for kind in ("green", "blue"):
        vols = []
        for c in com.itertuples():
            if not c.water_products:
                continue
            for item, product in zip(split_codes(c.production_items) if c.fbs_item else
                                     split_codes(c.area_items), c.water_products.split(";"), strict=True):
                wf = w[(w["product"] == product) & (w["water"] == kind)].set_index("area")["value"]
                if kind == "green":  # a zero green footprint means "not grown in 1996-2005": no data
                    wf = wf[wf > 0]
                glob = wf.get(inten.WATER_GLOBAL_CODE, np.nan)
                cr = crop[(crop["commodity"] == c.commodity) & (crop["item_code"] == item)]
                per_t = inten.water_per_tonne(cr["area"], wf, raw["water_codes"])
                v = cr["value"].to_numpy() * per_t.fillna(glob).to_numpy()
                vols.append(cr[["area"] + keys].assign(value=v))
        vol = pd.concat(vols, ignore_index=True).groupby(["area"] + keys, as_index=False)["value"].sum()
        wv = inten.ratio_by_region(vol, prod[["area"] + keys + ["value"]], keys)
        out.append((f"water_{kind}", wv, "MH2011 x year production",
                    lambda c, p: "missing: livestock water (no source)"))

    # nitrogen: IFA 2007/08 N per t of 2007/08 production, applied to base-year production
    nit = nitrogen_per_country(raw)
    nvol = crop[crop["year"] == BASE_YEAR].merge(nit, on=["area", "item_code"])
    nvol = nvol.assign(value=nvol["value"] * nvol["kg_per_t"])
    nvol = nvol.groupby(["area"] + keys, as_index=False)["value"].sum()
    nv = inten.ratio_by_region(nvol, prod[["area"] + keys + ["value"]], keys)
    nv = nv[nv["commodity"].isin(crops)]
    def n_reason(c, p):
        if c in LIVESTOCK:
            return "missing: livestock N (no source)"
        return f"missing: IFA 2007/08 applied to {BASE_YEAR} only"
    src_n = f"IFA2009 x {BASE_YEAR} production"
    out.append(("nitrogen", nv, src_n, n_reason))
    out.append(("n2o", inten.n2o_from_nitrogen(nv), "IFA2009 x IPCC EF1 (rice: flooded, 2019) x 44/28",
                n_reason))
    # crop CH4: IPCC has a CH4 source for flooded rice only; other crops emit none (0, not missing)
    no_ch4 = [c for c in crops if not is_flooded_rice(c)]
    zero = pd.DataFrame([(r, c, y, NON_RICE_CROP_CH4) for r in regions for c in no_ch4 for y in years],
                        columns=["region", "commodity", "year", "value"])
    rice_c = [c for c in commodities if is_flooded_rice(c)]
    out.append(("ch4", zero, "IPCC: no crop CH4 but rice", lambda c, p: "missing: no crop CH4 value", no_ch4))
    rice = inten.rice_ch4(land[land["commodity"].isin(rice_c)])
    out.append(("ch4", rice, f"IPCC2019 T5.11 x {RICE_SEASON_DAYS} d x QCL-area/QCL-production",
                lambda c, p: f"missing: rice CH4 needs land (area harvested extract ends {area_last_year})",
                rice_c))
    frames = []
    for ind, vals, src, reason, *only in out:
        v = vals.rename(columns={"year": "period"})[["region", "commodity", "period", "value"]]
        frames.append(inten.complete(v, regions, only[0] if only else commodities, years, ind, src, reason))
    # livestock CH4 (IPCC 2006 Tier 1 per head x FAOSTAT animal numbers): enteric, manure and their sum
    heads = livestock.head_counts(raw["stock"])
    ipcc = livestock.ipcc_regions(amap)
    stock_c = [c for c in commodities if c in LIVESTOCK]
    no_heads = lambda c, p: "missing: no animal numbers or production"  # noqa: E731
    gas = []
    for ind, kg_by_area, src in (
            ("ch4_enteric", livestock.enteric_ch4(heads, ipcc), "IPCC2006 T10.10-11 x FAOSTAT heads"),
            ("ch4_manure", livestock.manure_ch4(heads, ipcc, manure_ch4_factors()),
             f"IPCC2006 T10.14-15 ({MANURE_TEMPERATURE_CLASS}) x FAOSTAT heads")):
        kg = with_region(kg_by_area, scheme, amap, unmapped)
        v = inten.ratio_by_region(kg[["area"] + keys + ["value"]], prod[["area"] + keys + ["value"]], keys)
        v = v.rename(columns={"year": "period"})[["region", "commodity", "period", "value"]]
        gas.append(inten.complete(v, regions, stock_c, years, ind, src, no_heads))
    frames += [*gas, inten.gas_total(gas, "ch4", no_heads)]
    return pd.concat(frames, ignore_index=True)


def embodied_defaults(raw: dict, scheme: str, amap, regions: list[str], years: list[int]
                      ) -> dict[str, pd.DataFrame]:
    """The embodied post-processor's default inputs by file name: feed.csv (feed requirements),
    deforestation.csv (CAIT deforestation CO2 per region and year, up to CAIT's last year). The areas
    whose changes share the emissions are production x land of the observed years and periods."""
    unmapped: set[int] = set()  # FBS/CAIT areas outside the maps: reported by neither (no trade of theirs)
    to_region = lambda d: with_region(d, scheme, amap, unmapped)  # noqa: E731
    feed = feed_requirements.feed_table(raw["feed_fbs"], raw["cake_net_imports"],
                                        feed_requirements.bean_equivalents(load_item_map()), to_region)
    defor = to_region(deforestation_cait.deforestation_by_country(raw["lucf"]))
    cait_years = sorted(int(y) for y in raw["lucf"]["year"].unique())
    defor_years = [y for y in range(min(years), max(cait_years) + 1)]
    return {"feed.csv": feed,
            "deforestation.csv": deforestation_cait.deforestation_table(defor, regions, defor_years)}


def nitrogen_per_country(raw: dict) -> pd.DataFrame:
    """kg N per t of crop item for every area: IFA unit N (kt) / unit production 2007-08 (t)."""
    ifa = raw["ifa"].set_index("Country")
    po = raw["prod_old"]
    po = po[po["element"].str.lower().str.startswith("production")]
    avg = po.groupby(["area", "item_code"])["value"].mean().reset_index()
    listed = {a for codes in IFA_UNITS.values() for a in codes}
    rows = []
    for crop, items in IFA_ITEMS.items():
        sub = avg[avg["item_code"].isin(items)]
        for unit, codes in [*IFA_UNITS.items(), ("Rest of world", None)]:
            mask = sub["area"].isin(codes) if codes else ~sub["area"].isin(listed) & (sub["area"] < 5000)
            total = sub.loc[mask, "value"].sum()
            if total <= 0 or unit not in ifa.index:
                continue
            kg_t = ifa.loc[unit, crop] * 1e6 / total
            for a, i in zip(sub.loc[mask, "area"], sub.loc[mask, "item_code"], strict=True):
                rows.append((a, i, kg_t))
    return pd.DataFrame(rows, columns=["area", "item_code", "kg_per_t"])


# --------------------------------------------------------------------------------- orchestration
@dataclass(frozen=True)
class YearCoverage:
    """Years each source holds (`available`, from reading the files) and the observed years built."""

    available: dict[str, list[int]]
    observed: list[int]

    @property
    def supplied(self) -> dict[str, list[int]]:
        return supplied_years(self.available, self.observed)

    @property
    def limited_by(self) -> list[str]:
        return limiting_sources(self.available, self.observed)


def year_coverage(raw: dict) -> YearCoverage:
    available = source_years(raw)
    return YearCoverage(available=available, observed=observed_years(available))


def build_scheme(raw: dict, ct: dict, scheme: str, out_dir: Path, cov: YearCoverage,
                 region_map: Path | None = None, ssp_countries: dict | None = None,
                 projection: projection_inputs.CountryInputs | None = None) -> dict:
    """Build and write one dataset folder (atomically, validated by load_dataset first): a shipped
    scheme, or the scheme named `scheme` that the region map CSV `region_map` defines; with
    `ssp_countries` (petra.data.ssp.read_countries) also its ssp_drivers.csv, with `projection`
    (petra.data.projection_inputs.country_inputs) also the projection inputs (uses.csv, ...)."""
    amap = load_area_map()
    if region_map is not None:
        amap[scheme], rnames = read_region_map(region_map, amap)
    else:
        rnames = region_names(scheme)
    com = load_commodities()
    commodities = list(com["commodity"])
    regions = list(rnames["region"])
    unmapped: set[int] = set()

    # trade: reconcile (country level), screen implausible exports, map to regions, net, kt
    rec = mirror.reconcile(raw["trade"])
    rec, screened, unscreened = screen_country_exports(rec, ct["production"])
    rec_r, miss = map_areas(rec, ["exporter", "importer"], scheme, amap, unmapped="list")
    unmapped.update(miss)
    gross_net = mirror.gross_net_report(rec_r)
    net = mirror.net_flows(rec_r)
    net["flow"] = net["flow"] / 1000.0

    m, flows, notes = market_tables(ct, net, scheme, amap, regions, commodities, raw["deflator"], unmapped,
                                    cov.observed)
    m = fill_prices(m, ct["value"], raw["deflator"])
    markets = base_markets(m)
    centroids = region_centroids(ct, scheme, amap, unmapped, regions)
    fm = freight.FreightModel(raw["freight"], freight.load_ports(), raw["deflator"], BASE_YEAR)
    ports_of = freight.region_ports(scheme, centroids)
    costs = fm.route_costs(centroids, ports_of)
    routes = route_table(flows, costs, regions, commodities)
    pol = policy_inputs.build_policy_inputs(
        raw["policy"], ct, rec, scheme, amap, markets, routes,
        world_unit_values(ct["value"], raw["deflator"]).xs(BASE_YEAR, level="year"),
        float(raw["deflator"][BASE_YEAR] / raw["deflator"][policy_inputs.tariffs.US_YEAR]), BASE_YEAR)
    markets, routes = pol.markets, pol.routes
    obs_markets = m[["year", "region", "commodity", "production", "consumption", "price", "price_basis"]]
    obs_flows = flows[["year", "exporter", "importer", "commodity", "flow"]]
    ints = intensity_table(raw, ct, scheme, amap, regions, commodities, unmapped, cov.observed,
                           cov.available["area_harvested"][-1])
    fills = m.loc[m["price_basis"] == PRICE_FILLED, ["region", "commodity", "year", "price_basis"]]
    no_price = m.loc[m["price_basis"] == PRICE_MISSING, ["region", "commodity", "year"]]
    embodied_inputs = embodied_defaults(raw, scheme, amap, regions, cov.observed)
    with atomic_output_dir(out_dir, "build") as tmp:
        for name, frame in embodied_inputs.items():
            frame.to_csv(tmp / name, index=False, float_format=INTENSITY_FLOAT_FORMAT)
        markets.to_csv(tmp / "markets.csv", index=False, float_format=FLOAT_FORMAT)
        routes.to_csv(tmp / "routes.csv", index=False, float_format=FLOAT_FORMAT)
        rnames.to_csv(tmp / "regions.csv", index=False)
        com[["commodity", "name", "unit"]].to_csv(tmp / "commodities.csv", index=False)
        obs_markets.to_csv(tmp / "observed_markets.csv", index=False, float_format=FLOAT_FORMAT)
        obs_flows.to_csv(tmp / "observed_flows.csv", index=False, float_format=FLOAT_FORMAT)
        ints.to_csv(tmp / "intensities.csv", index=False, float_format=INTENSITY_FLOAT_FORMAT)
        fills.to_csv(tmp / "price_fills.csv", index=False)
        pol.income.to_csv(tmp / "income_elasticities.csv", index=False, float_format=RATE_FLOAT_FORMAT)
        pol.tariff_sources.to_csv(tmp / "tariff_sources.csv", index=False, float_format=RATE_FLOAT_FORMAT)
        pol.schedules.to_csv(tmp / "tariff_schedules.csv", index=False, float_format=RATE_FLOAT_FORMAT)
        meta = dataset_metadata(scheme, fm, cov)
        meta["provenance"]["tariff_sources"] = policy_inputs.tariffs.SOURCE_CODES
        (tmp / "dataset.toml").write_text(tomli_w.dumps(meta), encoding="utf-8")
        write_report(tmp / "BUILD_REPORT.md", scheme, markets, routes, gross_net, notes, unmapped,
                     freight.report_lines(fm, costs, ports_of), fills, no_price, centroids, cov, obs_flows,
                     screen_names(screened, amap), screen_names(unscreened, amap), pol.report)
        if ssp_countries is not None:
            ssp.build_into(tmp, scheme, ssp_countries, amap, regions)
        if projection is not None:
            projection_inputs.build_into(tmp, projection, scheme, amap)
        compress_large_tables(tmp)
        load_dataset(tmp)  # validate before it replaces the shipped folder
    return {"markets": markets, "routes": routes, "notes": notes, "unmapped": sorted(unmapped),
            "fills": fills, "no_price": no_price, "screened": screen_names(screened, amap),
            "unscreened": screen_names(unscreened, amap)}


def compress_large_tables(folder: Path, above: int = COMPRESS_ABOVE_BYTES) -> list[str]:
    """gzip every CSV of `folder` larger than `above` bytes into NAME.csv.gz (reproducible: no name or
    time in the header) and remove the plain file; the names compressed. The dataset reader takes either
    form (petra.tables.table_path)."""
    done = []
    for path in sorted(folder.glob("*.csv")):
        if path.stat().st_size <= above:
            continue
        gzip_table(path)
        done.append(path.name)
    return done


def gzip_table(path: Path) -> Path:
    """Replace NAME.csv by NAME.csv.gz (gzip level 9, no name or time in the header: reproducible)."""
    packed = path.with_name(path.name + ".gz")
    with open(path, "rb") as src, open(packed, "wb") as raw, \
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        shutil.copyfileobj(src, gz, 1 << 20)
    path.unlink()
    return packed


def screen_names(cases: pd.DataFrame, amap: pd.DataFrame) -> pd.DataFrame:
    """Export screen cases with the country as 'FAO name (code)' in column `country`."""
    names = amap.drop_duplicates("fao_code").set_index("fao_code")["fao_name"]
    country = [f"{names.get(int(c), '?')} ({int(c)})" for c in cases["exporter"]]
    return cases.assign(country=country)


def base_markets(m: pd.DataFrame) -> pd.DataFrame:
    """markets.csv: the base-year markets with the elasticities of mappings/elasticities.csv."""
    el = pd.read_csv(MAPPINGS / "elasticities.csv").set_index("commodity")
    base = m[m["year"] == BASE_YEAR].copy()
    base["supply_elasticity"] = base["commodity"].map(el["supply_elasticity"])
    base["demand_elasticity"] = base["commodity"].map(el["demand_elasticity"])
    return base[["region", "commodity", "production", "consumption", "price", "supply_elasticity",
                 "demand_elasticity"]]


def region_centroids(ct: dict, scheme: str, amap, unmapped: set[int],
                     regions: list[str] | None = None) -> pd.DataFrame:
    """Region centroids (lat, lon degrees) weighted by the countries' base-year production; a region of
    `regions` that produces none of the commodities (a city state, a small island) gets the plain mean
    of its countries' centroids. InputError naming a region none of whose countries has a centroid."""
    prod = ct["production"]
    prod_base = with_region(prod[prod["year"] == BASE_YEAR], scheme, amap, unmapped)
    cen = pd.read_csv(MAPPINGS / "country_centroids.csv", keep_default_na=False)
    w = prod_base.groupby("area")["value"].sum().rename("weight").reset_index()
    w = w.merge(amap[["fao_code", "iso3"]], left_on="area", right_on="fao_code").merge(cen, on="iso3")
    w = with_region(w, scheme, amap, unmapped)
    w = w[w["weight"] > 0][["region", "lat", "lon", "weight"]]
    rest = [r for r in (regions or []) if r not in set(w["region"])]
    if rest:
        members = amap[amap[scheme].isin(rest)][["iso3", scheme]].merge(cen, on="iso3")
        members = members.rename(columns={scheme: "region"}).drop_duplicates(["region", "iso3"])
        lost = [r for r in rest if r not in set(members["region"])]
        if lost:
            raise InputError(f"region '{lost[0]}' ({len(lost)} such) has no country with a centroid in "
                             "mappings/country_centroids.csv (transport costs need one): merge it into a "
                             "neighbouring region", file=f"region map ({scheme})")
        w = pd.concat([w, members[["region", "lat", "lon"]].assign(weight=1.0)], ignore_index=True)
    return transport.weighted_centroids(w)


def route_table(flows: pd.DataFrame, costs: pd.DataFrame, regions: list[str],
                commodities: list[str]) -> pd.DataFrame:
    """routes.csv: every ordered region pair x commodity, base-year net flow (kt, 0 if none) and the
    transport cost of `costs` (exporter, importer, transport_cost USD(2010)/t: freight.FreightModel);
    tariff 0, expansion parameters empty (no source)."""
    costs = costs[["exporter", "importer", "transport_cost"]]
    grid = pd.DataFrame([(a, b, c) for a in regions for b in regions if a != b for c in commodities],
                        columns=["exporter", "importer", "commodity"])
    routes = grid.merge(costs, on=["exporter", "importer"], how="left")
    base = flows[flows["year"] == BASE_YEAR].drop(columns="year")
    routes = routes.merge(base, on=["exporter", "importer", "commodity"], how="left").fillna({"flow": 0.0})
    routes["tariff"] = 0.0
    routes["expansion_elasticity"] = np.nan
    routes["new_flow_slope"] = np.nan
    return routes[["exporter", "importer", "commodity", "flow", "transport_cost", "tariff",
                   "expansion_elasticity", "new_flow_slope"]]


def dataset_metadata(scheme: str, fm: freight.FreightModel, cov: YearCoverage) -> dict:
    """dataset.toml: title, years, units, sources and per-source year provenance."""
    return {
        "title": f"petra default dataset ({scheme}): FAOSTAT-based base year {BASE_YEAR}",
        "base_year": BASE_YEAR, "region_scheme": scheme, "observed_years": cov.observed,
        "tariff_basis": AD_VALOREM_BASIS,
        "units": {"quantity": "kt (1000 t, primary equivalent)", "price": "USD(2010)/t",
                  "transport_cost": "USD(2010)/t (fitted to USDA ocean freight 2010)",
                  "tariff": "USD(2010)/t: ad valorem equivalent x exporter's base-year price "
                            "(tariff_sources.csv)"},
        "transport": fm.metadata(),
        "sources": ["FAO FAOSTAT Detailed Trade Matrix (exporter-reported quantities, netviz-tools 0.2.0)",
                    "FAO FAOSTAT QCL production and value of production (via JGCRI gcamfaostat)",
                    "FAO FAOSTAT QCL area harvested (via gcamdata_FAO_raw)",
                    "FAO FAOSTAT Food Balance Sheets (sugar, via agrifoodpy-data)",
                    "FAOSTAT GDP deflator (US, via gcamfaostat)",
                    "Mekonnen & Hoekstra (2011) crop water footprints", "IFA / Heffer (2009) N by crop",
                    "USDA AMS grain vessel rates and soybean ocean freight (AgTransport)",
                    "searoute sea distances (Apache-2.0)",
                    "360info country centroids (CC BY 4.0)",
                    "IFPRI IMPACT 3 elasticities and import tax wedges (Robinson et al. 2015)",
                    "China MFN 2018 and retaliation 2018-2019 (PIIE, Bown, Jung & Zhang 2019; MOF)",
                    "US MFN 2017 (USITC tariff database)", "see PROVENANCE.md"],
        "licence": "FAOSTAT data CC BY 4.0; other sources see PROVENANCE.md",
        "notes": ("consumption = production + imports - exports (net flows); stock changes out of scope. "
                  f"observed_markets.csv and observed_flows.csv hold every observed year, {BASE_YEAR} "
                  "included (equal to markets.csv and routes.csv); price_basis flags filled prices"),
        "provenance": {
            "observed_years_rule": (f"every year from {BASE_YEAR} on, without a gap, that all market sources "
                                    f"({', '.join(MARKET_SOURCES)}) cover"),
            "limited_by": cov.limited_by,
            "sources": {**MARKET_SOURCES, **INTENSITY_SOURCES},
            "embodied_inputs": EMBODIED_SOURCES,
            "available": {k: year_span(v) for k, v in cov.available.items()},
            "years": cov.supplied,
        },
    }


def write_report(path, scheme, markets, routes, gross_net, notes, unmapped, freight_lines, fills, no_price,
                 centroids, cov: YearCoverage, obs_flows, screened, unscreened, policy=()) -> None:
    """BUILD_REPORT.md: years and sources, counts, export screen, gross vs net trade, balance adjustments,
    price fills."""
    gn = gross_net[gross_net["year"] == BASE_YEAR]
    years = cov.observed
    lines = [f"# Build report: {scheme}", "",
             f"Generated by `python -m petra.data.build`. Base year {BASE_YEAR}, observed years "
             f"{year_span(years)} (observed files include {BASE_YEAR}).", "",
             f"- markets: {len(markets)}; routes: {len(routes)} "
             f"({int((routes['flow'] > 0).sum())} with {BASE_YEAR} flow)",
             f"- FAO area codes in the raw data without a map entry (dropped): "
             f"{sorted(unmapped) or 'none'}", "",
             "## Years by source", "",
             "| source | years in the file | years supplied |", "|---|---|---|"]
    supplied = cov.supplied
    lines += [f"| {k} | {year_span(cov.available[k]) if k in cov.available else 'static'} | "
              f"{year_span(supplied[k])} |" for k in supplied]
    lines += ["", f"Observed years stop at {years[-1]}: {', '.join(cov.limited_by) or 'no source'} "
              f"lack{'s' if len(cov.limited_by) == 1 else ''} {years[-1] + 1}.", ""]
    lines += ["## Rows per observed year", "",
              "| year | net flows | price fills | balance adjustments | export screen cuts |",
              "|---|---|---|---|---|"]
    n_flows = obs_flows.groupby("year").size()
    n_fills = fills.groupby("year").size()
    n_notes = pd.Series([y for y, _ in notes], dtype=int).value_counts()
    n_cuts = screened.groupby("year").size()
    lines += [f"| {y} | {n_flows.get(y, 0)} | {n_fills.get(y, 0)} | {n_notes.get(y, 0)} | "
              f"{n_cuts.get(y, 0)} |" for y in years]
    lines += screen_report(screened, unscreened)
    lines += ["", f"## Gross vs net inter-regional trade, {BASE_YEAR} (kt)", "",
              "| commodity | gross | net | netted share |",
              "|---|---|---|---|"]
    lines += [f"| {r.commodity} | {r.gross / 1000:.1f} | {r.net / 1000:.1f} | {r.netted_share:.3f} |"
              for r in gn.itertuples()]
    lines += ["", "## Balance adjustments (re-exports / stock draws exceeding supply)", ""]
    lines += [f"- {text}" for _, text in notes] or ["- none"]
    lines += ["", "## Price fills (world average producer unit value; years filled per market)", ""]
    by_market = fills.groupby(["region", "commodity"], sort=False)["year"].apply(year_span)
    lines += [f"- {r} {c}: {span}" for (r, c), span in by_market.items()] or ["- none"]
    lines += ["", "## Prices left empty (no producer unit value in any country)", ""]
    lines += [f"- {r.region} {r.commodity} {r.year}" for r in no_price.itertuples()] or ["- none"]
    lines += freight_lines
    lines += ["", "## Region centroids (production-weighted, for the overland distance)", ""]
    lines += [f"- {r.region}: {r.lat:.2f}, {r.lon:.2f}" for r in centroids.itertuples()]
    lines += list(policy)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def screen_report(screened: pd.DataFrame, unscreened: pd.DataFrame) -> list[str]:
    """BUILD_REPORT.md lines of the country-level export screen (screen_country_exports)."""
    f = EXPORT_SCREEN_FACTOR
    lines = ["", f"## Country export screen (exports > {f:g} x (production + imports), country level)", "",
             f"Before regions are formed, a country's exports of a commodity-year (all partners, t primary "
             f"equivalent) above {f:g} x (its production + the other countries' reported exports to it, "
             f"same year) are scaled down to that bound, all partners in proportion. "
             f"{len(screened)} cases:", "",
             "| country | commodity | year | exports (t) | production (t) | imports (t) | bound (t) "
             "| scale |",
             "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r.country} | {r.commodity} | {r.year} | {r.exports:,.0f} | {r.production:,.0f} | "
              f"{r.imports:,.0f} | {r.bound:,.0f} | {r.scale:.4f} |" for r in screened.itertuples()]
    if screened.empty:
        lines += ["| none | | | | | | | |"]
    lines += ["", "Not screened: countries without a production row for the commodity in any observed year "
              "(production unknown, not zero). Above the bound in the input "
              f"({len(unscreened)} country-commodity-years; years, largest exports):", ""]
    g = unscreened.groupby(["country", "commodity"], sort=True)
    lines += [f"- {c} {com}: {year_span(d['year'])} (max {d['exports'].max() / 1000:,.1f} kt)"
              for (c, com), d in g] or ["- none"]
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sources", default="../shared/data-sources", help="folder of the raw downloads")
    p.add_argument("--out", default="data", help="folder receiving one dataset folder per scheme")
    p.add_argument("--schemes", default=",".join(SCHEMES),
                   help="shipped region schemes to build (comma-separated; 'none' for none)")
    p.add_argument("--regions", action="append", default=[], metavar="MAP.csv",
                   help="also build a dataset for this region map (region + fao_code or iso3 per row; "
                        "see data/regions.py), named after the file; repeatable")
    a = p.parse_args(argv)
    schemes = [(s, None) for s in a.schemes.split(",") if s and s != "none"]
    unknown = [s for s, _ in schemes if s not in SCHEMES]
    if unknown:
        print(f"petra.data.build: error: --schemes: unknown scheme '{unknown[0]}' (shipped: "
              f"{', '.join(SCHEMES)}; build another with --regions MAP.csv)", file=sys.stderr)
        return 2
    for path in map(Path, a.regions):
        try:
            read_region_map(path, load_area_map())  # bad maps fail before the sources are read
        except InputError as exc:
            print(f"petra.data.build: error: {exc}", file=sys.stderr)
            return 2
        schemes.append((path.stem, path))
    raw = read_sources(Path(a.sources))
    cov = year_coverage(raw)
    raw = restrict_years(raw, cov.observed)
    ct = country_tables(raw, load_commodities())
    ssp_countries = ssp.read_countries(Path(a.sources))
    projection = projection_inputs.country_inputs(projection_inputs.read_sources(Path(a.sources)),
                                                  load_area_map(), BASE_YEAR)
    print(f"observed years {year_span(cov.observed)} (next year lacking in {', '.join(cov.limited_by)})",
          file=sys.stderr)
    for scheme, region_map in schemes:
        res = build_scheme(raw, ct, scheme, Path(a.out) / scheme, cov, region_map, ssp_countries, projection)
        print(f"{scheme}: {len(res['markets'])} markets, {len(res['routes'])} routes, "
              f"{len(res['screened'])} export screen cuts, "
              f"{len(res['notes'])} balance adjustments, {len(res['fills'])} price fills, "
              f"{len(res['no_price'])} prices without a value, unmapped {res['unmapped']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
