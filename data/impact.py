"""IFPRI IMPACT 3 parameters per market: supply, demand and income elasticities, import tax wedges.

Reads `impact-ifpri/` (CSVs without header, see its SOURCE.md; `Sets.xlsx` for the code maps) and maps

* IMPACT regions (CTY) to countries: ISO3 -> CTY (`Sets.xlsx` Regions!N:O, Iso2Cty; CHN -> CHM, China
  mainland), else FAO code -> CTY (Regions!E:F, FAO2CTY; FAO 351 "China" is an aggregate and skipped);
  a country takes its CTY's value (several countries may share one CTY, e.g. BLX, CRB);
* IMPACT commodities to petra's (`mappings/impact_commodities.csv`).

Per CTY (pure functions, values dimensionless):

* crop supply elasticity = own-price area elasticity + own-price yield elasticity of each FPU (basin x
  country) and land type (irrigated `air`, rainfed `arf`), then the unweighted mean over the CTY's FPU x
  land type cells (the store has no FPU areas to weight them). IMPACT's elasticities are long-run;
* livestock supply elasticity = LvstElas own price (activity = price activity);
* demand = FdElasH own price (food demand only: feed, processing and other demand not included);
* income elasticity = IncDmdElasH (food demand).

`regional_means` aggregates countries to a scheme's regions weighted by base-year quantities
(production for supply, apparent consumption for demand and income), with fallbacks named per market.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from petra import bounds
from petra.data.commodities import MAPPINGS, split_codes
from petra.errors import InputError

SOURCE_DIR = "impact-ifpri"
CITATION = "IFPRI IMPACT 3 (Robinson et al. 2015), github.com/IFPRI/IMPACT DriverAssumptions, base ~2005"
NOT_A_COUNTRY = {351}  # FAO "China" aggregate: FAO2CTY maps it to CHM, but China mainland is FAO 41
# (value bounds: petra.bounds; supply >= 0, demand <= 0)
SUPPLY_RANGE = (0.0, bounds.ELASTICITY_MAX)
DEMAND_RANGE = (-bounds.ELASTICITY_MAX, 0.0)
INCOME_RANGE = (-bounds.INCOME_ELASTICITY_MAX, bounds.INCOME_ELASTICITY_MAX)

FILES = {  # file: column names (the CSVs have no header)
    "AreaElas": ["activity", "fpu", "land", "value"],
    "YLDELAS": ["activity", "fpu", "land", "value"],
    "LvstElas": ["activity", "cty", "price_activity", "value"],
    "FdElasH": ["commodity", "price_commodity", "cty", "value"],
    "IncDmdElasH": ["commodity", "cty", "value"],
    "TM": ["commodity", "cty", "value"],
}


def read_csv(path: Path, columns: list[str]) -> pd.DataFrame:
    """One headerless IMPACT CSV (gzip) with `columns`; InputError naming file and line of a bad value."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        df = pd.read_csv(fh, header=None, names=columns, dtype=str, keep_default_na=False)
    v = pd.to_numeric(df["value"], errors="coerce")
    if v.isna().any():
        i = int(np.argmax(v.isna().to_numpy()))
        raise InputError(f"value '{df['value'].iloc[i]}' is not a number", file=str(path), row=i + 1,
                         column=f"{len(columns)} (value)")
    df["value"] = v.astype(float)
    return df


def read_region_sets(path: Path) -> dict[str, pd.DataFrame]:
    """Sets.xlsx Regions sheet: iso2cty (iso3, cty), fao2cty (fao_code, cty), fpu2cty (fpu, cty)."""
    x = pd.read_excel(path, sheet_name="Regions", header=None).iloc[4:]

    def pair(i, j, names):
        d = x.iloc[:, [i, j]].dropna()
        d.columns = names
        return d.astype({names[1]: str}).reset_index(drop=True)

    fao = pair(4, 5, ["fao_code", "cty"])
    fao["fao_code"] = fao["fao_code"].astype(int)
    return {"iso2cty": pair(13, 14, ["iso3", "cty"]).astype(str), "fao2cty": fao,
            "fpu2cty": pair(10, 11, ["fpu", "cty"]).astype(str)}


