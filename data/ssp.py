"""SSP drivers per dataset region: population and GDP (PPP) of the IIASA SSP database, summed over the
countries of each region (`ssp_drivers.csv` of a dataset; the contract is in petra/dataset.py).

    python -m petra.data.ssp --sources ../shared/data-sources --out data

reads `ssp-drivers/` (see its SOURCE.md) and writes, for every dataset folder under `--out` whose
`dataset.toml` names a region scheme (china9, globiom37), `ssp_drivers.csv`

    release, ssp, region, year, population, gdp_ppp, gdp_per_capita, gdp_unit

release v3 (SSP database 2024: IIASA-WiC POP 2023, OECD ENV-Growth 2023 GDP|PPP in billion US$2017/yr)
and v2 (2013, "v9": IIASA-WiC population, IIASA GDP in billion US$2005/yr); SSP1-SSP5, 2010-2100 in
5-year steps. population: million, sum over the region's countries with a population value.
gdp_ppp: billion US$ PPP per year (base year in gdp_unit), sum over the countries with a GDP value.
gdp_per_capita: thousand US$ per person and year = GDP / population of the countries that have both
(the population-weighted mean of their per-capita GDP). Countries are mapped with the committed area
map (data/mappings/areas.csv, ISO3 -> region). The build also adds an "SSP drivers" section to the
folder's BUILD_REPORT.md (countries without a region, regions without a country, countries with
population but no GDP) and a `[ssp_drivers]` table to its dataset.toml. A region without any SSP
country is an error naming it.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import tomli_w

from petra.dataset import SSP_NAMES, SSP_RELEASES
from petra.errors import InputError
from petra.textfiles import load_toml

SOURCE_FOLDER = "ssp-drivers"
V3_FILE = "SSP_drivers_v3_2024-04-12.csv.gz"
V2_POPULATION_FILE = "SSPv2_IIASA-WiC_population_by_country.csv"
V2_GDP_FILE = "SSPv2_IIASA-GDP_gdp_ppp_by_country.csv"
V3_GDP_UNIT = "billion US$2017/yr"   # the official SSP v3 GDP|PPP series (OECD ENV-Growth 2023)
GDP_UNITS = {"v3": "billion USD_2017/yr", "v2": "billion USD_2005/yr"}  # as written (IAMC spelling)
assert tuple(GDP_UNITS) == SSP_RELEASES
YEARS = tuple(range(2010, 2101, 5))
# ISO3 codes of the v2 files that are not ISO 3166 (Romania's old UNDP code)
ISO3_ALIASES = {"ROM": "ROU"}
COLUMNS = ["release", "ssp", "region", "year", "population", "gdp_ppp", "gdp_per_capita", "gdp_unit"]
FILE_NAME = "ssp_drivers.csv"
REPORT_HEADING = "## SSP drivers (ssp_drivers.csv)"
FLOAT_FORMAT = "%.7g"  # 7 significant digits (rounding 5e-8 relative)

PROVENANCE = {
    "file": FILE_NAME,
    "built_by": "python -m petra.data.ssp --sources ../shared/data-sources --out data",
    "v3": ("SSP database v3 (2024 update) via github.com/iiasa/ssp2024_amended "
           "data/SSP_drivers_v3_2024-04-12(in).csv (snapshot d5577f6): Population = IIASA-WiC POP 2023 "
           "(million), GDP|PPP = OECD ENV-Growth 2023 (billion US$2017/yr); CC BY 4.0 (IIASA)"),
    "v2": ("SSP database v2 (2013, v9) via github.com/bc3LC/rfasst (snapshot bfcf2f3): IIASA-WiC "
           "population (age/sex cohorts summed, million), IIASA GDP model GDP|PPP (billion US$2005/yr); "
           "free for research use with citation (Riahi et al. 2017)"),
    "aggregation": ("countries (ISO3) mapped to regions with data/mappings/areas.csv; population and GDP "
                    "summed per region; gdp_per_capita = GDP / population of the countries with both "
                    "(thousand US$ per person and year)"),
    "gdp_unit": GDP_UNITS,
    "years": f"{YEARS[0]}-{YEARS[-1]} every 5 years",
}


@dataclass(frozen=True)
class Aggregate:
    """A dataset's SSP table and what the build report lists."""

    table: pd.DataFrame
    unmapped: dict[str, list[str]]          # release -> ISO3 codes without a region
    population_only: dict[str, list[str]]   # release -> ISO3 codes with population but no GDP
    regions: dict[str, dict[str, int]]      # release -> region -> number of countries
    gdp_filled: dict[str, list[str]] = field(default_factory=dict)  # release -> regions without any GDP
    skipped: dict[str, list[str]] = field(default_factory=dict)  # release not built -> regions it lacks


def _years_of(frame: pd.DataFrame) -> list[str]:
    missing = [str(y) for y in YEARS if str(y) not in frame.columns]
    if missing:
        raise InputError(f"year column {missing[0]} is missing", file=frame.attrs.get("file"))
    return [str(y) for y in YEARS]


