"""Default feed requirements (the shipped feed.csv, built from FAOSTAT food balances) folded into the
livestock intensities of `petra run`: a livestock route carries the land, water and N of its feed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import petra.data
from petra.data import feed_requirements as fr
from petra.dataset import load_dataset
from petra.embodied import feed as fd
from petra.embodied.defaults import dataset_defaults
from petra.embodied.run import flow_units_of
from petra.embodied.scenario import scenario_accounts

ROOT = Path(petra.data.__file__).parent
YEAR = 2020


def test_allocation_of_a_country_feed_by_hand():
    # one country: 100 t maize fed, 10 t soybeans fed + 50 t crushed (cake 0.79 x 50 = 39.5 t, net cake
    # imports 10.5 t -> 50 t cake x 1.066 bean eq. = 53.3 t); pigs 10 t (weight 4), dairy 100 t (0.3)
    fbs = pd.DataFrame({"area": 1, "item": [2514, 2555, 2555, 2733, 2948],
                        "element": ["feed", "feed", "processing", "production", "production"],
                        "value": [100.0, 10.0, 50.0, 10.0, 100.0]})
    cake = pd.DataFrame({"area": [1], "feed": ["soybeans"], "value": [10.5]})
    use = fr.feed_use(fbs, cake, {"soybeans": 1.066, "rapeseed": 1.0}).set_index("feed")["value"]
    assert use["maize"] == 100.0 and use["soybeans"] == pytest.approx(10.0 + 50.0 * 1.066)
    alloc = fr.allocate_feed(fr.feed_use(fbs, cake, {"soybeans": 1.066, "rapeseed": 1.0}),
                             fr.livestock_production(fbs))
    # weights 10 x 4 = 40 and 100 x 0.3 = 30: pigs get 4/7 of each feed
    req = fr.regional_requirements(alloc.assign(region="R"),
                                   fr.livestock_production(fbs).assign(region="R"))
    r = req.set_index(["product", "feed"])["value"]
    assert r[("pig_meat", "maize")] == pytest.approx(100.0 * 4 / 7 / 10.0)
    assert r[("dairy", "soybeans")] == pytest.approx(63.3 * 3 / 7 / 100.0)


def test_shipped_feed_table_is_complete_and_plausible():
    for scheme in ("china9", "globiom37"):
        f = pd.read_csv(ROOT / scheme / "feed.csv")
        assert (f["unit"] == "t/t").all() and (f["value"] > 0).all()
        assert set(f["product"]) == {"bovine_meat", "pig_meat", "poultry_meat", "sheep_meat", "dairy"}
        regions = set(pd.read_csv(ROOT / scheme / "regions.csv")["region"])
        assert set(f["region"]) <= regions
    f = pd.read_csv(ROOT / "china9" / "feed.csv").set_index(["region", "product", "feed"])["value"]
    # US pigs: maize + soybean meal of 3-5 t per t carcass (FAOSTAT feed use / concentrate weights)
    us_pig = f.loc[("USA", "pig_meat")].sum()
    assert 2.5 < us_pig < 6.0


def test_default_feed_path_by_hand_usa_pig_meat_to_china():
    """USA -> CHN pig meat, 2020 observed flows:
    land = flow x sum_F req[USA,pig,F] x share[USA,F] x land[USA,F], share = production / (production +
    imports) of USA's feed crop, land of 2019 (latest known)."""
    ds = load_dataset(ROOT / "china9")
    units = flow_units_of(ds, "kt")
    om = ds.observed_markets
    prod = om[om["year"] == YEAR].rename(columns={"year": "period"})[["region", "commodity", "period",
                                                                      "production"]]
    of = ds.observed_flows
    flows = of[of["year"] == YEAR].rename(columns={"year": "period"})[["exporter", "importer", "commodity",
                                                                       "period", "flow"]]
    acc = scenario_accounts(ds.intensities, prod.reset_index(drop=True), flows.reset_index(drop=True), None,
                            YEAR, units, model="petra", scenario="obs", defaults=dataset_defaults(ds, units))
    e = acc.embodied
    got = e[(e["exporter"] == "USA") & (e["importer"] == "CHN") & (e["commodity"] == "pig_meat")
            & (e["indicator"] == "land")]["value"].item()

    # by hand from the CSV files
    req = pd.read_csv(ROOT / "china9" / "feed.csv")
    req = req[(req["region"] == "USA") & (req["product"] == "pig_meat")].set_index("feed")["value"]
    it = pd.read_csv(ROOT / "china9" / "intensities.csv")
    land = it[(it["region"] == "USA") & (it["indicator"] == "land") & (it["period"] == 2019)].set_index(
        "commodity")["value"]
    p = prod[prod["region"] == "USA"].set_index("commodity")["production"]
    imp = flows[flows["importer"] == "USA"].groupby("commodity")["flow"].sum()
    per_t = sum(v * p[f] / (p[f] + imp.get(f, 0.0)) * land[f] for f, v in req.items())
    flow = flows[(flows["exporter"] == "USA") & (flows["importer"] == "CHN")
                 & (flows["commodity"] == "pig_meat")]["flow"].item()
    assert flow > 100  # kt
    assert got == pytest.approx(flow * 1000 * per_t, rel=1e-9)
    # about 0.5-1 ha per t of pig meat (maize ~0.09 ha/t x 2.9 t, soybeans ~0.3 ha/t x 0.8 t)
    assert 0.3 < per_t < 1.2
    # the production account keeps the pig meat without feed (its maize is counted as maize there)
    a = acc.accounts
    pb = a[(a["region"] == "USA") & (a["commodity"] == "pig_meat") & (a["indicator"] == "land")]
    assert pb["production_based"].isna().all()
    i = acc.intensities
    sel = (i["region"] == "USA") & (i["commodity"] == "pig_meat") & (i["indicator"] == "land")
    src = i.loc[sel, "source"]
    assert len(src) and src.str.startswith("feed").all()