def read_impact(src: Path) -> dict[str, pd.DataFrame]:
    """All IMPACT inputs petra uses (FILES plus the region sets)."""
    d = Path(src) / SOURCE_DIR
    out = {name: read_csv(d / f"{name}.csv.gz", cols) for name, cols in FILES.items()}
    out.update(read_region_sets(d / "Sets.xlsx"))
    return out


def load_commodity_map(path: Path | None = None) -> pd.DataFrame:
    """mappings/impact_commodities.csv (commodity, supply_activities, supply_items, food_commodity,
    tm_commodity, note)."""
    return pd.read_csv(path or MAPPINGS / "impact_commodities.csv", dtype=str, keep_default_na=False)


# ------------------------------------------------------------------------------------ per CTY
def crop_supply_by_cty(area: pd.DataFrame, yld: pd.DataFrame, fpu2cty: pd.DataFrame) -> pd.DataFrame:
    """activity, cty, value: mean over the CTY's FPU x land-type cells of (area + yield elasticity).
    A cell with only one of the two counts the other as 0."""
    keys = ["activity", "fpu", "land"]
    both = pd.concat([area[keys + ["value"]], yld[keys + ["value"]]])
    cell = both.groupby(keys, as_index=False)["value"].sum()
    cell = cell.merge(fpu2cty, on="fpu", how="inner")
    return cell.groupby(["activity", "cty"], as_index=False)["value"].mean()


def livestock_supply_by_cty(lvst: pd.DataFrame) -> pd.DataFrame:
    """activity, cty, value: own-price livestock supply elasticities."""
    own = lvst[lvst["activity"] == lvst["price_activity"]]
    return own[["activity", "cty", "value"]].reset_index(drop=True)


def own_price_demand_by_cty(fd: pd.DataFrame) -> pd.DataFrame:
    """commodity, cty, value: own-price food demand elasticities."""
    own = fd[fd["commodity"] == fd["price_commodity"]]
    return own[["commodity", "cty", "value"]].reset_index(drop=True)


def country_cty(amap: pd.DataFrame, sets: dict[str, pd.DataFrame]) -> pd.Series:
    """FAO country code -> IMPACT CTY: by ISO3 (Iso2Cty), else by FAO code (FAO2CTY)."""
    iso = dict(zip(sets["iso2cty"]["iso3"], sets["iso2cty"]["cty"], strict=True))
    fao = dict(zip(sets["fao2cty"]["fao_code"], sets["fao2cty"]["cty"], strict=True))
    out = {}
    for code, iso3 in zip(amap["fao_code"], amap["iso3"], strict=True):
        if code in NOT_A_COUNTRY:
            continue
        cty = iso.get(iso3) or fao.get(int(code))
        if cty:
            out[int(code)] = cty
    return pd.Series(out, name="cty")


# ------------------------------------------------------------------------------ per country
def country_values(by_cty: pd.DataFrame, cmap: pd.DataFrame, key_col: str, petra_col: str,
                   ctys: pd.Series) -> pd.DataFrame:
    """area, commodity, value: each country's CTY value of each petra commodity whose IMPACT code in
    `petra_col` of the commodity map (one code) equals by_cty[key_col]."""
    lut = {row[petra_col]: row["commodity"] for _, row in cmap.iterrows() if row[petra_col]}
    v = by_cty[by_cty[key_col].isin(lut)].assign(commodity=lambda d: d[key_col].map(lut))
    c = ctys.rename_axis("area").reset_index()
    return c.merge(v[["cty", "commodity", "value"]], on="cty")[["area", "commodity", "value"]]


