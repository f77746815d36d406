"""GHG intensities that add up (issue 14, item 3): crop CH4 is 0 except rice, fertiliser N2O uses
IPCC 2006 EF1 with the flooded-rice factor in the shipped data and in the post-processor alike (one
home for every emission factor, petra.emission_factors)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import petra.data
from petra import emission_factors as ef
from petra.data import intensities as inten
from petra.dataset import load_dataset
from petra.embodied import embodied_math as em

ROOT = Path(petra.data.__file__).resolve().parent


@pytest.fixture(scope="module", params=["china9", "globiom37"])
def ints(request):
    return load_dataset(ROOT / request.param).intensities


def test_crop_ch4_is_zero_except_rice(ints):
    ch4 = ints[ints["indicator"] == "ch4"]
    crops = ch4[~ch4["commodity"].isin(["rice", "bovine_meat", "pig_meat", "poultry_meat", "sheep_meat",
                                         "dairy"])]
    assert len(crops) and (crops["value"] == 0).all()
    # rice: IPCC 2019 Tier 1 from the land intensity; missing (not 0) where land is (2020)
    rice = ch4[ch4["commodity"] == "rice"].set_index(["region", "period"])["value"]
    land = ints[(ints["indicator"] == "land") & (ints["commodity"] == "rice")].set_index(
        ["region", "period"])["value"]
    assert rice.isna().equals(land.reindex(rice.index).isna())
    assert np.allclose(rice.dropna(), land.loc[rice.dropna().index] * 1.19 * 120, rtol=1e-6)


def test_china_rice_ch4_by_hand():
    it = load_dataset(ROOT / "china9").intensities
    sel = it[(it["region"] == "CHN") & (it["commodity"] == "rice") & (it["period"] == 2019)].set_index(
        "indicator")["value"]
    # 2019: 0.2114049 ha harvested per t milled rice (QCL area / production) x 1.19 kg CH4/ha/day
    # (IPCC 2019 Table 5.11, continuously flooded) x 120 days = 30.189 kg CH4 per t
    assert sel["land"] == pytest.approx(0.2114049, rel=1e-6)
    assert sel["ch4"] == pytest.approx(0.2114049 * 1.19 * 120, rel=1e-6)
    assert sel["ch4"] == pytest.approx(30.189, abs=0.001)


def test_rice_n2o_uses_the_flooded_rice_factor_everywhere(ints):
    n = ints[ints["indicator"] == "nitrogen"].set_index(["region", "commodity", "period"])["value"].dropna()
    o = ints[ints["indicator"] == "n2o"].set_index(["region", "commodity", "period"])["value"]
    rice = n.index.get_level_values("commodity") == "rice"
    # the post-processor's own rule gives the shipped values
    want = em.n2o_from_nitrogen(n.to_numpy(), flooded_rice=rice)
    assert np.allclose(o.loc[n.index].to_numpy(), want)


def test_china_rice_n2o_by_hand():
    it = load_dataset(ROOT / "china9").intensities
    sel = it[(it["region"] == "CHN") & (it["commodity"] == "rice") & (it["period"] == 2010)].set_index(
        "indicator")["value"]
    # 0.004 kg N2O-N / kg N (IPCC 2019) x 44/28 x N; with 0.01 it was 0.682 kg/t, with 0.003 (IPCC 2006)
    # 0.205, now 0.205 x 4/3 = 0.273
    assert sel["n2o"] == pytest.approx(sel["nitrogen"] * 0.004 * 44 / 28)
    assert sel["n2o"] == pytest.approx(0.273, abs=0.001)


def test_one_home_for_emission_factors():
    assert em.IPCC2006_EF1 is ef.EF1 and em.IPCC2006_EF1_FLOODED_RICE is ef.EF1_FLOODED_RICE
    n = pd.DataFrame({"commodity": ["rice", "wheat"], "value": [100.0, 100.0]})
    # 100 kg N: rice 100 x 0.004 x 44/28 = 0.6286 kg N2O; wheat 100 x 0.01 x 44/28 = 1.5714
    assert inten.n2o_from_nitrogen(n)["value"].tolist() == pytest.approx([0.628571, 1.571429], rel=1e-5)


STOCK = Path("/work/shared/data-sources/gcamfaostat/GCAMFAOSTAT_AnimalStock.csv.gz")
PROD = Path("/work/shared/data-sources/gcamfaostat/GCAMFAOSTAT_ProdPrice.csv.gz")


def _fao(path, area, item, element, year):
    df = pd.read_csv(path, comment="#")
    row = df[(df["area_code"] == area) & (df["item_code"] == item) & (df["element"] == element)]
    return float(row[str(year)].item())


@pytest.mark.skipif(not STOCK.is_file(), reason="raw gcamfaostat download not available")
def test_china_livestock_enteric_ch4_by_hand():
    """china9 CHN (FAO 41 only) 2020, IPCC 2006 Tier 1 'Asia' factors: bovine meat = (cattle - milking
    cows) x 47 kg CH4/head / cattle meat production; pig meat = pigs x 1.0 (developing) / pig meat."""
    it = load_dataset(ROOT / "china9").intensities
    got = it[(it["region"] == "CHN") & (it["period"] == 2020) & (it["indicator"] == "ch4_enteric")].set_index(
        "commodity")["value"]
    cattle = _fao(STOCK, 41, 866, "Stocks", 2020)
    cows = _fao(STOCK, 41, 882, "Milk Animals", 2020)
    beef = _fao(PROD, 41, 867, "Production", 2020)
    assert got["bovine_meat"] == pytest.approx((cattle - cows) * 47.0 / beef, rel=1e-6)
    pigs = _fao(STOCK, 41, 1034, "Stocks", 2020)
    pork = _fao(PROD, 41, 1035, "Production", 2020)
    assert got["pig_meat"] == pytest.approx(pigs * 1.0 / pork, rel=1e-6)
    assert got["poultry_meat"] == 0.0
    # the livestock CH4 total is enteric + manure (tests/test_feature_embodied_manure.py), never 0
    sel = it[(it["region"] == "CHN") & (it["commodity"] == "bovine_meat")].set_index(["indicator", "period"])
    total = sel.loc["ch4", "value"]
    assert total.notna().all() and (total > 0).all()
    parts = sel.loc["ch4_enteric", "value"] + sel.loc["ch4_manure", "value"]
    assert np.allclose(total, parts.loc[total.index])
