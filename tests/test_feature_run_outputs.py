"""`petra run` outputs: IAMC through pyam validated against definitions/ with nomenclature, Parquet
arrays consistent with it, byte-identical reruns, exit 1 on a failed solve, nothing left on kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from petra.cli import app
from petra.model import recursive as project_mod

DEFINITIONS = Path(__file__).resolve().parent.parent / "definitions"
SMALL = """\
dataset: china9
periods: [2010, 2030]
base:
  drivers:
    population_growth: [{value: 1.0}]
    income_growth: [{value: 2.0}]
    income_elasticity: [{value: 0.2}]
    yield_growth: [{value: 1.2}]
scenarios:
  ref: {description: reference}
  soy_tariff:
    ssp: SSP2                 # Population and GDP|PPP in the IAMC output (the rules above override its rates)
    drivers:
      tariffs: [{exporter: USA, importer: CHN, commodity: soybeans, ad_valorem: 0.25, from: 2030}]
"""


@pytest.fixture(scope="module")
def run_dirs(tmp_path_factory):
    base = tmp_path_factory.mktemp("run")
    (base / "small.yaml").write_text(SMALL)
    outs = []
    for name in ("a", "b"):
        res = CliRunner().invoke(app, ["run", str(base / "small.yaml"), "--out", str(base / name), "--quiet"])
        assert res.exit_code == 0, res.output
        outs.append(base / name)
    return outs


def test_outputs_are_complete(run_dirs):
    names = sorted(p.name for p in run_dirs[0].iterdir())
    assert names == [".petra-output.json", "curves.parquet", "embodied.parquet", "embodied_coverage.csv",
                     "embodied_water.csv", "flows.parquet",
                     "iamc.csv", "iamc.xlsx", "markets.parquet", "oscillations.csv", "plots", "run_log.csv",
                     "scenarios.yaml", "summary.json"]
    plots = sorted(p.name for p in (run_dirs[0] / "plots").iterdir())
    assert "prices_CHN.png" in plots and "imports_CHN_soy_tariff.png" in plots
    assert any(p.startswith("flows_soybeans_") for p in plots)
    resolved = yaml.safe_load((run_dirs[0] / "scenarios.yaml").read_text())
    tariff = resolved["scenarios"]["soy_tariff"]["drivers"]["tariffs"][0]
    assert tariff["ad_valorem"] == 0.25 and tariff["from"] == 2030
    assert resolved["calibration"]["unused_margin"] == 0.05  # defaults written out


def test_iamc_output_validates_against_the_codelist(run_dirs):
    import nomenclature
    import pyam
    from nomenclature.exceptions import NomenclatureValidationError

    df = pyam.IamDataFrame(str(run_dirs[0] / "iamc.csv"))
    assert set(df.scenario) == {"ref", "soy_tariff"} and df.year == [2010, 2030]
    dsd = nomenclature.DataStructureDefinition(DEFINITIONS)
    dsd.validate(df)  # raises on any variable, region or unit not in definitions/
    assert "Embodied Land|Cropland|Imports|soybeans" in df.variable
    assert {"Population", "GDP|PPP"} <= set(df.filter(scenario="soy_tariff").variable)
    assert "Population" not in df.filter(scenario="ref").variable  # no SSP named, no levels reported
    bad = df.rename(variable={"Agricultural Production|Crops": "Agricultural Production|Crop"})
    with pytest.raises(NomenclatureValidationError) as exc:
        dsd.validate(bad)
    assert "'Agricultural Production|Crop'" in str(exc.value.exceptions[0])
    xlsx = pyam.IamDataFrame(str(run_dirs[0] / "iamc.xlsx"))
    pd.testing.assert_frame_equal(xlsx.data, df.data)


def test_iamc_values_agree_with_the_parquet_arrays(run_dirs):
    import pyam

    df = pyam.IamDataFrame(str(run_dirs[0] / "iamc.csv"))
    flows = pd.read_parquet(run_dirs[0] / "flows.parquet")
    markets = pd.read_parquet(run_dirs[0] / "markets.parquet")
    assert len(flows) == 936 * 2 * 2 and len(markets) == 117 * 2 * 2
    into = flows[(flows["importer"] == "CHN") & (flows["commodity"] == "soybeans")
                 & (flows["scenario"] == "soy_tariff") & (flows["period"] == 2030)]["flow"].sum()
    v = df.filter(scenario="soy_tariff", region="CHN", year=2030,
                  variable="Agricultural Imports|Crops|Oil Crops|Soybean").data["value"].item()
    assert v == pytest.approx(into / 1000.0, rel=1e-12)
    cereals = markets["commodity"].isin(["wheat", "maize", "rice", "barley", "sorghum"])
    ref30 = (markets["scenario"] == "ref") & (markets["period"] == 2030)
    world = markets[ref30 & cereals]["production"].sum()
    w = df.filter(scenario="ref", region="World", year=2030,
                  variable="Agricultural Production|Crops|Cereals").data["value"].item()
    assert w == pytest.approx(world / 1000.0, rel=1e-12)
    net = df.filter(scenario="ref", region="World", variable="Agricultural Trade|Crops").data["value"]
    assert np.allclose(net, 0.0, atol=1e-9)
    log = pd.read_csv(run_dirs[0] / "run_log.csv")
    assert len(log) == 2 * 2 * 13 and (log["certificate"] < 1e-6).all()
    import json

    circ = json.loads((run_dirs[0] / "summary.json").read_text())["scenarios"]["ref"]["circulation"]
    m30 = markets[(markets["scenario"] == "ref") & (markets["period"] == 2030)]
    f30 = flows[(flows["scenario"] == "ref") & (flows["period"] == 2030)]
    need = np.maximum(m30["production"] - m30["consumption"], 0.0).sum()
    assert circ["2030"] == pytest.approx(f30["flow"].sum() / need, rel=1e-12)
    assert 1.0 <= circ["2030"] < 1.2
    # no directed cycle of used routes forms beyond the base year's observed two-way trade (which the
    # logit routes keep): the base flows are the first period's previous flows
    from petra.projection.run import cyclic_commodity_count

    summary = json.loads((run_dirs[0] / "summary.json").read_text())["scenarios"]["ref"]
    first = flows[(flows["scenario"] == "ref") & (flows["period"] == flows["period"].min())]
    base = cyclic_commodity_count(first.assign(flow=first["previous_flow"]))
    assert max(summary["cyclic_commodities"].values()) <= next(iter(base.values()))


def test_rerun_is_byte_identical(run_dirs):
    a, b = run_dirs
    files = sorted(str(p.relative_to(a)) for p in a.rglob("*") if p.is_file())
    assert files == sorted(str(p.relative_to(b)) for p in b.rglob("*") if p.is_file())
    for f in files:
        if f == "run_log.csv":
            la, lb = (pd.read_csv(d / f).drop(columns="seconds") for d in (a, b))
            pd.testing.assert_frame_equal(la, lb)
        else:
            assert (a / f).read_bytes() == (b / f).read_bytes(), f


def test_a_failed_solve_exits_1_and_is_logged(tmp_path, monkeypatch):
    (tmp_path / "small.yaml").write_text(SMALL)
    real = project_mod.solve_problem

    def failing(sub, **kw):
        sol, t = real(sub, **kw)
        if sub.commodities[0] == "sugar" and sub.S0.sum() > 0 and sub.flow_prev.sum() > 0 and kw:
            object.__setattr__(sol, "converged", False)
        return sol, t

    monkeypatch.setattr(project_mod, "solve_problem", failing)
    res = CliRunner().invoke(app, ["run", str(tmp_path / "small.yaml"), "--out", str(tmp_path / "o"),
                                   "--scenario", "ref", "--no-plots", "--no-embodied"])
    assert res.exit_code == 1
    assert "1 scenario(s) failed" in res.output and "period 2010, sugar: certificate" in res.output
    log = pd.read_csv(tmp_path / "o" / "run_log.csv")
    assert log["commodity"].iloc[-1] == "sugar"


def test_kill_leaves_no_output(tmp_path):
    (tmp_path / "small.yaml").write_text(SMALL)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "petra.cli", "run", str(tmp_path / "small.yaml"),
                             "--out", str(out), "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if any(p.name.startswith(".out.tmp-") for p in tmp_path.iterdir()):
            break  # writing has started
        time.sleep(0.005)
    assert proc.poll() is None, "run finished before it could be killed"
    os.kill(proc.pid, signal.SIGTERM)
    proc.wait(60)
    assert proc.returncode != 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.yaml"]


def test_run_result_repr_is_short():
    # a RunResult's repr was 87,461 characters (its frames); now one line naming the scenarios
    from petra.projection.run import run_scenarios

    run = run_scenarios(names=["SSP2"], embodied=False)
    text = repr(run)
    assert text == "<RunResult default.yaml: 1 scenarios: SSP2 (ok)>"
    assert repr(run.results[0]).startswith("<ScenarioResult 'SSP2': ok, periods [2020, 2030, 2040, 2050]")
    assert len(repr(run.results[0])) < 200


def test_imports_chart_keeps_the_main_partners_and_one_other_bar():
    from petra.palette import OTHER
    from petra.projection.outputs import main_partners

    wide = pd.DataFrame({"BRA": [5.0, 6.0], "USA": [3.0, 2.0], "ARG": [1.0, 1.5], "CAN": [0.5, 0.25]},
                        index=[2020, 2030])
    out = main_partners(wide, 2)
    assert list(out.columns) == ["BRA", "USA", OTHER]
    assert out[OTHER].tolist() == [1.5, 1.75]
    assert main_partners(wide, 4) is wide


def test_scenario_colours_are_fixed_per_name():
    # one colour per scenario in every figure and run: the baseline black, the same name the same colour
    # in another interpreter with another string-hash seed
    import json
    import subprocess
    import sys

    from petra.palette import scenario_colour

    names = ["SSP2", "trade_liberalisation", "us_china_soy_tariff", "SSP1", "my scenario"]
    first = [scenario_colour(n) for n in names]
    assert first[0] == "#000000" and scenario_colour("ssp2") == "#000000"
    assert len(set(first[1:3])) == 2 and first[3] != first[0]
    code = ("import json; from petra.palette import scenario_colour; "
            f"print(json.dumps([scenario_colour(n) for n in {names!r}]))")
    again = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": "999", "PATH": ""})
    assert json.loads(again.stdout) == first
