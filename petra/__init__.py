"""petra: an open spatial price equilibrium model of agricultural trade.

Stages, each a sub-package reading only the one before it:
`petra.data` (FAOSTAT readers, embedded datasets) -> `petra.dataset` (the CSV contract) ->
`petra.model` (formulation, HiGHS solve, equilibrium certificate) -> `petra.calibration` ->
projections -> `petra.embodied` (embodied-resource accounting) -> outputs and the `petra` CLI.
"""

from petra import iam_cache

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


__all__ = ["Dataset", "load_dataset", "solve", "__version__"]
