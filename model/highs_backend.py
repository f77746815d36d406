"""A persistent HiGHS model of the Pyomo formulation, with the objective set from arrays.

The Pyomo model's variables, bounds and balance constraints are loaded once through Pyomo's
persistent HiGHS interface (`pyomo.contrib.solver`, `SolverFactory("highs")`). The separable
quadratic objective is then set directly on the underlying `highspy.Highs` object from numpy arrays,
because it changes at every successive-quadratic iteration and every period, and Pyomo's quadratic
objective processing costs several times the solve. HiGHS minimises the negative welfare, so the
balance row duals are the (scaled) market prices.

The interior-point solver HiPO (`solver="hipo"`, from highspy-extras) is used by default: HiGHS's
active-set QP solver fails on models of this shape from ~50k variables.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass

import highspy
import numpy as np

from petra.bounds import MAX_SCALED_CURVATURE
from petra.errors import InputError, SolveError
from petra.model.formulation import (
    build_pyomo_model,
    market_scales,
    scaled_market_coefficients,
    scaled_route_coefficients,
)
from petra.model.problem import ISOELASTIC, LOGIT, Problem

DEFAULT_HIGHS_OPTIONS = {
    "solver": "hipo",
    "output_flag": False,
    "ipm_optimality_tolerance": 1e-10,
    "primal_feasibility_tolerance": 1e-9,
    "dual_feasibility_tolerance": 1e-9,
}


ACTIVE_SET_FALLBACK_MAX_COLUMNS = 20_000

SOLVE_TIME_LIMIT = 600.0  # wall-clock seconds per HiGHS solve (HiGHS `time_limit`)
TIME_LIMIT_VARIABLE = "PETRA_SOLVE_TIME_LIMIT"  # environment variable overriding SOLVE_TIME_LIMIT


def solve_time_limit() -> float:
    """Seconds a HiGHS solve may take: $PETRA_SOLVE_TIME_LIMIT if set, else SOLVE_TIME_LIMIT."""
    raw = os.environ.get(TIME_LIMIT_VARIABLE)
    if raw is None or not raw.strip():
        return SOLVE_TIME_LIMIT
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise InputError(f"environment variable {TIME_LIMIT_VARIABLE} must be a positive number of seconds, "
                         f"not {raw!r}")
    return value


@dataclass(frozen=True)
class QPSolution:
    """One HiGHS solve in data units: quantities, prices (currency/unit), status and counters."""

    S: np.ndarray
    D: np.ndarray
    X: np.ndarray
    price: np.ndarray
    status: str
    optimal: bool
    ipm_iterations: int
    qp_iterations: int
    simplex_iterations: int
    seconds: float
    solver: str = "hipo"
    usable: bool = False  # optimal, or a primal-feasible iterate with duals (e.g. HiPO "no progress")


def check_curvature(p: Problem, curvature: np.ndarray, what: str, quantity: np.ndarray,
                    elasticity: np.ndarray) -> None:
    """InputError naming the first market whose scaled curve is steeper than HiGHS can take
    (petra.bounds.MAX_SCALED_CURVATURE): a tiny quantity with a positive elasticity among much larger
    markets of the same commodity."""
    bad = ~np.isfinite(curvature) | (np.abs(curvature) > MAX_SCALED_CURVATURE)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        scale = p.q_scale[p.commodity_index[i]]
        raise InputError(f"market {p.market_label(i)}: its {what} curve is too steep for the solver "
                         f"({what} {quantity[i]:.3g} with elasticity {elasticity[i]:.3g}, against markets of "
                         f"{scale:.3g} on average); use a larger quantity, 0, or elasticity 0")


class HighsBackend:
    """Holds the loaded model; `solve(route_c, route_h)` re-solves with a new route cost model."""

    def __init__(self, problem: Problem, options: dict | None = None, loader: str = "pyomo", *,
                 free_disposal: bool = False):
        """loader: "pyomo" loads the Pyomo model through Pyomo's persistent HiGHS interface (so
        constraints a modeller adds to `self.model` before loading are honoured); "direct" passes
        the same model to HiGHS from arrays, skipping Pyomo's per-term expression processing.
        free_disposal: balance rows S + imports - exports - D >= 0 instead of = 0 (see
        `petra.model.solve.solve_problem`, which uses it only when a price would be negative)."""
        if loader not in ("pyomo", "direct"):
            raise ValueError(f"loader must be 'pyomo' or 'direct', not {loader!r}")
        t0 = time.perf_counter()
        self.problem = problem
        self.problem_has_isoelastic = bool(np.isin(problem.kind, (ISOELASTIC, LOGIT)).any())
        self.loader = loader
        self.options = {**DEFAULT_HIGHS_OPTIONS, "time_limit": solve_time_limit(), **(options or {})}
        if loader == "pyomo":
            from pyomo.contrib.solver.common.factory import SolverFactory  # Pyomo imports take ~0.5 s

            self.model = build_pyomo_model(problem, objective=False, free_disposal=free_disposal)
            t1 = time.perf_counter()
            self._pyomo = SolverFactory("highs")
            self._pyomo.set_instance(self.model)
            self.highs: highspy.Highs = self._pyomo._solver_model
            var_map = self._pyomo._pyomo_var_to_solver_var_map
            con_map = self._pyomo._pyomo_con_to_solver_con_map
            m = self.model
            self.col_S = np.fromiter((var_map[id(m.S[i])] for i in m.MARKETS), dtype=np.int32)
            self.col_D = np.fromiter((var_map[id(m.D[i])] for i in m.MARKETS), dtype=np.int32)
            self.col_X = np.fromiter((var_map[id(m.X[r])] for r in m.ROUTES), dtype=np.int32)
            self.row_balance = np.fromiter((con_map[m.balance[i]] for i in m.MARKETS), dtype=np.int32)
        else:
            self.model = None
            t1 = time.perf_counter()
            self.highs = highspy.Highs()
            self._pass_direct(problem, free_disposal)
        self.n_cols = self.highs.getNumCol()
        for key, value in self.options.items():
            self.highs.setOptionValue(key, value)
        self.highs.changeObjectiveSense(highspy.ObjSense.kMinimize)
        coef = scaled_market_coefficients(problem)
        free_s = ~np.isfinite(coef.S_fixed)
        free_d = ~np.isfinite(coef.D_fixed)
        check_curvature(problem, np.where(free_s, coef.b_s, 0.0), "supply", problem.S0, problem.es)
        check_curvature(problem, np.where(free_d, coef.b_d, 0.0), "demand", problem.D0, problem.ed)
        # minimise -welfare: +a_s S + b_s/2 S^2 - a_d D + b_d/2 D^2 + c X + h/2 X^2
        self._cost = np.zeros(self.n_cols)
        self._hess = np.zeros(self.n_cols)
        self._cost[self.col_S] = np.where(free_s, coef.a_s, 0.0)
        self._hess[self.col_S] = np.where(free_s, coef.b_s, 0.0)
        self._cost[self.col_D] = np.where(free_d, -coef.a_d, 0.0)
        self._hess[self.col_D] = np.where(free_d, coef.b_d, 0.0)
        self._q, self._p = market_scales(problem)
        t2 = time.perf_counter()
        self.build_seconds = t1 - t0
        self.load_seconds = t2 - t1

    def _pass_direct(self, p: Problem, free_disposal: bool) -> None:
        """Pass the formulation's variables, bounds and balance rows to HiGHS from arrays.

        Columns: S (n), D (n), X (m); rows: market balance S + imports - exports - D = 0 (>= 0 with
        free disposal: an excess is thrown away at price 0; the row dual, the price, is then >= 0).
        """
        n, m = p.n_markets, p.n_routes
        coef = scaled_market_coefficients(p)
        self.col_S = np.arange(n, dtype=np.int32)
        self.col_D = np.arange(n, 2 * n, dtype=np.int32)
        self.col_X = np.arange(2 * n, 2 * n + m, dtype=np.int32)
        self.row_balance = np.arange(n, dtype=np.int32)
        inf = highspy.kHighsInf
        lower = np.concatenate([np.nan_to_num(coef.S_fixed, nan=0.0), np.nan_to_num(coef.D_fixed, nan=0.0),
                                np.zeros(m)])
        upper = np.concatenate([np.where(np.isfinite(coef.S_fixed), coef.S_fixed, inf),
                                np.where(np.isfinite(coef.D_fixed), coef.D_fixed, inf), np.full(m, inf)])
        # CSC: S_i -> +1 in row i; D_i -> -1 in row i; X_r -> -1 in exporter row, +1 in importer row
        starts = np.concatenate([np.arange(2 * n), 2 * n + 2 * np.arange(m + 1)]).astype(np.int32)
        rows = np.concatenate([np.arange(n), np.arange(n),
                               np.column_stack([p.exporter, p.importer]).ravel()]).astype(np.int32)
        vals = np.concatenate([np.ones(n), -np.ones(n), np.tile([-1.0, 1.0], m)])
        lp = highspy.HighsLp()
        lp.num_col_ = 2 * n + m
        lp.num_row_ = n
        lp.col_cost_ = np.zeros(2 * n + m)
        lp.col_lower_ = lower
        lp.col_upper_ = upper
        lp.row_lower_ = np.zeros(n)
        lp.row_upper_ = np.full(n, highspy.kHighsInf) if free_disposal else np.zeros(n)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = starts
        lp.a_matrix_.index_ = rows
        lp.a_matrix_.value_ = vals
        self.highs.setOptionValue("output_flag", False)
        self.highs.passModel(lp)

    def _set_objective(self, route_c: np.ndarray, route_h: np.ndarray) -> None:
        c, h = scaled_route_coefficients(self.problem, route_c, route_h)
        self._cost[self.col_X] = c
        self._hess[self.col_X] = h
        n = self.n_cols
        self.highs.changeColsCost(n, np.arange(n, dtype=np.int32), self._cost)
        nz = np.flatnonzero(self._hess > 0).astype(np.int32)
        start = np.searchsorted(nz, np.arange(n, dtype=np.int32)).astype(np.int32)
        self.highs.passHessian(n, int(nz.size), highspy.HessianFormat.kTriangular, start, nz,
                               self._hess[nz])

    def set_route_bounds(self, lower: np.ndarray, upper: np.ndarray) -> None:
        """Bounds on route flows (data units; upper may be +inf)."""
        q = self._q[self.problem.exporter]
        up = np.where(np.isfinite(upper), upper / q, highspy.kHighsInf)
        self.highs.changeColsBounds(len(self.col_X), self.col_X, lower / q, up)

    @property
    def active_set_available(self) -> bool:
        """Whether the active-set QP solver may be used on this model (small enough)."""
        return self.n_cols <= ACTIVE_SET_FALLBACK_MAX_COLUMNS

    def _run(self, solver: str) -> highspy.HighsModelStatus:
        """Run HiGHS with `solver` for this run only; the model status."""
        self.highs.setOptionValue("solver", solver)
        self.highs.run()
        self.highs.setOptionValue("solver", self.options["solver"])
        return self.highs.getModelStatus()

    def _raise_on_time_limit(self, status) -> None:
        if status == highspy.HighsModelStatus.kTimeLimit:
            p = self.problem
            names = ", ".join(p.market_label(i) for i in range(min(p.n_markets, 5)))
            more = f" and {p.n_markets - 5} more" if p.n_markets > 5 else ""
            raise SolveError(f"HiGHS hit its time limit of {self.options['time_limit']:g} s on markets "
                             f"{names}{more} (set {TIME_LIMIT_VARIABLE} to allow longer)")

    def solve(self, route_c: np.ndarray, route_h: np.ndarray, solver: str | None = None) -> QPSolution:
        """Solve the QP with route marginal cost model c + h*X (data units).

        `solver` overrides the HiGHS solver for this solve only (e.g. "qpasm")."""
        self._set_objective(route_c, route_h)
        t0 = time.perf_counter()
        solver = solver or self.options["solver"]
        status = self._run(solver)
        self._raise_on_time_limit(status)
        if status != highspy.HighsModelStatus.kOptimal and solver == "hipo":
            # HiPO can stall on badly scaled models. HiGHS's "ipm" choice is tried next, then, on small
            # models without isoelastic routes, the active-set QP solver (it fails on models of this
            # shape from ~50k variables, and was seen to crash the process on linearised isoelastic QPs)
            fallbacks = ["ipm"]
            if self.active_set_available and not self.problem_has_isoelastic:
                fallbacks.append("qpasm")
            for solver in fallbacks:  # `solver` ends as the one whose answer is returned
                status = self._run(solver)
                self._raise_on_time_limit(status)
                if status == highspy.HighsModelStatus.kOptimal:
                    break
        seconds = time.perf_counter() - t0
        info = self.highs.getInfo()
        sol = self.highs.getSolution()
        x = np.asarray(sol.col_value)
        y = np.asarray(sol.row_dual)
        p = self.problem
        qx = self._q[p.exporter]
        has = x.size == self.n_cols
        return QPSolution(
            S=x[self.col_S] * self._q if has else np.full(p.n_markets, np.nan),
            D=x[self.col_D] * self._q if has else np.full(p.n_markets, np.nan),
            X=np.maximum(x[self.col_X], 0.0) * qx if has else np.full(p.n_routes, np.nan),
            price=y[self.row_balance] * self._p if y.size else np.full(p.n_markets, np.nan),
            status=self.highs.modelStatusToString(status),
            optimal=status == highspy.HighsModelStatus.kOptimal,
            usable=bool(status == highspy.HighsModelStatus.kOptimal
                        or (has and y.size and info.primal_solution_status == 2
                            and info.dual_solution_status >= 1)),
            ipm_iterations=int(info.ipm_iteration_count),
            qp_iterations=int(info.qp_iteration_count),
            simplex_iterations=int(info.simplex_iteration_count),
            seconds=seconds,
            solver=solver,
        )
