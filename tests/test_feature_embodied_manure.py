"""Manure management CH4 in the embodied GHG accounts (issue 14, item 3): IPCC 2006 Tier 1 factors per
head (Tables 10.14-10.15, transcribed by AMEE, one file read by petra.emission_factors) x FAOSTAT animal
numbers / production, into the livestock CH4 total, the CO2e total and the IAMC output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import petra.data
from petra import emission_factors as ef
from petra.data import ipcc_manure, livestock
from petra.dataset import load_dataset
from petra.embodied import embodied_math as em
from petra.embodied import iamc
from petra.errors import InputError

ROOT = Path(petra.data.__file__).resolve().parent
STOCK = Path("/work/shared/data-sources/gcamfaostat/GCAMFAOSTAT_AnimalStock.csv.gz")
PROD = Path("/work/shared/data-sources/gcamfaostat/GCAMFAOSTAT_ProdPrice.csv.gz")
AMEE = Path(os.environ.get("PETRA_AMEE_MIRROR", "/work/.mirror/mamhoff+datasets/repo"))
LIVESTOCK = ["bovine_meat", "dairy", "pig_meat", "poultry_meat", "sheep_meat"]


@pytest.fixture(scope="module")
def fao():
    stock = pd.read_csv(STOCK, comment="#")
    prod = pd.read_csv(PROD, comment="#")

    def get(area: int, item: int, element: str, year: int, table: str = "stock") -> float:
        df = stock if table == "stock" else prod
        row = df[(df["area_code"] == area) & (df["item_code"] == item) & (df["element"] == element)]
        if row.empty:
            return 0.0
        per = 1000.0 if str(row["unit"].item()).startswith("1000") else 1.0
        return float(row[str(year)].item()) * per

    return get


def _manure(region: str, year: int) -> pd.Series:
    it = load_dataset(ROOT / "china9").intensities
    sel = it[(it["region"] == region) & (it["period"] == year) & (it["indicator"] == "ch4_manure")]
    return sel.set_index("commodity")["value"]


# AMEE business/agriculture/livestock/manure/ch4/cattleandswine/data.csv (IPCC 2006 Table 10.14), the
# 'temperate' class = the mean of the 15..25 degC columns, copied by hand from the file (kg CH4/head/yr);
# the factor file keeps 4 decimals of the mean, hence rel=1e-5
ASIA_SWINE_15_25 = [3, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6]
ASIA_DAIRY_15_25 = [13, 14, 15, 16, 17, 18, 20, 21, 23, 24, 26]
NORTH_AMERICA_MARKET_SWINE_15_25 = [13, 13, 14, 15, 15, 16, 17, 18, 18, 19, 20]


@pytest.mark.skipif(not STOCK.is_file(), reason="raw gcamfaostat download not available")
def test_china_pig_meat_and_dairy_manure_ch4_by_hand(fao):
    """china9 CHN (FAO 41) 2020, 'Asia' of Table 10.14 and 'developing' of Table 10.15, temperate."""
    got = _manure("CHN", 2020)
    # pig meat: pigs x mean(3,3,3,3,4,4,4,5,5,5,6) = 45/11 kg/head / pig meat production
    pigs, pork = fao(41, 1034, "Stocks", 2020), fao(41, 1035, "Production", 2020, "prod")
    assert got["pig_meat"] == pytest.approx(pigs * (45 / 11) / pork, rel=1e-5)
    assert sum(ASIA_SWINE_15_25) == 45
    # dairy: milking cows x 207/11 + milking buffalo x 2 (Asia, 15-25 degC) + milking sheep x 0.15 +
    # milking goats x 0.17 (developing, temperate) / milk of cattle, buffalo, sheep, goats and camels
    assert sum(ASIA_DAIRY_15_25) == 207
    kg = (fao(41, 882, "Milk Animals", 2020) * 207 / 11 + fao(41, 951, "Milk Animals", 2020) * 2.0
          + fao(41, 982, "Milk Animals", 2020) * 0.15 + fao(41, 1020, "Milk Animals", 2020) * 0.17)
    milk = sum(fao(41, i, "Production", 2020, "prod") for i in (882, 951, 982, 1020, 1130))
    assert got["dairy"] == pytest.approx(kg / milk, rel=1e-5)
    # poultry meat (developing): all chickens, ducks, geese and turkeys x 0.02 / poultry meat
    birds = sum(fao(41, i, "Stocks", 2020) for i in (1057, 1068, 1072, 1079))
    meat = sum(fao(41, i, "Production", 2020, "prod") for i in (1058, 1069, 1073, 1080))
    assert got["poultry_meat"] == pytest.approx(birds * 0.02 / meat, rel=1e-6)
    # the values reported in PROVENANCE (kg CH4 per t)
    assert got["pig_meat"] == pytest.approx(40.43, abs=0.01)
    assert got["dairy"] == pytest.approx(6.35, abs=0.01)


@pytest.mark.skipif(not STOCK.is_file(), reason="raw gcamfaostat download not available")
def test_usa_pig_meat_takes_the_market_swine_factor(fao):
    """Table 10.14 splits swine in developed regions; FAOSTAT counts all pigs: market swine for all."""
    got = _manure("USA", 2020)
    pigs, pork = fao(231, 1034, "Stocks", 2020), fao(231, 1035, "Production", 2020, "prod")
    factor = np.mean(NORTH_AMERICA_MARKET_SWINE_15_25)  # 178 / 11
    assert got["pig_meat"] == pytest.approx(pigs * factor / pork, rel=1e-5)
    # developed poultry: chickens x broilers 0.02 + turkeys x 0.09 + ducks x 0.03 (geese: no factor)
    kg = (fao(231, 1057, "Stocks", 2020) * 0.02 + fao(231, 1079, "Stocks", 2020) * 0.09
          + fao(231, 1068, "Stocks", 2020) * 0.03)
    meat = sum(fao(231, i, "Production", 2020, "prod") for i in (1058, 1069, 1073, 1080))
    assert got["poultry_meat"] == pytest.approx(kg / meat, rel=1e-6)


@pytest.mark.parametrize("scheme", ["china9", "globiom37"])
def test_livestock_ch4_total_is_enteric_plus_manure(scheme):
    it = load_dataset(ROOT / scheme).intensities
    w = it[it["commodity"].isin(LIVESTOCK)].pivot_table(index=["region", "commodity", "period"],
                                                         columns="indicator", values="value", dropna=False)
    assert w["ch4_manure"].notna().all() and (w["ch4_manure"] > 0).all()
    assert np.allclose(w["ch4"], w["ch4_enteric"] + w["ch4_manure"], rtol=1e-6)
    src = it[(it["indicator"] == "ch4_manure")]["source"].unique()
    assert list(src) == ["IPCC2006 T10.14-15 (temperate) x FAOSTAT heads"]


def test_factors_have_one_home_and_the_temperature_class_is_stated():
    t = ef.manure_ch4_factors()
    assert ef.MANURE_TEMPERATURE_CLASS == "temperate"
    assert set(t["animal"]) >= {"dairy_cattle", "other_cattle", "swine", "market_swine", "sheep", "goats",
                                "broilers", "poultry"}
    # cool <= temperate <= warm for every factor (IPCC: manure CH4 conversion rises with temperature)
    keys = ["animal", "ipcc_region", "development"]
    c, m, w = (ef.manure_ch4_factors(k).set_index(keys)["kg_ch4_per_head"] for k in ("cool", "temperate",
                                                                                      "warm"))
    assert ((c <= m) & (m <= w)).all() and (w > c).any()
    with pytest.raises(InputError, match="not one of cool, temperate, warm"):
        ef.manure_ch4_factors("hot")
    # no second copy: the factor file is read by petra.emission_factors only (and written by its script)
    code = [p for d in ("petra", "data", "embodied", "projection") for p in (ROOT.parent / d).glob("*.py")]
    assert sorted(p.name for p in code if "ipcc_manure_ch4.csv" in p.read_text()) == [
        "emission_factors.py", "ipcc_manure.py"]


@pytest.mark.skipif(not (AMEE / "HEAD").exists() and not (AMEE / ".git").exists(),
                    reason="AMEE datasets mirror not available")
def test_factor_file_rebuilds_from_the_amee_mirror(tmp_path, capsys):
    out = tmp_path / "f.csv"
    assert ipcc_manure.main(["--amee", str(AMEE), "--out", str(out)]) == 0
    assert out.read_bytes() == (ROOT / "mappings" / "ipcc_manure_ch4.csv").read_bytes()
    printed = capsys.readouterr().out
    assert "0 doubt(s)" in printed and "0 difference(s)" in printed  # README counts; Table 10.11 agrees
    assert ipcc_manure.main(["--amee", str(tmp_path / "nope")]) == 2


def test_bad_inputs_are_one_line_errors():
    heads = pd.DataFrame({"area": [1], "year": [2020], **{c: [1.0] for c in (
        "cattle", "cows", "buffalo_milk", "sheep", "sheep_milk", "goats", "goat_milk", "pigs", "chickens",
        "ducks", "geese", "turkeys")}})
    regions = pd.DataFrame({"area": [1], "ipcc_region": ["Asia"], "manure_region": ["Atlantis"],
                            "developed": [0]})
    with pytest.raises(InputError, match="no manure CH4 factor for swine in IPCC region 'Atlantis'"):
        livestock.manure_ch4(heads, regions, ef.manure_ch4_factors())
    stock = pd.DataFrame({"area": [1], "item_code": [1057], "element": ["Stocks"], "unit": ["dozen"],
                          "year": [2020], "value": [3.0]})
    with pytest.raises(InputError, match="unknown unit 'dozen'"):
        livestock.head_counts(stock)
    # one head of each in Asia (developing), temperate: dairy = cow 207/11 + buffalo 2 + sheep 0.15 +
    # goat 0.17; bovine meat = (cattle - cows) 0; poultry = 4 birds x 0.02
    kg = livestock.manure_ch4(heads, regions.assign(manure_region="Asia"), ef.manure_ch4_factors())
    kg = kg.set_index("commodity")["value"]
    assert kg["dairy"] == pytest.approx(207 / 11 + 2 + 0.15 + 0.17)
    assert kg["bovine_meat"] == 0.0 and kg["poultry_meat"] == pytest.approx(0.08)


def _ints(rows):
    return pd.DataFrame(rows, columns=["region", "commodity", "period", "indicator", "value", "unit"])


def test_co2e_total_includes_the_manure_term():
    rows = [("A", "beef", 2020, "ch4_enteric", 300.0, "kg/t"), ("A", "beef", 2020, "n2o", 2.0, "kg/t")]
    prod = pd.DataFrame({"region": ["A", "B"], "commodity": "beef", "period": 2020,
                         "production": [10.0, 1.0]})
    flows = pd.DataFrame({"exporter": ["A"], "importer": ["B"], "commodity": ["beef"], "period": [2020],
                          "flow": [2.0]})

    def imports(ints):
        acc = em.accounts(prod, flows, em.derive_ghg(_ints(ints)), "kt")
        return iamc.iamc_table(acc).set_index(["region", "variable"])["value"]

    without = imports(rows)
    with_manure = imports(rows + [("A", "beef", 2020, "ch4_manure", 20.0, "kg/t")])
    # B imports 2,000 t beef: CH4 (300 + 20) kg/t = 640 t; N2O 2 kg/t = 4 t;
    # CO2e = 640 x 27 + 4 x 273 = 17,280 + 1,092 = 18,372 t (without manure 600 x 27 + 1,092 = 17,292 t)
    kyoto = ("B", "Embodied Emissions|Kyoto Gases (AR6-GWP100)|Imports")
    assert with_manure[kyoto] == pytest.approx(18372.0 / 1e6)
    assert without[kyoto] == pytest.approx(17292.0 / 1e6)
    assert with_manure[("B", "Embodied Emissions|CH4|Manure|Imports")] == pytest.approx(40.0 / 1e6)
    assert with_manure[("B", "Embodied Emissions|CH4|Imports")] == pytest.approx(640.0 / 1e6)


SMALL = """\
dataset: {dataset}
base_year: 2020
periods: [2020, 2030]
focus_region: CHN
scenarios:
  ref: {{description: reference}}
