"""Fuzz (issue 11): `load_dataset` and the scenario-file loader never raise anything but petra's own
InputError on arbitrary input (hypothesis, bounded: ~150 examples each, a deadline per example)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import yaml
from builders import GOOD_MARKETS, GOOD_ROUTES
from hypothesis import HealthCheck, given, settings
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