def country_supply(impact: dict, cmap: pd.DataFrame, ctys: pd.Series, crop: pd.DataFrame) -> pd.DataFrame:
    """area, commodity, value: supply elasticity per country. Commodities with several activities
    (sugar: cane, beet) are weighted by the country's base-year production of the matching items
    (`crop`: area, item_code, value t); equal weights where the country produces none of them."""
    crops = crop_supply_by_cty(impact["AreaElas"], impact["YLDELAS"], impact["fpu2cty"])
    lv = livestock_supply_by_cty(impact["LvstElas"])
    by_cty = pd.concat([crops, lv], ignore_index=True)
    c = ctys.rename_axis("area").reset_index()
    rows = []
    for r in cmap.itertuples():
        acts = r.supply_activities.split(";")
        items = split_codes(r.supply_items) or [None] * len(acts)
        parts = []
        for act, item in zip(acts, items, strict=True):
            v = c.merge(by_cty[by_cty["activity"] == act][["cty", "value"]], on="cty")
            w = crop[crop["item_code"] == item].groupby("area")["value"].sum() if item else None
            v["w"] = 1.0 if w is None else v["area"].map(w).fillna(0.0).to_numpy()
            parts.append(v)
        p = pd.concat(parts, ignore_index=True)
        tot = p.groupby("area")["w"].transform("sum")
        p["w"] = np.where(tot > 0, p["w"], 1.0)
        g = p.assign(wv=p["w"] * p["value"]).groupby("area")[["wv", "w"]].sum()
        rows.append(pd.DataFrame({"area": g.index, "commodity": r.commodity, "value": g["wv"] / g["w"]}))
    return pd.concat(rows, ignore_index=True)


# ------------------------------------------------------------------------------- per region
@dataclass(frozen=True)
class RegionalValues:
    """Per market (region, commodity): value and basis ('weighted', 'unweighted', 'default')."""

    table: pd.DataFrame  # region, commodity, value, basis


def regional_means(values: pd.DataFrame, weights: pd.DataFrame, region_of: pd.Series,
                   markets: pd.MultiIndex, default: pd.Series) -> RegionalValues:
    """Weighted mean of country values per (region, commodity).

    values: area, commodity, value; weights: area, commodity, weight (>= 0, e.g. base-year
    production t); region_of: FAO code -> region. Where a market's countries with a value have no
    weight, the unweighted mean of those countries; where none has a value, default[commodity].
    """
    v = values.copy()
    v["region"] = v["area"].map(region_of)
    v = v.dropna(subset=["region"])
    v = v.merge(weights, on=["area", "commodity"], how="left").fillna({"weight": 0.0})
    v["wv"] = v["weight"] * v["value"]
    g = v.groupby(["region", "commodity"]).agg(wv=("wv", "sum"), w=("weight", "sum"), mean=("value", "mean"))
    weighted = g["wv"] / g["w"].where(g["w"] > 0)
    out = []
    for region, commodity in markets:
        key = (region, commodity)
        if key in weighted.index and np.isfinite(weighted.loc[key]):
            out.append((region, commodity, float(weighted.loc[key]), "weighted"))
        elif key in g.index:
            out.append((region, commodity, float(g.loc[key, "mean"]), "unweighted"))
        else:
            out.append((region, commodity, float(default[commodity]), "default"))
    return RegionalValues(pd.DataFrame(out, columns=["region", "commodity", "value", "basis"]))


def clip(table: pd.DataFrame, low: float, high: float, what: str) -> tuple[pd.DataFrame, list[str]]:
    """Values bounded to [low, high]; one line per clipped market."""
    t = table.copy()
    bad = (t["value"] < low) | (t["value"] > high)
    notes = [f"{r.region} {r.commodity} {what} {r.value:.4g} clipped to [{low:g}, {high:g}]"
             for r in t[bad].itertuples()]
    t["value"] = t["value"].clip(low, high)
    return t, notes


@dataclass(frozen=True)
class MarketElasticities:
    """Per market: supply_elasticity, demand_elasticity, income_elasticity (+ basis of each) and the
    clipping notes."""

    table: pd.DataFrame
    clipped: list[str]