def _long(frame: pd.DataFrame, ssp: str, iso: str, variable: str) -> pd.DataFrame:
    years = _years_of(frame)
    out = frame.melt(id_vars=[ssp, iso], value_vars=years, var_name="year", value_name=variable)
    out = out.rename(columns={ssp: "ssp", iso: "iso3"})
    out["year"] = out["year"].astype(int)
    out["iso3"] = out["iso3"].replace(ISO3_ALIASES)
    return out.dropna(subset=[variable])


def read_v3(folder: Path) -> pd.DataFrame:
    """SSP v3 country table: ssp, iso3, year, population (million), gdp_ppp (billion US$2017/yr)."""
    path = folder / V3_FILE
    raw = pd.read_csv(path)
    raw.attrs["file"] = str(path)
    pop = raw[raw["Variable"] == "Population"]
    gdp = raw[(raw["Variable"] == "GDP|PPP") & (raw["Unit"] == V3_GDP_UNIT)]
    if pop.empty or gdp.empty:
        raise InputError(f"no Population or GDP|PPP ({V3_GDP_UNIT}) rows", file=str(path))
    return _merge(_long(pop, "SSP", "ISO", "population"), _long(gdp, "SSP", "ISO", "gdp_ppp"))


def read_v2(folder: Path) -> pd.DataFrame:
    """SSP v2 country table: ssp, iso3, year, population (million), gdp_ppp (billion US$2005/yr)."""
    pop = pd.read_csv(folder / V2_POPULATION_FILE)
    pop.attrs["file"] = str(folder / V2_POPULATION_FILE)
    gdp = pd.read_csv(folder / V2_GDP_FILE)
    gdp.attrs["file"] = str(folder / V2_GDP_FILE)
    gdp["SCENARIO"] = gdp["SCENARIO"].str.split("_").str[0]   # SSP2_v9_130219 -> SSP2
    return _merge(_long(pop, "scenario", "iso3", "population"), _long(gdp, "SCENARIO", "REGION", "gdp_ppp"))


def _merge(pop: pd.DataFrame, gdp: pd.DataFrame) -> pd.DataFrame:
    out = pop.merge(gdp, on=["ssp", "iso3", "year"], how="outer")
    return out[out["ssp"].isin(SSP_NAMES)].reset_index(drop=True)


def iso3_regions(area_map: pd.DataFrame, scheme: str) -> dict[str, str]:
    """ISO3 -> region of `scheme` from the area map (rows with an empty region, e.g. FAO 351 "China"
    incl. HK/MO/TW, are aggregates and never count)."""
    rows = area_map[area_map[scheme] != ""]
    return dict(zip(rows["iso3"], rows[scheme], strict=True))


def aggregate(countries: dict[str, pd.DataFrame], regions_of: dict[str, str],
              regions: list[str]) -> Aggregate:
    """Per release, the region sums of `countries` (release -> country table of read_v3/read_v2).

    InputError naming the first region of `regions` that no country of the first release (v3, the
    default) maps to. A later release (v2) lacking a region is left out of the table whole (a
    country-level map: v2 has no ATG, ESH, KIR, SYC, SSD) and listed in `skipped`, so a scenario asking
    for it gets the run's one-line 'no series' error instead of a partial world."""
    parts, unmapped, pop_only, counts, filled, skipped = [], {}, {}, {}, {}, {}
    for k, (release, c) in enumerate(countries.items()):
        region = c["iso3"].map(regions_of)
        unmapped[release] = sorted(set(c.loc[region.isna(), "iso3"]))
        pop_only[release] = sorted(set(c.loc[c["population"].notna() & c["gdp_ppp"].isna(), "iso3"]))
        c = c.assign(region=region).dropna(subset=["region"])
        empty = [r for r in regions if r not in set(c["region"])]
        if empty and k > 0:
            skipped[release] = empty
            continue
        if empty:
            raise InputError(f"SSP {release}: region '{empty[0]}' has no country in the SSP files "
                             "(data/mappings/areas.csv)")
        counts[release] = c.groupby("region")["iso3"].nunique().reindex(regions).astype(int).to_dict()
        both = c["population"].notna() & c["gdp_ppp"].notna()
        c = c.assign(pop_with_gdp=np.where(both, c["population"], 0.0),
                     gdp_with_pop=np.where(both, c["gdp_ppp"], 0.0))
        g = c.groupby(["ssp", "region", "year"], as_index=False)[
            ["population", "gdp_ppp", "pop_with_gdp", "gdp_with_pop"]].sum(min_count=1)
        g["gdp_per_capita"] = g["gdp_with_pop"] / g["pop_with_gdp"]
        # a region none of whose countries has GDP (in a country-level map: AFG, VEN, ... alone) takes the
        # world's GDP per capita of that SSP and year (all countries with both series): stated, reported
        with np.errstate(invalid="ignore", divide="ignore"):
            world = c.groupby(["ssp", "year"])[["gdp_with_pop", "pop_with_gdp"]].sum()
            world_pc = (world["gdp_with_pop"] / world["pop_with_gdp"]).rename("world_pc").reset_index()
        none = g["pop_with_gdp"] <= 0
        if none.any():
            g = g.merge(world_pc, on=["ssp", "year"], how="left")
            g.loc[none, "gdp_per_capita"] = g.loc[none, "world_pc"]
            g.loc[none, "gdp_ppp"] = g.loc[none, "world_pc"] * g.loc[none, "population"]
            g = g.drop(columns="world_pc")
        filled[release] = sorted(set(g.loc[none, "region"]) & set(regions))
        g["release"], g["gdp_unit"] = release, GDP_UNITS[release]
        parts.append(g)
    table = pd.concat(parts, ignore_index=True)
    order = {r: i for i, r in enumerate(regions)}
    table = table[table["region"].isin(order)]
    table = table.sort_values(["release", "ssp", "region", "year"],
                              key=lambda s: s.map(order) if s.name == "region" else s,
                              ascending=[False, True, True, True])
    return Aggregate(table=table[COLUMNS].reset_index(drop=True), unmapped=unmapped,
                     population_only=pop_only, regions=counts, gdp_filled=filled, skipped=skipped)


