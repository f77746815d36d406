"""The country-level region map of the `world` dataset (`mappings/regions/world.csv`).

Rule: every FAO area that petra counts as a country (areas.csv `country` = 1) is its own region,
coded by its ISO3, when it has what a region needs: a centroid (mappings/country_centroids.csv, for
transport costs) and an SSP v3 population series (for drivers). An area without them is folded into
the host listed in `FOLD` with the reason: a dependent territory into the state that administers it, a
micro-state into the state it shares a customs union or currency with, a historical FAO area into its
successor (those have no data after 1992-2006, so they never reach 2010-2020 tables). Two folds are
judgements stated here and in PROVENANCE.md:

- Hong Kong SAR and Macao SAR (FAO 96, 128) fold into CHN, which in `world` is therefore China
  mainland + HK + Macao (FAO 41 + 96 + 128; Taiwan, FAO 214, stays its own region). geoBoundaries has
  no centroid for either SAR. This differs from china9/globiom37, whose CHN is FAO 41 alone.
- Palestine (FAO 299; no centroid in the source) folds into ISR: the two form one customs territory
  in the trade data (1994 Paris Protocol).

`python -m petra.data.world_map --sources ../shared/data-sources` rewrites world.csv; `derive` raises if
an area that needs a fold has none, or a host is itself not a region (the table is checked, not trusted).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from petra.data.regions import MAPPINGS, REGION_MAPS, load_area_map
from petra.data.ssp import V3_FILE
from petra.errors import InputError

FOLD_GROUPS = (
    # dependent territories -> administering state
    ("USA", "US territory", "ASM GUM MNP PRI VIR UMI JTN MID WAK"),
    ("GBR", "UK overseas territory", "BMU CYM VGB TCA MSR AIA FLK SHN IOT GIB PCN"),
    ("GBR", "Crown dependency", "CHA JEY IMN"),
    ("NLD", "country of the Kingdom of the Netherlands", "ABW CUW SXM"),
    ("NLD", "special municipalities of the Netherlands", "BES"),
    ("NLD", "former country of the Kingdom of the Netherlands", "ANT"),
    ("FRA", "French overseas department", "GUF GLP MTQ REU MYT"),
    ("FRA", "French overseas collectivity", "PYF SPM WLF MAF BLM"),
    ("FRA", "French special collectivity", "NCL"),
    ("AUS", "Australian external territory", "CXR CCK NFK"),
    ("NZL", "in free association with New Zealand", "COK NIU"),
    ("NZL", "New Zealand territory", "TKL"),
    ("DNK", "part of the Kingdom of Denmark", "FRO GRL"),
    ("NOR", "Norwegian territory", "SJM"),
    ("FIN", "autonomous region of Finland", "ALA"),
    ("CHN", "special administrative region of China (no centroid in the source)", "HKG MAC"),
    ("ISR", "one customs territory with Israel in the trade data (no centroid in the source)", "PSE"),
    # micro-states without an SSP series -> customs-union or currency partner
    ("ITA", "no SSP series; surrounded by Italy, uses the euro", "VAT"),
    ("FRA", "no SSP series; customs union with France", "MCO"),
    ("AUS", "no SSP series; uses the Australian dollar", "NRU TUV"),
    ("USA", "no SSP series; Compact of Free Association, uses the US dollar", "MHL PLW"),
    ("ESP", "no SSP series; customs union with the EU, main trade partner Spain", "AND"),
    ("ITA", "no SSP series; customs union with the EU, surrounded by Italy", "SMR"),
    ("CHE", "no SSP series; customs union with Switzerland", "LIE"),
    ("LCA", "no SSP series; Eastern Caribbean Currency Union partner", "DMA"),
    ("ATG", "no SSP series; Eastern Caribbean Currency Union partner", "KNA"),
    # historical FAO areas -> successor (no data in 2010-2020)
    ("BEL", "historical FAO area (to 1999)", "BLX"),
    ("CZE", "historical FAO area (to 1992)", "CSK"),
    ("SRB", "historical FAO area (to 2005)", "SCG"),
    ("RUS", "historical FAO area (to 1991)", "SUN"),
    ("SRB", "historical FAO area (to 1991)", "YUG"),
    ("FSM", "historical FAO area (to 1990)", "PCI"),
)
"""(host ISO3, reason, the ISO3 codes folded into it for that reason)."""
FOLD = {iso: (host, reason) for host, reason, codes in FOLD_GROUPS for iso in codes.split()}
"""ISO3 of an area that cannot be a region of its own -> (host ISO3, reason)."""
HOST_NAMES = {"CHN": "China (mainland, Hong Kong SAR, Macao SAR)", "ISR": "Israel and Palestine"}
"""Region names where a fold changes what the host's own name would say."""


def ssp_countries(sources: Path) -> set[str]:
    """ISO3 codes with an SSP v3 population series."""
    v3 = pd.read_csv(sources / "ssp-drivers" / V3_FILE, usecols=["ISO", "Variable"])
    return set(v3.loc[v3["Variable"] == "Population", "ISO"])


def derive(areas: pd.DataFrame, centroids: set[str], ssp: set[str]) -> pd.DataFrame:
    """world.csv rows (fao_code, iso3, fao_name, region, region_name) for every counted country."""
    c = areas[areas["country"].astype(bool)]
    own = c[c["iso3"].isin(centroids) & c["iso3"].isin(ssp) & ~c["iso3"].isin(FOLD)]
    needs = sorted(set(c["iso3"]) - set(own["iso3"]))
    missing = [i for i in needs if i not in FOLD]
    if missing:
        raise InputError(f"world map: {missing[0]} ({len(missing)} such) has no centroid or SSP series "
                         "and no host in petra.data.world_map.FOLD")
    bad = sorted({FOLD[i][0] for i in needs} - set(own["iso3"]))
    if bad:
        raise InputError(f"world map: fold host {bad[0]} is not a region of its own")
    region = c["iso3"].map(lambda i: FOLD[i][0] if i in FOLD else i)
    name = dict(zip(own["iso3"], own["fao_name"], strict=True)) | HOST_NAMES
    out = c[["fao_code", "iso3", "fao_name"]].assign(region=region.to_numpy())
    out["region_name"] = out["region"].map(name)
    return out.sort_values(["region", "fao_code"]).reset_index(drop=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Rewrite data/mappings/regions/world.csv (one region per "
                                            "country).")
    p.add_argument("--sources", default="../shared/data-sources")
    a = p.parse_args(argv)
    centroids = set(pd.read_csv(MAPPINGS / "country_centroids.csv", keep_default_na=False)["iso3"])
    out = derive(load_area_map(), centroids, ssp_countries(Path(a.sources)))
    out.to_csv(REGION_MAPS / "world.csv", index=False)
    print(f"wrote {len(out)} areas in {out['region'].nunique()} regions "
          f"({len(out) - out['region'].nunique()} folded)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
