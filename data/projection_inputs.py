"""The projection's data foundations of a dataset: uses split, food income response, productivity
history, feed history and calibration (`uses.csv`, `income_response.csv`, `food_income_elasticities.csv`,
`productivity_history.csv`, `feed_history.csv`, `feed_calibration.csv`).

    python -m petra.data.projection_inputs --sources ../shared/data-sources --out data [--plot PNG]

rebuilds only these tables (and their BUILD_REPORT.md section and dataset.toml table) in every dataset
folder under --out (china9, globiom37, world); `python -m petra.data.build` writes them too (build_into).
Country-level estimates are made once (`country_inputs`), then aggregated with each dataset's region map.
Methods: petra.data.uses, petra.data.income_response, petra.data.productivity_history,
petra.data.feed_calibration; estimators petra.income_response and petra.trends; see data/PROVENANCE.md.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import tomli_w

from petra.data import fbs, impact, projection_report, ssp
from petra.data import feed_calibration as fc
from petra.data import feed_requirements as fr
from petra.data import income_response as ir
from petra.data import productivity_history as ph
from petra.data import uses as us
from petra.data.commodities import load_item_map
from petra.data.faostat import read_wide
from petra.data.netviz import read_netviz
from petra.errors import InputError
from petra.textfiles import load_toml

FILES = ("uses.csv", "income_response.csv", "food_income_elasticities.csv", "productivity_history.csv",
         "feed_history.csv", "feed_calibration.csv")
FLOAT_FORMAT = "%.7g"
COMPRESSED = ("productivity_history.csv", "feed_history.csv")
"""Tables shipped gzip-compressed whatever their size (long histories; the reader takes either form)."""
EARLY_ANCHOR = 1999
"""Anchor year of the first out-of-sample window of the food elasticities (predicting 2000-2009)."""
PROVENANCE = {
    "built_by": "python -m petra.data.projection_inputs --sources ../shared/data-sources --out data",
    "uses": "FAOSTAT food balance sheets (agrifoodpy-data FAOSTAT.nc) food / feed / other uses, oilseed "
            "crush followed to oil (its FBS balance) and cake (feed; FAOSTAT trade matrix cake trade), seed "
            "equivalent (petra.data.uses)",
    "income_response": "slope of the food income elasticity in ln GDP per capita: two-way fixed-effects "
                       "log-quadratic Engel curves of FBS food per capita on SSP v3 GDP PPP per capita "
                       "1990-base year; IMPACT 3 IncDmdElasH cross-section beside it; bounds: IMPACT "
                       "regional values' 5th-95th percentiles (petra.data.income_response)",
    "food_income_elasticities": "IMPACT 3 food income elasticities (~2005) moved to base-year income along "
                                "the slope, base-year food-use weighted per region",
    "productivity_history": "crop yields (FAOSTAT QCL via gcamdata-fao-raw 1961-2019; sugar: FBS raw sugar / "
                            "cane + beet area) and livestock output per animal (FBS production / FAOSTAT "
                            "QCL animal numbers via gcamfaostat, 1970-2020) "
                            "(petra.data.productivity_history)",
    "feed": "FBS feed use as feed.csv counts it vs feed.csv requirements x FBS livestock production, "
            "1986-2020; calibration factor at the base year on the dataset's own production, trend up to "
            "the base year (petra.data.feed_calibration)",
}


# ---------------------------------------------------------------------------------- raw sources
def read_sources(src: Path) -> dict:
    """Country-level raw inputs (every year each source holds)."""
    src = Path(src)
    items = sorted(set(fbs.commodity_items().values()) | set(fbs.OIL_ITEMS.values())
                   | set(fr.LIVESTOCK_ITEMS.values()))
    cake = pd.concat([read_netviz(src / "faostat-tm-netviz" / "items" / f"{i}.csv.gz")
                      for i in fr.CAKE_TRADE_ITEMS.values()], ignore_index=True)
    return {"bal": fbs.read_balances(src / fbs.FBS_FILE, items),
            "population": fbs.read_population(src / fbs.POPULATION_FILE),
            "cake": cake,
            "prod": read_wide(src / "gcamdata-fao-raw" / "FAO_ag_Prod_t_PRODSTAT.csv"),
            "area": read_wide(src / "gcamdata-fao-raw" / "FAO_ag_HA_ha_PRODSTAT.csv"),
            "stock": read_wide(src / "gcamfaostat" / "GCAMFAOSTAT_AnimalStock.csv.gz", unit=True),
            "gdp": ir.read_gdp_history(src / ssp.SOURCE_FOLDER / ssp.V3_FILE),
            "impact": impact.read_impact(src)}


# ---------------------------------------------------------------------------- country level
@dataclass(frozen=True)
class CountryInputs:
    """Country-level frames and the estimates shared by every dataset."""

    base_year: int
    uses: pd.DataFrame          # area, commodity, year, food, feed, other (t)
    response: pd.DataFrame      # income_response.csv rows (per commodity)
    elasticity_2005: pd.DataFrame  # area, commodity, value (IMPACT, oilseeds combined)
    ln_gdp_pc: pd.DataFrame     # area, year, ln_gdp_pc
    oos: pd.DataFrame           # commodity, window, n, mae_*, bias_*
    productivity: pd.DataFrame  # area, commodity, year, production, input
    feed: pd.DataFrame          # area, feed, year, value (t)
    livestock: pd.DataFrame     # area, product, year, production (t)
    cross_section: pd.DataFrame  # cty, commodity, e, x (IMPACT regional values and ln GDP pc 2005)


def area_gdp(amap: pd.DataFrame, gdp: pd.DataFrame) -> pd.DataFrame:
    """area, year, ln_gdp_pc per FAO country (by its ISO3)."""
    a = amap[amap["iso3"] != ""][["fao_code", "iso3"]].drop_duplicates("fao_code")
    return a.merge(gdp, on="iso3").rename(columns={"fao_code": "area"})[["area", "year", "ln_gdp_pc"]]


def impact_values(raw: dict, amap: pd.DataFrame, food_parts: pd.DataFrame
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per area: area, commodity, value; per IMPACT region: cty, commodity, e, x) of IMPACT's food income
    elasticities; oilseeds: seed and oil codes weighted by food use (food_parts: area, commodity, seed,
    oil t at IMPACT_YEAR), equal weights without food use. x = ln GDP per capita of the region in 2005."""
    imp = raw["impact"]
    inc = imp["IncDmdElasH"].set_index(["commodity", "cty"])["value"]
    ctys = impact.country_cty(amap, imp)
    cmap = impact.load_commodity_map().set_index("commodity")["food_commodity"]
    gdp = raw["gdp"]
    g = gdp[gdp["year"] == ir.IMPACT_YEAR].dropna(subset=["population", "gdp_ppp"])
    iso_cty = amap.drop_duplicates("fao_code").set_index("fao_code")["iso3"].reindex(ctys.index)
    m = pd.DataFrame({"cty": ctys, "iso3": iso_cty}).merge(g, on="iso3").drop_duplicates("iso3")
    by_cty = m.groupby("cty")[["gdp_ppp", "population"]].sum()
    x = np.log(by_cty["gdp_ppp"] / by_cty["population"])
    fp = food_parts.set_index(["area", "commodity"])
    area_rows, cty_rows = [], []
    for com, code in cmap.items():
        if code not in inc.index.get_level_values(0):
            continue
        seed = inc.xs(code, level="commodity")
        oil_code = ir.OIL_FOOD_CODES.get(com)
        oil = inc.xs(oil_code, level="commodity") if oil_code else None
        for area, cty in ctys.items():
            if cty not in seed.index:
                continue
            v = float(seed[cty])
            if oil is not None and cty in oil.index:
                w = fp.loc[(area, com)] if (area, com) in fp.index else pd.Series({"seed": 0.0, "oil": 0.0})
                ws, wo = (float(w["seed"]), float(w["oil"])) if w.sum() > 0 else (1.0, 1.0)
                v = (ws * v + wo * float(oil[cty])) / (ws + wo)
            area_rows.append((area, com, v))
    area_vals = pd.DataFrame(area_rows, columns=["area", "commodity", "value"])
    area_vals["cty"] = area_vals["area"].map(ctys)
    w = food_parts.assign(w=food_parts["seed"] + food_parts["oil"])[["area", "commodity", "w"]]
    av = area_vals.merge(w, on=["area", "commodity"], how="left").fillna({"w": 0.0})
    for (cty, com), d in av.groupby(["cty", "commodity"]):
        tw = d["w"].sum()
        e = float((d["value"] * d["w"]).sum() / tw) if tw > 0 else float(d["value"].mean())
        if cty in x.index:
            cty_rows.append((cty, com, e, float(x[cty])))
    cross = pd.DataFrame(cty_rows, columns=["cty", "commodity", "e", "x"])
    return area_vals[["area", "commodity", "value"]], cross


