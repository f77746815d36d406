"""Write a hindcast's outputs (`petra hindcast --out DIR`), all-or-nothing:

    flows.csv              year, exporter, importer, commodity, flow: petra's modelled flows of every
                           evaluation year (data units)
    flows_comparison.csv   the same routes with the observed flow and every baseline's
    metrics.csv            method, commodity, year, wape, r2_log, partner_misallocation,
                           observed_total (commodity and year 'all': pooled over routes x years)
    net_imports.csv        year, region, commodity, observed, petra: net imports of every projected year
    fit_parameters.csv     the fitted expansion parameters with their intervals (with --fit)
    summary.json           years, settings, headline pooled WAPE per method, RAS convergence,
                           calibration check, timings (seconds), notes
    report.html            the scores side by side and the focus region's panels
"""

from __future__ import annotations

import json
from pathlib import Path

from petra.atomic import atomic_output_dir
from petra.calibration.hindcast import ALL, METHODS, HindcastResult
from petra.tables import FULL_PRECISION

FLOAT_FORMAT = FULL_PRECISION


def headline(result: HindcastResult) -> dict:
    """Pooled (all commodities, all evaluation years) WAPE, r2_log and misallocation per method."""
    return {m: {k: result.score(m, metric=k) for k in ("wape", "r2_log", "partner_misallocation")}
            for m in METHODS}


def summary_of(result: HindcastResult, settings: dict) -> dict:
    return {"years": result.years, "settings": settings, "headline": headline(result),
            "ras": result.ras, "calibration_check": result.calibration_check,
            "timings": result.timings, "notes": result.notes}


def write_hindcast(result: HindcastResult, out: str | Path, *, settings: dict, inputs: list,
                   title: str, focus_region: str, unit: str = "") -> None:
    """Write every output of `result` to `out` (see module docstring); `inputs` are the files and
    folders the run read (an output over them is refused)."""
    from petra.calibration.hindcast_report import write_report

    with atomic_output_dir(out, "hindcast", inputs) as tmp:
        f = result.flows
        f[["year", "exporter", "importer", "commodity"]].assign(flow=f["petra"]).to_csv(
            tmp / "flows.csv", index=False, float_format=FLOAT_FORMAT)
        f.to_csv(tmp / "flows_comparison.csv", index=False, float_format=FLOAT_FORMAT)
        result.metrics.to_csv(tmp / "metrics.csv", index=False, float_format="%.6g")
        result.net_imports.to_csv(tmp / "net_imports.csv", index=False, float_format=FLOAT_FORMAT)
        if result.fit is not None:
            result.fit.parameters.to_csv(tmp / "fit_parameters.csv", index=False, float_format="%.6g")
        (tmp / "summary.json").write_text(json.dumps(summary_of(result, settings), indent=2, default=float)
                                          + "\n", encoding="utf-8")
        write_report(tmp / "report.html", result, title=title, focus_region=focus_region, unit=unit,
                     settings=settings)


__all__ = ["ALL", "write_hindcast", "headline"]
