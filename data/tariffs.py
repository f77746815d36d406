"""Import tariffs per route and commodity (ad valorem equivalents), and China's 2018-2019 retaliation.

Per importing country (fractions of the price, ad valorem):

* China mainland (FAO 41): MFN applied rates of 1 Jan 2018 (`china-retaliatory-tariffs-2018`, PIIE/MOF,
  HS10), lines -> petra commodity by `mappings/hs_commodities.csv` (longest HS prefix), mean over the
  lines weighted by China's 2017 imports from the US (HS8, split equally over its HS10 lines), the
  simple mean where the commodity's lines have no such imports. Out-of-quota lines of tariff-rate
  quota products are taken at the in-quota rate (`mappings/china_tariff_quotas.csv`): the base-year
  imports lie within the quotas (BUILD_REPORT checks this).
* United States (and Puerto Rico, same customs territory): 2017 MFN (`us-mfn-tariffs-usitc-2017`,
  HTS8), ad valorem part + specific part (USD/kg of product) / unit value of the product, the unit
  value being the commodity's base-year world producer unit value x the line's primary-equivalent
  factor; simple mean over the lines (no US import weights in the store); lines with other
  quantity units or formula rates are left out and counted.
* every other country: IMPACT's import tax wedge TM (fraction, base ~2005; `petra.data.impact`).

Per route (exporter region, importer region, commodity): the mean over the importer region's countries
weighted by their base-year imports from the exporter region, else by their imports from outside
their region, else unweighted. Routes between two regions of the EU single market carry 0.
Free-trade agreements and preferences (NAFTA, ...) are not modelled: every exporter faces the MFN
rate. USD/t = ad valorem x the exporter's base-year price (as scenario `ad_valorem` rules convert,
petra.projection.drivers).

China's retaliation on US goods (sum of the PIIE `ret_*` increments, in force from 1 June 2019) is
written as the tariff schedule `china_retaliation_2018` (additional ad valorem, same weights).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from petra.data.commodities import MAPPINGS
from petra.errors import InputError

CHINA_DIR = "china-retaliatory-tariffs-2018"
US_DIR = "us-mfn-tariffs-usitc-2017"
CHINA, USA = 41, 231  # FAO codes of China mainland and the United States
US_CUSTOMS = {USA, 177}  # USA, Puerto Rico (FAO codes): the US MFN schedule applies
CHINA_YEAR, US_YEAR, TM_YEAR = 2018, 2017, 2005
RETALIATION = "china_retaliation_2018"
RETALIATION_COLUMNS = ["ret_2018_04_02", "ret_2018_07_06", "ret_2018_08_23", "ret_2018_09_24",
                       "ret_2019_01_01_auto_suspension", "ret_2019_06_01"]
EU_SINGLE_MARKET = {  # ISO3 (and FAO historical codes' ISO-like labels) of the EU single market 2010-2020
    "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN", "IRL",
    "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP", "SWE", "GBR",
    "BLX", "CSK"}
US_RATE_TYPES = {"0", "1", "4", "7"}  # free, specific, specific + ad valorem, ad valorem
US_PLACEHOLDER = 9999.0  # USITC marks formula rates with 9999.999999
SOURCE_CHINA, SOURCE_US, SOURCE_TM, SOURCE_EU = "cn_mfn_2018", "us_mfn_2017", "impact_tm", "eu_internal"
SOURCE_CODES = {  # tariff_sources.csv `source` codes (also in dataset.toml [provenance.tariff_sources])
    SOURCE_CHINA: "China MFN applied rate 1 Jan 2018 (PIIE/MOF HS10), weighted by China's 2017 imports "
                  "from the US; TRQ products at the in-quota rate",
    SOURCE_US: "US MFN 2017 (USITC tariff database HTS8), simple mean, specific rates at unit values",
    SOURCE_TM: "IFPRI IMPACT 3 import tax wedge TM (fraction, base ~2005)",
    SOURCE_EU: "both regions in the EU single market: 0",
}
WEIGHT_CODES = {  # tariff_sources.csv `weights`: how the importer region's countries were averaged
    "exporter": "base-year imports from the exporter region", "imports": "base-year imports from outside "
    "the importer region", "equal": "unweighted (no imports)", "internal": "none (single market)",
    "none": "no country of the importer has a rate: 0"}


def load_hs_map(path: Path | None = None) -> pd.DataFrame:
    """mappings/hs_commodities.csv: hs (prefix, text), commodity, factor (t primary eq. per t product)."""
    return pd.read_csv(path or MAPPINGS / "hs_commodities.csv", dtype={"hs": str})


def match_hs(codes: pd.Series, table: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """Per code, `cols` of the table row with the longest `hs` prefix of the code (NaN where none)."""
    out = pd.DataFrame(index=codes.index, columns=cols, dtype=object)
    best = pd.Series(0, index=codes.index)
    for r in table.itertuples():
        hit = codes.str.startswith(r.hs) & (len(r.hs) > best)
        out.loc[hit, cols] = [getattr(r, c) for c in cols]
        best[hit] = len(r.hs)
    return out


def weighted(df: pd.DataFrame, col: str, weight: str = "weight") -> tuple[float, str]:
    """Mean of `col` weighted by `weight` ('trade-weighted'), or the simple mean where the weights
    sum to 0 ('simple mean')."""
    w = df[weight].to_numpy(float)
    if w.sum() > 0:
        return float(np.average(df[col].to_numpy(float), weights=w)), "trade-weighted"
    return float(df[col].mean()), "simple mean"


# ---------------------------------------------------------------------------------------- China
def china_lines(src: Path) -> pd.DataFrame:
    """China's HS10 lines of petra commodities: hs10, commodity, mfn and retaliation (fractions),
    in_quota (bool: an out-of-quota line taken at its in-quota rate), weight (2017 imports from the US,
    kUSD, the HS8 value split equally over its HS10 lines)."""
    d = Path(src) / CHINA_DIR
    t = pd.read_csv(d / "china_tariffs_on_us_hs10_2018_2019.csv", dtype={"hs10": str})
    imp = pd.read_csv(d / "china_imports_from_us_2017_hs8.csv", dtype={"hs8": str})
    m = match_hs(t["hs10"], load_hs_map(), ["commodity"])
    t = t.assign(commodity=m["commodity"]).dropna(subset=["commodity"]).copy()
    quotas = pd.read_csv(MAPPINGS / "china_tariff_quotas.csv", dtype={"hs": str})
    q = match_hs(t["hs10"], quotas, ["in_quota_rate"])["in_quota_rate"]
    out_of_quota = t["description"].str.contains("out-of-quota|out of quota", case=False, regex=True)
    t["in_quota"] = out_of_quota & q.notna()
    t["mfn"] = np.where(t["in_quota"], pd.to_numeric(q, errors="coerce"), t["mfn_2018_01_01"]) / 100.0
    t["retaliation"] = t[RETALIATION_COLUMNS].sum(axis=1) / 100.0
    t["hs8"] = t["hs10"].str[:8]
    kusd = imp.groupby("hs8")["china_imports_from_us_2017_kusd"].sum()
    t["weight"] = t["hs8"].map(kusd).fillna(0.0) / t.groupby("hs8")["hs10"].transform("size")
    return t[["hs10", "commodity", "mfn", "retaliation", "in_quota", "weight"]].reset_index(drop=True)


def china_rates(lines: pd.DataFrame) -> pd.DataFrame:
    """commodity, mfn, retaliation (fractions), basis, n_lines."""
    rows = []
    for c, g in lines.groupby("commodity"):
        mfn, basis = weighted(g, "mfn")
        ret, _ = weighted(g, "retaliation")
        rows.append((c, mfn, ret, basis, len(g)))
    return pd.DataFrame(rows, columns=["commodity", "mfn", "retaliation", "basis", "n_lines"])


# ------------------------------------------------------------------------------------------ US
def us_lines(src: Path, unit_value: pd.Series, usd_to_base: float) -> pd.DataFrame:
    """US HTS8 lines of petra commodities: hts8, commodity, ad_valorem (ad valorem + specific / unit
    value), used (False: quantity unit or rate type petra cannot convert).

    unit_value: USD(base)/t of primary equivalent per commodity; usd_to_base: factor from 2017 USD to
    the base year's USD (specific rates are 2017 dollars per kg of product)."""
    path = Path(src) / US_DIR / "usitc_tariff_database_2017_ch01-24.csv.gz"
    d = pd.read_csv(path, dtype=str, keep_default_na=False)
    m = match_hs(d["hts8"], load_hs_map(), ["commodity", "factor"])
    d = d.assign(commodity=m["commodity"], factor=m["factor"]).dropna(subset=["commodity"]).copy()
    av = pd.to_numeric(d["mfn_ad_val_rate"], errors="coerce")
    sp = pd.to_numeric(d["mfn_specific_rate"], errors="coerce")
    d["used"] = (d["mfn_rate_type_code"].isin(US_RATE_TYPES) & (av < US_PLACEHOLDER) & (sp < US_PLACEHOLDER)
                 & ((sp == 0) | (d["quantity_1_code"].str.upper() == "KG")))
    product_value = d["commodity"].map(unit_value).astype(float) * d["factor"].astype(float)  # USD/t product
    d["ad_valorem"] = av + sp * 1000.0 * usd_to_base / product_value
    return d[["hts8", "commodity", "ad_valorem", "used"]].reset_index(drop=True)


