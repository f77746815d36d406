"""`petra hindcast DATASET --base-year B --eval YEARS [--fit YEARS] [--policy FILE [--scenario NAME]]
[--out DIR]` (typer; the maths is in petra.calibration.hindcast)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from petra.atomic import interrupt_on_sigterm
from petra.exits import exit_on_error


def hindcast_command(
    dataset: Annotated[str, typer.Argument(help="Dataset folder, or an embedded dataset name (china9, "
                                                "globiom37)")],
    base_year: Annotated[int, typer.Option("--base-year", "-b", help="Observed year to calibrate at")],
    eval_years: Annotated[list[str], typer.Option(
        "--eval", help="Evaluation years, e.g. 2018-2020 or 2016,2018 (repeatable); after the base year")],
    fit: Annotated[list[str] | None, typer.Option(
        "--fit", help="Years to fit the expansion parameters on (after the base year, before the first "
        "evaluation year)")] = None,
    policy: Annotated[Path | None, typer.Option(
        "--policy", help="Scenario file whose tariff, ban and quota rules apply on top of the observed "
        "drivers")] = None,
    scenario: Annotated[str | None, typer.Option(
        "--scenario", "-s", help="Scenario of --policy (needed when the file has several)")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Output folder (default runs/hindcast-<dataset>-<base year>): new, empty, or "
        "an earlier `petra hindcast` output (replaced)")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="Calibration settings (TOML or YAML; "
                                                "see petra.calibration.config)")] = None,
    method: Annotated[str | None, typer.Option(
        "--method", help="Base-year calibration: 'consistent' (default; cycles netted out, every trade "
        "cost >= transport cost + tariff, prices moved as little as that needs) or 'exact' (observed "
        "flows and prices kept; negative cost adjustments where trade flows from the dearer market); "
        "overrides the configuration's `method`")] = None,
    focus_region: Annotated[str | None, typer.Option(
        "--focus-region", help="Region of the report's panels (default: the configuration's focus "
        "region if the dataset has it or a region of the same name, such as ChinaReg for CHN, else "
        "the largest importer)")] = None,
    quantities: Annotated[str, typer.Option(
        "--quantities", help="'observed' (default): each evaluation year's observed production and "
        "consumption drive the model, which is scored on bilateral flows; 'model': production and "
        "consumption are projected too (historical population and GDP, productivity trends up to the "
        "base year), scored on net imports, production and consumption against persistence and trend "
        "(scores.csv, markets.csv; --fit and --policy do not apply)")] = "observed",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Out-of-sample forecast skill: calibrate at the base year, optionally fit the expansion
    parameters, project each evaluation year with its observed production and consumption (and
    a policy's tariffs, bans and quotas), and score petra's bilateral flows against the observed ones
    and three naive baselines (persistence, last-year shares, RAS). Writes flows.csv, metrics.csv,
    report.html and their tables.

    Exit codes: 0 done; 1 a solve failed (nothing written); 2 bad input: years the data lack, a fit
    year outside the window, a policy naming unknown regions or commodities (nothing written).
    """
    from petra.atomic import guard_output_dir
    from petra.calibration.config import load_config, with_method
    from petra.calibration.focus_panels import check_focus_region, focus_region_in
    from petra.calibration.hindcast import run_hindcast
    from petra.calibration.hindcast_output import headline, write_hindcast
    from petra.calibration.observed import year_span
    from petra.calibration.run import parse_years
    from petra.dataset import load_dataset
    from petra.errors import InputError, shown
    from petra.progress import progress_reporter
    from petra.projection.hindcast_policy import scenario_policy
    from petra.projection.run import dataset_path, quantity_unit

    interrupt_on_sigterm()
    with exit_on_error():
        ds_path = dataset_path(dataset)
        out = out if out is not None else Path("runs") / f"hindcast-{ds_path.name}-{base_year}"
        guard_output_dir(out, "hindcast", [ds_path, policy, config])
        cfg = with_method(load_config(config), method)
        pol = scenario_policy(policy, scenario) if policy is not None else None
        inputs = [ds_path, policy, config, *(pol.files if pol is not None else ())]
        guard_output_dir(out, "hindcast", inputs)  # with every file the policy extends
        ds = load_dataset(ds_path)
        regions = set(ds.markets["region"])
        if focus_region is not None and focus_region not in regions:  # before: after the whole hindcast
            raise InputError(f"--focus-region: region '{shown(focus_region)}' is not in the dataset "
                             f"({', '.join(sorted(regions)[:12])}{', ...' if len(regions) > 12 else ''})")
        check_focus_region(regions, cfg, file=str(config) if config else None)
        if pol is not None:
            pol.check(ds)
        evals, fits = parse_years(eval_years), parse_years(fit)
        if quantities not in ("observed", "model"):
            raise InputError(f"--quantities must be 'observed' or 'model', not {shown(quantities)!r}")
        if quantities == "model":
            if fits or pol is not None:
                raise InputError("--quantities model takes neither --fit nor --policy")
            free_hindcast(ds, base_year, evals, cfg, out, inputs, quiet)
            return
        with progress_reporter("hindcast", quiet=quiet) as progress:  # bar in a terminal, else lines
            result = run_hindcast(ds, base_year, evals, fits, cfg, policy=pol, progress=progress)
        focus = focus_region_in(regions, focus_region or cfg.focus_region, result.net_imports)
        settings = {"dataset": str(ds_path.resolve()), "base_year": base_year, "eval_years": evals,
                    "fit_years": fits, "policy": str(policy) if policy else None,
                    "scenario": pol.spec.name if pol else None, "focus_region": focus,
                    "config": cfg.model_dump(mode="json")}
        title = (f"petra hindcast: {ds_path.name}, base {base_year}"
                 f"{f', fit {year_span(fits)}' if fits else ''}, evaluated on {year_span(evals)}")
        write_hindcast(result, out, settings=settings, inputs=inputs, title=title, focus_region=focus,
                       unit=quantity_unit(ds))
    if not quiet:
        h = headline(result)
        scores = ", ".join(f"{m} {v['wape']:.3f}" for m, v in h.items())
        typer.echo(f"hindcast base {base_year}, eval {evals[0]}-{evals[-1]}"
                   f"{f', fit {fits[0]}-{fits[-1]}' if fits else ''}: pooled WAPE {scores}; "
                   f"{result.timings['total_seconds']:.1f} s -> {out}")


def free_hindcast(ds, base_year: int, evals: list[int], cfg, out: Path, inputs: list, quiet: bool) -> None:
    """`--quantities model`: the free hindcast, written as scores.csv and markets.csv (all or nothing)."""
    from petra.atomic import atomic_output_dir
    from petra.calibration.free_hindcast import run_free_hindcast
    from petra.tables import FULL_PRECISION

    result = run_free_hindcast(ds, base_year, evals, cfg)
    with atomic_output_dir(out, "hindcast", inputs) as tmp:
        result.scores.to_csv(tmp / "scores.csv", index=False, float_format=FULL_PRECISION)
        result.markets.to_csv(tmp / "markets.csv", index=False, float_format=FULL_PRECISION)
    if not quiet:
        last = evals[-1]
        line = ", ".join(f"{q} {result.score(q, last):.3f} (persistence "
                         f"{result.score(q, last, 'persistence'):.3f})"
                         for q in ("net_imports", "production", "consumption"))
        typer.echo(f"free hindcast base {base_year}, {last}: WAPE {line}; {result.seconds:.1f} s -> {out}")
