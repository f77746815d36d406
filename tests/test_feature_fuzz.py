"""Fuzz (issue 11): `load_dataset` and the scenario-file loader never raise anything but petra's own
InputError on arbitrary input (hypothesis, bounded: ~150 examples each, a deadline per example)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from builders import GOOD_MARKETS, GOOD_ROUTES
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from petra.dataset import Dataset, load_dataset
from petra.errors import InputError
from petra.projection.scenario_config import ScenarioFile, load_scenario_file

FUZZ = settings(max_examples=150, deadline=2000, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

TOKENS = ["0", "1", "-1", "0.5", "-0.5", "1e12", "1e13", "1e-300", "1e300", "1e400", "-1e400", "nan", "NaN",
          "inf", "-inf", "Infinity", "", " ", "abc", "A", "B", "C", "wheat", "maize", '"', '""', "'",
          ",", "\x00", "\t", "é", "\u202e", "2010", "2010.9", "1_000", "0x10", "+5", "--1", "1e", "."]
cell = st.one_of(st.sampled_from(TOKENS), st.text(max_size=8))
raw_bytes = st.binary(max_size=200)


def table(header: str, rows: int = 4):
    """CSV text: the real header or a mutation of it, then rows of fuzzed cells (ragged widths)."""
    names = header.split(",")
    head = st.one_of(st.just(header), st.lists(st.sampled_from(names + ["", " price", "x"]), min_size=1,
                                               max_size=len(names) + 2).map(",".join))
    row = st.lists(cell, min_size=0, max_size=len(names) + 2).map(",".join)
    return st.tuples(head, st.lists(row, max_size=rows)).map(lambda t: "\n".join([t[0], *t[1]]) + "\n")


def mutated(text: str):
    """The valid file with one line replaced, or with a fuzzed suffix, or as arbitrary bytes."""
    lines = text.splitlines()
    return st.one_of(
        st.tuples(st.integers(0, len(lines) - 1), st.lists(cell, max_size=10).map(",".join)).map(
            lambda t: "\n".join(lines[:t[0]] + [t[1]] + lines[t[0] + 1:]) + "\n").map(str.encode),
        st.text(max_size=40).map(lambda s: (text + s).encode()),
        raw_bytes,
    )


def _load(files: dict[str, bytes]) -> None:
    folder = Path(tempfile.mkdtemp(prefix="petra-fuzz-"))
    try:
        for name, data in files.items():
            (folder / name).write_bytes(data)
        try:
            assert isinstance(load_dataset(folder), Dataset)
        except InputError as exc:
            assert "\n" not in str(exc)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@FUZZ
@given(markets=st.one_of(table(GOOD_MARKETS.splitlines()[0]).map(str.encode), mutated(GOOD_MARKETS)),
       routes=st.one_of(table(GOOD_ROUTES.splitlines()[0]).map(str.encode), mutated(GOOD_ROUTES)),
       toml=st.one_of(st.none(), raw_bytes, st.sampled_from(
           [b"base_year = 2010.9", b"base_year = 'x'", b"base_year = 99999999999999999999",
            b"a = " + b"[" * 30 + b"1" + b"]" * 30, b"title = 'ok'\nbase_year = 2010"])))
def test_load_dataset_raises_only_input_error(markets, routes, toml):
    files = {"markets.csv": markets, "routes.csv": routes}
    if toml is not None:
        files["dataset.toml"] = toml
    _load(files)


KEYS = ["dataset", "periods", "base_year", "model", "calibration", "focus_region", "base", "scenarios",
        "uncertainty", "extends", "drivers", "elasticities", "description", "population_growth",
        "income_growth", "income_elasticity", "yield_growth", "transport_cost_growth", "tariffs", "bans",
        "quotas", "region", "commodity", "exporter", "importer", "from", "until", "value", "valeu",
        "specific", "ad_valorem", "scale", "max_flow", "supply", "demand", "expansion", "target",
        "distribution", "mean", "sd", "low", "high", "mode", "median", "sigma", "apply", "independent"]
scalar = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                   st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(TOKENS + ["25%", "CHN"]))
doc = st.recursive(scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)), max_leaves=25)
YAML_SNIPPETS = [b"a: &x [1]\nb: *x\n", b"a: 1\na: 2\n", b"[" * 200,
                 b"scenarios: !!python/object:os.system x", b"\xff\xfe",
                 b"scenarios: {r: {}}\nperiods: [2010, 1e400]", b"{{{{", b"- - - - -",
                 b"extends: s.yaml\nscenarios: {r: {}}\n", b"extends: ../\x00\n"]


@FUZZ
@given(content=st.one_of(
    doc.map(lambda d: yaml.safe_dump({"scenarios": {"ref": d}} if isinstance(d, dict) else d).encode()),
    st.dictionaries(st.sampled_from(KEYS), doc, max_size=6).map(lambda d: yaml.safe_dump(d).encode()),
    st.sampled_from(YAML_SNIPPETS), raw_bytes, st.text(max_size=80).map(str.encode)))
def test_scenario_loader_raises_only_input_error(content):
    folder = Path(tempfile.mkdtemp(prefix="petra-fuzz-"))
    try:
        path = folder / "s.yaml"
        path.write_bytes(content)
        try:
            assert isinstance(load_scenario_file(path), ScenarioFile)
        except InputError as exc:
            assert "\n" not in str(exc)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------- issue 22: compare, publish, hindcast
SMALL_FUZZ = settings(max_examples=60, deadline=5000, derandomize=True,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                             HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    """A two-scenario `petra run` output on the small two-market dataset."""
    from builders import write_csvs
    from typer.testing import CliRunner

    from petra.cli import app

    base = tmp_path_factory.mktemp("fuzzrun")
    ds = write_csvs(base / "ds", GOOD_MARKETS, GOOD_ROUTES)
    (base / "s.yaml").write_text(f"dataset: {ds}\nperiods: [2010, 2020]\nscenarios:\n  ref: {{}}\n"
                                 "  cut:\n    drivers:\n      tariffs: [{scale: 0}]\n")
    res = CliRunner().invoke(app, ["run", str(base / "s.yaml"), "--out", str(base / "run"), "-q",
                                   "--no-plots", "--no-embodied"])
    assert res.exit_code == 0, res.output
    return base / "run"


RUN_FILE = st.sampled_from(["iamc.csv", "markets.parquet", "flows.parquet", "curves.parquet",
                            "scenarios.yaml", "summary.json"])


@SMALL_FUZZ
@given(name=RUN_FILE, how=st.sampled_from(["replace", "truncate", "append"]), data=raw_bytes,
       cut=st.integers(0, 400))
def test_compare_of_a_damaged_run_raises_only_input_error(run_folder, name, how, data, cut):
    from petra.projection.compare import compare_run

    folder = Path(tempfile.mkdtemp(prefix="petra-fuzz-"))
    try:
        run = folder / "run"
        shutil.copytree(run_folder, run)
        original = (run / name).read_bytes()
        damaged = {"replace": data, "truncate": original[:cut], "append": original + data}[how]
        (run / name).write_bytes(damaged)
        try:
            compare_run(run)
        except InputError as exc:
            assert "\n" not in str(exc)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# URL delimiters (/ ? # @ : % & = space) among characters that petra's own messages never use together
SECRET_CHARS = st.text(alphabet="JKWXZ79/?#@:%&= éß中", min_size=4, max_size=16).filter(
    lambda s: "@" not in s[-1:] and s.strip() == s)
URL_PARTS = st.text(alphabet="abcdefghij0123456789.-_", min_size=1, max_size=12)


@FUZZ
@example(scheme="postgresql", user="u", password="ab/cdef", host="h", db="d", in_query=False, port=None)
@example(scheme="postgresql", user="u", password="S3c@ret#x?y", host="h", db="d", in_query=False, port=5432)
@given(scheme=st.sampled_from(["postgresql", "postgresql+psycopg", "postgres", "mysql", "sqlite", "http"]),
       user=URL_PARTS, password=SECRET_CHARS, host=URL_PARTS, db=URL_PARTS,
       in_query=st.booleans(), port=st.one_of(st.none(), st.integers(-5, 99999), st.just("x")))
def test_a_database_target_never_shows_its_password(scheme, user, password, host, db, in_query, port):
    from petra.projection.db_target import parse_target, redacted

    where = f"{host}" + (f":{port}" if port is not None else "")
    form = (f"{scheme}://{user}@{where}/{db}?sslmode=require&password={{}}" if in_query
            else f"{scheme}://{user}:{{}}@{where}/{db}")
    target, elsewhere = form.format(password), form.format("\x00")
    fragments = {f for f in (password[i:i + 4] for i in range(len(password) - 3)) if f not in elsewhere}

    def hidden(shown: str) -> bool:  # no 4 characters of the password that the target has nowhere else
        return not any(f in shown for f in fragments)

    assert hidden(redacted(target)), redacted(target)
    try:
        assert hidden(parse_target(target).shown)
    except InputError as exc:
        assert hidden(str(exc)) and "\n" not in str(exc)


@FUZZ
@given(text=st.text(max_size=60))
def test_any_database_target_text_raises_only_input_error(text):
    from petra.projection.db_target import parse_target, redacted

    redacted(text)
    try:
        parse_target(text)
    except InputError as exc:
        assert "\n" not in str(exc)


YEAR_TEXT = st.one_of(st.sampled_from(["2010", "2011", "2012", "2010-2012", "2011,2012", "2012-2010",
                                       "1-1000000000", "99999", "abc", "", "-", "2011-", "2,0,1,1"]),
                      st.text(alphabet="0123456789,- ", max_size=12))


@SMALL_FUZZ
@given(base=st.one_of(st.integers(1990, 2020), st.sampled_from(["2010", "2010.5", "x", "-1", "1e400"])),
       evals=st.lists(YEAR_TEXT, min_size=1, max_size=2), fits=st.lists(YEAR_TEXT, max_size=2),
       method=st.sampled_from([None, "consistent", "exact", "nope"]),
       focus=st.sampled_from([None, "A", "B", "ZZZ", ""]))
def test_hindcast_options_raise_only_input_error(hindcast_dataset, base, evals, fits, method, focus):
    from typer.testing import CliRunner

    from petra.cli import app

    folder = Path(tempfile.mkdtemp(prefix="petra-fuzz-"))
    try:
        args = ["hindcast", str(hindcast_dataset), "--base-year", str(base), "--out", str(folder / "o"), "-q"]
        args += [a for e in evals for a in ("--eval", e)] + [a for f in fits for a in ("--fit", f)]
        args += ["--method", method] if method is not None else []
        args += ["--focus-region", focus] if focus is not None else []
        res = CliRunner().invoke(app, args)
        assert res.exit_code in (0, 2), (args, res.output, res.exception)
        if res.exit_code == 2:
            assert len(res.output.strip().splitlines()) == 1, (args, res.output)
            assert not (folder / "o").exists()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def hindcast_dataset(tmp_path_factory):
    """The two-market dataset with observed years 2010-2012."""
    from builders import write_csvs

    ds = write_csvs(tmp_path_factory.mktemp("fuzzhc") / "ds", GOOD_MARKETS, GOOD_ROUTES)
    (ds / "dataset.toml").write_text("base_year = 2010\n")
    (ds / "observed_markets.csv").write_text(
        "year,region,commodity,production,consumption,price\n"
        + "".join(f"{y},A,wheat,{100 + y - 2010},{80 + y - 2010},200\n"
                  f"{y},B,wheat,50,{70 + 2 * (y - 2010)},250\n" for y in (2010, 2011, 2012)))
    (ds / "observed_flows.csv").write_text(
        "year,exporter,importer,commodity,flow\n" + "".join(f"{y},A,B,wheat,{20 + 2 * (y - 2010)}\n"
                                                           for y in (2010, 2011, 2012)))
    return ds
