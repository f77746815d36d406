"""Store a run's IAMC results and metadata in an ixmp4 platform (`petra publish`, `petra run --db`).

TARGET is a file path (a local SQLite database, created with ixmp4's migrations if missing) or a
PostgreSQL DSN (`postgresql://user:password@host:5432/db`, the database a team shares; ixmp4's
tables are created in it if it is empty). Every (model, scenario) of iamc.csv becomes a new ixmp4
run, set as the default version (publishing again adds a version; older ones stay readable), with the
run's metadata as meta indicators (`META_KEYS`). `read_results(target)` reads the default versions
back as a `pyam.IamDataFrame`.

ixmp4 keeps its own settings, logs and platform list in IXMP4_STORAGE_DIRECTORY (default
~/.local/share/ixmp4); petra never registers a platform there: TARGET names the database directly.
"""

from __future__ import annotations

import json
from pathlib import Path

from petra.atomic import output_command
from petra.errors import InputError, one_line
from petra.projection.db_target import parse_target, scrub

META_KEYS = ("petra_version", "scenario_file", "dataset", "run_dir", "periods", "ok", "failure", "solves",
             "max_certificate", "summary")
"""Meta indicators of every published scenario (scalars; `summary` is the scenario's entry of
summary.json as JSON text)."""
REGION_HIERARCHY = "petra"
"""ixmp4 hierarchy of the regions petra creates (countries, groups and directional pairs such as BRA>CHN)."""


def check_target(target: str | Path) -> Path | None:
    """InputError unless TARGET can be a database (checked before a run, so that nothing is written);
    the SQLite file it names (None for a server), which an output folder must not contain."""
    return parse_target(target).file


def open_platform(target: str | Path):
    """The ixmp4 platform of TARGET, its tables created if it is a new SQLite file or an empty
    PostgreSQL database (ixmp4's alembic migrations)."""
    import ixmp4
    from ixmp4.db import get_alembic_controller
    from ixmp4.transport import DirectTransport

    db = parse_target(target)
    try:
        controller = get_alembic_controller(db.url)
        if db.new or controller.get_database_revision() is None:
            if not db.new and _has_tables(controller.get_engine()):
                raise InputError("--db holds tables but is not an ixmp4 database; refusing to write into "
                                 "it", file=db.shown)
            controller.upgrade_database("head")
        return ixmp4.Platform(DirectTransport.from_dsn(db.url))
    except InputError:
        raise
    except Exception as exc:  # sqlalchemy / ixmp4 / psycopg errors: one line, exit 2
        raise InputError(f"--db: cannot open the database ({scrub(one_line(exc, 200), target)})",
                         file=db.shown) from None


def _has_tables(engine) -> bool:
    import sqlalchemy as sa

    return bool(sa.inspect(engine).get_table_names())


def run_metadata(run_dir: Path) -> dict[str, dict]:
    """{scenario: meta indicators} of a run folder (summary.json, the petra version)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        petra_version = version("petra")
    except PackageNotFoundError:  # pragma: no cover - a source checkout without install
        petra_version = "unknown"
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    out = {}
    for scen, s in summary.get("scenarios", {}).items():
        out[scen] = {"petra_version": petra_version, "scenario_file": str(summary.get("scenario_file", "")),
                     "dataset": str(summary.get("dataset", "")), "run_dir": str(run_dir.resolve()),
                     "periods": ",".join(str(p) for p in summary.get("periods", [])),
                     "ok": bool(s.get("ok")), "failure": str(s.get("failure") or ""),
                     "solves": int(s.get("solves") or 0),
                     "max_certificate": float(s["max_certificate"]) if s.get("max_certificate") is not None
                     else -1.0,
                     "summary": json.dumps(s, sort_keys=True, default=float)}
    return out


def check_publishable(run_dir: str | Path) -> Path:
    """`run_dir` if it is a `petra run` output with iamc.csv and summary.json, else InputError."""
    path = Path(run_dir)
    if output_command(path) != "run":
        raise InputError("is not a `petra run` output folder", file=str(path))
    for name in ("iamc.csv", "summary.json"):
        if not (path / name).is_file():
            raise InputError(f"a `petra run` output without {name}: re-run it", file=str(path))
    return path


def publish_run(run_dir: str | Path, target: str | Path,
                message: str = "petra run results") -> list[tuple[str, str, int]]:
    """Store a run folder's iamc.csv and metadata in TARGET; returns (model, scenario, version) of
    every ixmp4 run created."""
    db = parse_target(target)  # before importing pyam and ixmp4 (seconds): a bad target fails at once
    path = check_publishable(run_dir)
    import pyam

    df = pyam.IamDataFrame(str(path / "iamc.csv"))
    meta = run_metadata(path)
    for key in META_KEYS:
        df.set_meta([meta.get(s, {}).get(key, "") for _, s in df.index], key)
    platform = open_platform(target)
    try:
        known = set(platform.regions.tabulate()["name"])
        for region in sorted(set(df.region) - known):
            platform.regions.create(region, hierarchy=REGION_HIERARCHY)
        known = set(platform.units.tabulate()["name"])
        for unit in sorted(set(df.unit) - known):
            platform.units.create(unit)
        df.to_ixmp4(platform, checkpoint_message=message)
        runs = platform.runs.tabulate(default_only=True)
    except Exception as exc:  # one line, exit 2
        raise InputError(f"--db: writing the results failed ({scrub(one_line(exc, 200), target)})",
                         file=db.shown) from None
    wanted = set(df.index)
    return [(r.model, r.scenario, int(r.version)) for r in runs.itertuples(index=False)
            if (r.model, r.scenario) in wanted]


def read_results(target: str | Path, **filters):
    """The default version of every run in TARGET (or those matching pyam.read_ixmp4's filters) as a
    `pyam.IamDataFrame`, with the meta indicators."""
    import pyam

    return pyam.read_ixmp4(open_platform(target), **filters)
