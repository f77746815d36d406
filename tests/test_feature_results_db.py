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


SECRET = "S3cretPW"


@pytest.mark.parametrize("target", [
    f"postgres://petra:{SECRET}@127.0.0.1:1/x",          # a scheme petra does not take
    f"mysql://petra:{SECRET}@127.0.0.1:1/x",
    f"postgresql://petra@127.0.0.1:1/x?password={SECRET}",   # the password as a query parameter
    f"postgresql://petra:{SECRET}@extra@127.0.0.1:1/x",     # a password containing @
    f"postgresql://petra:{SECRET}@[::1/x",                   # not a URL at all
    f"petra:{SECRET}@127.0.0.1/x",                           # the scheme forgotten
])
def test_a_database_password_is_never_printed(tmp_path, monkeypatch, target):
    # before: every one of these echoed the password (mysql:// and postgres:// whole, `?password=` and the
    # part after a password's @ through the driver's message)
    monkeypatch.setenv("IXMP4_STORAGE_DIRECTORY", str(tmp_path / "ixmp4"))
    run = tmp_path / "run"
    run.mkdir()
    (run / ".petra-output.json").write_text('{"petra_output": "run"}')
    (run / "iamc.csv").write_text("model,scenario,region,variable,unit,2020\nm,s,World,Price,USD/t,1\n")
    (run / "summary.json").write_text('{"scenarios": {"s": {"ok": true}}}')
    res = CliRunner().invoke(app, ["publish", str(run), "--db", target])
    assert res.exit_code == 2, res.output
    assert SECRET not in res.output and "retPW" not in res.output and "extra" not in res.output
    assert len(res.output.strip().splitlines()) == 1 and "***" in res.output


@pytest.mark.parametrize("target,shown", [
    ("postgresql://u:p%40ss@h:5432/db", "postgresql://u:***@h:5432/db"),
    ("postgresql://u:a@b@h/db?sslmode=require&password=x&sslpassword=y",   # the rest after a secret
     "postgresql://u:***@h/db?sslmode=require&password=***"),
    ("postgresql://u@h/db?sslmode=require&sslpassword=a&b#c", "postgresql://u@h/db?sslmode=require&sslpassword=***"),
    ("postgresql://u@h/db", "postgresql://u@h/db"),
    ("results.sqlite", "results.sqlite"),
])
def test_redacted_hides_the_password_and_secret_parameters_only(target, shown):
    from petra.projection.db_target import redacted

    assert redacted(target) == shown


def test_a_password_with_an_at_sign_reaches_the_driver_whole():
    # SQLAlchemy ends a password at its first @: the rest would be sent to the resolver as a host name
    from sqlalchemy.engine import make_url

    from petra.projection.db_target import parse_target

    url = make_url(parse_target("postgresql://petra:S3c@ret@db.example:5432/x").url)
    assert (url.password, url.host, url.port, url.database) == ("S3c@ret", "db.example", 5432, "x")


def test_a_malformed_target_is_refused_before_pyam_and_ixmp4_are_imported(tmp_path):
    # before: 5.7 s of CPU importing pyam and ixmp4 to reject a malformed target
    import subprocess
    import sys

    code = ("import sys\nfrom typer.testing import CliRunner\nfrom petra.cli import app\n"
            "res = CliRunner().invoke(app, ['publish', '.', '--db', 'mysql://u:pw@h/db'])\n"
            "assert res.exit_code == 2, res.output\n"
            "print(sorted(m for m in ('pyam', 'ixmp4', 'sqlalchemy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-500:]
    assert out.stdout.strip() == "[]"
