"""IMPACT elasticities in the shipped datasets (data/impact.py): values recomputed from the raw IFPRI
files in the test, aggregation and bounds by hand, and the income elasticity default of `petra run`."""

from __future__ import annotations

import csv
import gzip
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import petra.data
from petra import bounds
from petra.data import impact
from petra.dataset import load_dataset
from petra.errors import InputError
from petra.projection.drivers import EntityNames, driver_arrays, market_defaults
from petra.projection.scenario_config import Drivers

ROOT = Path(petra.data.__file__).resolve().parent
IMPACT = Path("/work/shared/data-sources/impact-ifpri")
raw = pytest.mark.skipif(not IMPACT.is_dir(), reason="raw IMPACT files not available")


def rows(name: str) -> list[list[str]]:
    with gzip.open(IMPACT / f"{name}.csv.gz", "rt") as fh:
        return list(csv.reader(fh))


def crop_supply(activity: str, cty: str) -> float:
    """Mean over the CTY's FPU x land cells (FPU code ends in _CTY) of area + yield elasticity."""
    cells: dict[tuple[str, str], float] = {}
    for name in ("AreaElas", "YLDELAS"):
        for act, fpu, land, v in rows(name):
            if act == activity and fpu.endswith("_" + cty):
                cells[(fpu, land)] = cells.get((fpu, land), 0.0) + float(v)
    return sum(cells.values()) / len(cells)


@pytest.fixture(scope="module")
def china9():
    return load_dataset(ROOT / "china9")


def market(ds, region, commodity, column):
    m = ds.markets
    return float(m[(m["region"] == region) & (m["commodity"] == commodity)][column].iloc[0])


@raw
@pytest.mark.parametrize("region,commodity,activity,cty", [
    ("CHN", "soybeans", "jsoyb", "CHM"), ("USA", "maize", "jmaiz", "USA"), ("BRA", "wheat", "jwhea", "BRA"),
    ("CAN", "rapeseed", "jrpsd", "CAN")])
def test_single_country_crop_supply_equals_the_source(china9, region, commodity, activity, cty):
    # china9's CHN, USA, BRA and CAN are one country each: no weighting, the CTY's value
    assert market(china9, region, commodity, "supply_elasticity") == pytest.approx(crop_supply(activity, cty),
                                                                                   rel=1e-9)


@raw
def test_china_soybean_supply_is_area_plus_yield_by_hand(china9):
    # SOURCE.md: China soybean area 0.7128 (irrigated) / 0.5346 (rainfed) in every FPU, yield 0.13
    assert market(china9, "CHN", "soybeans", "supply_elasticity") == pytest.approx(
        (0.7128 + 0.5346) / 2 + 0.13, rel=1e-12)


@raw
@pytest.mark.parametrize("region,commodity,file,key", [
    ("USA", "bovine_meat", "LvstElas", ("jbeef", "USA", "jbeef")),
    ("CHN", "pig_meat", "LvstElas", ("jpork", "CHM", "jpork")),
    ("CHN", "pig_meat", "FdElasH", ("cpork", "cpork", "CHM")),
    ("BRA", "rice", "FdElasH", ("crice", "crice", "BRA"))])
def test_livestock_supply_and_food_demand_equal_the_source(china9, region, commodity, file, key):
    (value,) = [float(r[-1]) for r in rows(file) if tuple(r[:-1]) == key]
    column = "supply_elasticity" if file == "LvstElas" else "demand_elasticity"
    assert market(china9, region, commodity, column) == pytest.approx(value, rel=1e-9)


@raw
def test_income_elasticities_equal_the_source(china9):
    inc = china9.income_elasticities.set_index(["region", "commodity"])["income_elasticity"]
    src = {(c, cty): float(v) for c, cty, v in rows("IncDmdElasH")}
    assert inc[("CHN", "bovine_meat")] == pytest.approx(src[("cbeef", "CHM")], rel=1e-5)
    assert inc[("CHN", "soybeans")] == pytest.approx(src[("csoyb", "CHM")], rel=1e-5)
    assert inc[("USA", "dairy")] == pytest.approx(src[("cmilk", "USA")], rel=1e-5)
    assert inc[("CHN", "bovine_meat")] == pytest.approx(0.72, abs=0.005)  # SOURCE.md check figure


def test_china9_supply_elasticities_vary_and_stay_in_bounds(china9):
    m = china9.markets
    assert m["supply_elasticity"].round(6).nunique() >= 5
    assert (m["supply_elasticity"] >= 0).all() and (m["supply_elasticity"] <= bounds.ELASTICITY_MAX).all()
    assert (m["demand_elasticity"] <= 0).all()
    inc = china9.income_elasticities
    assert len(inc) == len(m) and (inc["income_elasticity"].abs() <= bounds.INCOME_ELASTICITY_MAX).all()


