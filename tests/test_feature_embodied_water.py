"""Virtual water indicators: content, trade volumes, stress against a cap, normalised pressure, impact."""

import math

import pandas as pd
import pytest

from petra.embodied import water_indicators as wi

YEARS = [2010, 2011, 2012]
# CN imports 50, 65, 80 kt soy from BR and exports 1, 1, 2 kt to JP; CN produces 10 kt each year.
FLOWS = pd.DataFrame({
    "exporter": ["BR"] * 3 + ["CN"] * 3, "importer": ["CN"] * 3 + ["JP"] * 3, "commodity": "soy",
    "period": YEARS * 2, "flow": [50.0, 65.0, 80.0, 1.0, 1.0, 2.0]})
PROD = pd.DataFrame({"region": "CN", "commodity": "soy", "period": YEARS, "production": 10.0})
INTS = pd.DataFrame({"region": ["CN", "BR"], "commodity": "soy", "period": 2010, "indicator": "water_blue",
                     "value": [500.0, 10.0], "unit": "m3/t"})
CAP = pd.DataFrame({"region": ["CN"], "period": [float("nan")], "value": [700e9]})  # 700 billion m3


def test_virtual_water_content():
    # D = W / Y: 4000 m3/ha / 2 t/ha = 2000 m3/t
    assert wi.virtual_water_content(4000.0, 2.0) == pytest.approx(2000.0)


def test_trade_stress_pressure_and_impact_by_hand():
    t = wi.water_indicators(FLOWS, PROD, INTS, "kt", cap=CAP)
    cn = t[(t["region"] == "CN") & (t["commodity"] == "soy")].set_index("period")
    # content is CN's own: V_i 2010 = 500 m3/t x 50,000 t = 2.5e7 m3; W = 500 x 10,000 = 5e6 m3
    assert cn.loc[2010, "V_i"] == pytest.approx(2.5e7)
    assert cn.loc[2010, "W"] == pytest.approx(5e6)
    # V_e 2012 = 500 x 2,000 = 1e6; V_n 2012 = 500 x 80,000 - 1e6 = 3.9e7
    assert cn.loc[2012, "V_e"] == pytest.approx(1e6)
    assert cn.loc[2012, "V_n"] == pytest.approx(3.9e7)
    # MWSI_i 2010 = 2.5e7 / 7e11 x 100 = 0.0035714 %; MWSI_f = 5e6 / 7e11 x 100
    assert cn.loc[2010, "MWSI_i"] == pytest.approx(2.5e7 / 7e11 * 100)
    assert cn.loc[2010, "MWSI_f"] == pytest.approx(5e6 / 7e11 * 100)
    # P_i = MWSI_i / MWSI_f = 5, 6.5, 8; impact index of imports = V_i / W = same
    assert list(cn["P_i"]) == pytest.approx([5.0, 6.5, 8.0])
    assert list(cn["impact_imports"]) == pytest.approx([5.0, 6.5, 8.0])
    # imports reversed min-max: (8 - P) / 3 = 1, 0.5, 0 -> high, medium, low
    assert list(cn["I_i"]) == pytest.approx([1.0, 0.5, 0.0])
    assert list(cn["grade_i"]) == ["high", "medium", "low"]
    # exports: P_e = 0.1, 0.1, 0.2 -> (P - 0.1) / 0.1 = 0, 0, 1
    assert list(cn["I_e"]) == pytest.approx([0.0, 0.0, 1.0])
    assert list(cn["grade_e"]) == ["low", "low", "high"]
    # net: P_n = 4.9, 6.4, 7.8 -> (7.8 - P) / 2.9 = 1, 0.48276, 0
    assert list(cn["I_n"]) == pytest.approx([1.0, 1.4 / 2.9, 0.0])
    assert list(cn["grade_n"]) == ["high", "medium", "low"]
    # (all) row sums the crops (one crop here)
    tot = t[(t["region"] == "CN") & (t["commodity"] == wi.ALL)].set_index("period")
    assert tot.loc[2011, "V_i"] == pytest.approx(500 * 65000.0)
    # BR has no production row: W = 0, so P and MWSI_f undefined; no cap for BR
    br = t[(t["region"] == "BR") & (t["commodity"] == "soy")]
    assert br["P_e"].isna().all() and br["LQ"].isna().all()
    # BR exports valued at BR's own content: 10 m3/t x 50,000 t
    assert br.set_index("period").loc[2010, "V_e"] == pytest.approx(5e5)


