"""`petra embodied SOURCE --out DIR`: the embodied-resource post-processor's command (typer)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from petra.errors import PetraError


class JointKey(StrEnum):
    protein = "protein"
    mass = "mass"
    value = "value"


class FeedOrigin(StrEnum):
    domestic = "domestic"
    all = "all"


def embodied_command(
    source: Annotated[str, typer.Argument(help="Dataset folder (observed flows) or embedded dataset name "
                                                "(china9, globiom37), `petra run` output folder or "
                                                "`petra solve` directory")],
    out: Annotated[Path, typer.Option("--out", help="Output folder: new, empty, or an earlier "
                                                    "`petra embodied` output (replaced)")],
    deforestation: Annotated[Path | None, typer.Option(help="deforestation.csv: region, period, land_type, "
                                                            "value, unit (t CO2)")] = None,
    areas: Annotated[Path | None, typer.Option(help="areas.csv: region, commodity, period, land_type, area, "
                                                    "unit (default: production x land intensity)")] = None,
    feed: Annotated[Path | None, typer.Option(help="feed.csv: region, product, feed, value, unit")] = None,
    joint: Annotated[Path | None, typer.Option(help="joint.csv: system, product, output, protein, "
                                                    "price")] = None,
    joint_key: Annotated[JointKey, typer.Option(help="Split key of joint products")] = JointKey.protein,
    feed_origin: Annotated[FeedOrigin, typer.Option(help="Count only the domestically produced share of "
                                                         "feed, or all of it")] = FeedOrigin.domestic,
    water_cap: Annotated[Path | None, typer.Option(help="water_cap.csv: region, period, value, "
                                                        "unit")] = None,
    footprint: Annotated[Path | None, typer.Option(help="footprint.csv: region, period, land_type, "
                                                        "footprint, "
                                                        "biocapacity, unit, yield_factor, "
                                                        "equivalence_factor")] = None,
    observed_years: Annotated[bool, typer.Option(help="Dataset SOURCE: also account observed_flows.csv "
                                                      "years")] = False,
    carry_forward: Annotated[bool, typer.Option(help="Use the latest earlier intensity for a period "
                                                     "without one")] = True,
    flow_unit: Annotated[str | None, typer.Option(help="Unit of flows when the dataset does not say "
                                                       "(e.g. kt)")] = None,
    n2o_indirect: Annotated[bool, typer.Option(help="Add IPCC 2006 indirect N2O to N2O derived from "
                                                    "nitrogen")] = False,
    rice_season_days: Annotated[float | None, typer.Option(help="Derive rice CH4 (IPCC 2019) for this "
                                                               "season length where not given")] = None,
    plots: Annotated[bool, typer.Option(help="Write plots")] = True,
    dataset_defaults: Annotated[bool, typer.Option(help="Dataset SOURCE: use its own feed.csv and "
                                                        "deforestation.csv where --feed / --deforestation "
                                                        "are not given (the shipped datasets have "
                                                        "both)")] = True,
) -> None:
    """Embodied land, water, nitrogen, GHG (and deforestation, feed) in bilateral flows.

    Writes DIR/embodied.csv (exporter, importer, commodity, period, indicator, value, unit),
    the indicator tables and plots. Exit codes: 0 done; 2 bad input (nothing written).
    """
    from petra.embedded import embedded_or_path
    from petra.embodied.run import Options, run_embodied

    opts = Options(deforestation=deforestation, areas=areas, feed=feed, joint=joint,
                   joint_key=joint_key.value,
                   feed_origin=feed_origin.value, water_cap=water_cap, footprint=footprint,
                   carry_forward=carry_forward, observed_years=observed_years, flow_unit=flow_unit,
                   n2o_indirect=n2o_indirect, rice_season_days=rice_season_days, plots=plots,
                   dataset_defaults=dataset_defaults)
    try:
        summary = run_embodied(embedded_or_path(source), out, opts)
    except PetraError as exc:
        typer.echo(f"petra: error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from exc
    if summary.get("kind") == "petra run":
        typer.echo(f"wrote {out}: scenarios {', '.join(summary['scenarios'])}, periods {summary['periods']}")
        return
    typer.echo(f"wrote {out}: {len(summary['indicators'])} indicators, periods {summary['periods']}, "
               f"{summary['missing_intensities']} missing intensities (see missing.csv)")


def main() -> None:  # pragma: no cover - standalone entry point until petra.cli registers the command
    app = typer.Typer(add_completion=False)
    app.command("embodied")(embodied_command)
    app()
