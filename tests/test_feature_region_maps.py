"""Region maps as data: any country -> region CSV builds a dataset (issue 15, item 5).

The shipped schemes are such files (data/mappings/regions/); a user's map is validated with one-line
errors naming file, line and column, and every country must be placed (or taken by an iso3 '*' row).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from petra.data.regions import REGION_MAPS, SCHEMES, load_area_map, read_region_map
from petra.errors import InputError

SOURCES = Path(__file__).resolve().parents[2] / "shared" / "data-sources"


def write(tmp_path, text, name="map.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_shipped_schemes_are_region_map_files_that_match_the_datasets():
    areas = load_area_map()
    root = Path(__file__).resolve().parents[1] / "data"
    for scheme in SCHEMES:
        column, regions = read_region_map(REGION_MAPS / f"{scheme}.csv", areas)
        shipped = pd.read_csv(root / scheme / "regions.csv", keep_default_na=False)
        assert regions.equals(shipped), scheme
        # by hand: China mainland (41) is its own region, the aggregate China (351) is never counted
        by_code = dict(zip(areas["fao_code"], column, strict=True))
        assert by_code[351] == "" and by_code[41] == {"china9": "CHN", "globiom37": "ChinaReg"}[scheme]


def test_iso3_rows_place_historical_areas_and_a_star_row_takes_the_rest(tmp_path):
    areas = load_area_map()
    path = write(tmp_path, "region,fao_code,iso3\nCHN,41,\nDE,,DEU\nROW,,*\n")
    column, regions = read_region_map(path, areas)
    by_code = dict(zip(areas["fao_code"], column, strict=True))
    # Germany (79) and the FAO areas of former East and West Germany (77, 78) all carry ISO3 DEU
    assert by_code[79] == by_code[77] == by_code[78] == "DE"
    assert by_code[231] == "ROW" and by_code[351] == "" and by_code[5000] == ""
    assert regions["region"].tolist() == ["CHN", "DE", "ROW"]
    assert regions["name"].tolist() == ["CHN", "DE", "ROW"]  # no region_name: the code


@pytest.mark.parametrize(("text", "words", "line", "column"), [
    ("region,iso3\nCHN,CHN\nUSA,USA\n", "countries are in no region: Armenia (ARM)", None, None),
    ("region,iso3\nCHN,CHN\nROW,XYZ\nROW,*\n", "unknown ISO3 code 'XYZ'", 3, "iso3"),
    ("region,fao_code\nCHN,41\nROW,351\nROW,*\n", "unknown FAO area code '351'", 3, "fao_code"),
    ("region,iso3\nCHN,CHN\nUS,USA\nUSA,USA\nROW,*\n", "placed in region 'US' on line 3", 4, "iso3"),
    ("region,iso3\nCH N,CHN\nROW,*\n", "region code 'CH N' must be", 2, "region"),
    ("region,fao_code,iso3\nCHN,41,USA\nROW,,*\n", "are not the same country", 2, "iso3"),
    ("region,fao_code,iso3\nCHN,,\nROW,,*\n", "a row needs fao_code or iso3", 2, "fao_code"),
    ("region,name\nCHN,China\n", "a row needs fao_code or iso3", 2, "fao_code"),
])
def test_bad_maps_are_one_line_naming_file_line_and_column(tmp_path, text, words, line, column):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as err:
        read_region_map(path, load_area_map())
    msg = str(err.value)
    assert words in msg and str(path) in msg and "\n" not in msg
    if line is not None:
        assert f"line {line}" in msg
    if column is not None:
        assert column in msg


def test_build_refuses_an_unknown_scheme_and_a_bad_map_before_reading_sources(tmp_path, capsys):
    from petra.data.build import main

    assert main(["--schemes", "china10", "--out", str(tmp_path / "o"), "--sources", "/nonexistent"]) == 2
    assert "unknown scheme 'china10'" in capsys.readouterr().err
    bad = write(tmp_path, "region,iso3\nCHN,CHN\n")
    assert main(["--schemes", "none", "--regions", str(bad), "--out", str(tmp_path / "o"),
                 "--sources", "/nonexistent"]) == 2
    assert "countries are in no region" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.mark.skipif(not SOURCES.is_dir(), reason="raw data sources (../shared/data-sources) not present")
def test_a_user_map_builds_a_dataset_consistent_with_china9(tmp_path):
    # independent check: a 4-region map built from the raw sources must give CHN, USA and BRA exactly the
    # markets of the shipped china9 (same countries) and ROW the sum of china9's other regions
    for module in ("xarray", "h5netcdf", "searoute"):  # the build's `data` extra
        pytest.importorskip(module)
    from petra.data.build import main
    from petra.dataset import load_dataset

    path = write(tmp_path, "region,fao_code,iso3,region_name\nCHN,41,,China\nUSA,,USA,United States\n"
                           "BRA,,BRA,Brazil\nROW,,*,Rest of world\n", name="china4.csv")
    assert main(["--schemes", "none", "--regions", str(path), "--out", str(tmp_path / "data"),
                 "--sources", str(SOURCES)]) == 0
    ds = load_dataset(tmp_path / "data" / "china4")
    c9 = load_dataset(Path(__file__).resolve().parents[1] / "data" / "china9")
    m4 = ds.markets.set_index(["region", "commodity"])
    m9 = c9.markets.set_index(["region", "commodity"])
    for reg in ("CHN", "USA", "BRA"):
        for col in ("production", "price"):
            pd.testing.assert_series_equal(m4.loc[reg, col], m9.loc[reg, col], rtol=1e-9)
    rest = m9.drop(index=["CHN", "USA", "BRA"], level="region").groupby(level="commodity")["production"].sum()
    pd.testing.assert_series_equal(m4.loc["ROW", "production"].sort_index(), rest.sort_index(), rtol=1e-9,
                                   check_names=False)
    assert pd.read_csv(tmp_path / "data" / "china4" / "regions.csv")["name"].tolist() == [
        "China", "United States", "Brazil", "Rest of world"]


def test_a_region_without_production_is_placed_at_its_countries_centroid():
    # a user region that produces none of the commodities (Singapore here) has no production-weighted
    # centroid: it gets the plain mean of its countries' centroids (from mappings/country_centroids.csv)
    from petra.data.build import BASE_YEAR, region_centroids
    from petra.data.regions import MAPPINGS

    areas = load_area_map()
    areas["t"] = areas["fao_code"].map({41: "CHN", 200: "SGP"}).fillna("")
    production = pd.DataFrame({"area": [41], "year": [BASE_YEAR], "value": [100.0]})
    got = region_centroids({"production": production}, "t", areas, set(), ["CHN", "SGP"]).set_index("region")
    cen = pd.read_csv(MAPPINGS / "country_centroids.csv", keep_default_na=False).set_index("iso3")
    for region in ("CHN", "SGP"):
        assert got.loc[region, "lat"] == pytest.approx(cen.loc[region, "lat"], abs=1e-9)
        assert got.loc[region, "lon"] == pytest.approx(cen.loc[region, "lon"], abs=1e-9)
    areas.loc[areas["fao_code"] == 96, "t"] = "HK"  # Hong Kong: in no centroid row
    assert "HKG" not in set(cen.index)
    with pytest.raises(InputError, match="region 'HK'.*no country with a centroid"):
        region_centroids({"production": production}, "t", areas, set(), ["CHN", "SGP", "HK"])