def test_grade_thresholds_are_configurable():
    assert list(wi.grade([0.1, 0.5, 0.9], (0.2, 0.8))) == ["low", "medium", "high"]
    assert wi.normalise_pressure([3.0, 3.0], "imports") == pytest.approx([float("nan")] * 2, nan_ok=True)


# ---- issue 14, item 7: total virtual water, thresholds from the scenario file, indices in petra run
def test_total_water_is_green_plus_blue_and_missing_if_either_is():
    ints = pd.DataFrame({"region": ["CN", "CN", "BR", "BR"], "commodity": "soy", "period": 2010,
                         "indicator": ["water_green", "water_blue", "water_green", "water_blue"],
                         "value": [2549.0, 249.0, 2181.0, float("nan")], "unit": "m3/t"})
    t = wi.add_total_water(ints)
    tot = t[t["indicator"] == "water_total"].set_index("region")["value"]
    assert tot["CN"] == pytest.approx(2798.0)
    assert math.isnan(tot["BR"])


RUN_FILE = """\
dataset: china9
base_year: 2020
periods: [2020, 2030, 2040]
focus_region: CHN
embodied: {pressure_thresholds: [0.1, 0.2], water_cap: {CHN: 700}}
base:
  drivers:
    yield_growth: [{value: 1.0}]
    income_growth: [{value: 3.0}]
    income_elasticity: [{commodity: soybeans, value: 0.4}]
scenarios:
  ref: {description: reference}
"""


def test_water_stress_of_the_focus_region_in_a_run(tmp_path):
    from petra.dataset import load_dataset
    from petra.projection.run import run_scenarios

    (tmp_path / "w.yaml").write_text(RUN_FILE)
    run = run_scenarios(tmp_path / "w.yaml")
    (r,) = run.results
    w = r.water.set_index(["commodity", "period", "indicator"])
    assert set(r.water["region"]) == {"CHN"}
    it = load_dataset(run.dataset.path).intensities
    chn = it[(it["region"] == "CHN") & (it["commodity"] == "soybeans") & (it["period"] == 2020)]
    content = chn[chn["indicator"].isin(["water_green", "water_blue"])]["value"].sum()  # 2549 + 249
    assert content == pytest.approx(2798.0)
    f = r.flows[(r.flows["importer"] == "CHN") & (r.flows["commodity"] == "soybeans")]
    for period in (2020, 2030, 2040):
        imports_t = f[f["period"] == period]["flow"].sum() * 1000
        row = w.loc[("soybeans", period, "water_total")]
        # V_i = China's own content x its imports; MWSI_i = V_i / 700 km3 x 100
        assert row["V_i"] == pytest.approx(content * imports_t, rel=1e-9)
        assert row["MWSI_i"] == pytest.approx(content * imports_t / 700e9 * 100, rel=1e-9)
    # the (all) row sums the crops with water data (livestock has none): soybeans included
    allrow = w.loc[("(all)", 2030, "water_total")]
    crops = r.water[(r.water["period"] == 2030) & (r.water["indicator"] == "water_total")
                    & (r.water["commodity"] != "(all)")]
    assert allrow["V_i"] == pytest.approx(crops["V_i"].sum(min_count=1), rel=1e-12) and allrow["V_i"] > 0
    # grades follow the file's thresholds (0.1, 0.2), not the default thirds
    soy = r.water[(r.water["commodity"] == "soybeans") & (r.water["indicator"] == "water_total")]
    for i, g in zip(soy["I_i"], soy["grade_i"], strict=True):
        assert g == ("high" if i >= 0.2 else "medium" if i >= 0.1 else "low")


def test_water_cap_of_an_unknown_region_is_bad_input(tmp_path):
    from petra.errors import InputError
    from petra.projection.run import run_scenarios

    (tmp_path / "w.yaml").write_text(RUN_FILE.replace("{CHN: 700}", "{XYZ: 700}"))
    with pytest.raises(InputError, match="embodied.water_cap.*XYZ"):
        run_scenarios(tmp_path / "w.yaml")
