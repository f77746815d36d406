"""`petra calibrate DATASET --out DIR [--validate YEARS] [--fit YEARS] [--config FILE]` (typer)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from petra.errors import PetraError


def calibrate_command(
    dataset: Annotated[str, typer.Argument(help="Dataset folder whose base year is observed (markets.csv, "
                                                 "routes.csv flow = observed net flows), or an embedded "
                                                 "dataset name (china9, globiom37)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder: new, empty, or an earlier "
                                      "`petra calibrate` output (replaced on success): "
                                      "dataset/, report.html and its CSV tables")],
    validate: Annotated[list[str] | None, typer.Option(
        "--validate", help="Observed years to project and report, e.g. 2015-2020 or 2015,2018 "
        "(repeatable); each listed year is one period")] = None,
    fit: Annotated[list[str] | None, typer.Option(
        "--fit", help="Observed years to fit expansion elasticities and new-flow slopes to (same "
        "syntax); without it the calibrated defaults are used")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="Calibration settings (TOML or YAML; "
                                                "see petra.calibration.config)")] = None,
    method: Annotated[str | None, typer.Option(
        "--method", help="Base-year calibration: 'consistent' (default; cycles netted out, every trade "
        "cost >= transport cost + tariff, prices moved as little as that needs) or 'exact' (observed "
        "flows and prices kept; negative cost adjustments where trade flows from the dearer market); "
        "overrides the configuration's `method`")] = None,
    base_year: Annotated[int | None, typer.Option(
        "--base-year", help="Observed year to re-base on and calibrate at (default: the dataset's base "
        "year); --validate and --fit years must come after it")] = None,
) -> None:
    """Calibrate DATASET's base year exactly (per-route cost adjustments), optionally fit expansion
    elasticities and new-flow slopes to later observed years, and report against the observations.

    Exit codes: 0 done; 1 calibration misses its tolerance or the reconciliation fails (worst markets
    named; nothing written); 2 bad input (nothing written).
    """
    from petra.calibration.config import load_config, with_method
    from petra.calibration.run import parse_years, run_calibration
    from petra.embedded import embedded_or_path
    from petra.progress import progress_reporter

    try:
        cfg = with_method(load_config(config), method)
        with progress_reporter("calibrate") as progress:  # a bar in a terminal, else a line per step
            run = run_calibration(embedded_or_path(dataset), out, cfg, validate=parse_years(validate),
                                  fit=parse_years(fit), base_year=base_year, progress=progress,
                                  also_read=[config])
    except PetraError as exc:
        typer.echo(f"petra: error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    chk = run.base.check
    typer.echo(f"calibrated {len(run.final.markets)} markets, {len(run.final.routes)} routes "
               f"({len(run.base.negative)} with negative implied cost); re-solve max deviation "
               f"{chk.get('max_deviation', float('nan')):.2e}; {run.timings['total_seconds']:.2f} s -> {out}")
