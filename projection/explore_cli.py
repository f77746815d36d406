"""`petra explore RUN_DIR [--out FILE]` (typer; the page is built by petra.projection.explorer)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from petra.atomic import interrupt_on_sigterm
from petra.exits import exit_on_error


def explore_command(
    run_dir: Annotated[Path, typer.Argument(help="A `petra run` output folder (e.g. runs/default)")],
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="HTML file to write (default RUN_DIR/explorer.html); replaced only if it is "
        "an earlier `petra explore` file")] = None,
) -> None:
    """Write one self-contained HTML file to browse a run offline: time series of every IAMC variable
    by scenario and region, imports and embodied resources by partner, bilateral flows.

    Exit codes: 0 written; 2 RUN_DIR is not a `petra run` output, or --out is not petra's own
    explorer file (nothing written).
    """
    from petra.projection.explorer import write_explorer

    interrupt_on_sigterm()
    with exit_on_error():
        path, size = write_explorer(run_dir, out)
    typer.echo(f"explorer: {size / 1e6:.2f} MB -> {path}")
