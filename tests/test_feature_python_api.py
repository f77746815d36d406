"""petra from Python: scenario specs as dicts (validated as files are), RunResult.iamc as a
pyam.IamDataFrame, the examples notebook, embedded dataset names in every command, and a clear error
when the working directory shadows the installed package."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import petra
from petra.cli import app
from petra.embedded import embedded_dataset
from petra.errors import InputError
from petra.projection.run import run_scenarios, write_run

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()
SPEC = {
    "dataset": "china9", "base_year": 2020, "periods": [2020, 2030], "focus_region": "CHN",
    "base": {"drivers": {"population_growth": [{"value": 1.0}], "income_growth": [{"value": 2.0}]}},
    "scenarios": {
        "SSP2": {},
        "soy_tariff": {"drivers": {"tariffs": [{"exporter": "USA", "importer": "CHN", "commodity": "soybeans",
                                                "ad_valorem": 0.25, "from": 2030}]}},
    },
}


@pytest.fixture(scope="module")
def from_dict():
    return petra.run(SPEC, embodied=False)


def test_a_dict_runs_as_the_same_file_does(from_dict, tmp_path):
    path = tmp_path / "same.yaml"
    path.write_text(yaml.safe_dump(SPEC))
    from_file = run_scenarios(path, embodied=False)
    a, b = from_dict.iamc_frame, from_file.iamc_frame
    assert len(a) > 1000
    pd.testing.assert_frame_equal(a, b)
    assert from_dict.scenario_file is None and "scenario spec" in repr(from_dict)
    # the tariff does something: US soybeans to China fall in 2030
    f = from_dict.flows
    usa = f[(f.exporter == "USA") & (f.importer == "CHN") & (f.commodity == "soybeans") & (f.period == 2030)]
    flow = usa.set_index("scenario")["flow"]
    assert flow["soy_tariff"] < 0.5 * flow["SSP2"]


BAD = [
    ({"scenarios": {"a": {"drivers": {"population_growth": [{"valeu": 1}]}}}},
     "key 'scenarios.a.drivers.population_growth[0].valeu': unknown key"),
    ({"periods": [2020, 2030], "scenarios": {"a": {"drivers": {"tariffs": [{"scale": float("nan")}]}}}},
     "key 'scenarios.a.drivers.tariffs[0].scale'"),
    ({"periods": [2020, 2025, 2030],
      "scenarios": {"a": {"drivers": {"income_growth": [{"value": 1, "from": 2026}]}}}}, "2026"),
    ({"dataset": "no_such_folder", "scenarios": {"a": {}}}, "key 'dataset'"),
    ({"base_year": 1950, "scenarios": {"a": {}}}, "key 'base_year'"),
]


@pytest.mark.parametrize("change, expect", BAD)
def test_bad_dicts_fail_as_files_do(change, expect, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = {**{k: v for k, v in SPEC.items() if k != "scenarios"}, **change}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(spec))  # NaN is written .nan
    with pytest.raises(InputError) as from_dict:
        petra.run(spec)
    with pytest.raises(InputError) as from_file:
        petra.run(path)
    msg = str(from_dict.value)
    assert msg.startswith("scenario spec: ") and expect in msg and "\n" not in msg
    assert msg.removeprefix("scenario spec") == str(from_file.value).removeprefix(str(path))


def test_a_dict_extends_a_file_relative_to_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "parent.yaml").write_text(yaml.safe_dump({**SPEC, "periods": [2020, 2030, 2040]}))
    from petra.projection.run import load_run_inputs

    inputs = load_run_inputs({"extends": "parent.yaml", "scenarios": {"extra": {}}})
    assert inputs.names == ["SSP2", "soy_tariff", "extra"] and inputs.file.periods == (2020, 2030, 2040)
    with pytest.raises(InputError, match="scenario spec: a scenario spec must be a scenario file path or a"):
        petra.run(["not", "a", "spec"])


def test_iamc_is_a_pyam_frame_equal_to_the_written_csv(from_dict, tmp_path):
    import pyam

    df = from_dict.iamc
    assert isinstance(df, pyam.IamDataFrame)
    assert set(df.scenario) == {"SSP2", "soy_tariff"} and list(df.year) == [2020, 2030]
    # the same numbers as the long frame, and as iamc.csv written by petra run's writer
    long = from_dict.iamc_frame.set_index(["scenario", "region", "variable", "year"])["value"]
    via = df.data.set_index(["scenario", "region", "variable", "year"])["value"]
    assert via.sort_index().equals(long.dropna().sort_index())
    write_run(from_dict, tmp_path / "out", plots=False)
    written = pyam.IamDataFrame(str(tmp_path / "out" / "iamc.csv"))
    assert written.equals(df)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["scenario_file"] is None and summary["quantity_unit"] == "kt"


def test_embedded_names_in_every_dataset_command(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "china9").mkdir()  # a folder of that name does not hide the shipped data
    embedded = embedded_dataset("china9")
    assert embedded is not None and (embedded / "markets.csv").is_file()
    res = runner.invoke(app, ["solve", "china9", "--out", str(tmp_path / "s")])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "s" / "solve.json").read_text())["dataset"] == str(embedded.resolve())
    res = runner.invoke(app, ["embodied", "china9", "--out", str(tmp_path / "e"), "--no-plots"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["calibrate", "china9", "--out", str(tmp_path / "c")])
    assert res.exit_code == 0, res.output
    settings = json.loads((tmp_path / "c" / "settings.json").read_text())
    assert settings["dataset"] == str(embedded.resolve())
    # a path is a path: ./china9 is the (empty) folder and fails as bad input
    res = runner.invoke(app, ["solve", "./china9", "--out", str(tmp_path / "s2")])
    assert res.exit_code == 2


def _import_in(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "import petra; print(petra.__file__)"], cwd=folder,
                          capture_output=True, text=True, timeout=120)


def test_a_folder_shadowing_the_package_is_a_clear_error(tmp_path):
    # a clone named `petra` seen from its parent folder: the source root's __init__.py says so
    clone = tmp_path / "parent" / "petra"
    clone.mkdir(parents=True)
    shutil.copy(ROOT / "__init__.py", clone / "__init__.py")
    res = _import_in(clone.parent)
    assert res.returncode != 0 and "petra's source tree, not the installed package" in res.stderr
    # another copy's petra/ in the working directory while the stages come from the installed copy
    other = tmp_path / "other"
    shutil.copytree(ROOT / "petra", other / "petra", ignore=shutil.ignore_patterns("__pycache__"))
    res = _import_in(other)
    assert res.returncode != 0 and "two copies of petra would mix" in res.stderr
    assert res.stderr.strip().splitlines()[-1].startswith("ImportError: ")
    # elsewhere the installed package is imported
    res = _import_in(tmp_path)
    assert res.returncode == 0, res.stderr
    assert Path(res.stdout.strip()) == Path(petra.__file__)


def test_the_examples_notebook_runs():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.read(ROOT / "examples" / "python_api.ipynb", as_version=4)
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "examples")}}).execute()
    text = "\n".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
                     for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "scenario spec: key 'base.drivers.yield_growth[0].valeu': unknown key" in text
    assert "RunResult scenario spec: 2 scenarios: reference (ok), us_soy_tariff (ok)" in text
