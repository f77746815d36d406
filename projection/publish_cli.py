"""`petra publish RUN_DIR --db TARGET` (no maths here: petra.projection.publish)."""

from __future__ import annotations

from pathlib import Path

import typer

from petra.exits import exit_on_error

DB_HELP = ("Results database: a file path (local SQLite, created if missing) or a postgresql:// DSN "
           "(a shared ixmp4 database).")


def publish_command(
    run_dir: Path = typer.Argument(..., help="A `petra run` output folder (e.g. runs/default)."),
    db: str = typer.Option(..., "--db", help=DB_HELP),
) -> None:
    """Store a run's IAMC results and metadata (scenario file, dataset, petra version, summary) in an
    ixmp4 database, one new default version per scenario.

    Exit codes: 0 stored; 2 bad input (not a run output, a database that cannot be opened or written).
    """
    from petra.projection.publish import publish_run

    with exit_on_error():
        runs = publish_run(run_dir, db)
    echo_published(runs, db)


def echo_published(runs: list[tuple[str, str, int]], db: str) -> None:
    """One line per ixmp4 run written (stderr)."""
    from petra.projection.db_target import redacted

    for model, scenario, version in runs:
        typer.echo(f"published {model} / {scenario} (version {version}) -> {redacted(db)}", err=True)