def us_rates(lines: pd.DataFrame) -> pd.DataFrame:
    """commodity, mfn (simple mean over the used lines), n_lines, n_skipped."""
    rows = []
    for c, g in lines.groupby("commodity"):
        u = g[g["used"]]
        rows.append((c, float(u["ad_valorem"].mean()) if len(u) else np.nan, len(u), int((~g["used"]).sum())))
    return pd.DataFrame(rows, columns=["commodity", "mfn", "n_lines", "n_skipped"])


# ------------------------------------------------------------------------------ per country
def country_rates(tm: pd.DataFrame, china: pd.DataFrame, us: pd.DataFrame) -> pd.DataFrame:
    """area, commodity, ad_valorem, source, year: the rate each importing country applies (China and
    the US customs territory from their schedules, everyone else IMPACT TM)."""
    other = tm[~tm["area"].isin({CHINA} | US_CUSTOMS)].assign(source=SOURCE_TM, year=TM_YEAR)
    cn = china.assign(area=CHINA, ad_valorem=china["mfn"], source=SOURCE_CHINA, year=CHINA_YEAR)
    us_rows = [us.assign(area=a, ad_valorem=us["mfn"], source=SOURCE_US, year=US_YEAR)
               for a in sorted(US_CUSTOMS)]
    cols = ["area", "commodity", "ad_valorem", "source", "year"]
    out = pd.concat([other[cols], cn[cols], *[u[cols] for u in us_rows]], ignore_index=True)
    return out.dropna(subset=["ad_valorem"]).reset_index(drop=True)


