"""FAO area codes -> ISO3 -> model regions: region maps as data.

`mappings/areas.csv` lists every FAO area (fao_code, fao_name, iso3, note) and whether it is a country
petra counts; aggregates (codes >= 5000, regional groups, FAO 351 "China" incl. HK/MO/TW) are never
counted: China mainland is FAO 41. A region map is a CSV of `region` plus `fao_code` or `iso3` per row
(optional `region_name`; a row with `iso3` = `*` places every country the map does not name), read by
`read_region_map`; the shipped schemes are such files in `mappings/regions/` (china9.csv,
globiom37.csv), and `python -m petra.data.build --regions MAP.csv` builds a dataset for any other.
`derive_area_map` rebuilds areas.csv and the shipped maps from the raw classification tables
(`python -m petra.data.regions --sources ../shared/data-sources`).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from petra.errors import InputError, shown

MAPPINGS = Path(__file__).resolve().parent / "mappings"
REGION_MAPS = MAPPINGS / "regions"
"""The shipped region maps, one CSV per scheme (fao_code, iso3, fao_name, region, region_name)."""
SCHEMES = ("china9", "globiom37")
EVERY_OTHER = "*"
"""`iso3` (or `fao_code`) of a region-map row that places every country the map does not name."""
REGION_CODE = re.compile(r"[A-Za-z0-9_.-]{1,40}")
"""Region codes of a user map: letters, digits, '_', '.', '-' (they name IAMC regions and `A>B` pairs)."""

CHINA9 = {41: "CHN", 21: "BRA", 231: "USA", 33: "CAN", 9: "ARG", 10: "AUS", 156: "NZL"}
CHINA9_NAMES = {"CHN": "China, mainland", "BRA": "Brazil", "USA": "United States", "CAN": "Canada",
                "EU": "European Union (EU27, 2020 membership)", "ARG": "Argentina", "AUS": "Australia",
                "NZL": "New Zealand", "ROW": "Rest of world (incl. Hong Kong, Macao, Taiwan)"}

# Aggregates and areas that must never be counted as countries (351 = China incl. HK/MO/TW).
AGGREGATES = {351, 429, 420}

# GLOBIOM country names (iiasa/virtual_trade region_map.csv) that differ from FAO names -> ISO3.
GLOBIOM_NAME_ISO3 = {
    "BosniaHerzg": "BIH", "BruneiDarsm": "BRN", "BurkinaFaso": "BFA", "CapeVerde": "CPV",
    "CentAfrRep": "CAF", "CongoDemR": "COD", "CongoRep": "COG", "CostaRica": "CRI", "CotedIvoire": "CIV",
    "CzechRep": "CZE", "DominicanRp": "DOM", "ElSalvador": "SLV", "EqGuinea": "GNQ", "FalklandIs": "FLK",
    "FijiIslands": "FJI", "FrGuiana": "GUF", "FrPolynesia": "PYF", "GuineaBissau": "GNB", "Iran": "IRN",
    "KoreaDPRp": "PRK", "KoreaRep": "KOR", "Laos": "LAO", "Macedonia": "MKD", "MoldovaRep": "MDA",
    "NewCaledonia": "NCL", "NewZealand": "NZL", "Palestin": "PSE", "PapuaNGuin": "PNG", "PuertoRico": "PRI",
    "Reunion": "REU", "RussianFed": "RUS", "SaudiArabia": "SAU", "Serbia-Monte": "SRB", "SierraLeone": "SLE",
    "SolomonIs": "SLB", "SouthAfrica": "ZAF", "SriLanka": "LKA", "Swaziland": "SWZ", "Syria": "SYR",
    "Tanzania": "TZA", "TimorLeste": "TLS", "TrinidadTob": "TTO", "UK": "GBR", "UntdArabEm": "ARE",
    "USA": "USA", "VietNam": "VNM", "WestSahara": "ESH", "Bolivia": "BOL", "Venezuela": "VEN",
    "China": None,  # ChinaReg = China mainland (FAO 41), set by code below
    "Netherlands": "NLD", "Sudan": "SDN", "Libya": "LBY",
}

# FAO areas absent from the GLOBIOM country list: assigned by petra by geography (documented).
GLOBIOM_EXTRA = {
    "MNE": "RCEU", "SSD": "EasternAf", "HKG": "RSEA_OPA", "MAC": "RSEA_OPA", "TWN": "RSEA_OPA",
    "ATG": "RCAM", "ABW": "RCAM", "BRB": "RCAM", "BMU": "RCAM", "VGB": "RCAM", "CYM": "RCAM", "CUW": "RCAM",
    "DMA": "RCAM", "GRD": "RCAM", "KNA": "RCAM", "LCA": "RCAM", "VCT": "RCAM", "MSR": "RCAM", "AIA": "RCAM",
    "TCA": "RCAM", "VIR": "RCAM", "SXM": "RCAM", "MAF": "RCAM", "BLM": "RCAM", "BES": "RCAM", "ANT": "RCAM",
    "MTQ": "RCAM", "FRO": "ROWE", "AND": "ROWE", "LIE": "ROWE", "MCO": "ROWE", "SMR": "ROWE", "GIB": "ROWE",
    "VAT": "ROWE", "SJM": "ROWE", "IMN": "ROWE", "JEY": "ROWE", "CHA": "ROWE", "ALA": "ROWE", "SPM": "ROWE",
    "KIR": "Pacific_Islands", "MHL": "Pacific_Islands", "FSM": "Pacific_Islands", "NRU": "Pacific_Islands",
    "PLW": "Pacific_Islands", "TON": "Pacific_Islands", "TUV": "Pacific_Islands", "COK": "Pacific_Islands",
    "NIU": "Pacific_Islands", "ASM": "Pacific_Islands", "GUM": "Pacific_Islands", "MNP": "Pacific_Islands",
    "WLF": "Pacific_Islands", "TKL": "Pacific_Islands", "NFK": "Pacific_Islands", "PCN": "Pacific_Islands",
    "MDV": "RSAS", "SYC": "SouthernAf", "STP": "CongoBasin", "SHN": "WesternAf", "MYT": "SouthernAf",
    "BHS": "RCAM", "UMI": "Pacific_Islands", "JTN": "Pacific_Islands", "MID": "Pacific_Islands",
    "WAK": "Pacific_Islands", "CXR": "RSEA_OPA", "CCK": "RSEA_OPA", "IOT": "RSAS",
}
# FAO historical areas (no ISO3) with their successor region.
HISTORICAL = {15: ("BLX", "EU_MidWest", "EU"), 51: ("CSK", "EU_CentralEast", "EU"),
              186: ("SCG", "RCEU", "ROW"), 206: ("SDN", "WesternAf", "ROW"), 62: ("ETH", "EasternAf", "ROW"),
              228: ("SUN", "Former_USSR", "ROW"), 248: ("YUG", "RCEU", "ROW"), 286: ("SRB", "RCEU", "ROW"),
              77: ("DEU", "EU_MidWest", "EU"), 78: ("DEU", "EU_MidWest", "EU"),
              246: ("YEM", "MiddleEast", "ROW"),
              247: ("YEM", "MiddleEast", "ROW"), 164: ("PCI", "Pacific_Islands", "ROW")}


def _norm(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


def derive_area_map(sources: Path) -> pd.DataFrame:
    """Build the FAO area -> ISO3 -> china9/globiom37 table from the raw classification files."""
    fao = pd.read_csv(sources / "country-mapping" / "FAOSTAT_area_codes_M49_ISO_4-14-2021.csv",
                      encoding="utf-8-sig", dtype=str, keep_default_na=False)
    fao = fao.rename(columns={"Country Code": "fao_code", "Country": "fao_name", "ISO3 Code": "iso3"})
    fao["fao_code"] = fao["fao_code"].astype(int)
    groups = pd.read_csv(sources / "country-mapping" / "biotrade_faostat_country_groups.csv",
                         dtype=str, keep_default_na=False)
    eu27 = {int(c) for c, f in zip(groups["faost_code"], groups["eu27"], strict=True) if f == "1"}
    gmap = pd.read_csv(sources / "iiasa-virtual-trade" / "region_map.csv", dtype=str)
    fao_by_norm = {_norm(n): i for n, i in zip(fao["fao_name"], fao["iso3"], strict=True) if i}
    iso_glob = {}
    for country, region in zip(gmap["COUNTRY"], gmap["region"], strict=True):
        iso = GLOBIOM_NAME_ISO3.get(country, fao_by_norm.get(_norm(country)))
        if iso:
            iso_glob[iso] = region
    # Belgium and Luxembourg (listed separately by FAO from 2000) follow EU_MidWest.
    rows = []
    for code, name, iso in zip(fao["fao_code"], fao["fao_name"], fao["iso3"], strict=True):
        note = ""
        if code >= 5000 or code in AGGREGATES or iso.startswith("X") or code == 30:
            rows.append((code, name, iso, "", "", "aggregate or uninhabited: never counted"))
            continue
        if code == 41:
            iso, g, c = "CHN", "ChinaReg", "CHN"
            note = "China mainland; FAO 351 (China incl. HK/MO/TW) is the aggregate and is dropped"
        elif code in HISTORICAL:
            iso, g, c = HISTORICAL[code]
            note = "historical FAO area, mapped to its successor's region"
        else:
            g = iso_glob.get(iso) or GLOBIOM_EXTRA.get(iso, "")
            if iso not in iso_glob and g:
                note = "not in the GLOBIOM country list; region assigned by petra by geography"
            c = CHINA9.get(code, "EU" if code in eu27 else "ROW")
            if code in (96, 128, 214):
                note = "Hong Kong/Macao/Taiwan: separate FAO areas, rest of world in china9"
        if not g:
            c, note = "", "uninhabited territory without a region: dropped"
        rows.append((code, name, iso, c, g, note))
    out = pd.DataFrame(rows, columns=["fao_code", "fao_name", "iso3", "china9", "globiom37", "note"])
    return out.sort_values("fao_code").reset_index(drop=True)


def load_area_map(path: Path | None = None) -> pd.DataFrame:
    """The committed area table (fao_code int, fao_name, iso3, country, note) with one column per
    shipped scheme (its region; empty for areas that are not counted: aggregates, dropped)."""
    path = path or MAPPINGS / "areas.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df["fao_code"] = df["fao_code"].astype(int)
    df["country"] = df["country"] == "1"
    for scheme in SCHEMES:
        column, _ = read_region_map(REGION_MAPS / f"{scheme}.csv", df)
        df[scheme] = column
    return df


def read_region_map(path: Path, areas: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """A region map CSV applied to the area table `areas` (as `load_area_map` reads it, or areas.csv
    alone): (region per area row, '' for areas not counted; regions table `region, name`).

    Rows give `region` and `fao_code` or `iso3` (an ISO3 places every counted FAO area with that code,
    e.g. DEU's historical areas; a `fao_code` row wins over an `iso3` row). InputError (file, line,
    column) on an unknown code, a country placed in two regions, a bad region code, and on counted
    countries the map leaves unplaced (named) unless a row with iso3 `*` takes them.
    """
    from petra.tables import Column, read_table, source_line

    label = str(path)
    m = read_table(path, [Column("region", "str"), Column("fao_code", "str", required=False, blank=""),
                          Column("iso3", "str", required=False, blank=""),
                          Column("region_name", "str", required=False, blank="")], name=label)
    counted = areas[areas["country"]]
    by_code = dict(zip(counted["fao_code"], counted["iso3"], strict=True))
    codes_of_iso: dict[str, list[int]] = {}
    for code, iso in by_code.items():
        codes_of_iso.setdefault(iso, []).append(code)
    from_iso: dict[int, tuple[str, int]] = {}
    from_code: dict[int, tuple[str, int]] = {}
    other = None
    for i, (region, code, iso) in enumerate(zip(m["region"], m["fao_code"], m["iso3"], strict=True)):
        line = source_line(m, i)
        if not REGION_CODE.fullmatch(region):
            raise InputError(f"region code '{shown(region)}' must be 1-40 letters, digits, '_', '.' or '-'",
                             file=label, row=line, column="region")
        if code and iso and code != EVERY_OTHER:
            if not code.isdigit() or by_code.get(int(code)) != iso:
                raise InputError(f"fao_code {shown(code)} and iso3 {shown(iso)} are not the same country "
                                 "(give one of them)", file=label, row=line, column="iso3")
        if EVERY_OTHER in (code, iso):
            if other is not None and other[0] != region:
                raise InputError(f"a second '*' row (the first is line {other[1]})", file=label, row=line,
                                 column="iso3")
            other = (region, line)
        elif code:
            if not code.isdigit() or int(code) not in by_code:
                raise InputError(f"unknown FAO area code '{shown(code)}' (not a country in "
                                 "mappings/areas.csv)", file=label, row=line, column="fao_code")
            _place(from_code, [int(code)], region, line, label, "fao_code")
        elif iso:
            if iso not in codes_of_iso:
                raise InputError(f"unknown ISO3 code '{shown(iso)}' (not a country in mappings/areas.csv)",
                                 file=label, row=line, column="iso3")
            _place(from_iso, codes_of_iso[iso], region, line, label, "iso3")
        else:
            raise InputError("a row needs fao_code or iso3", file=label, row=line, column="fao_code")
    placed = {**{c: r for c, (r, _) in from_iso.items()}, **{c: r for c, (r, _) in from_code.items()}}
    missing = [c for c in by_code if c not in placed]
    if missing and other is None:
        names = dict(zip(areas["fao_code"], areas["fao_name"], strict=True))
        listed = ", ".join(f"{names[c]} ({by_code[c]})" for c in missing[:8])
        more = f" and {len(missing) - 8} more" if len(missing) > 8 else ""
        raise InputError(f"{len(missing)} countries are in no region: {listed}{more} (add them, or a row "
                         "with iso3 '*' for every other country)", file=label)
    for c in missing:
        placed[c] = other[0]
    column = pd.Series([placed.get(c, "") if ok else "" for c, ok in zip(areas["fao_code"], areas["country"],
                                                                        strict=True)], index=areas.index)
    names = m[["region", "region_name"]].drop_duplicates("region")
    names = names.assign(name=np.where(names["region_name"] != "", names["region_name"], names["region"]))
    used = [r for r in dict.fromkeys(m["region"]) if r in set(column)]
    regions = names.set_index("region").loc[used, ["name"]].reset_index()
    return column, regions


def _place(into: dict, codes: list[int], region: str, line: int | None, label: str, column: str) -> None:
    for c in codes:
        if c in into and into[c][0] != region:
            raise InputError(f"placed in region '{into[c][0]}' on line {into[c][1]} and in '{shown(region)}' "
                             "here", file=label, row=line, column=column)
        into[c] = (region, line)


def map_areas(df: pd.DataFrame, columns: list[str], scheme: str, area_map: pd.DataFrame, *,
              file: str = "input", unmapped: str = "raise") -> tuple[pd.DataFrame, list[int]]:
    """Replace FAO area codes in `columns` by model regions of `scheme`.

    Rows whose area is an aggregate (empty region in the map) are dropped. An area code absent from
    the map raises InputError naming `file`, the row (df["_line"] if present) and the code, unless
    `unmapped="list"`, which drops those rows and returns the sorted unmapped codes instead.
    Returns (mapped frame, unmapped codes).
    """
    if scheme not in area_map.columns:
        raise ValueError(f"unknown region scheme {scheme!r} (known: {', '.join(SCHEMES)})")
    lookup = dict(zip(area_map["fao_code"], area_map[scheme], strict=True))
    out = df.copy()
    keep = np.ones(len(out), dtype=bool)
    missing: set[int] = set()
    for col in columns:
        codes = out[col].to_numpy()
        regions = np.array([lookup.get(int(c)) for c in codes], dtype=object)
        unknown = np.array([r is None for r in regions])
        if unknown.any() and unmapped != "list":
            i = int(np.argmax(unknown))
            line = int(out["_line"].iloc[i]) if "_line" in out.columns else None
            raise InputError(f"unmapped FAO area code {int(codes[i])} (not in mappings/areas.csv; "
                             f"use unmapped='list' to list such codes)", file=file, row=line, column=col)
        missing.update(int(c) for c in codes[unknown])
        keep &= ~unknown & np.array([r != "" for r in regions])
        out[col] = regions
    return out[keep].reset_index(drop=True), sorted(missing)


def region_names(scheme: str, path: Path | None = None) -> pd.DataFrame:
    """regions.csv content (region, name) of a shipped scheme or of the region map at `path`."""
    _, regions = read_region_map(path or REGION_MAPS / f"{scheme}.csv", load_area_map())
    return regions


def shipped_map(areas: pd.DataFrame, scheme: str, names: pd.DataFrame) -> pd.DataFrame:
    """The region-map file of a derived scheme column: fao_code, iso3, fao_name, region, region_name."""
    rows = areas[areas[scheme] != ""]
    out = rows[["fao_code", "iso3", "fao_name"]].assign(region=rows[scheme])
    out["region_name"] = out["region"].map(dict(zip(names["region"], names["name"], strict=True)))
    # rows by region in the names' order (a map's regions come in the order they first appear)
    order = {r: i for i, r in enumerate(names["region"])}
    out = out.assign(_o=out["region"].map(order)).sort_values(["_o", "fao_code"], kind="stable")
    return out.drop(columns="_o").reset_index(drop=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Regenerate data/mappings/areas.csv and the shipped region "
                                            "maps (mappings/regions/) from the raw tables.")
    p.add_argument("--sources", default="../shared/data-sources")
    a = p.parse_args(argv)
    df = derive_area_map(Path(a.sources))
    df["country"] = np.where(df["china9"] != "", "1", "0")
    REGION_MAPS.mkdir(exist_ok=True)
    names = {"china9": pd.DataFrame({"region": list(CHINA9_NAMES), "name": list(CHINA9_NAMES.values())}),
             "globiom37": pd.read_csv(MAPPINGS / "globiom37_regions.csv", dtype=str, keep_default_na=False)}
    for scheme in SCHEMES:
        shipped_map(df, scheme, names[scheme]).to_csv(REGION_MAPS / f"{scheme}.csv", index=False)
    df[["fao_code", "fao_name", "iso3", "country", "note"]].to_csv(MAPPINGS / "areas.csv", index=False)
    print(f"wrote {len(df)} areas; without GLOBIOM region: "
          f"{df[(df.globiom37 == '') & (df.china9 != '')].fao_name.tolist()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