def report_lines(agg: Aggregate) -> list[str]:
    """The BUILD_REPORT.md section of the SSP drivers."""
    lines = [REPORT_HEADING, "",
             f"Built by `{PROVENANCE['built_by']}`. Population: million; GDP|PPP: "
             + "; ".join(f"{r} {u}" for r, u in GDP_UNITS.items())
             + ". gdp_per_capita = GDP / population of the countries with both.", "",
             "| release | countries per region | SSP countries without a region (dropped) "
             "| countries with population but no GDP in some year (in population only) |",
             "|---|---|---|---|"]
    for release, counts in agg.regions.items():
        per_region = ", ".join(f"{r} {n}" for r, n in counts.items())
        lines.append(f"| {release} | {per_region} | {', '.join(agg.unmapped[release]) or 'none'} "
                     f"| {', '.join(agg.population_only[release]) or 'none'} |")
    filled = {r: v for r, v in agg.gdp_filled.items() if v}
    if filled:
        lines += ["", "Regions without any country's GDP, given the world's GDP per capita of the SSP and "
                  "year: " + "; ".join(f"{r} {', '.join(v)}" for r, v in filled.items())]
    for release, lacking in agg.skipped.items():
        lines += ["", f"Release {release} not built: it has no country for region(s) {', '.join(lacking)} "
                  "(a scenario naming it stops with a one-line error)."]
    lines += ["", "Regions without any country of the default release: none (that is a build error).", ""]
    return lines


def write_report_section(path: Path, lines: list[str]) -> None:
    """Replace (or append) the SSP section of BUILD_REPORT.md; the section runs to the end of the file."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    head = text.split(REPORT_HEADING)[0].rstrip("\n")
    write_text(path, (head + "\n\n" if head else "") + "\n".join(lines))


def write_text(path: Path, text: str) -> None:
    """Replace `path` by `text` (UTF-8) atomically: a temporary file beside it, then a rename."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def read_countries(sources: Path) -> dict[str, pd.DataFrame]:
    """Both releases' country tables from the raw SSP files (release -> table)."""
    folder = Path(sources) / SOURCE_FOLDER
    if not folder.is_dir():
        raise InputError("SSP source folder not found", file=str(folder))
    return {"v3": read_v3(folder), "v2": read_v2(folder)}


def build_into(folder: Path, scheme: str, countries: dict[str, pd.DataFrame], area_map: pd.DataFrame,
               regions: list[str]) -> Aggregate:
    """Write ssp_drivers.csv, the report section and the dataset.toml table into a dataset folder."""
    agg = aggregate(countries, iso3_regions(area_map, scheme), regions)
    tmp = folder / f".{FILE_NAME}.tmp-{os.getpid()}"
    agg.table.to_csv(tmp, index=False, float_format=FLOAT_FORMAT)
    os.replace(tmp, folder / FILE_NAME)
    write_report_section(folder / "BUILD_REPORT.md", report_lines(agg))
    toml = folder / "dataset.toml"
    meta = load_toml(toml, what="dataset.toml") if toml.is_file() else {}
    meta["ssp_drivers"] = PROVENANCE
    write_text(toml, tomli_w.dumps(meta))
    return agg


def main(argv: list[str] | None = None) -> int:
    from petra.data.regions import load_area_map, region_names

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sources", default="../shared/data-sources", help="folder of the raw downloads")
    p.add_argument("--out", default="data", help="folder holding one dataset folder per scheme")
    p.add_argument("--schemes", default="china9,globiom37")
    a = p.parse_args(argv)
    try:
        countries = read_countries(Path(a.sources))
        for scheme in a.schemes.split(","):
            regions = list(region_names(scheme)["region"])
            agg = build_into(Path(a.out) / scheme, scheme, countries, load_area_map(), regions)
            print(f"{scheme}: {len(agg.table)} rows; without a region: "
                  + "; ".join(f"{r} {len(v)}" for r, v in agg.unmapped.items()), file=sys.stderr)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
