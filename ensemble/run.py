"""`petra ensemble`: sample draws, run each as a Dask task, store them, summarise.

Thin orchestration over the pure parts (`sampling`, `task`, `summary`) and the folder (`store`):

1. validate the scenario file, the scenarios, the rules against the dataset and the draw count
   (InputError, nothing written);
2. open the output folder: refuse one made with another configuration, find the complete draws;
3. sample every draw on the client (draw i's numbers depend only on (seed, i)), write the manifest;
4. run the missing draws on Dask: a `LocalCluster` of `workers` single-threaded processes, or the
   existing cluster at `scheduler`. The scenario data (`DrawContext`) is sent once, as a task the
   draws depend on, copied to every worker (recomputed if all holders die). Each task
   returns its IAMC table and the client writes it (workers need no shared filesystem);
5. record failures (certificate above tolerance, solver or input errors, dead workers: Dask's
   KilledWorker) with their reason and carry on; write the summary over the complete draws.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter

import numpy as np
import pandas as pd

from petra.atomic import guard_output_location
from petra.dataset import Dataset
from petra.ensemble import sampling, summary
from petra.ensemble import store as store_mod
from petra.ensemble.cluster import check_scheduler, check_workers, connect, local_client, stop_local
from petra.ensemble.task import DrawContext, DrawOutcome, make_context, run_draw
from petra.errors import InputError
from petra.model.solve import DEFAULT_TOLERANCE, check_tolerance
from petra.projection.run import load_run_inputs
from petra.projection.scenario_config import ScenarioFile

MANIFEST_EVERY_SECONDS = 2.0
MAX_DRAWS = 10_000  # largest --draws: every draw's parameters and manifest record are held in memory


@dataclass
class Plan:
    """A validated ensemble: what to run and the configuration its folder is fingerprinted with."""

    scenario_file: Path
    sf: ScenarioFile
    dataset: Dataset
    context: DrawContext
    n_draws: int
    seed: int
    counts: list[int]
    labels: list[tuple[str, ...]]
    config: dict
    files: tuple[Path, ...] = ()  # every file read (scenario file, the files it extends, the dataset)

    def samples(self, draw: int) -> list[np.ndarray]:
        return sampling.sample_draw(self.context.rules, self.counts, self.seed, draw)

    def parameters(self, draw: int, samples: list[np.ndarray] | None = None) -> pd.DataFrame:
        return sampling.parameter_rows(self.context.rules, self.labels, draw,
                                       samples if samples is not None else self.samples(draw))


def default_out(scenario_file: Path) -> Path:
    """runs/<file stem>-ensemble (relative to the working directory)."""
    return Path("runs") / f"{Path(scenario_file).stem}-ensemble"


def plan(scenario_file: str | Path, n_draws: int, *, seed: int = 0, names: Sequence[str] | None = None,
         tol: float = DEFAULT_TOLERANCE, embodied: bool = True) -> Plan:
    """Validate everything (InputError naming the key or option; nothing is written)."""
    path = Path(scenario_file)
    if n_draws <= 0:
        raise InputError(f"--draws must be a positive number of draws, not {n_draws}")
    if n_draws > MAX_DRAWS:
        raise InputError(f"--draws must be at most {MAX_DRAWS:,} (not {n_draws:,}); run larger ensembles "
                         "in batches into separate folders")
    if seed < 0:
        raise InputError(f"--seed must be >= 0, not {seed}")
    check_tolerance(tol)
    inputs = load_run_inputs(path, names)
    sf, dataset = inputs.file, inputs.dataset
    if not sf.uncertainty:
        raise InputError("key 'uncertainty': the scenario file declares no uncertainty rules, so every "
                         "draw would be the same", file=str(path))
    sampling.check_rules(dataset, sf.uncertainty, file=str(path))
    context = make_context(dataset, tuple(inputs.specs), inputs.config, sf.uncertainty, tol=tol,
                           embodied=embodied)
    labels = [s.labels for s in context.selections]
    config = {"format": store_mod.FORMAT, "scenario_file": sf.model_dump(mode="json"),
              "dataset": store_mod.dataset_digest(inputs.dataset_path), "scenarios": inputs.names,
              "seed": int(seed), "tol": float(tol), "embodied": bool(embodied)}
    return Plan(scenario_file=path, sf=sf, dataset=dataset, context=context, n_draws=n_draws, seed=seed,
                counts=sampling.entity_counts(dataset, sf.uncertainty), labels=labels, config=config,
                files=inputs.files)


@dataclass
class EnsembleResult:
    """What a run did: draws complete before it (`skipped`), run now, failed (draw, reason)."""

    out: Path
    n_draws: int
    skipped: int
    ran: int
    failed: list[tuple[int, str]] = field(default_factory=list)
    seconds: float = 0.0          # wall time of the draws (cluster start-up excluded)
    startup_seconds: float = 0.0  # cluster start-up (connecting) and submitting the context
    summary: pd.DataFrame | None = None

    @property
    def ok(self) -> int:
        return self.n_draws - len(self.failed)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def _hold(context: DrawContext) -> DrawContext:
    return context


def run_ensemble(p: Plan, out: str | Path, *, scheduler: str | None = None, workers: int = 2,
                 client=None, progress: Callable[[int, int, int], None] | None = None,
                 draw_fn: Callable[[DrawContext, int, list], DrawOutcome] = run_draw) -> EnsembleResult:
    """Run the draws of `p` missing from `out` and write the summary (see module docstring).

    client: an existing `distributed.Client` (used as is, not closed); else `scheduler` (an address,
    e.g. tcp://host:8786) or a LocalCluster of `workers` processes. progress(done, total, failed) is
    called after each draw. draw_fn: the task (default `run_draw`).
    """
    if client is None and scheduler is not None:
        check_scheduler(scheduler)
    elif client is None:
        check_workers(workers)
    guard_output_location(out, [p.scenario_file, p.dataset.path, *p.files])
    st = store_mod.open_store(out, p.config, p.seed)
    done = st.completed()
    todo = [d for d in range(p.n_draws) if d not in done]
    samples = {d: p.samples(d) for d in range(p.n_draws)}
    params = {d: p.parameters(d, samples[d]) for d in range(p.n_draws)}
    st.start(p.n_draws, pd.concat(params.values(), ignore_index=True))
    result = EnsembleResult(out=Path(out), n_draws=p.n_draws, skipped=p.n_draws - len(todo), ran=len(todo))
    if todo:
        _run_draws(p, st, todo, samples, params, result, client=client, scheduler=scheduler,
                   workers=workers, progress=progress, draw_fn=draw_fn)
    result.failed = [(d, st.records[d]["reason"]) for d in range(p.n_draws)
                     if st.records[d]["status"] != "ok"]
    files = [f for _, f in st.ok_files(p.n_draws)]
    result.summary = summary.write_summary(files, Path(out) / "summary", region=p.sf.focus_region)
    return result


def _run_draws(p: Plan, st: store_mod.Store, todo: list[int], samples: dict, params: dict,
               result: EnsembleResult, *, client, scheduler, workers, progress, draw_fn) -> None:
    from distributed import as_completed

    t0 = perf_counter()
    own = cluster = None
    try:
        if client is None:
            if scheduler is not None:
                own = client = connect(scheduler)
            else:  # no more workers than draws to run
                own, cluster = local_client(min(workers, len(todo)))
                client = own
        prefix = f"petra-draw-{st.fingerprint[:12]}"
        # a task holding the context (not `scatter`): if the worker holding it dies, Dask recomputes it
        # from the task instead of cancelling every draw that needs it
        context = client.submit(_hold, p.context, key=f"petra-context-{st.fingerprint[:12]}")
        # copy it to every worker now: Dask places a draw (a task with a dependency) only on workers
        # holding that dependency, so small ensembles (<= 2 draws per thread, not "root-ish") would
        # otherwise all queue on the context's worker and wait for work stealing
        client.replicate([context])
        t1 = perf_counter()
        result.startup_seconds = t1 - t0
        # one graph update for all draws: Dask decides root-ish queuing (one draw per free thread) from the
        # size of the group, so draws submitted one by one would send the first few to a worker at once
        futs = client.map(draw_fn, [context] * len(todo), todo, [samples[d] for d in todo],
                          key=[f"{prefix}-{d}" for d in todo])
        futures = dict(zip(futs, todo, strict=True))
        last_write = perf_counter()
        n_failed = 0
        for i, fut in enumerate(as_completed(futures), start=1):
            d = futures.pop(fut)
            try:
                outcome = fut.result()
            except Exception as exc:  # KilledWorker (the worker died), or an error raised by the task
                st.record_failure(d, _one_line(exc))
            else:
                if outcome.ok:
                    st.save_draw(d, outcome.iamc, seconds=outcome.seconds, worker=outcome.worker,
                                 parameters=params[d])
                else:
                    st.record_failure(d, outcome.reason, seconds=outcome.seconds, worker=outcome.worker)
            fut.release()
            n_failed += st.records[d]["status"] != "ok"
            if perf_counter() - last_write > MANIFEST_EVERY_SECONDS:
                st.write_manifest()
                last_write = perf_counter()
            if progress is not None:
                progress(i, len(todo), n_failed)
        result.seconds = perf_counter() - t1
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: stop the local workers now, not after their draws
        stop_local(cluster)
        cluster = None
        raise
    finally:
        st.write_manifest()
        if own is not None:
            own.close()
        if cluster is not None:
            cluster.close()
