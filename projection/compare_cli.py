"""`petra compare RUN_DIR [--baseline NAME] [--out DIR]` (no maths here: petra.projection.compare)."""

from __future__ import annotations

from pathlib import Path

import typer

from petra.exits import exit_on_error


def compare_command(
    run_dir: Path = typer.Argument(..., help="A `petra run` output folder (e.g. runs/default)."),
    baseline: str = typer.Option(None, "--baseline", "-b", help="Scenario to compare against (default: "
                                 "the first named SSP2, baseline, reference, ref or base, else the "
                                 "file's first scenario)."),
    out: Path = typer.Option(None, "--out", "-o", help="Output folder (default RUN_DIR/compare); "
                             "replaced on success if it is a petra compare output or empty."),
    plots: bool = typer.Option(True, "--plots/--no-plots", help="Write plots/."),
) -> None:
    """Compare every scenario of a run with a baseline: IAMC differences (compare.csv), welfare
    changes per region and period (welfare.csv) and comparison plots.

    Exit codes: 0 written; 2 bad input (not a run output, unknown baseline; nothing written).
    """
    from petra.atomic import guard_output_dir
    from petra.projection.compare import (
        RUN_FILES,
        check_run_folder,
        compare_run,
        default_out,
        write_comparison,
    )

    with exit_on_error():
        target = out if out is not None else default_out(run_dir)
        check_run_folder(run_dir)
        guard_output_dir(target, "compare", [run_dir / f for f in RUN_FILES])
        cmp = compare_run(run_dir, baseline)
        write_comparison(cmp, target, plots=plots)
    world = cmp.welfare[(cmp.welfare["region"] == "World")
                        & (cmp.welfare["period"] == cmp.welfare["period"].max())]
    for row in world.itertuples(index=False):
        typer.echo(f"{row.scenario} vs {cmp.baseline}, {row.period}: World welfare {row.total:+,.1f} "
                   f"{row.unit}", err=True)
    typer.echo(f"-> {target}", err=True)
