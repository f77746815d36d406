"""The `petra` command line. Commands parse arguments, call a stage's public functions and write
outputs atomically; no maths lives here."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from petra.errors import PetraError
from petra.exits import OneLineErrors

app = typer.Typer(add_completion=False, no_args_is_help=True, cls=OneLineErrors,
                  help="petra: open spatial price equilibrium model of agricultural trade.")


def _fail(exc: PetraError) -> None:
    typer.echo(f"petra: error: {exc}", err=True)
    raise typer.Exit(exc.exit_code)


@app.callback()
def main() -> None:
    """petra: open spatial price equilibrium model of agricultural trade."""


@app.command()
def solve(
    dataset: str = typer.Argument(..., help="Dataset folder (markets.csv, routes.csv, ...) or an "
                                   "embedded dataset name (china9, globiom37)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder: new, empty, or an earlier "
                              "`petra solve` output (replaced on success)."),
    tol: float = typer.Option(1e-6, help="Certificate tolerance: maximum relative violation."),
    loader: str = typer.Option("direct", help="How the model reaches HiGHS: direct or pyomo."),
) -> None:
    """Solve the spatial price equilibrium of DATASET; write flows.csv, markets.csv, solve.json.

    Exit codes: 0 solved within tolerance; 1 HiGHS not optimal or certificate above tolerance
    (nothing written); 2 bad input, or infeasible/unbounded markets (nothing written).
    """
    from petra.atomic import atomic_output_dir, guard_output_dir
    from petra.embedded import embedded_or_path
    from petra.model import solve as solve_dataset
    from petra.tables import FULL_PRECISION

    if loader not in ("direct", "pyomo"):
        raise typer.BadParameter(f"must be 'direct' or 'pyomo', not {loader!r}", param_hint="--loader")
    dataset = embedded_or_path(dataset)
    try:
        guard_output_dir(out, "solve", [dataset])
        result = solve_dataset(dataset, tol=tol, loader=loader)
    except PetraError as exc:
        _fail(exc)
    summary = result.summary()
    summary["dataset"] = str(Path(dataset).resolve())
    if not result.ok:
        cert = result.certificate
        typer.echo(f"petra: error: equilibrium not reached (HiGHS status {result.status}; certificate "
                   f"{cert.get('max_violation', float('nan')):.3g} > {tol:g}; worst market "
                   f"{cert.get('worst_market', '?')}, worst route {cert.get('worst_route', '?')})",
                   err=True)
        raise typer.Exit(1)
    try:
        with atomic_output_dir(out, "solve", [dataset]) as tmp:
            # full precision: the certificate can be re-verified from the files
            result.flows.to_csv(tmp / "flows.csv", index=False, float_format=FULL_PRECISION)
            result.markets.to_csv(tmp / "markets.csv", index=False, float_format=FULL_PRECISION)
            (tmp / "solve.json").write_text(json.dumps(summary, indent=2) + "\n")
    except PetraError as exc:
        _fail(exc)
    typer.echo(f"solved {len(result.markets)} markets, {len(result.flows)} routes: certificate "
               f"{result.certificate['max_violation']:.2e} in {result.timings['total_seconds']:.2f} s "
               f"-> {out}")


# `petra embodied SOURCE --out DIR` (the embodied-resource post-processor; maths in petra.embodied)
from petra.embodied.cli import embodied_command  # noqa: E402

app.command("embodied")(embodied_command)

# `petra calibrate DATASET --out DIR` (base-year calibration, elasticity fitting, report; petra.calibration)
from petra.calibration.cli import calibrate_command  # noqa: E402

app.command("calibrate")(calibrate_command)

# `petra run [SCENARIO_FILE]` (scenario projections; petra.projection)
from petra.projection.cli import run_command  # noqa: E402

app.command("run")(run_command)

# `petra hindcast DATASET --base-year B --eval YEARS` (out-of-sample skill; petra.calibration.hindcast)
from petra.projection.hindcast_cli import hindcast_command  # noqa: E402

app.command("hindcast")(hindcast_command)

# `petra ensemble [SCENARIO_FILE] --draws N` (Monte Carlo over elasticities and intensities on Dask)
from petra.ensemble.cli import ensemble_command  # noqa: E402

app.command("ensemble")(ensemble_command)

# `petra explore RUN_DIR [--out FILE]` (one offline HTML explorer of a run; petra.projection.explorer)
from petra.projection.explore_cli import explore_command  # noqa: E402

app.command("explore")(explore_command)

# `petra compare RUN_DIR` (scenarios against a baseline: IAMC differences, welfare, plots)
from petra.projection.compare_cli import compare_command  # noqa: E402

app.command("compare")(compare_command)

# `petra publish RUN_DIR --db TARGET` (a run's IAMC results into an ixmp4 database)
from petra.projection.publish_cli import publish_command  # noqa: E402

app.command("publish")(publish_command)


def run() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