def test_region_aggregate_is_production_weighted_by_hand():
    values = pd.DataFrame({"area": [1, 2, 3, 4], "commodity": "wheat", "value": [0.2, 0.6, 1.0, 0.5]})
    weights = pd.DataFrame({"area": [1, 2, 3], "commodity": "wheat", "weight": [30.0, 10.0, 0.0]})
    region_of = pd.Series({1: "R", 2: "R", 3: "S", 4: "T"})
    keys = pd.MultiIndex.from_tuples([("R", "wheat"), ("S", "wheat"), ("T", "wheat"), ("U", "wheat")])
    t = impact.regional_means(values, weights, region_of, keys, pd.Series({"wheat": 0.1})).table
    assert t["value"].tolist() == pytest.approx([(30 * 0.2 + 10 * 0.6) / 40, 1.0, 0.5, 0.1])
    assert t["basis"].tolist() == ["weighted", "unweighted", "unweighted", "default"]


def test_crop_supply_averages_fpu_and_land_cells_by_hand():
    area = pd.DataFrame({"activity": "jx", "fpu": ["A_C", "A_C", "B_C"], "land": ["air", "arf", "arf"],
                         "value": [0.6, 0.4, 0.2]})
    yld = pd.DataFrame({"activity": "jx", "fpu": ["A_C", "A_C", "B_C"], "land": ["air", "arf", "arf"],
                        "value": [0.1, 0.1, 0.3]})
    fpu = pd.DataFrame({"fpu": ["A_C", "B_C"], "cty": ["C", "C"]})
    t = impact.crop_supply_by_cty(area, yld, fpu)
    assert t["value"].tolist() == pytest.approx([(0.7 + 0.5 + 0.5) / 3])


def test_clip_bounds_and_lists_the_market():
    t = pd.DataFrame({"region": ["R", "S"], "commodity": "x", "value": [0.3, 12.0]})
    out, notes = impact.clip(t, *impact.INCOME_RANGE, "income_elasticity")
    assert out["value"].tolist() == [0.3, bounds.INCOME_ELASTICITY_MAX]
    assert len(notes) == 1 and notes[0].startswith("S x income_elasticity 12")


NAMES = EntityNames(region=np.array(["A", "A"]), commodity=np.array(["wheat", "soy"]),
                    exporter=np.array(["A"]), importer=np.array(["A"]), route_commodity=np.array(["wheat"]))


def test_the_dataset_income_elasticity_is_the_default_and_rules_win():
    table = pd.DataFrame({"region": ["A", "A"], "commodity": ["wheat", "soy"],
                          "income_elasticity": [0.5, 0.8]})
    eta = market_defaults(table, NAMES, "income_elasticity")
    d = Drivers.model_validate({"income_growth": [{"value": 2.0}],
                                "income_elasticity": [{"commodity": "soy", "value": 0.1}]})
    a = driver_arrays(d, NAMES, (2010, 2020), base_transport=np.zeros(1), base_tariff=np.zeros(1),
                      exporter_price=np.ones(1), income_elasticity=eta)
    assert a.demand_factor[1, 0] == pytest.approx(1.02 ** (10 * 0.5), rel=1e-14)   # default 0.5
    assert a.demand_factor[1, 1] == pytest.approx(1.02 ** (10 * 0.1), rel=1e-14)   # the rule's 0.1
    none = driver_arrays(d, NAMES, (2010, 2020), base_transport=np.zeros(1), base_tariff=np.zeros(1),
                         exporter_price=np.ones(1))
    assert none.demand_factor[1, 0] == 1.0                                           # no file: 0


def test_a_bad_income_elasticity_names_file_row_and_column(tmp_path):
    folder = tmp_path / "ds"
    shutil.copytree(ROOT / "china9", folder)
    path = folder / "income_elasticities.csv"
    lines = path.read_text().splitlines()
    region, commodity, _ = lines[3].split(",")
    lines[3] = f"{region},{commodity},25"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as e:
        load_dataset(folder)
    msg = str(e.value)
    assert "income_elasticities.csv" in msg and "4" in msg and "income_elasticity" in msg


def test_a_bad_impact_value_names_file_line_and_column(tmp_path):
    path = tmp_path / "TM.csv.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("cbeef,AFG,0.06\ncpork,AFG,n/a\n")
    with pytest.raises(InputError) as e:
        impact.read_csv(path, impact.FILES["TM"])
    msg = str(e.value)
    assert "TM.csv.gz" in msg and "2" in msg and "value" in msg and "n/a" in msg
