"""petra: an open spatial price equilibrium model of agricultural trade.

Stages, each a sub-package reading only the one before it:
`petra.data` (FAOSTAT readers, embedded datasets) -> `petra.dataset` (the CSV contract) ->
`petra.model` (formulation, HiGHS solve, equilibrium certificate) -> `petra.calibration` ->
projections -> `petra.embodied` (embodied-resource accounting) -> outputs and the `petra` CLI.
"""

from pathlib import Path as _Path


def _check_one_copy() -> None:
    """ImportError if this `petra` and its stages come from two copies of petra: Python imports a
    folder `petra` in the working directory (a source tree's) before the installed package, while
    the stages still come from the installed copy, so the code would silently mix."""
    import importlib.util

    here = _Path(__file__).resolve().parent
    spec = importlib.util.find_spec("petra.model")
    if spec is None or spec.origin is None:
        return
    stage = _Path(spec.origin).resolve().parent
    if stage not in (here / "model", here.parent / "model"):  # installed layout, source-tree layout
        raise ImportError(
            f"'import petra' found {here} (in the working directory, which Python searches first) but "
            f"petra's stages are installed from {stage.parent}: two copies of petra would mix. Start "
            f"Python in another folder, or install this copy (pip install -e {here.parent}).")


_check_one_copy()

from petra import iam_cache  # noqa: E402

iam_cache.configure()  # before any petra module imports pyam (a per-environment iam_units cache)

from petra.dataset import Dataset, load_dataset  # noqa: E402

__version__ = "0.1.0"


def solve(dataset, **options):
    """Solve the spatial price equilibrium of `dataset` (a Dataset or a folder path).

    Returns a `petra.model.SolveResult` with `flows` and `markets` tables, `status`, `objective`,
    `certificate`, `iterations` and `timings`. See `petra.model.solve` for the options.
    """
    from petra.model import solve as _solve

    return _solve(dataset, **options)


def run(spec=None, scenarios=None, *, out=None, plots: bool = False, **options):
    """Run scenarios like `petra run`: `spec` is a scenario file (path), a scenario spec as a dict
    (the parsed form of a file, validated the same way; a relative `dataset` folder or `extends`
    file is relative to the working directory) or None (the shipped runs/default.yaml).

    `scenarios` limits the run to those names. Returns a `petra.projection.run.RunResult`: `.iamc`
    (a `pyam.IamDataFrame`), `.iamc_frame`, `.markets`, `.flows`, `.results` (one per scenario) and
    `.failures`. With `out`, the outputs of `petra run` are also written there (all or nothing).
    Options: `tol` (certificate tolerance), `embodied` (True), `progress(done, total, name)`.
    Bad input raises `petra.errors.InputError` with a one-line message naming the key.
    """
    from petra.projection.run import run_scenarios, write_run

    result = run_scenarios(spec, scenarios, **options)
    if out is not None:
        write_run(result, out, plots=plots)
    return result


__all__ = ["Dataset", "load_dataset", "run", "solve", "__version__"]