def food_parts(bal: pd.DataFrame, year: int) -> pd.DataFrame:
    """area, commodity, seed, oil: food use (t seed equivalent) of the oilseeds' seed and oil in `year`."""
    eq = fbs.oil_bean_equivalent()
    f = bal[(bal["element"] == "food") & (bal["year"] == year)].set_index(["area", "item"])["value"]
    rows = []
    for com, oil_item in fbs.OIL_ITEMS.items():
        seed_item = fbs.commodity_items()[com]
        have = set(f.index.get_level_values(1))
        s = f.xs(seed_item, level="item") if seed_item in have else pd.Series(dtype=float)
        o = f.xs(oil_item, level="item") * eq[com] if oil_item in have else pd.Series(dtype=float)
        j = pd.concat([s.rename("seed"), o.rename("oil")], axis=1).fillna(0.0).reset_index()
        rows.append(j.rename(columns={"index": "area"}).assign(commodity=com))
    return pd.concat(rows, ignore_index=True)[["area", "commodity", "seed", "oil"]]


def food_per_capita(uses: pd.DataFrame, population: pd.DataFrame, gdp: pd.DataFrame, commodity: str,
                    x05: pd.Series) -> pd.DataFrame:
    """area, year, q (kg per person), food (t), ln_gdp_pc, segment, x05 of one commodity."""
    u = uses[uses["commodity"] == commodity][["area", "year", "food"]]
    d = u.merge(population, on=["area", "year"]).merge(gdp, on=["area", "year"])
    d = d[d["population"] > 0]
    d["q"] = d["food"] * 1000.0 / d["population"]
    d["segment"] = fbs.method_segment(d["year"])
    d["x05"] = d["area"].map(x05)
    return d


