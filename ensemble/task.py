"""One ensemble draw, the unit of work a Dask worker runs: perturb, calibrate, project, post-process.

`run_draw(context, draw, samples)` is a pure function of its arguments (nothing is read or written):
the `DrawContext` (dataset, resolved scenarios, rules) is built once on the client and sent to the
workers once (petra.ensemble.run), so a task neither re-reads the scenario file nor re-loads the
dataset.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from time import perf_counter

import numpy as np
import pandas as pd

from petra.calibration.config import CalibrationConfig
from petra.dataset import Dataset
from petra.ensemble.sampling import Selection, fill_expansion, perturb, select
from petra.errors import PetraError
from petra.projection.scenario_config import Elasticities, ScenarioSpec
from petra.projection.uncertainty_rules import UncertaintyRule

HIGHS_OPTIONS = {"threads": 1}  # one solver thread per worker: the workers are the parallelism


@dataclass(frozen=True)
class DrawContext:
    """Everything a draw needs besides its numbers.

    prepared: per elasticity set of the scenarios, the dataset with that set's rules applied (and
    empty expansion elasticities at the calibration default when a rule targets them), before any
    draw; selections: per rule, the rows it acts on in those datasets (same rows, same order).
    """

    specs: tuple[ScenarioSpec, ...]
    prepared: dict[Elasticities, Dataset]
    config: CalibrationConfig
    rules: tuple[UncertaintyRule, ...]
    selections: tuple[Selection, ...]
    tol: float
    embodied: bool


def make_context(dataset: Dataset, specs: tuple[ScenarioSpec, ...], config: CalibrationConfig,
                 rules: tuple[UncertaintyRule, ...], *, tol: float, embodied: bool) -> DrawContext:
    """Apply each scenario elasticity set once and locate every rule's rows (client side)."""
    from petra.projection.run import with_elasticities

    expansion = any(r.target == "expansion_elasticity" for r in rules)
    prepared: dict[Elasticities, Dataset] = {}
    for spec in specs:
        if spec.elasticities not in prepared:
            ds = with_elasticities(dataset, spec.elasticities)
            prepared[spec.elasticities] = (fill_expansion(ds, config.default_expansion_elasticity)
                                           if expansion else ds)
    first = next(iter(prepared.values()))
    return DrawContext(specs=tuple(specs), prepared=prepared, config=config, rules=tuple(rules),
                       selections=tuple(select(first, r) for r in rules), tol=tol, embodied=embodied)


@dataclass
class DrawOutcome:
    """A finished draw: `iamc` (long IAMC frame, every scenario) when ok, else the failure reason."""

    draw: int
    ok: bool
    reason: str | None
    seconds: float
    worker: str
    iamc: pd.DataFrame | None = None


_PINNED = False


def _pin_highs_threads() -> None:
    """Start HiGHS's process-wide task scheduler with one thread before any solve does (the first
    `run` decides its size for the life of the process)."""
    global _PINNED
    if _PINNED:
        return
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.addVar(0.0, 1.0)
    h.run()
    _PINNED = True


def run_draw(context: DrawContext, draw: int, samples: list[np.ndarray]) -> DrawOutcome:
    """Run every scenario of the context on the dataset perturbed by `samples` (one calibration per
    elasticity set). A scenario that misses its certificate or raises a petra error fails the draw,
    with the scenario and reason; other exceptions propagate (Dask records them)."""
    from petra.projection.run import calibrate, run_scenario

    _pin_highs_threads()
    t0 = perf_counter()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    bases = {}
    frames = []
    for spec in context.specs:
        try:
            if spec.elasticities not in bases:
                ds = perturb(context.prepared[spec.elasticities], context.rules, samples, context.selections)
                bases[spec.elasticities] = (ds, calibrate(ds, Elasticities(), context.config,
                                                          highs_options=HIGHS_OPTIONS))
            ds, base = bases[spec.elasticities]
            res = run_scenario(ds, spec, config=context.config, base=base, embodied=context.embodied,
                               tol=context.tol, highs_options=HIGHS_OPTIONS)
        except PetraError as exc:
            return DrawOutcome(draw, False, f"scenario {spec.name}: {exc}", perf_counter() - t0, worker)
        if not res.ok:
            return DrawOutcome(draw, False, f"scenario {spec.name}: {res.projection.failure}",
                               perf_counter() - t0, worker)
        frames.append(res.iamc)
    iamc = pd.concat(frames, ignore_index=True)
    for c in ("model", "scenario", "region", "variable", "unit"):
        iamc[c] = iamc[c].astype("category")  # 7 MB -> well under 1 MB to send back per draw
    return DrawOutcome(draw, True, None, perf_counter() - t0, worker, iamc)
