"""Solve one period: Dataset -> Problem -> HiGHS (successive quadratic) -> SolveResult with tables."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from petra.dataset import Dataset, load_dataset
from petra.errors import InfeasibleMarketError, InputError, SolveError
from petra.model import working_set as ws
from petra.model.certificate import market_trade
from petra.model.diagnostics import infeasible_markets, unbounded_routes
from petra.model.equilibrium_math import welfare
from petra.model.highs_backend import HighsBackend
from petra.model.nodes import NodeSplit, market_values, split_nodes
from petra.model.problem import Problem, build_problem, reported_prices
from petra.model.sqp import SQPResult, solve_sqp

DEFAULT_TOLERANCE = 1e-6
BLAS_THREADS = 1
"""BLAS threads for petra's own linear algebra during a solve (dense Newton systems of a few hundred
unknowns in the refinement and dual Newton): with more, each small solve waits on thread hand-offs,
30-45 ms instead of 0.7 ms for 185 unknowns on this busy 2-core machine (measured on the world
dataset's period solves, `python benchmarks/bench_run.py world`).
HiGHS keeps its own threads (it does not use numpy's OpenBLAS)."""
MAX_TOLERANCE = 1.0  # a relative violation above 100 % certifies nothing


def check_tolerance(tol: float) -> float:
    """`tol` if it is a certificate tolerance (finite, 0 <= tol <= MAX_TOLERANCE; 0 demands an exact
    equilibrium, which a solve then reports as not reached, exit 1), else InputError."""
    try:
        ok = math.isfinite(float(tol)) and 0.0 <= float(tol) <= MAX_TOLERANCE
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise InputError(f"--tol must be a number in [0, {MAX_TOLERANCE:g}] (a maximum relative violation), "
                         f"not {tol}")
    return float(tol)


@dataclass
class SolveResult:
    """A solved period.

    flows: exporter, importer, commodity, flow (commodity unit), one row per route.
    markets: region, commodity, price (currency/unit, >= 0; the demand node's), supply_price (the
        supply node's: above price only where a region exports its whole production), production,
        consumption, disposal (the excess thrown away at price 0; commodity unit).
    objective: welfare, consumer minus producer surplus areas minus trade cost (price x quantity).
    certificate: maximum relative violations of the equilibrium conditions (see certificate.py).
    """

    flows: pd.DataFrame
    markets: pd.DataFrame
    status: str
    optimal: bool
    converged: bool
    tolerance: float
    objective: float
    certificate: dict
    iterations: dict
    timings: dict
    solver: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.optimal and self.converged

    def summary(self) -> dict:
        """The JSON-able record written as solve.json."""
        return {"status": self.status, "optimal": self.optimal, "converged": self.converged,
                "tolerance": self.tolerance, "objective": self.objective,
                "certificate": self.certificate, "iterations": self.iterations,
                "timings": self.timings, "solver": self.solver}


def result_tables(p: Problem, routes: pd.DataFrame, markets: pd.DataFrame, sol: SQPResult
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The flows and markets tables of a solution, in the dataset's row order."""
    flows = routes[["exporter", "importer", "commodity"]].copy()
    flows["flow"] = sol.X
    mk = markets[["region", "commodity"]].copy()
    mk["price"] = sol.price
    mk["supply_price"] = sol.price if sol.supply_price is None else sol.supply_price
    mk["production"] = sol.S
    mk["consumption"] = sol.D
    imports, exports = market_trade(p, sol.X)
    # free disposal: the excess a market throws away at price 0 (0 wherever the price is positive)
    mk["disposal"] = np.maximum(sol.S + imports - exports - sol.D, 0.0)
    return flows.reset_index(drop=True), mk.reset_index(drop=True)


def _raise_for_failure(p: Problem, status: str, *, optimal: bool) -> None:
    """Name infeasible markets or an unbounded route cycle; else SolveError if HiGHS failed.

    HiGHS's interior-point solver can report an infeasible or unbounded QP as optimal, so this runs
    whenever the certificate is not met, not only on a non-optimal status."""
    bad = infeasible_markets(p)
    if bad:
        names = ", ".join(p.market_label(i) for i in bad[:8])
        more = f" and {len(bad) - 8} more" if len(bad) > 8 else ""
        raise InfeasibleMarketError(f"infeasible: markets {names}{more} cannot balance (fixed supply and "
                                    f"demand that trade routes cannot reconcile)")
    loops = unbounded_routes(p)
    if loops:
        names = ", ".join(p.route_label(r) for r in loops[:8])
        raise InfeasibleMarketError(f"unbounded: routes {names} form a cycle with negative total marginal "
                                    f"cost that does not rise with flow (HiGHS status: {status})")
    if not optimal:
        raise SolveError(f"HiGHS did not reach optimality (status: {status})")


def solve_problem(p: Problem, *, tol: float = DEFAULT_TOLERANCE, highs_options: dict | None = None,
                  max_iter: int = 40, backend: HighsBackend | None = None, loader: str = "direct",
                  working_set: bool = True) -> tuple[SQPResult, dict]:
    """Solve a Problem; returns the SQP result and timings. Raises InfeasibleMarketError for
    infeasible or unbounded problems, SolveError when HiGHS fails otherwise. Prices are >= 0: where the
    balance would need a negative price the problem is solved again with free disposal.

    The problem solved is `p`'s supply/demand-node split (`petra.model.nodes`: no region re-exports);
    the result is mapped back to p's markets and routes (price: the demand node's, supply_price: the
    supply node's, both reported: the trade-point prices the problem is solved in times p's
    price_factor). A given `backend` is solved as it is (its problem is already final).

    A problem with more than `working_set.MIN_ROUTES` routes is solved on a working set of its routes
    (`petra.model.working_set`; certified on the whole problem), falling back to the whole problem."""
    if backend is not None:  # a backend holds a problem already in its final form
        with threadpool_limits(limits=BLAS_THREADS, user_api="blas"):
            return _solve_problem(p, tol=tol, highs_options=highs_options, max_iter=max_iter,
                                  backend=backend, loader=loader, working_set=working_set)
    split = split_nodes(p)
    with threadpool_limits(limits=BLAS_THREADS, user_api="blas"):
        sol, timings = _solve_problem(split.problem, tol=tol, highs_options=highs_options, max_iter=max_iter,
                                      backend=None, loader=loader, working_set=working_set)
    return market_solution(p, split, sol), timings


def market_solution(p: Problem, split: NodeSplit, sol: SQPResult) -> SQPResult:
    """The solution of the supply/demand-node problem as one of the market problem `p`, prices reported
    (`petra.model.problem.reported_prices`; its certificate is the node problem's, whose conditions are
    the equilibrium's)."""
    S, D, X, price, supply_price = market_values(split, (sol.S, sol.D, sol.X, sol.price), p)
    return replace(sol, S=S, D=D, X=X, price=reported_prices(p, price),
                   supply_price=reported_prices(p, supply_price))


def _solve_problem(p: Problem, *, tol: float, highs_options: dict | None, max_iter: int,
                   backend: HighsBackend | None, loader: str, working_set: bool) -> tuple[SQPResult, dict]:
    t0 = time.perf_counter()
    if working_set and backend is None and p.n_routes > ws.MIN_ROUTES:
        def restricted(sub: Problem) -> SQPResult:
            return _solve_problem(sub, tol=tol, highs_options=highs_options, max_iter=max_iter,
                                  backend=None, loader=loader, working_set=False)[0]

        out = ws.solve_on_working_set(p, restricted, tol=tol)
        if out is not None and out[0].converged:
            sol, info = out
            return sol, {"highs_seconds": float(np.sum(sol.trace.highs_seconds)),
                         "iterate_seconds": time.perf_counter() - t0, "setup_seconds": 0.0,
                         "build_seconds": 0.0, "load_seconds": 0.0, **info}
    if backend is None:
        backend = HighsBackend(p, highs_options, loader=loader)
    t1 = time.perf_counter()
    sol = solve_sqp(p, backend, tol=tol, max_iter=max_iter)
    if not sol.converged or (sol.price < -tol * p.p_scale[p.commodity_index]).any():
        # free disposal: an excess that nothing can absorb is thrown away at price 0 rather than sold at
        # a negative price. The balance rows become >= 0 only then, so that every other problem is
        # solved exactly as the equality model (whose prices are then all >= 0: the same equilibrium)
        backend = HighsBackend(p, highs_options, loader=loader, free_disposal=True)
        sol = solve_sqp(p, backend, tol=tol, max_iter=max_iter)
    t2 = time.perf_counter()
    if not sol.converged:
        _raise_for_failure(p, sol.status, optimal=sol.optimal)
    timings = {"build_seconds": backend.build_seconds, "load_seconds": backend.load_seconds,
               "highs_seconds": float(np.sum(sol.trace.highs_seconds)),
               "iterate_seconds": t2 - t1, "setup_seconds": t1 - t0}
    return sol, timings


def solve(dataset: Dataset | str | Path, *, tol: float = DEFAULT_TOLERANCE,
          highs_options: dict | None = None, max_iter: int = 40, loader: str = "direct") -> SolveResult:
    """Solve the spatial price equilibrium of a dataset (a Dataset or a folder).

    tol: certificate tolerance (maximum relative violation), default 1e-6.
    highs_options: HiGHS options overriding petra's defaults (solver "hipo", tight tolerances).
    loader: how the formulation reaches HiGHS: "direct" (from arrays, fast) or "pyomo" (through
        Pyomo's persistent HiGHS interface); both give the same model (tested).
    The result's `ok` is False when HiGHS was not optimal or the certificate exceeds `tol`.
    """
    t0 = time.perf_counter()
    check_tolerance(tol)
    if not isinstance(dataset, Dataset):
        dataset = load_dataset(dataset)
    p = build_problem(dataset)
    t1 = time.perf_counter()
    sol, timings = solve_problem(p, tol=tol, highs_options=highs_options, max_iter=max_iter,
                                 loader=loader)
    flows, markets = result_tables(p, dataset.routes, dataset.markets, sol)
    objective = welfare(p, sol.S, sol.D, sol.X)
    t2 = time.perf_counter()
    timings = {"read_seconds": t1 - t0, **timings, "total_seconds": t2 - t0}
    tr = sol.trace
    options = {**(highs_options or {})}
    return SolveResult(
        flows=flows, markets=markets, status=sol.status, optimal=sol.optimal, converged=sol.converged,
        tolerance=tol, objective=objective,
        certificate=sol.certificate.as_dict() if sol.certificate else {},
        iterations={"qp_solves": len(tr.highs_seconds), "ipm": tr.ipm_iterations, "qp": tr.qp_iterations,
                    "certificate_by_iteration": tr.certificates, "price_steps": tr.steps,
                    "refined": tr.refined, "refine_newton_steps": tr.refine_steps},
        timings=timings,
        solver={"name": "highs", "version": _highs_version(), "options": options, "loader": loader,
                "qp_solver_by_solve": tr.solvers,
                "ipm_iterations_total": int(np.sum(tr.ipm_iterations)),
                "qp_iterations_total": int(np.sum(tr.qp_iterations))},
    )


def _highs_version() -> str:
    import highspy

    h = highspy.Highs()
    return f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"