def country_inputs(raw: dict, amap: pd.DataFrame, base_year: int) -> CountryInputs:
    """Everything country-level: uses of every year from fc.FIRST_YEAR, the Engel and IMPACT estimates,
    slopes and bounds, out-of-sample scores, productivity and feed history."""
    bal = raw["bal"]
    last = int(bal["year"].max())
    years = list(range(fc.FIRST_YEAR, last + 1))
    uses = us.country_uses(bal, raw["cake"], years)
    gdp = area_gdp(amap, ir.gdp_per_capita_history(raw["gdp"]))
    x05 = gdp[gdp["year"] == ir.IMPACT_YEAR].set_index("area")["ln_gdp_pc"]
    e_area, xs = impact_values(raw, amap, food_parts(bal, ir.IMPACT_YEAR))
    commodities = list(fbs.commodity_items())
    engel, engel_early, oos_rows = {}, {}, []
    pcs = {}
    for com in commodities:
        pcs[com] = food_per_capita(uses, raw["population"], gdp, com, x05)
        engel[com] = ir.engel_panel(pcs[com], base_year)
        engel_early[com] = ir.engel_panel(pcs[com], EARLY_ANCHOR)
    slopes = ir.choose_slopes(pd.DataFrame(engel).T).set_index("commodity")
    slopes_early = ir.choose_slopes(pd.DataFrame(engel_early).T).set_index("commodity")
    rows = []
    for com in commodities:
        e_c = e_area[e_area["commodity"] == com].set_index("area")["value"]
        cx = xs[xs["commodity"] == com].set_index("cty")
        cross = ir.impact_cross_section(cx["e"], cx["x"])
        low, high = np.percentile(cx["e"], ir.BOUND_PERCENTILES)
        for window, anchor, end, s in (("2000-2009", EARLY_ANCHOR, fbs.NEW_METHOD_FROM - 1, slopes_early),
                                       (f"{base_year + 1}-{last}", base_year, last, slopes)):
            o = ir.out_of_sample(pcs[com], e_c, {"falling": float(s.loc[com, "slope"]),
                                                 "falling_impact": cross["slope"]}, anchor, end)
            oos_rows.append({"commodity": com, "window": window, **o})
        en = engel[com]
        rows.append({"commodity": com, "slope": float(slopes.loc[com, "slope"]), "low": float(low),
                     "high": float(high), "basis": slopes.loc[com, "basis"], "engel_slope": en["slope"],
                     "engel_se": en["se"], "engel_n": en["n"], "engel_countries": en["countries"],
                     "impact_slope": cross["slope"], "impact_se": cross["se"], "impact_r2": cross["r2"],
                     "impact_n": cross["n"], "up_to_year": base_year})
    sugar = bal[(bal["item"] == fbs.commodity_items()["sugar"]) & (bal["element"] == "production")]
    prod = ph.crop_country(raw["prod"], raw["area"], sugar)
    code = {v: k for k, v in fbs.commodity_items().items()}
    lp = bal[(bal["element"] == "production")
             & bal["item"].isin([fbs.commodity_items()[c] for c in ph.LIVESTOCK_HEADS])]
    lp = lp.assign(commodity=lp["item"].map(code))
    live = ph.livestock_country(lp, raw["stock"])
    feed, lprod = fc.country_history(bal, raw["cake"], years, fr.bean_equivalents(load_item_map()))
    return CountryInputs(base_year=base_year, uses=uses, response=pd.DataFrame(rows),
                         elasticity_2005=e_area, ln_gdp_pc=gdp, oos=pd.DataFrame(oos_rows),
                         productivity=pd.concat([prod, live], ignore_index=True), feed=feed, livestock=lprod,
                         cross_section=xs)


