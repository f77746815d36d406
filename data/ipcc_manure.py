"""Extract the IPCC 2006 Tier 1 manure-management CH4 factors petra uses from the AMEE datasets
repository (github.com/mamhoff/datasets, MIT), a machine-readable transcription of IPCC 2006 Vol. 4
Ch. 10, into `mappings/ipcc_manure_ch4.csv` (read by `petra.emission_factors.manure_ch4_factors`).

    python -m petra.data.ipcc_manure --amee PATH [--out data/mappings/ipcc_manure_ch4.csv]

PATH is a git mirror (bare repository) or a checkout of that repository; the commit is recorded in
every row. Read: `business/agriculture/livestock/manure/ch4/`

  cattleandswine/data.csv  Table 10.14: kg CH4/head/yr by animal, IPCC region, annual mean 10-28 degC
  other/data.csv           Table 10.15: sheep, goats (developed / developing; cool, temperate, warm)
  poultry/data.csv         Table 10.15: poultry (developed: by type; developing: all poultry)

Temperature classes are those of the AMEE READMEs (IPCC): cool < 15 degC, temperate 15-25, warm > 25.
A Table 10.14 class value is the plain mean of the table's whole-degree columns in the class (cool
10-14, temperate 15-25, warm 26-28), rounded to 4 decimals. The AMEE files carry no table numbers; the
`ipcc_table` column names the IPCC 2006 Ch. 10 table whose title covers the animal.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from petra.errors import InputError

REPO = "github.com/mamhoff/datasets"
LICENCE = "MIT"
CH4_DIR = "business/agriculture/livestock/manure/ch4"
ENTERIC = "business/agriculture/livestock/entericfermentation/data.csv"
FILES = {"cattleandswine": f"{CH4_DIR}/cattleandswine/data.csv", "other": f"{CH4_DIR}/other/data.csv",
         "poultry": f"{CH4_DIR}/poultry/data.csv"}
SCENARIOS = {"cattleandswine": 703, "other": 35, "poultry": 18}
"""Rows each file must hold: the number of scenarios its README states ("A total of N specific
scenarios are represented")."""
CLASSES = {"cool": range(10, 15), "temperate": range(15, 26), "warm": range(26, 29)}
"""degC columns of Table 10.14 in each temperature class (cool < 15, temperate 15-25, warm > 25)."""
TABLE_10_14 = {"Dairy cattle": "dairy_cattle", "Other cattle": "other_cattle", "Buffalo": "buffalo",
               "Market swine": "market_swine", "Breeding swine": "breeding_swine", "General swine": "swine"}
REGIONS = {"north america": "North America", "western europe": "Western Europe",
           "eastern europe": "Eastern Europe", "oceania": "Oceania", "latin america": "Latin America",
           "africa": "Africa", "middle east": "Middle East", "asia": "Asia",
           "indian subcontinent": "Indian Subcontinent"}
OTHER = {"sheep": "sheep", "goat": "goats"}
POULTRY = {"broilers": "broilers", "turkeys": "turkeys", "ducks": "ducks", "": "poultry"}
"""AMEE poultry types petra uses (developed countries by type; '' = developing countries' all poultry).
Layers are not used: eggs are not a petra commodity."""
COLUMNS = ["animal", "ipcc_region", "development", "temperature_class", "temperature_c", "kg_ch4_per_head",
           "ipcc_table", "source"]
DEFAULT_OUT = Path(__file__).resolve().parent / "mappings" / "ipcc_manure_ch4.csv"


# ------------------------------------------------------------------------------------------ reading
def _is_bare_git(path: Path) -> bool:
    return (path / "HEAD").is_file() and (path / "objects").is_dir()


def resolve_commit(path: Path, rev: str = "HEAD") -> str:
    """Full commit hash of `rev` in the mirror or checkout at `path` (one-line InputError if none)."""
    args = ["git", "--git-dir", str(path)] if _is_bare_git(path) else ["git", "-C", str(path)]
    r = subprocess.run([*args, "rev-parse", "--verify", f"{rev}^{{commit}}"], capture_output=True, text=True)
    if r.returncode != 0:
        raise InputError(f"cannot tell the commit of {rev!r} (not a git mirror or checkout of {REPO})",
                         file=str(path))
    return r.stdout.strip()


def read_file(path: Path, commit: str, rel: str) -> pd.DataFrame:
    """One CSV of the AMEE repository at `commit`: from git (mirror or checkout)."""
    args = ["git", "--git-dir", str(path)] if _is_bare_git(path) else ["git", "-C", str(path)]
    r = subprocess.run([*args, "show", f"{commit}:{rel}"], capture_output=True, text=True)
    if r.returncode != 0:
        raise InputError(f"{rel} not found at commit {commit[:12]}", file=str(path))
    return pd.read_csv(io.StringIO(r.stdout), keep_default_na=False, na_values=[""])


def read_amee(path: Path, rev: str = "HEAD") -> tuple[str, dict[str, pd.DataFrame]]:
    """(commit, {'cattleandswine', 'other', 'poultry', 'enteric': frame}) of the AMEE repository."""
    path = Path(path)
    if not path.exists():
        raise InputError("no such folder (give the AMEE datasets mirror or checkout)", file=str(path))
    commit = resolve_commit(path, rev)
    frames = {k: read_file(path, commit, rel) for k, rel in FILES.items()}
    frames["enteric"] = read_file(path, commit, ENTERIC)
    return commit, frames


# ------------------------------------------------------------------------------------------ checks
def check_tables(t: dict[str, pd.DataFrame]) -> list[str]:
    """Structural checks against what the AMEE READMEs state; returns one line per doubt (empty: none).

    Row counts (703 / 35 / 18 scenarios), 19 whole degrees 10-28 per Table 10.14 series, the three
    temperature classes in Table 10.15, and factors that fall as the temperature rises (manure CH4
    conversion rises with temperature, so a drop is a transcription doubt)."""
    doubts = []
    for key, n in SCENARIOS.items():
        if len(t[key]) != n:
            doubts.append(f"{FILES[key]}: {len(t[key])} rows, README states {n} scenarios")
    cs = t["cattleandswine"]
    for (animal, region), g in cs.groupby(["livestockType", "region"]):
        temps = sorted(g["temperature"].astype(int))
        if temps != list(range(10, 29)):
            doubts.append(f"Table 10.14 {animal}, {region}: temperatures {temps[0]}-{temps[-1]} "
                          f"({len(temps)} columns), README states 10-28")
        v = g.sort_values("temperature")["massCH4PerHeadPerTime"].to_numpy(dtype=float)
        if (np.diff(v) < 0).any():
            doubts.append(f"Table 10.14 {animal}, {region}: factor falls as temperature rises")
    for key, col in (("other", "livestockType"), ("poultry", "poultryType")):
        d = t[key][t[key]["temperature"] != "-"]
        for name, g in d.groupby([d[col].fillna(""), d["geographicContext"]]):
            v = g.set_index("temperature")["massCH4PerHeadPerTime"]
            if set(v.index) != set(CLASSES):
                doubts.append(f"{key} {name}: classes {sorted(v.index)}")
            elif not v["cool"] <= v["temperate"] <= v["warm"]:
                doubts.append(f"{key} {name}: cool {v['cool']} / temperate {v['temperate']} / warm "
                              f"{v['warm']} not rising")
    return doubts


def enteric_cross_check(enteric: pd.DataFrame, cattle: dict[str, tuple[float, float]]) -> list[str]:
    """Compare AMEE's own transcription of Table 10.11 (enteric CH4 of cattle) with petra's
    `emission_factors.ENTERIC_CATTLE` (typed from the IPCC PDF): one line per difference."""
    e = enteric[enteric["livestockSubtype"].isin(["-", "weighted average"])]
    got = {(a, r): float(v) for a, r, v in zip(e["livestockType"], e["region"], e["massCH4PerHeadPerTime"],
                                                 strict=True)}
    diffs = []
    for region, (dairy, other) in cattle.items():
        for animal, want in (("dairy cattle", dairy), ("other cattle", other)):
            have = got.get((animal, region))
            if have != want:
                diffs.append(f"Table 10.11 {animal}, {region}: AMEE {have}, petra {want}")
    return diffs


# ------------------------------------------------------------------------------------------ factors
def table_10_14(cs: pd.DataFrame, source: str) -> pd.DataFrame:
    """Class means of Table 10.14 (kg CH4/head/yr) by animal, IPCC region and temperature class."""
    d = cs.assign(animal=cs["livestockType"].map(TABLE_10_14),
                  ipcc_region=cs["region"].str.strip().str.lower().map(REGIONS),
                  temperature=cs["temperature"].astype(int),
                  value=cs["massCH4PerHeadPerTime"].astype(float))
    unknown = d[d["animal"].isna() | d["ipcc_region"].isna()]
    if len(unknown):
        r = unknown.iloc[0]
        raise InputError(f"Table 10.14: unknown animal or region {r['livestockType']!r}, {r['region']!r}",
                         file=FILES["cattleandswine"])
    rows = []
    for cls, temps in CLASSES.items():
        sub = d[d["temperature"].isin(list(temps))]
        m = sub.groupby(["animal", "ipcc_region"], sort=True)["value"].mean().round(4).reset_index()
        rows.append(m.assign(temperature_class=cls, temperature_c=f"{temps[0]}-{temps[-1]}"))
    out = pd.concat(rows, ignore_index=True).rename(columns={"value": "kg_ch4_per_head"})
    return out.assign(development="", ipcc_table="10.14", source=f"{source}:{FILES['cattleandswine']}")


def table_10_15(other: pd.DataFrame, poultry: pd.DataFrame, source: str) -> pd.DataFrame:
    """Table 10.15 factors (kg CH4/head/yr) petra uses: sheep, goats and poultry by development
    ('developed' / 'developing') and temperature class."""
    o = other[other["livestockType"].isin(list(OTHER))]
    o = o.assign(animal=o["livestockType"].map(OTHER), file=FILES["other"])
    p = poultry.assign(poultryType=poultry["poultryType"].fillna(""))
    p = p[p["poultryType"].isin(list(POULTRY))]
    p = p.assign(animal=p["poultryType"].map(POULTRY), file=FILES["poultry"])
    d = pd.concat([o, p], ignore_index=True)
    dev = d["geographicContext"].str.strip().str.lower().str.replace("countries", "country")
    d = d.assign(development=dev.map({"developed country": "developed", "developing country": "developing"}))
    if d["development"].isna().any():
        bad = d.loc[d["development"].isna(), "geographicContext"].iloc[0]
        raise InputError(f"Table 10.15: unknown context {bad!r}", file=FILES["other"])
    bounds = {"cool": "<15", "temperate": "15-25", "warm": ">25"}
    out = pd.DataFrame({"animal": d["animal"], "ipcc_region": "", "development": d["development"],
                        "temperature_class": d["temperature"],
                        "temperature_c": d["temperature"].map(bounds),
                        "kg_ch4_per_head": d["massCH4PerHeadPerTime"].astype(float), "ipcc_table": "10.15",
                        "source": source + ":" + d["file"]})
    return out


def manure_ch4_table(t: dict[str, pd.DataFrame], commit: str) -> pd.DataFrame:
    """The compact factor table (COLUMNS) from the AMEE frames of `read_amee`."""
    source = f"{REPO}@{commit[:12]}"
    out = pd.concat([table_10_14(t["cattleandswine"], source),
                     table_10_15(t["other"], t["poultry"], source)], ignore_index=True)
    return out[COLUMNS].sort_values(["ipcc_table", "animal", "ipcc_region", "development",
                                     "temperature_class"]).reset_index(drop=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--amee", required=True, type=Path, help="git mirror or checkout of mamhoff/datasets")
    p.add_argument("--commit", default="HEAD", help="revision to read (default HEAD)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="CSV to write")
    a = p.parse_args(argv)
    try:
        from petra.emission_factors import ENTERIC_CATTLE

        commit, t = read_amee(a.amee, a.commit)
        table = manure_ch4_table(t, commit)
        doubts = check_tables(t)
        diffs = enteric_cross_check(t["enteric"], ENTERIC_CATTLE)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    table.to_csv(a.out, index=False, lineterminator="\n")
    print(f"{len(table)} factors from {REPO} @ {commit} -> {a.out}")
    print(f"transcription checks: {len(doubts)} doubt(s)" + "".join(f"\n  {d}" for d in doubts))
    print(f"Table 10.11 cross-check (AMEE vs petra.emission_factors): {len(diffs)} difference(s)"
          + "".join(f"\n  {d}" for d in diffs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
