"""The build's hook for behavioural and policy inputs of one region scheme: IMPACT elasticities on
markets.csv, income_elasticities.csv, tariffs on routes.csv with tariff_sources.csv, and the tariff
schedules (tariff_schedules.csv). Called by petra.data.build.build_scheme; see data/PROVENANCE.md."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from petra import bounds
from petra.data import impact, tariffs
from petra.data.commodities import MAPPINGS


@dataclass(frozen=True)
class PolicyInputs:
    markets: pd.DataFrame           # markets.csv with IMPACT elasticities
    income: pd.DataFrame            # region, commodity, income_elasticity
    routes: pd.DataFrame            # routes.csv with tariffs (USD/t)
    tariff_sources: pd.DataFrame    # exporter, importer, commodity, ad_valorem, source, year, weights
    schedules: pd.DataFrame         # schedule, exporter, importer, commodity, ad_valorem, source
    report: list[str]               # BUILD_REPORT.md lines


def read_policy_sources(src: Path) -> dict:
    """Raw IMPACT tables and China's HS10 lines (read once for all schemes)."""
    return {"impact": impact.read_impact(src), "china_lines": tariffs.china_lines(src), "src": Path(src)}


def build_policy_inputs(pol: dict, ct: dict, country_flows: pd.DataFrame, scheme: str, amap: pd.DataFrame,
                        markets: pd.DataFrame, routes: pd.DataFrame, world_price: pd.Series,
                        usd_2017_to_base: float, base_year: int) -> PolicyInputs:
    """markets/routes: the base-year tables of the build; country_flows: screened country-level flows
    (exporter, importer, commodity, year, quantity t); world_price: base-year world producer unit value
    per commodity (USD(base)/t)."""
    weights = impact.country_weights(ct["production"], country_flows, base_year)
    crop = ct["crop"][ct["crop"]["year"] == base_year]
    defaults = pd.read_csv(MAPPINGS / "elasticities.csv")
    keys = pd.MultiIndex.from_frame(markets[["region", "commodity"]])
    el = impact.market_elasticities(pol["impact"], amap, scheme, keys, weights["production"],
                                    weights["consumption"], crop, defaults)
    t = el.table.set_index(["region", "commodity"]).reindex(keys)
    m = markets.copy()
    for col in ("supply_elasticity", "demand_elasticity"):
        m[col] = t[col].to_numpy()
    income = t[["income_elasticity"]].reset_index()

    # tariffs
    region_of = amap[amap[scheme] != ""].set_index("fao_code")[scheme]
    tm = impact.country_import_tax(pol["impact"], amap)
    cn = tariffs.china_rates(pol["china_lines"])
    us_l = tariffs.us_lines(pol["src"], world_price, usd_2017_to_base)
    us = tariffs.us_rates(us_l)
    rates = tariffs.country_rates(tm, cn, us)
    tariffs.check_fraction(rates["ad_valorem"], "country tariff", bounds.AD_VALOREM_MAX)
    flows = country_flows[country_flows["year"] == base_year]
    single = tariffs.single_market_regions(amap, scheme)
    rr = tariffs.route_rates(rates, flows, region_of, routes, single)
    price = markets.set_index(["region", "commodity"])["price"]
    ex_price = price.reindex(pd.MultiIndex.from_frame(routes[["exporter", "commodity"]])).to_numpy(float)
    av = rr["ad_valorem"].fillna(0.0).to_numpy()
    r = routes.copy()
    r["tariff"] = av * ex_price
    src = rr.assign(exporter=routes["exporter"], importer=routes["importer"], commodity=routes["commodity"],
                    ad_valorem=av)
    none = rr["ad_valorem"].isna()
    src.loc[none, ["source", "weights"]] = ["", "none"]
    src = src[["exporter", "importer", "commodity", "ad_valorem", "source", "year", "weights"]]

    # China's retaliation on US goods as a schedule (routes from the US region into the China region)
    cn_region, us_region = region_of.get(tariffs.CHINA), region_of.get(tariffs.USA)
    sched = cn.assign(schedule=tariffs.RETALIATION, exporter=us_region, importer=cn_region,
                      ad_valorem=cn["retaliation"],
                      source="PIIE (Bown, Jung & Zhang 2019) sum of China's retaliation steps on US goods "
                             "2 Apr 2018 - 1 Jun 2019, " + cn["basis"] + " over HS10 lines")
    sched = sched[sched["ad_valorem"] > 0][["schedule", "exporter", "importer", "commodity", "ad_valorem",
                                            "source"]]
    report = policy_report(el, rr, src, cn, us, us_l, pol["china_lines"], flows, region_of, amap)
    return PolicyInputs(m, income, r, src, sched.reset_index(drop=True), report)


