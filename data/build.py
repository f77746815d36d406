"""Build the embedded default datasets (china9, globiom37) from the raw downloads.

    python -m petra.data.build --sources ../shared/data-sources --out data

Reads only the raw extracts (never copied into the repository) and writes, per region scheme,
a dataset folder (markets, routes, observed years, intensities, regions, commodities, dataset.toml,
BUILD_REPORT.md) atomically. Quantities kt, prices and costs USD(2010)/t. See data/PROVENANCE.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from petra.atomic import atomic_output_dir
from petra.data import intensities as inten
from petra.data import mirror, transport
from petra.data.commodities import MAPPINGS, load_commodities, load_item_map, split_codes, to_primary
from petra.data.faostat import read_text_csv, read_wide
from petra.data.netviz import read_netviz
from petra.data.regions import SCHEMES, load_area_map, map_areas, region_names
from petra.dataset import load_dataset

BASE_YEAR = 2010
OBSERVED_YEARS = list(range(2015, 2021))
YEARS = [BASE_YEAR, *OBSERVED_YEARS]
LIVESTOCK = {"bovine_meat", "pig_meat", "poultry_meat", "sheep_meat", "dairy"}
US = 231

IFA_UNITS = {"China": [41], "India": [100], "USA": [231], "Brazil": [21], "Pakistan": [165],
             "Indonesia": [101], "Canada": [33], "Vietnam": [237], "Turkey": [223], "Australia": [10],
             "Malaysia": [131], "Iran": [102], "Thailand": [216], "Bangladesh": [16], "Russia": [185],
             "Mexico": [138], "Egypt": [59], "Argentina": [9], "South Africa": [202], "Philippines": [171],
             "Chile": [40], "Morocco": [143],
             # EU-27 as of 2007/08: today's EU27 without Croatia, plus the United Kingdom.
             "EU-27": [11, 255, 256, 27, 50, 167, 54, 63, 67, 68, 79, 84, 97, 104, 106, 119, 126, 134, 150,
                       173, 174, 183, 199, 198, 203, 210, 229]}
IFA_ITEMS = {"Wheat": [15], "Rice": [27], "Maize": [56], "Soybean": [236], "SugarCrops": [156, 157, 161],
             "OtherCoarseGrains": [44, 83, 75, 71, 79, 97, 89, 103, 108, 92, 94, 101]}


# ----------------------------------------------------------------------------------------- reading
def read_sources(src: Path) -> dict:
    """All raw inputs as long frames (country level, FAO area codes)."""
    items = load_item_map()
    parts = []
    for item in items["trade_item"]:
        f = read_netviz(src / "faostat-tm-netviz" / "items" / f"{item}.csv.gz", years=YEARS)
        parts.append(f)
    trade = to_primary(pd.concat(parts, ignore_index=True), items, item_col="item", qty_col="quantity")
    pv = read_wide(src / "gcamfaostat" / "GCAMFAOSTAT_ProdPrice.csv.gz", years=YEARS)
    ha = read_wide(src / "gcamdata-fao-raw" / "FAO_ag_HA_ha_PRODSTAT.csv", years=YEARS)
    prod_old = read_wide(src / "gcamdata-fao-raw" / "FAO_ag_Prod_t_PRODSTAT.csv", years=[2007, 2008])
    defl = read_wide(src / "gcamfaostat" / "FAO_GDP_Deflators.csv")
    defl = defl[defl["area"] == US].set_index("year")["value"]
    water = read_text_csv(src / "water-footprint-mekonnen-hoekstra" / "water_data.csv")
    water = pd.DataFrame({"area": pd.to_numeric(water["FAO.code"], errors="coerce"),
                          "product": water["Product"].str.strip(), "water": water["Water"].str.strip(),
                          "value": pd.to_numeric(water["Value"], errors="coerce")}).dropna()
    water["area"] = water["area"].astype(int)
    ifa = pd.read_csv(src / "fertilizer-by-crop-ifa" / "IFA_Fert_ktN.csv", comment="#")
    return {"trade": trade, "pv": pv, "ha": ha, "prod_old": prod_old, "deflator": defl, "water": water,
            "ifa": ifa, "fbs_sugar": read_fbs(src, 2542)}


def read_fbs(src: Path, item: int) -> pd.DataFrame:
    """FAOSTAT food balance production (kt) of one FBS item: area, year, value (t)."""
    import xarray as xr  # optional dependency, only needed for the build

    with xr.open_dataset(src / "agrifoodpy-data" / "FAOSTAT.nc", engine="h5netcdf") as ds:
        da = ds["production"].sel(Item=item, Year=YEARS).load()
    df = da.to_dataframe(name="value").reset_index()[["Region", "Year", "value"]]
    df.columns = ["area", "year", "value"]
    df["value"] = df["value"] * 1000.0
    return df.dropna().reset_index(drop=True)


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


def market_tables(ct: dict, flows: pd.DataFrame, scheme: str, amap, regions, commodities, deflator,
                  unmapped: set[int]) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Markets for all years (kt, USD(2010)/t; price NaN where unobserved) and the balanced flows."""
    notes = []
    prod = with_region(ct["production"], scheme, amap, unmapped)
    prod = prod.groupby(["region", "commodity", "year"])["value"].sum() / 1000.0
    val = with_region(screen_unit_values(ct["value"]), scheme, amap, unmapped)
    val = val.groupby(["region", "commodity", "year"])[["value", "qty"]].sum()
    price = (val["value"] / val["qty"])
    to2010 = deflator[BASE_YEAR] / deflator
    price = price * price.index.get_level_values("year").map(to2010).to_numpy()
    idx = pd.MultiIndex.from_product([regions, commodities, YEARS], names=["region", "commodity", "year"])
    m = pd.DataFrame({"production": prod.reindex(idx).fillna(0.0), "price": price.reindex(idx)})
    # Balance: consumption = production + imports - exports (net flows); stock changes out of scope.
    flows = flows.copy()
    for _ in range(3):
        imp = flows.groupby(["importer", "commodity", "year"])["flow"].sum()
        exp = flows.groupby(["exporter", "commodity", "year"])["flow"].sum()
        imp.index.names = exp.index.names = ["region", "commodity", "year"]
        cons = m["production"] + imp.reindex(idx).fillna(0.0) - exp.reindex(idx).fillna(0.0)
        short = cons[cons < -1e-9]
        if short.empty:
            break
        for (r, c, y), gap in short.items():
            out_total = exp.loc[(r, c, y)]
            # exports cut so that consumption = 0; a region producing nothing keeps no exports at all
            scale = (out_total + gap) / out_total if m.loc[(r, c, y), "production"] > 0 else 0.0
            sel = (flows["exporter"] == r) & (flows["commodity"] == c) & (flows["year"] == y)
            flows.loc[sel, "flow"] *= max(scale, 0.0)
            notes.append(f"{r} {c} {y}: net exports {out_total:.1f} kt exceeded production + imports by "
                         f"{-gap:.1f} kt; its outgoing net flows scaled by {max(scale, 0):.4f}")
    m["consumption"] = np.where(cons > 1e-9, cons, 0.0)
    flows = flows[flows["flow"] > 0]
    return m.reset_index(), flows, notes