def test_given_livestock_values_win_and_missing_feed_stays_missing():
    ints = pd.DataFrame({"region": ["A", "A", "A", "A"], "commodity": ["maize", "maize", "pork", "pork"],
                         "period": 2020, "indicator": ["land", "n2o", "land", "n2o"],
                         "value": [0.2, 1.0, np.nan, 3.0], "unit": ["ha/t", "kg/t", "ha/t", "kg/t"],
                         "source": ""})
    req = pd.DataFrame({"region": [""], "product": ["pork"], "feed": ["maize"], "value": [3.0]})
    f = fd.feed_intensities(req, ints, indicators=("land", "n2o"))
    out = fd.with_feed(ints, f).set_index(["commodity", "indicator"])["value"]
    assert out[("pork", "land")] == pytest.approx(0.6)        # filled: 3 x 0.2
    assert out[("pork", "n2o")] == pytest.approx(3.0 + 3.0)   # own 3 + feed 3 x 1
    given = ints.assign(value=[0.2, 1.0, 0.05, np.nan])
    out = fd.with_feed(given, fd.feed_intensities(req, given, indicators=("land", "n2o")))
    out = out.set_index(["commodity", "indicator"])["value"]
    assert out[("pork", "land")] == 0.05       # a given value wins
    assert np.isnan(out[("pork", "n2o")])      # missing own gas + feed: still missing, never the feed alone
    # a feed crop without an intensity: the product's value is missing (not 0), unless all of it is imported
    no_land = ints[~((ints["commodity"] == "maize") & (ints["indicator"] == "land"))]
    assert np.isnan(fd.feed_intensities(req, no_land, indicators=("land",))["value"]).all()
    share = pd.DataFrame({"region": ["A"], "commodity": ["maize"], "period": [2020], "share": [0.0]})
    assert (fd.feed_intensities(req, no_land, share, indicators=("land",))["value"] == 0).all()


def test_bad_default_feed_file_exits_2_naming_file_line_and_column(tmp_path):
    ds = tmp_path / "china9"
    shutil.copytree(ROOT / "china9", ds)
    lines = (ds / "feed.csv").read_text(encoding="utf-8").splitlines()
    cells = lines[3].split(",")
    cells[3] = "-0.5"  # a negative requirement on file line 4
    lines[3] = ",".join(cells)
    (ds / "feed.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "s.yaml").write_text(f"dataset: {ds}\nbase_year: 2020\nperiods: [2020, 2030]\n"
                                     "focus_region: CHN\nscenarios:\n  ref: {description: reference}\n",
                                     encoding="utf-8")
    out = tmp_path / "out"
    cmd = [sys.executable, "-c", "from petra.cli import app; app()", "run", str(tmp_path / "s.yaml"), "--out",
           str(out), "--no-plots", "--quiet"]
    env = {**os.environ, "COLUMNS": "200"}
    res = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    assert res.returncode == 2, res.stderr
    msg = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(msg) == 1 and "feed.csv" in msg[0] and "4" in msg[0] and "value" in msg[0], res.stderr
    assert not out.exists()


def test_petra_embodied_on_a_dataset_uses_its_own_feed_and_deforestation(tmp_path):
    # `petra embodied china9` takes the dataset's feed.csv and deforestation.csv where --feed and
    # --deforestation are not given: the same accounts as naming the files; --no-dataset-defaults: none
    from typer.testing import CliRunner

    from petra.cli import app

    root = Path(petra.data.__file__).resolve().parent / "china9"
    runs = {"default": [], "named": ["--feed", str(root / "feed.csv"), "--deforestation",
                                     str(root / "deforestation.csv")], "off": ["--no-dataset-defaults"]}
    got = {}
    for name, extra in runs.items():
        res = CliRunner().invoke(app, ["embodied", "china9", "--out", str(tmp_path / name), "--no-plots",
                                       "--observed-years", *extra])
        assert res.exit_code == 0, res.output
        got[name] = pd.read_csv(tmp_path / name / "embodied.csv")
    pd.testing.assert_frame_equal(got["default"], got["named"])
    ind = set(got["default"]["indicator"])
    assert {"feed_land", "feed_nitrogen", "deforestation_co2"} <= ind
    assert not {i for i in set(got["off"]["indicator"]) if i.startswith("feed_") or i.startswith("defor")}
    # livestock imports carry their feed's land: USA -> CHN pig meat 2015 has a positive feed_land
    d = got["default"]
    row = d[(d.exporter == "USA") & (d.importer == "CHN") & (d.commodity == "pig_meat") & (d.period == 2015)
            & (d.indicator == "feed_land")]
    assert len(row) == 1 and row["value"].iloc[0] > 0