# ------------------------------------------------------------------------------- per dataset
LIVESTOCK = set(ph.LIVESTOCK_HEADS)


def region_mapper(scheme: str, amap: pd.DataFrame):
    """frame with `area` -> the frame with a `region` column of `scheme` (areas without one dropped)."""
    region_of = amap[amap[scheme] != ""].drop_duplicates("fao_code").set_index("fao_code")[scheme]

    def to_region(frame: pd.DataFrame) -> pd.DataFrame:
        r = frame["area"].map(region_of)
        return frame.assign(region=r.to_numpy())[r.notna().to_numpy()].reset_index(drop=True)
    return to_region, region_of


@dataclass(frozen=True)
class Tables:
    """The six tables of one dataset (frames as written) and its report lines."""

    frames: dict[str, pd.DataFrame]
    report: list[str]


def food_elasticities(ci: CountryInputs, region_of: pd.Series, regions: list[str],
                      commodities: list[str]) -> pd.DataFrame:
    """food_income_elasticities.csv: region, commodity, food_income_elasticity (base year),
    impact_elasticity_2005, basis."""
    by = ci.base_year
    x = ci.ln_gdp_pc.set_index(["area", "year"])["ln_gdp_pc"]
    x05, x1 = x.xs(ir.IMPACT_YEAR, level="year"), x.xs(by, level="year")
    food = ci.uses[ci.uses["year"] == by]
    resp = ci.response.set_index("commodity")
    parts = []
    for com in commodities:
        e = ci.elasticity_2005[ci.elasticity_2005["commodity"] == com].set_index("area")["value"]
        w = food[food["commodity"] == com].set_index("area")["food"]
        r = resp.loc[com]
        moved = ir.base_year_elasticity(e, x05, x1, float(r["slope"]), (float(r["low"]), float(r["high"])))
        # areas without GDP history keep IMPACT's value (not moved)
        moved = pd.concat([moved, e.drop(moved.index, errors="ignore")])
        m = ir.weighted_region_mean(moved, w, region_of, regions)
        o = ir.weighted_region_mean(e, w, region_of, regions)
        parts.append(pd.DataFrame({"region": m["region"], "commodity": com,
                                   "food_income_elasticity": m["value"],
                                   "impact_elasticity_2005": o["value"], "basis": m["basis"]}))
    return pd.concat(parts, ignore_index=True)


def dataset_tables(ci: CountryInputs, scheme: str, amap: pd.DataFrame, regions: list[str],
                   commodities: list[str], years: list[int], req: pd.DataFrame,
                   observed_markets: pd.DataFrame) -> Tables:
    """The tables of one dataset from the country inputs: its region map (`scheme` column of amap), its
    regions, commodities and observed years, its feed.csv (`req`) and observed_markets.csv."""
    to_region, region_of = region_mapper(scheme, amap)
    by = ci.base_year
    uses = us.region_shares(to_region(ci.uses[ci.uses["year"].isin(years)]), regions, commodities, years)
    fe = food_elasticities(ci, region_of, regions, commodities)
    prod = ph.region_history(to_region(ci.productivity), LIVESTOCK)
    prod = prod[prod["region"].isin(regions)].reset_index(drop=True)
    hist = fc.region_history(to_region(ci.feed), to_region(ci.livestock), req)
    hist[["fbs_feed", "implied_feed"]] = hist[["fbs_feed", "implied_feed"]] / 1000.0
    om = observed_markets[(observed_markets["year"] == by) & observed_markets["commodity"].isin(LIVESTOCK)]
    base_prod = om.rename(columns={"commodity": "product"})[["region", "product", "production"]]
    cal = fc.calibration(hist, req, base_prod, by)
    frames = {"uses.csv": uses, "income_response.csv": ci.response, "food_income_elasticities.csv": fe,
              "productivity_history.csv": prod, "feed_history.csv": hist, "feed_calibration.csv": cal}
    hind = pd.concat([ph.hindcast(prod, a, e, ph.HINDCAST_HALF_LIVES, LIVESTOCK).assign(anchor=a)
                      for a, e in ((ph.HINDCAST_EARLY, by), (by, max(ph.HINDCAST_LAST.values())))])
    lines = projection_report.report_lines(ci.base_year, ci.response, ci.oos, frames, regions, years,
                                           fc.fit_scores(hist, by), hind, PROVENANCE["built_by"])
    return Tables(frames, lines)


