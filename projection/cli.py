"""`petra run [SCENARIO_FILE] [--scenario NAME ...] [--out DIR] [--quiet|--debug]` (no maths here)."""

from __future__ import annotations

from pathlib import Path

import typer

from petra.atomic import interrupt_on_sigterm
from petra.exits import exit_on_error


def run_command(
    scenario_file: Path = typer.Argument(None, help="Scenario YAML file (default: the shipped "
                                         "runs/default.yaml on the embedded china9 dataset)."),
    scenario: list[str] = typer.Option(None, "--scenario", "-s", help="Scenario to run (repeatable; "
                                       "default: every scenario in the file)."),
    out: Path = typer.Option(None, "--out", "-o", help="Output folder (default runs/<file name>); "
                             "replaced on success if it is a petra run output or empty; anything "
                             "else is refused."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
    debug: bool = typer.Option(False, "--debug", help="Print every solve (period, commodity, "
                               "certificate, time)."),
    plots: bool = typer.Option(True, "--plots/--no-plots", help="Write plots/."),
    embodied: bool = typer.Option(True, "--embodied/--no-embodied", help="Embodied-resource "
                                  "variables (needs the dataset's intensities.csv)."),
    tol: float = typer.Option(1e-6, help="Certificate tolerance: maximum relative violation."),
    db: str = typer.Option(None, "--db", help="Also store the IAMC results and metadata in this "
                           "database (as `petra publish`): a file path (SQLite) or a postgresql:// DSN."),
) -> None:
    """Calibrate the base year, project every scenario period by period, post-process and write
    IAMC (csv, xlsx), Parquet, plots and a run log.

    Exit codes: 0 every solve within tolerance; 1 a solve failed its certificate or HiGHS (the other
    scenarios are written, the failure is in run_log.csv and summary.json); 2 bad input (nothing
    written). Ctrl-C or kill leaves no partial output folder.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from petra.atomic import guard_output_dir
    from petra.model.solve import check_tolerance
    from petra.projection.run import default_scenario_file, load_run_inputs, run_inputs, write_run

    if quiet and debug:
        raise typer.BadParameter("--quiet and --debug exclude each other", param_hint="--quiet")
    interrupt_on_sigterm()
    console = Console(stderr=True, quiet=quiet)
    path = scenario_file if scenario_file is not None else default_scenario_file()
    out = out if out is not None else Path("runs") / Path(path).stem
    with exit_on_error():
        guard_output_dir(out, "run", [path])
        db_file = None
        if db is not None:
            from petra.projection.publish import check_target

            db_file = check_target(db)
        check_tolerance(tol)
        inputs = load_run_inputs(path, scenario or None)
        guard_output_dir(out, "run", [*inputs.files, db_file])  # every file the run reads
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console, transient=True, disable=quiet) as bar:
            task = bar.add_task("scenarios", total=None)

            def progress(done, total, label):
                bar.update(task, total=total, completed=done, description=f"scenario {label}")

            run = run_inputs(inputs, progress=progress, tol=tol, embodied=embodied)
            bar.update(task, description="writing")
            write_run(run, out, plots=plots, also_read=[db_file])
    for note in run.notes:
        console.print(f"note: {note}")
    if embodied:
        from petra.projection.run import coverage_lines

        for line in coverage_lines(run, run.resolved["focus_region"]):
            console.print(line, highlight=False, soft_wrap=True)
    for r in run.results:
        if debug:
            for row in r.log.itertuples(index=False):
                console.print(f"  {r.spec.name} {row.period} {row.commodity}: {row.status}, certificate "
                              f"{row.certificate:.2e}, {row.qp_solves} QP, {row.seconds:.3f} s")
        cert = r.log["certificate"].max() if len(r.log) else float("nan")
        circ = max(r.circulation.values(), default=float("nan"))
        if circ > 1.5:
            console.print(f"note: {r.spec.name}: total flows reach {circ:.3g} x the net exports "
                          "needed: trade circulates (see README, known limits)")
        state = "ok" if r.ok else f"FAILED ({r.projection.failure})"
        console.print(f"{r.spec.name}: {state}; {len(r.log)} solves, worst certificate {cert:.2e}, "
                      f"{len(r.oscillations)} oscillation(s); {sum(r.seconds.values()):.2f} s")
    if db is not None:
        from petra.projection.publish import publish_run
        from petra.projection.publish_cli import echo_published

        with exit_on_error(f"the run is in {out}"):
            echo_published(publish_run(out, db), db)
    failed = run.failures
    if failed:
        typer.echo(f"petra: error: {len(failed)} scenario(s) failed: "
                   + "; ".join(f"{r.spec.name}: {r.projection.failure}" for r in failed), err=True)
        raise typer.Exit(1)
    console.print(f"-> {out}")