def policy_report(el, rr, src, cn, us, us_l, cn_lines, flows, region_of, amap) -> list[str]:
    """BUILD_REPORT.md section: elasticity bases and clipping, tariff sources, quota check."""
    t = el.table
    lines = ["", "## Elasticities (IFPRI IMPACT 3; see PROVENANCE.md)", ""]
    for col in ("supply", "demand", "income"):
        counts = t[f"{col}_basis"].value_counts()
        lines.append(f"- {col}: " + ", ".join(f"{k} {v}" for k, v in counts.items())
                     + f"; {t[f'{col}_elasticity'].nunique()} distinct values, range "
                     f"{t[f'{col}_elasticity'].min():.3f} to {t[f'{col}_elasticity'].max():.3f}")
    for col, fallback in (("supply", "mappings/elasticities.csv"), ("demand", "mappings/elasticities.csv"),
                          ("income", "0")):
        d = t[t[f"{col}_basis"] == "default"]
        if len(d):
            lines.append(f"- {col}: no IMPACT country in the market, {fallback} used: "
                         + ", ".join(f"{r.region} {r.commodity}" for r in d.itertuples()))
    lines += ["- clipped to petra.bounds: " + ("; ".join(el.clipped) if el.clipped else "none")]
    lines += ["", "## Tariffs (ad valorem x exporter's base-year price)", "",
              "China MFN 2018 per commodity (fraction; trade-weighted by 2017 imports from the US):", ""]
    lines += [f"- {r.commodity}: MFN {r.mfn:.4f}, retaliation +{r.retaliation:.4f} ({r.basis}, "
              f"{r.n_lines} lines)" for r in cn.itertuples()]
    nq = int(cn_lines["in_quota"].sum())
    lines += [f"- {nq} out-of-quota lines taken at the in-quota rate (mappings/china_tariff_quotas.csv)"]
    cn_imp = flows[flows["importer"] == tariffs.CHINA].groupby("commodity")["quantity"].sum() / 1e6
    quota = {"wheat": 9.636, "maize": 7.2, "rice": 5.32, "sugar": 1.945}
    lines += [f"- China base-year imports {c}: {cn_imp.get(c, 0.0):.2f} Mt (quota {q} Mt, "
              f"{'within' if cn_imp.get(c, 0.0) <= q else 'ABOVE'})" for c, q in quota.items()]
    lines += ["", "US MFN 2017 per commodity (simple mean over HTS8 lines):", ""]
    lines += [f"- {r.commodity}: {r.mfn:.4f} ({r.n_lines} lines, {r.n_skipped} left out: formula rates or "
              f"non-kg units)" for r in us.itertuples()]
    lines += ["", "Route tariff sources (routes):", ""]
    lines += [f"- {k}: {v}" for k, v in src["source"].value_counts().items()]
    lines += ["- weights: " + ", ".join(f"{k} {v}" for k, v in rr["weights"].value_counts().items())]
    lines += ["", "Codes of tariff_sources.csv:", ""]
    lines += [f"- source `{k}`: {v}" for k, v in tariffs.SOURCE_CODES.items()]
    lines += [f"- weights `{k}`: {v}" for k, v in tariffs.WEIGHT_CODES.items()]
    nz = src["ad_valorem"]
    lines += [f"- ad valorem: mean {nz.mean():.4f}, max {nz.max():.4f} "
              f"({src.loc[nz.idxmax(), 'exporter']}->{src.loc[nz.idxmax(), 'importer']} "
              f"{src.loc[nz.idxmax(), 'commodity']})"]
    return lines