"""


def _run(tmp: Path, dataset: str) -> dict:
    (tmp / "s.yaml").write_text(SMALL.format(dataset=dataset))
    cmd = [sys.executable, "-c", "from petra.cli import app; app()", "run", str(tmp / "s.yaml"),
           "--out", str(tmp / "out"), "--no-plots", "--quiet"]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr
    return json.loads((tmp / "out" / "summary.json").read_text())["embodied_coverage"]["scenarios"]["ref"][
        "imports"]


def test_run_coverage_of_china_ch4_rises_with_manure(tmp_path):
    """`petra run` on china9 against the same dataset without manure CH4 (livestock CH4 total missing,
    as before): CH4 coverage of China's imports rises to 100%; CO2e coverage does not fall (it stays
    bounded by the livestock N2O, which has no manure N2O source, see PROVENANCE)."""
    old = tmp_path / "old"
    shutil.copytree(ROOT / "china9", old / "china9")
    f = old / "china9" / "intensities.csv"
    it = pd.read_csv(f, keep_default_na=False, dtype=str)
    it = it[it["indicator"] != "ch4_manure"]
    lv = (it["indicator"] == "ch4") & it["commodity"].isin(LIVESTOCK)
    it.loc[lv, "value"], it.loc[lv, "source"] = "", "missing: livestock manure CH4 (no source)"
    it.to_csv(f, index=False)
    (tmp_path / "new").mkdir()
    before, after = _run(old, str(old / "china9")), _run(tmp_path / "new", "china9")
    for period in ("2020", "2030"):
        assert after["ch4"][period] > before["ch4"][period] + 0.05
        assert after["ch4"][period] == pytest.approx(1.0)
        assert after["co2e"][period] >= before["co2e"][period] - 1e-9
        assert after["co2e"][period] == pytest.approx(after["n2o"][period], abs=1e-6)