def market_elasticities(impact: dict, amap: pd.DataFrame, scheme: str, markets: pd.MultiIndex,
                        production: pd.DataFrame, consumption: pd.DataFrame, crop: pd.DataFrame,
                        defaults: pd.DataFrame) -> MarketElasticities:
    """IMPACT elasticities per market of `scheme`.

    production, consumption: area, commodity, weight (base-year t, countries); crop: area, item_code,
    value (base-year crop production, t); defaults: per commodity supply_elasticity, demand_elasticity
    (mappings/elasticities.csv) for markets no IMPACT country covers (income default 0).
    """
    cmap = load_commodity_map()
    ctys = country_cty(amap, impact)
    region_of = amap[amap[scheme] != ""].set_index("fao_code")[scheme]
    sup = country_supply(impact, cmap, ctys, crop)
    own = own_price_demand_by_cty(impact["FdElasH"])
    dem = country_values(own, cmap, "commodity", "food_commodity", ctys)
    inc = country_values(impact["IncDmdElasH"], cmap, "commodity", "food_commodity", ctys)
    d = defaults.set_index("commodity")
    zero = pd.Series(0.0, index=d.index)
    parts, clipped = {}, []
    for name, vals, w, default, rng in (
            ("supply_elasticity", sup, production, d["supply_elasticity"], SUPPLY_RANGE),
            ("demand_elasticity", dem, consumption, d["demand_elasticity"], DEMAND_RANGE),
            ("income_elasticity", inc, consumption, zero, INCOME_RANGE)):
        t = regional_means(vals, w, region_of, markets, default).table
        t, notes = clip(t, *rng, name)
        clipped += notes
        parts[name] = t.set_index(["region", "commodity"])
    out = pd.DataFrame({k: v["value"] for k, v in parts.items()})
    for k, v in parts.items():
        out[k.replace("_elasticity", "_basis")] = v["basis"]
    return MarketElasticities(out.reset_index(), clipped)


def country_import_tax(impact: dict, amap: pd.DataFrame) -> pd.DataFrame:
    """area, commodity, ad_valorem: IMPACT's import tax wedge TM (fraction, ~2005) per country.

    The CSVs come from GDX files, which do not store zeros: a commodity missing for a CTY that has
    TM rows for other commodities is a wedge of 0 (e.g. milk, absent for every CTY but a few)."""
    cmap = load_commodity_map()
    tm = impact["TM"]
    ctys = country_cty(amap, impact)
    ctys = ctys[ctys.isin(set(tm["cty"]))]
    grid = pd.MultiIndex.from_product([sorted(set(cmap["tm_commodity"]) - {""}), sorted(set(ctys))],
                                      names=["commodity", "cty"])
    full = tm.set_index(["commodity", "cty"])["value"].groupby(level=[0, 1]).mean().reindex(grid).fillna(0.0)
    return country_values(full.reset_index(), cmap, "commodity", "tm_commodity", ctys) \
        .rename(columns={"value": "ad_valorem"})


def country_weights(production: pd.DataFrame, flows: pd.DataFrame, year: int) -> dict[str, pd.DataFrame]:
    """Base-year weights per country: production (t, `production`: area, commodity, year, value) and
    apparent consumption = production + imports - exports (t, country-level flows: exporter, importer,
    commodity, year, quantity), floored at 0. Returns {'production', 'consumption'}: area, commodity,
    weight."""
    p = production[production["year"] == year].groupby(["area", "commodity"])["value"].sum()
    f = flows[flows["year"] == year]
    imp = f.groupby(["importer", "commodity"])["quantity"].sum()
    exp = f.groupby(["exporter", "commodity"])["quantity"].sum()
    imp.index.names = exp.index.names = ["area", "commodity"]
    idx = p.index.union(imp.index).union(exp.index)
    cons = (p.reindex(idx).fillna(0) + imp.reindex(idx).fillna(0) - exp.reindex(idx).fillna(0)).clip(lower=0)
    return {"production": p.rename("weight").reset_index(),
            "consumption": cons.rename("weight").reset_index()}
