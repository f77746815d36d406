"""The country-level world dataset: its region map (one region per country, stated folds), compressed
tables, and the SSP release a country-level map lacks."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from petra.data import world_map
from petra.data.build import compress_large_tables
from petra.data.regions import REGION_MAPS, load_area_map
from petra.data.ssp import aggregate
from petra.errors import InputError

WORLD = pd.read_csv(REGION_MAPS / "world.csv", keep_default_na=False)


def test_every_counted_country_is_placed_once_and_folds_follow_the_table():
    areas = load_area_map()
    counted = areas[areas["country"]]
    assert sorted(WORLD["fao_code"]) == sorted(counted["fao_code"])
    assert WORLD["fao_code"].is_unique
    folded = WORLD[WORLD["iso3"] != WORLD["region"]]
    for row in folded.itertuples():
        assert world_map.FOLD[row.iso3][0] == row.region, row
    # a region of its own is coded by its ISO3, and every fold host is such a region
    own = set(WORLD.loc[WORLD["iso3"] == WORLD["region"], "region"])
    assert set(WORLD["region"]) == own
    assert WORLD["region"].nunique() == 185


def test_china_is_mainland_hong_kong_and_macao_and_taiwan_stays_apart():
    chn = WORLD[WORLD["region"] == "CHN"]
    assert sorted(chn["fao_code"]) == [41, 96, 128]       # never the 351 aggregate
    assert WORLD.loc[WORLD["fao_code"] == 214, "region"].item() == "TWN"


def test_derive_refuses_an_area_without_a_host_and_a_host_that_is_not_a_region():
    areas = load_area_map()
    counted = areas[areas["country"]]
    everyone = set(counted["iso3"])
    # drop Andorra's centroid and its fold: it can be neither a region nor folded
    fold = dict(world_map.FOLD)
    del fold["AND"]
    with pytest.raises(InputError, match="AND"):
        _derive(areas, everyone - {"AND"}, everyone, fold)
    # fold Spain itself away: Andorra's host is then no region of its own
    with pytest.raises(InputError, match="host ESP"):
        _derive(areas, everyone, everyone, world_map.FOLD | {"ESP": ("FRA", "a test fold")})


def _derive(areas, centroids, ssp, fold):
    saved = world_map.FOLD
    try:
        world_map.FOLD = fold
        return world_map.derive(areas, centroids, ssp)
    finally:
        world_map.FOLD = saved


def test_an_older_ssp_release_lacking_a_region_is_left_out_whole():
    def country_table(isos):
        rows = [(s, i, y, 10.0, 100.0) for s in ("SSP2",) for i in isos for y in (2020, 2025)]
        return pd.DataFrame(rows, columns=["ssp", "iso3", "year", "population", "gdp_ppp"])

    agg = aggregate({"v3": country_table(["AAA", "BBB"]), "v2": country_table(["AAA"])},
                    {"AAA": "R", "BBB": "S"}, ["R", "S"])
    assert set(agg.table["release"]) == {"v3"}
    assert agg.skipped == {"v2": ["S"]}
    # the default release lacking a region is still an error
    with pytest.raises(InputError, match="region 'S'"):
        aggregate({"v3": country_table(["AAA"])}, {"AAA": "R"}, ["R", "S"])


def test_large_tables_are_gzipped_reproducibly_and_read_back(tmp_path):
    big = pd.DataFrame({"x": np.arange(2000), "y": np.linspace(0, 1, 2000)})
    big.to_csv(tmp_path / "routes.csv", index=False)
    pd.DataFrame({"a": [1]}).to_csv(tmp_path / "regions.csv", index=False)
    text = (tmp_path / "routes.csv").read_bytes()
    assert compress_large_tables(tmp_path, above=1000) == ["routes.csv"]
    assert not (tmp_path / "routes.csv").exists() and (tmp_path / "regions.csv").exists()
    first = (tmp_path / "routes.csv.gz").read_bytes()
    assert gzip.decompress(first) == text
    # the same table compresses to the same bytes (no file name or time in the gzip header)
    (tmp_path / "again").mkdir()
    big.to_csv(tmp_path / "again" / "routes.csv", index=False)
    compress_large_tables(tmp_path / "again", above=1000)
    assert (tmp_path / "again" / "routes.csv.gz").read_bytes() == first