def write_tables(folder: Path, tables: Tables) -> None:
    """Write the tables (CSV, %.7g; the histories gzip-compressed), the report section and the
    dataset.toml table into `folder`."""
    from petra.data.build import gzip_table  # the build imports this module

    for name, frame in tables.frames.items():
        for old in (folder / name, folder / f"{name}.gz"):
            old.unlink(missing_ok=True)
        frame.to_csv(folder / name, index=False, float_format=FLOAT_FORMAT)
        if name in COMPRESSED:
            gzip_table(folder / name)
    projection_report.write_report_section(folder / "BUILD_REPORT.md", tables.report)
    toml = folder / "dataset.toml"
    meta = load_toml(toml, what="dataset.toml") if toml.is_file() else {}
    meta["projection_inputs"] = {"files": list(FILES), **PROVENANCE}
    ssp.write_text(toml, tomli_w.dumps(meta))


def build_into(folder: Path, ci: CountryInputs, scheme: str, amap: pd.DataFrame) -> Tables:
    """Build the tables of the dataset in `folder` (its markets, observed years and feed.csv read from
    the folder) and write them there."""
    from petra.dataset import load_dataset
    from petra.tables import table_path

    ds = load_dataset(folder)
    regions = list(pd.unique(ds.markets["region"]))
    commodities = list(pd.unique(ds.markets["commodity"]))
    years = [int(y) for y in ds.metadata["observed_years"]]
    req = pd.read_csv(table_path(folder, "feed.csv"))
    tables = dataset_tables(ci, scheme, amap, regions, commodities, years, req, ds.observed_markets)
    write_tables(folder, tables)
    return tables


def scheme_map(scheme: str) -> pd.DataFrame:
    """The area map with a column for `scheme`: a shipped scheme, or mappings/regions/<scheme>.csv."""
    from petra.data.regions import REGION_MAPS, SCHEMES, load_area_map, read_region_map

    amap = load_area_map()
    if scheme not in SCHEMES:
        amap[scheme], _ = read_region_map(REGION_MAPS / f"{scheme}.csv", amap)
    return amap


def main(argv: list[str] | None = None) -> int:
    from petra.data.build import compress_large_tables
    from petra.data.regions import load_area_map

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sources", default="../shared/data-sources", help="folder of the raw downloads")
    p.add_argument("--out", default="data", help="folder holding the dataset folders")
    p.add_argument("--datasets", default="china9,globiom37,world", help="dataset folders under --out")
    p.add_argument("--plot", default=None, help="also draw the income-response figure to this PNG")
    a = p.parse_args(argv)
    try:
        raw = read_sources(Path(a.sources))
        folders = [Path(a.out) / d for d in a.datasets.split(",") if d]
        base = {int(load_toml(f / "dataset.toml", what="dataset.toml")["base_year"]) for f in folders}
        if len(base) != 1:
            raise InputError(f"datasets with different base years {sorted(base)}: build them one at a time")
        ci = country_inputs(raw, load_area_map(), base.pop())
        for folder in folders:
            scheme = load_toml(folder / "dataset.toml", what="dataset.toml")["region_scheme"]
            t = build_into(folder, ci, scheme, scheme_map(scheme))
            compress_large_tables(folder)
            sizes = ", ".join(f"{k} {len(v)}" for k, v in t.frames.items())
            print(f"{folder.name}: {sizes}", file=sys.stderr)
        if a.plot:
            from petra.data.income_response_plot import draw

            draw(ci.cross_section, ci.response, Path(a.plot))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
