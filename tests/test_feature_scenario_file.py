"""Scenario files: validation with errors naming the key, override order, and `petra run`'s exit 2 on
bad input with nothing written."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from petra.cli import app
from petra.errors import InputError
from petra.projection.run import default_scenario_file
from petra.projection.scenario_config import load_scenario_file, resolve

MINIMAL = """\
dataset: china9
periods: [2010, 2020]
base:
  drivers:
    population_growth:
      - {value: 1.0}
scenarios:
  ref: {description: reference}
  shock:
    drivers:
      population_growth:
        - {region: CHN, value: -0.5}
"""


def write(tmp_path, text, name="s.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_shipped_default_file_has_three_ssp_baselines_and_two_contrasting_scenarios():
    sf = load_scenario_file(default_scenario_file())
    assert list(sf.scenarios) == ["SSP1", "SSP2", "SSP3", "trade_liberalisation", "us_china_soy_tariff"]
    assert [resolve(sf, n).ssp.name for n in sf.scenarios] == ["SSP1", "SSP2", "SSP3", "SSP2", "SSP2"]
    assert not resolve(sf, "SSP2").drivers.population_growth  # the SSP's, no stylised rates
    assert sf.base_year == 2020 and sf.periods == (2020, 2030, 2040, 2050)  # the latest observed year
    sch = resolve(sf, "us_china_soy_tariff").drivers.tariff_schedules[-1]  # 25 % on top of the 3 % MFN
    assert (sch.name, sch.commodity, sch.from_) == ("china_retaliation_2018", ("soybeans",), 2030)


def test_scenario_rules_follow_the_base_rules(tmp_path):
    sf = load_scenario_file(write(tmp_path, MINIMAL))
    rules = resolve(sf, "shock").drivers.population_growth
    assert [(r.region, r.value) for r in rules] == [(None, 1.0), (("CHN",), -0.5)]
    assert resolve(sf, "ref").description == "reference"


@pytest.mark.parametrize(("text", "message"), [
    (MINIMAL.replace("population_growth:\n      - {value: 1.0}", "populaton_growth:\n      - {value: 1.0}"),
     "key 'base.drivers.populaton_growth': unknown key"),
    (MINIMAL.replace("{region: CHN, value: -0.5}", "{region: CHN, value: lots}"),
     "key 'scenarios.shock.drivers.population_growth[0].value': Input should be a valid number"),
    (MINIMAL.replace("{region: CHN, value: -0.5}", "{region: CHN, value: -120}"),
     "key 'scenarios.shock.drivers.population_growth[0].value': Input should be greater than -100"),
    (MINIMAL.replace("periods: [2010, 2020]", "periods: [2020, 2010]"),
     "key 'periods': periods must be a non-empty, strictly increasing list of years"),
    (MINIMAL + "      tariffs:\n        - {specific: 5, scale: 0}\n",
     "give exactly one of specific, ad_valorem, scale"),
    ("scenarios: [\n", "invalid YAML at line 2"),
    ("- 1\n- 2\n", "a scenario file must be a mapping"),
])
def test_invalid_files_name_the_key(tmp_path, text, message):
    with pytest.raises(InputError) as exc:
        load_scenario_file(write(tmp_path, text))
    assert message in str(exc.value) and "s.yaml" in str(exc.value)


def test_unknown_scenario_name(tmp_path):
    sf = load_scenario_file(write(tmp_path, MINIMAL))
    with pytest.raises(InputError, match="no scenario named 'SSP5' \\(defined: ref, shock\\)"):
        resolve(sf, "SSP5")


@pytest.mark.parametrize(("text", "args", "message"), [
    (MINIMAL.replace("{region: CHN, value: -0.5}", "{region: CHINA, value: -0.5}"), [],
     "key 'drivers.population_growth[1].region': unknown region 'CHINA'"),
    (MINIMAL, ["--scenario", "nope"], "no scenario named 'nope'"),
    (MINIMAL.replace("dataset: china9", "dataset: no_such_data"), [], "key 'dataset'"),
    (MINIMAL.replace("periods: [2010, 2020]", "periods: [2015, 2020]"), [],
     "the first period must be the base year 2010"),
    (MINIMAL.replace("    population_growth:\n      - {value: 1.0}",
                     "    yield_growth:\n      - {commodity: [wheat, rye], value: 1.0}"), [],
     "unknown commodity 'rye'"),
    (MINIMAL.replace("periods: [2010, 2020]", "periods: [2010, 2020]\ncalibration: {tolerance: -1}"), [],
     "key 'calibration.tolerance': Input should be greater than 0"),
])
def test_petra_run_bad_input_exits_2_and_writes_nothing(tmp_path, text, args, message):
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["run", str(write(tmp_path, text)), "--out", str(out), *args, "--quiet"])
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["s.yaml"]


def test_extends_starts_from_another_file_and_merges_scenarios_by_name(tmp_path):
    write(tmp_path, MINIMAL, "parent.yaml")
    child = write(tmp_path, "extends: parent.yaml\nperiods: [2010, 2030]\nscenarios:\n"
                            "  ref: {description: replaced}\n  extra: {}\n", "child.yaml")
    sf = load_scenario_file(child)
    assert sf.periods == (2010, 2030)                      # the child's key wins
    assert list(sf.scenarios) == ["ref", "shock", "extra"]  # merged by name
    assert resolve(sf, "ref").description == "replaced"
    assert resolve(sf, "shock").drivers.population_growth[-1].value == -0.5  # the parent's base and rules
    write(tmp_path, "extends: child.yaml\nscenarios: {a: {}}\n", "parent.yaml")
    with pytest.raises(InputError, match="a cycle"):
        load_scenario_file(child)


# ------------------------------------------------------------- issue 22 item 4: a run's own file runs again
def test_every_shipped_files_resolved_configuration_loads_again_as_the_same_scenarios(tmp_path):
    # before: scenarios.yaml held `production_bound: .inf` (the default: no bound), which the loader
    # refused ("Input should be a finite number"), so `petra run RUN/scenarios.yaml` exited 2
    from petra.projection.run import dataset_path, load_calibration_config, resolved_config
    from petra.projection.scenario_config import scenario_file_and_sources
    from petra.textfiles import dump_yaml

    shipped = sorted(default_scenario_file().parent.glob("*.yaml"))
    assert len(shipped) >= 5
    for f in shipped:
        sf, _ = scenario_file_and_sources(f)
        config = load_calibration_config(sf, str(f))
        ds = dataset_path(sf.dataset, f)
        specs = [resolve(sf, n) for n in sf.scenarios]
        written = write(tmp_path, dump_yaml(resolved_config(sf, specs, ds.resolve(), config)),
                        name=f"{f.stem}-scenarios.yaml")
        again = load_scenario_file(written)
        assert list(again.scenarios) == list(sf.scenarios), f.name
        for spec in specs:
            assert resolve(again, spec.name) == spec, (f.name, spec.name)
        assert load_calibration_config(again, str(written)) == config
        assert dataset_path(again.dataset, written).resolve() == ds.resolve()
        assert (again.periods, again.base_year, again.focus_region, again.embodied, again.uncertainty) == \
            (sf.periods, sf.base_year, sf.focus_region, sf.embodied, sf.uncertainty)


def test_petra_run_of_a_runs_own_scenarios_yaml_gives_the_same_results(tmp_path, good_dataset_dir):
    text = MINIMAL.replace("china9", str(good_dataset_dir)).replace("CHN", "A")
    path = write(tmp_path, text + "calibration:\n  least_squares: {production_bound: .inf, mode: always}\n")
    first, second = tmp_path / "first", tmp_path / "second"
    for src, out in ((path, first), (first / "scenarios.yaml", second)):
        res = CliRunner().invoke(app, ["run", str(src), "--out", str(out), "-q", "--no-plots",
                                       "--no-embodied"])
        assert res.exit_code == 0, res.output
    assert (second / "iamc.csv").read_bytes() == (first / "iamc.csv").read_bytes()
    assert (second / "scenarios.yaml").read_bytes() == (first / "scenarios.yaml").read_bytes()
