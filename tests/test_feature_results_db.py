"""Results database: `petra run --db` and `petra publish` store a run's IAMC results and metadata in
an ixmp4 platform (SQLite here); reading back gives the run's iamc.csv. ixmp4's own settings and
logs go to a temporary IXMP4_STORAGE_DIRECTORY, never the user's home."""

from __future__ import annotations

import json

import pandas as pd
import pyam
import pytest
from typer.testing import CliRunner

from petra.cli import app

# ixmp4's migrations use an Oracle-only SQLAlchemy parameter; harmless on SQLite
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SMALL = """\
dataset: china9
periods: [2010, 2030]
base:
  drivers:
    population_growth: [{value: 1.0}]
scenarios:
  ref: {description: reference}
  soy_tariff:
    drivers:
      tariffs: [{exporter: USA, importer: CHN, commodity: soybeans, ad_valorem: 0.25, from: 2030}]
"""


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    base = tmp_path_factory.mktemp("db")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IXMP4_STORAGE_DIRECTORY", str(base / "ixmp4"))
        mp.setenv("HOME", str(base / "home"))
        (base / "small.yaml").write_text(SMALL)
        db = base / "results.sqlite"
        res = CliRunner().invoke(app, ["run", str(base / "small.yaml"), "--out", str(base / "run"), "--quiet",
                                       "--no-plots", "--no-embodied", "--db", str(db)])
        assert res.exit_code == 0, res.output
        from petra.projection.publish import read_results

        first = read_results(db)
        res2 = CliRunner().invoke(app, ["publish", str(base / "run"), "--db", str(db)])
        second = read_results(db)
    return base, db, res, first, res2, second


def sorted_data(df: pyam.IamDataFrame) -> pd.DataFrame:
    return df.data.sort_values(pyam.IAMC_IDX + ["year"]).reset_index(drop=True)


def test_reading_back_gives_the_runs_iamc(published):
    base, db, res, first, _, _ = published
    assert db.is_file() and "published petra / ref (version 1)" in res.output
    run = pyam.IamDataFrame(str(base / "run" / "iamc.csv"))
    pd.testing.assert_frame_equal(sorted_data(first), sorted_data(run), check_exact=True)
    assert set(first.scenario) == {"ref", "soy_tariff"}


def test_metadata_is_stored_per_scenario(published):
    base, _, _, first, _, _ = published
    meta = first.meta.loc[("petra", "soy_tariff")]
    summary = json.loads((base / "run" / "summary.json").read_text())
    assert meta["scenario_file"] == str(base / "small.yaml")
    assert meta["dataset"] == summary["dataset"] and meta["dataset"].endswith("china9")
    from importlib.metadata import version

    assert meta["petra_version"] == version("petra")
    assert meta["periods"] == "2010,2030" and bool(meta["ok"]) and int(meta["solves"]) == 26
    assert json.loads(meta["summary"])["solves"] == summary["scenarios"]["soy_tariff"]["solves"]


def test_publishing_again_adds_a_default_version(published):
    base, _, _, first, res2, second = published
    assert res2.exit_code == 0, res2.output
    assert "published petra / soy_tariff (version 2)" in res2.output
    assert set(second.meta["version"]) == {2}
    pd.testing.assert_frame_equal(sorted_data(second), sorted_data(first), check_exact=True)


def test_ixmp4_stays_out_of_the_home_folder(published):
    base = published[0]
    assert (base / "ixmp4").is_dir()
    assert not (base / "home").exists() or not any((base / "home").rglob("*ixmp4*"))


def test_bad_targets_exit_2_in_one_line(published, tmp_path, monkeypatch):
    monkeypatch.setenv("IXMP4_STORAGE_DIRECTORY", str(tmp_path / "ixmp4"))
    base = published[0]
    # a run with a target that cannot be a database writes nothing
    res = CliRunner().invoke(app, ["run", str(base / "small.yaml"), "--out", str(tmp_path / "r"),
                                   "--db", "mysql://u@h/db"])
    assert res.exit_code == 2 and "postgresql://" in res.output
    assert len(res.output.strip().splitlines()) == 1 and not (tmp_path / "r").exists()
    res = CliRunner().invoke(app, ["publish", str(tmp_path), "--db", str(tmp_path / "x.sqlite")])
    assert res.exit_code == 2 and "not a `petra run` output" in res.output
    assert not (tmp_path / "x.sqlite").exists()
    # a database that is not ixmp4's is never written into
    import sqlite3

    other = tmp_path / "mine.sqlite"
    with sqlite3.connect(other) as con:
        con.execute("create table notes (x text)")
    before = other.read_bytes()
    res = CliRunner().invoke(app, ["publish", str(base / "run"), "--db", str(other)])
    assert res.exit_code == 2 and "not an ixmp4 database" in res.output
    assert other.read_bytes() == before
    # an unreachable PostgreSQL server: one line, the password not shown
    res = CliRunner().invoke(app, ["publish", str(base / "run"), "--db",
                                   "postgresql://petra:secret@127.0.0.1:1/results"])
    assert res.exit_code == 2 and "cannot open the database" in res.output
    assert "secret" not in res.output and len(res.output.strip().splitlines()) == 1
