"""Water footprints of every region come from its own country rows (issue 14, item 2).

Mekonnen & Hoekstra's water table uses one area code where FAO has several (351 China for 41 China
mainland, 186 Serbia and Montenegro, 206 Sudan): the build looks every FAO area up through the
concordance shipped with the table (`regions_concordance_water.csv`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import petra.data
from petra.data import intensities as inten
from petra.dataset import load_dataset

ROOT = Path(petra.data.__file__).resolve().parent
MH = "water-footprint-mekonnen-hoekstra"
SOURCES = Path(__file__).resolve().parents[2] / "shared" / "data-sources" / MH
if not SOURCES.is_dir():
    SOURCES = Path("/work/shared/data-sources") / MH
# china9 regions made of one FAO country (the others aggregate many countries)
ONE_COUNTRY = {"CHN": 41, "BRA": 21, "USA": 231, "CAN": 33, "ARG": 9, "AUS": 10, "NZL": 156}
# commodity -> (M&H product, t product per t of the model unit: rice is milled = paddy x 0.67)
ONE_ITEM = {"soybeans": ("Soybean", 1.0), "wheat": ("Wheat", 1.0), "maize": ("Maize", 1.0),
            "barley": ("Barely", 1.0), "sorghum": ("Sorghum", 1.0), "rapeseed": ("Rapeseed", 1.0),
            "rice": ("Rice", 1 / 0.67)}


def water(ds, region, commodity, indicator):
    it = ds.intensities
    sel = it[(it["region"] == region) & (it["commodity"] == commodity) & (it["indicator"] == indicator)]
    return sel.set_index("period")["value"]


@pytest.mark.parametrize("scheme,region", [("china9", "CHN"), ("globiom37", "ChinaReg")])
def test_china_soybean_water_is_chinas_own(scheme, region):
    # Mekonnen & Hoekstra (2011), China (351): soybean blue 249 m3/t, green 2549 m3/t (global average
    # 70 and 2037, which the build used before the concordance)
    ds = load_dataset(ROOT / scheme)
    assert np.allclose(water(ds, region, "soybeans", "water_blue"), 249.0)
    assert np.allclose(water(ds, region, "soybeans", "water_green"), 2549.0)


def test_concordance_lookup_by_hand():
    codes = inten.water_code_map(pd.Series(["41", "96", "272", "5", "x"]),
                                 pd.Series(["351", "351", "186", "5", ""]))
    assert codes == {41: 351, 96: 351, 272: 186, 5: 5}
    footprint = pd.Series({351: 249.0, 186: 10.0, 7: 3.0})
    got = inten.water_per_tonne(pd.Series([41, 96, 272, 7, 5]), footprint, codes)
    # 41 and 96 -> China 351; Serbia 272 -> Serbia and Montenegro 186; 7 has no concordance row: its own
    # code; 5 maps to itself and the table has no value: NaN (the build then uses the global average)
    assert got.iloc[:4].tolist() == [249.0, 249.0, 10.0, 3.0] and np.isnan(got.iloc[4])


@pytest.mark.skipif(not SOURCES.is_dir(), reason="raw Mekonnen & Hoekstra download not available")
def test_every_one_country_region_uses_its_own_rows():
    """Every single-country china9 region's water intensity of every single-item crop and year equals
    the source's value for that country (through the concordance) wherever the source has one."""
    raw = pd.read_csv(SOURCES / "water_data.csv", encoding="latin-1")
    conc = pd.read_csv(SOURCES / "regions_concordance_water.csv", encoding="latin-1")
    to_water = dict(zip(conc["Area.Code"], conc["Code_water"], strict=True))
    ds = load_dataset(ROOT / "china9")
    checked = 0
    for region, fao in ONE_COUNTRY.items():
        code = to_water.get(fao, fao)
        for commodity, (product, factor) in ONE_ITEM.items():
            for kind in ("blue", "green"):
                row = raw[(raw["FAO.code"] == code) & (raw["Product"].str.strip() == product)
                          & (raw["Water"].str.strip() == kind)]
                if row.empty or (kind == "green" and row["Value"].iloc[0] == 0):
                    continue  # no own value: the global average is used (a zero green value = not grown)
                got = water(ds, region, commodity, f"water_{kind}").dropna()
                if got.empty:
                    continue  # the region produces none of it
                assert np.allclose(got, row["Value"].iloc[0] * factor), (region, commodity, kind)
                checked += 1
    assert checked >= 60
