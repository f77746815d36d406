"""`petra ensemble [SCENARIO_FILE] --draws N [--seed S] [--scheduler ADDRESS] [--workers K] [--out DIR]`."""

from __future__ import annotations

from pathlib import Path

import typer

from petra.atomic import interrupt_on_sigterm
from petra.errors import PetraError


def ensemble_command(
    scenario_file: Path = typer.Argument(None, help="Scenario YAML file with an `uncertainty` block "
                                         "(default: the shipped runs/ensemble.yaml on china9)."),
    draws: int = typer.Option(..., "--draws", "-n", help="Number of draws (0..N-1; rerun with a larger "
                              "N to extend an ensemble)."),
    seed: int = typer.Option(0, "--seed", help="Seed: draw i's numbers depend only on (seed, i)."),
    scheduler: str = typer.Option(None, "--scheduler", help="Address of a running Dask scheduler "
                                  "(e.g. tcp://host:8786); default: a local cluster."),
    workers: int = typer.Option(2, "--workers", "-w", help="Local cluster: worker processes, one "
                                "solver thread each (ignored with --scheduler)."),
    out: Path = typer.Option(None, "--out", "-o", help="Output folder (default runs/<file name>-"
                             "ensemble); a rerun resumes it."),
    scenario: list[str] = typer.Option(None, "--scenario", "-s", help="Scenario to run (repeatable; "
                                       "default: every scenario in the file)."),
    embodied: bool = typer.Option(True, "--embodied/--no-embodied", help="Embodied-resource variables."),
    tol: float = typer.Option(1e-6, help="Certificate tolerance: maximum relative violation."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
) -> None:
    """Monte Carlo ensemble: sample the scenario file's uncertainty rules N times and run each draw
    (calibration, every scenario's projection, post-processing) as a Dask task. Writes one Parquet
    file per draw, manifest.json, parameters.csv and summary/ (5/50/95 % quantiles as IAMC, fan chart).

    Exit codes: 0 every draw ok; 1 some draws failed (certificate, solver, dead worker: recorded with
    their reason in manifest.json, the others are kept); 2 bad input (nothing written). A rerun of
    the same command skips the draws already complete (also after a crash or kill).
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from petra.ensemble.cluster import caused_by_interrupt, check_scheduler, check_workers
    from petra.ensemble.run import default_out, plan, run_ensemble
    from petra.projection.run import default_scenario_file

    interrupt_on_sigterm()
    console = Console(stderr=True, quiet=quiet)
    path = scenario_file if scenario_file is not None else default_scenario_file("ensemble.yaml")
    out = out if out is not None else default_out(path)
    try:
        if scheduler is not None:
            check_scheduler(scheduler)
        else:
            check_workers(workers)
        p = plan(path, draws, seed=seed, names=scenario or None, tol=tol, embodied=embodied)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console, transient=True, disable=quiet) as bar:
            task = bar.add_task("starting workers", total=None)

            def progress(done, total, failed):
                bar.update(task, total=total, completed=done,
                           description=f"draws ({failed} failed)" if failed else "draws")

            res = run_ensemble(p, out, scheduler=scheduler, workers=workers, progress=progress)
    except PetraError as exc:
        typer.echo(f"petra: error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except BaseException as exc:
        if not caused_by_interrupt(exc):  # an error of Dask's (or an import) cut short by the interrupt too
            raise
        typer.echo(f"petra: interrupted; complete draws are kept in {out} (rerun to resume)", err=True)
        raise typer.Exit(130) from None
    rate = f", {60 * res.ran / res.seconds:.1f} draws/min" if res.ran and res.seconds > 0 else ""
    console.print(f"{res.ok} of {res.n_draws} draws ok ({res.skipped} already complete, {res.ran} run"
                  f"{rate}) -> {out}")
    if res.failed:
        first = "; ".join(f"draw {d}: {r}" for d, r in res.failed[:3])
        typer.echo(f"petra: error: {len(res.failed)} of {res.n_draws} draws failed ({first}"
                   f"{'; ...' if len(res.failed) > 3 else ''}); reasons in {out}/manifest.json", err=True)
        raise typer.Exit(1)