def fill_prices(m: pd.DataFrame, ct_value: pd.DataFrame, deflator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Base-year markets without an observed price get the world average unit value (flagged)."""
    wv = screen_unit_values(ct_value).groupby(["commodity", "year"])[["value", "qty"]].sum()
    world = (wv["value"] / wv["qty"]) * (deflator[BASE_YEAR] / deflator.reindex(
        wv.index.get_level_values("year")).to_numpy())
    m = m.copy()
    m["price_basis"] = np.where(m["price"].notna(), "regional producer unit value", "")
    miss = m["price"].isna()
    m.loc[miss, "price"] = [world.get((c, y), np.nan) for c, y in
                            zip(m.loc[miss, "commodity"], m.loc[miss, "year"], strict=True)]
    m.loc[miss, "price_basis"] = "FILLED: world average producer unit value"
    return m, m[["region", "commodity", "year", "price_basis"]]


# --------------------------------------------------------------------------------- intensities
def intensity_table(raw, ct, scheme, amap, regions, commodities, unmapped) -> pd.DataFrame:
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
                              "missing: area harvested extract ends 2019")))

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
                glob = wf.get(999, np.nan)
                cr = crop[(crop["commodity"] == c.commodity) & (crop["item_code"] == item)]
                v = cr["value"].to_numpy() * cr["area"].map(wf).fillna(glob).to_numpy()
                vols.append(cr[["area"] + keys].assign(value=v))
        vol = pd.concat(vols, ignore_index=True).groupby(["area"] + keys, as_index=False)["value"].sum()
        wv = inten.ratio_by_region(vol, prod[["area"] + keys + ["value"]], keys)
        out.append((f"water_{kind}", wv, "MH2011 x year production",
                    lambda c, p: "missing: livestock water (no source)"))

    # nitrogen: IFA 2007/08 N per t of 2007/08 production, applied to 2010 production
    nit = nitrogen_per_country(raw)
    nvol = crop[crop["year"] == BASE_YEAR].merge(nit, on=["area", "item_code"])
    nvol = nvol.assign(value=nvol["value"] * nvol["kg_per_t"])
    nvol = nvol.groupby(["area"] + keys, as_index=False)["value"].sum()
    nv = inten.ratio_by_region(nvol, prod[["area"] + keys + ["value"]], keys)
    nv = nv[nv["commodity"].isin(crops)]
    def n_reason(c, p):
        if c in LIVESTOCK:
            return "missing: livestock N (no source)"
        if c == "rapeseed":
            return "missing: IFA rapeseed inside OtherOilSeeds"
        return "missing: IFA 2007/08 applied to 2010 only"
    src_n = "IFA2009 x 2010 production"
    out.append(("nitrogen", nv, src_n, n_reason))
    out.append(("n2o", inten.n2o_from_nitrogen(nv), "IFA2009 x IPCC2006 EF1 x 44/28",
                n_reason))
    out.append(("ch4", nv.iloc[0:0], "",
                lambda c, p: ("missing: rice CH4 (no source)"
                              if c == "rice" else "missing: livestock CH4 (no source)"
                              if c in LIVESTOCK else "missing: crop CH4 (no source)")))
    frames = []
    for ind, vals, src, reason in out:
        v = vals.rename(columns={"year": "period"})[["region", "commodity", "period", "value"]]
        frames.append(inten.complete(v, regions, commodities, YEARS, ind, src, reason))
    return pd.concat(frames, ignore_index=True)


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
def build_scheme(raw: dict, ct: dict, scheme: str, out_dir: Path) -> dict:
    amap = load_area_map()
    com = load_commodities()
    commodities = list(com["commodity"])
    rnames = region_names(scheme)
    regions = list(rnames["region"])
    unmapped: set[int] = set()

    # trade: reconcile (country level), map to regions, net, kt
    rec = mirror.reconcile(raw["trade"].rename(columns={"quantity": "quantity"}))
    rec_r, miss = map_areas(rec, ["exporter", "importer"], scheme, amap, unmapped="list")
    unmapped.update(miss)
    gross_net = mirror.gross_net_report(rec_r)
    net = mirror.net_flows(rec_r)
    net["flow"] = net["flow"] / 1000.0

    m, flows, notes = market_tables(ct, net, scheme, amap, regions, commodities, raw["deflator"], unmapped)
    m, basis = fill_prices(m, ct["value"], raw["deflator"])
    el = pd.read_csv(MAPPINGS / "elasticities.csv").set_index("commodity")
    base = m[m["year"] == BASE_YEAR].copy()
    base["supply_elasticity"] = base["commodity"].map(el["supply_elasticity"])
    base["demand_elasticity"] = base["commodity"].map(el["demand_elasticity"])
    markets = base[["region", "commodity", "production", "consumption", "price", "supply_elasticity",
                    "demand_elasticity"]]

    # routes: every ordered pair x commodity; distance-based transport cost estimate
    prod2010 = with_region(ct["production"][ct["production"]["year"] == BASE_YEAR], scheme, amap, unmapped)
    cen = pd.read_csv(MAPPINGS / "country_centroids.csv", keep_default_na=False)
    w = prod2010.groupby("area")["value"].sum().rename("weight").reset_index()
    w = w.merge(amap[["fao_code", "iso3"]], left_on="area", right_on="fao_code").merge(cen, on="iso3")
    w = with_region(w, scheme, amap, unmapped)
    centroids = transport.weighted_centroids(w[w["weight"] > 0])
    bench = pd.read_csv(MAPPINGS / "freight_benchmarks.csv")
    defl = raw["deflator"]
    to_base = float(defl[BASE_YEAR] / defl[int(bench["price_year"].iloc[0])])
    rate = transport.fitted_rate(bench, deflator=to_base)
    costs = transport.route_costs(centroids, rate)
    grid = pd.DataFrame([(a, b, c) for a in regions for b in regions if a != b for c in commodities],
                        columns=["exporter", "importer", "commodity"])
    routes = grid.merge(costs, on=["exporter", "importer"], how="left")
    f10 = flows[flows["year"] == BASE_YEAR].drop(columns="year")
    routes = routes.merge(f10, on=["exporter", "importer", "commodity"], how="left").fillna({"flow": 0.0})
    routes["tariff"] = 0.0
    routes["expansion_elasticity"] = np.nan
    routes["new_flow_slope"] = np.nan
    routes = routes[["exporter", "importer", "commodity", "flow", "transport_cost", "tariff",
                     "expansion_elasticity", "new_flow_slope"]]

    obs = m[m["year"].isin(OBSERVED_YEARS)].copy()
    obs_markets = obs.drop(columns="price_basis")
    obs_markets["price"] = m.loc[obs.index, "price"].where(basis.loc[obs.index, "price_basis"].str.startswith(
        "regional"))
    obs_markets = obs_markets[["year", "region", "commodity", "production", "consumption", "price"]]
    obs_flows = flows[flows["year"].isin(OBSERVED_YEARS)]
    obs_flows = obs_flows[["year", "exporter", "importer", "commodity", "flow"]]

    ints = intensity_table(raw, ct, scheme, amap, regions, commodities, unmapped)
    meta = {
        "title": f"petra default dataset ({scheme}): FAOSTAT-based base year {BASE_YEAR}",
        "base_year": BASE_YEAR, "region_scheme": scheme, "observed_years": OBSERVED_YEARS,
        "units": {"quantity": "kt (1000 t, primary equivalent)", "price": "USD(2010)/t",
                  "transport_cost": "USD(2010)/t (distance-based estimate)",
                  "tariff": "USD/t (0: no source)"},
        "transport_rate_usd_per_t_km": rate,
        "sources": ["FAO FAOSTAT Detailed Trade Matrix (exporter-reported quantities, netviz-tools 0.2.0)",
                    "FAO FAOSTAT QCL production and value of production (via JGCRI gcamfaostat)",
                    "FAO FAOSTAT QCL area harvested (via gcamdata_FAO_raw)",
                    "FAO FAOSTAT Food Balance Sheets (sugar, via agrifoodpy-data)",
                    "FAOSTAT GDP deflator (US, via gcamfaostat)",
                    "Mekonnen & Hoekstra (2011) crop water footprints", "IFA / Heffer (2009) N by crop",
                    "USDA Grain Transportation Report (freight benchmarks)",
                    "360info country centroids (CC BY 4.0)", "see PROVENANCE.md"],
        "licence": "FAOSTAT data CC BY 4.0; other sources see PROVENANCE.md",
        "notes": "consumption = production + imports - exports (net flows); stock changes out of scope",
    }
    cm = com[["commodity", "name", "unit"]]
    with atomic_output_dir(out_dir, "build") as tmp:
        markets.to_csv(tmp / "markets.csv", index=False, float_format="%.12g")
        routes.to_csv(tmp / "routes.csv", index=False, float_format="%.12g")
        rnames.to_csv(tmp / "regions.csv", index=False)
        cm.to_csv(tmp / "commodities.csv", index=False)
        obs_markets.to_csv(tmp / "observed_markets.csv", index=False, float_format="%.12g")
        obs_flows.to_csv(tmp / "observed_flows.csv", index=False, float_format="%.12g")
        ints.to_csv(tmp / "intensities.csv", index=False, float_format="%.12g")
        basis[basis["price_basis"].str.startswith("FILLED")].to_csv(tmp / "price_fills.csv", index=False)
        import tomli_w
        (tmp / "dataset.toml").write_text(tomli_w.dumps(meta), encoding="utf-8")
        write_report(tmp / "BUILD_REPORT.md", scheme, markets, routes, gross_net, notes, unmapped, rate,
                     basis, centroids)
        load_dataset(tmp)  # validate before it replaces the shipped folder
    return {"markets": markets, "routes": routes, "notes": notes, "unmapped": sorted(unmapped)}


def write_report(path, scheme, markets, routes, gross_net, notes, unmapped, rate, basis, centroids) -> None:
    fills = basis[basis["price_basis"].str.startswith("FILLED")]
    gn = gross_net[gross_net["year"] == BASE_YEAR]
    lines = [f"# Build report: {scheme}", "",
             f"Generated by `python -m petra.data.build`. Base year {BASE_YEAR}, observed "
             f"{OBSERVED_YEARS[0]}-{OBSERVED_YEARS[-1]}.", "",
             f"- markets: {len(markets)}; routes: {len(routes)} "
             f"({int((routes['flow'] > 0).sum())} with 2010 flow)",
             f"- transport rate: {rate:.6f} USD(2010) per t per great-circle km (estimate)",
             f"- FAO area codes in the raw data without a map entry (dropped): {unmapped or 'none'}", "",
             "## Gross vs net inter-regional trade, 2010 (kt)", "",
             "| commodity | gross | net | netted share |",
             "|---|---|---|---|"]
    lines += [f"| {r.commodity} | {r.gross / 1000:.1f} | {r.net / 1000:.1f} | {r.netted_share:.3f} |"
              for r in gn.itertuples()]
    lines += ["", "## Balance adjustments (re-exports / stock draws exceeding supply)", ""]
    lines += [f"- {n}" for n in notes] or ["- none"]
    lines += ["", "## Price fills (world average producer unit value)", ""]
    lines += [f"- {r.region} {r.commodity} {r.year}" for r in fills.itertuples()] or ["- none"]
    lines += ["", "## Region centroids (production-weighted, for the transport estimate)", ""]
    lines += [f"- {r.region}: {r.lat:.2f}, {r.lon:.2f}" for r in centroids.itertuples()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sources", default="../shared/data-sources", help="folder of the raw downloads")
    p.add_argument("--out", default="data", help="folder receiving one dataset folder per scheme")
    p.add_argument("--schemes", default=",".join(SCHEMES))
    a = p.parse_args(argv)
    raw = read_sources(Path(a.sources))
    ct = country_tables(raw, load_commodities())
    for scheme in a.schemes.split(","):
        res = build_scheme(raw, ct, scheme, Path(a.out) / scheme)
        print(f"{scheme}: {len(res['markets'])} markets, {len(res['routes'])} routes, "
              f"{len(res['notes'])} balance adjustments, unmapped {res['unmapped']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