def single_market_regions(amap: pd.DataFrame, scheme: str) -> set[str]:
    """Regions all of whose countries are in the EU single market."""
    a = amap[amap[scheme] != ""]
    members = a.groupby(scheme)["iso3"].apply(set)
    return {r for r, isos in members.items() if isos <= EU_SINGLE_MARKET}


# --------------------------------------------------------------------------------- per route
def route_rates(rates: pd.DataFrame, flows: pd.DataFrame, region_of: pd.Series, routes: pd.DataFrame,
                single_market: set[str], extra: str = "ad_valorem") -> pd.DataFrame:
    """Per route of `routes` (exporter, importer, commodity): `extra` (the rates' column, a fraction)
    averaged over the importer region's countries with a rate, weighted by their base-year imports
    (flows: exporter, importer country codes, commodity, quantity) from the exporter region, else from
    outside their region, else unweighted; source (SOURCE_CODES) and year of the countries' rates;
    weights (WEIGHT_CODES). 0 between two single-market regions; NaN where no country of the importer
    has a rate."""
    r = rates.assign(region=rates["area"].map(region_of)).dropna(subset=["region"])
    f = flows.assign(ex_region=flows["exporter"].map(region_of), im_region=flows["importer"].map(region_of))
    f = f[f["ex_region"] != f["im_region"]]
    from_region = f.groupby(["importer", "ex_region", "commodity"])["quantity"].sum()
    from_outside = f.groupby(["importer", "commodity"])["quantity"].sum()
    by_importer = {k: g for k, g in r.groupby(["region", "commodity"])}
    out = []
    for e, i, c in zip(routes["exporter"], routes["importer"], routes["commodity"], strict=True):
        if e in single_market and i in single_market:
            out.append((0.0, SOURCE_EU, "", "internal"))
            continue
        g = by_importer.get((i, c))
        if g is None or g.empty:
            out.append((np.nan, "", "", "none"))
            continue
        w = np.array([from_region.get((a, e, c), 0.0) for a in g["area"]])
        basis = "exporter"
        if w.sum() <= 0:
            w = np.array([from_outside.get((a, c), 0.0) for a in g["area"]])
            basis = "imports"
        if w.sum() <= 0:
            w = np.ones(len(g))
            basis = "equal"
        v = float(np.average(g[extra].to_numpy(float), weights=w))
        keep = w > 0
        src = ";".join(sorted(set(g["source"][keep])))
        years = ";".join(str(y) for y in sorted(set(g["year"][keep])))
        out.append((v, src, years, basis))
    return pd.DataFrame(out, columns=[extra, "source", "year", "weights"], index=routes.index)


def check_fraction(values: pd.Series, what: str, top: float) -> None:
    """InputError naming the first rate outside [0, top] (a source read wrongly)."""
    bad = (values < 0) | (values > top)
    if bad.any():
        raise InputError(f"{what}: ad valorem {values[bad].iloc[0]:.4g} outside [0, {top:g}]",
                         file="data-sources")
