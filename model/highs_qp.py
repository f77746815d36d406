"""One home for solving a separable convex QP with HiGHS from arrays.

    minimise  sum_j 0.5 * h_j * z_j^2 + c_j * z_j   (h_j >= 0: a diagonal Hessian)
    subject to row_lower <= A z <= row_upper,  lower <= z <= upper

Used by the calibration's least-squares steps (the reconciliation of data that do not close, the
consistent calibration's netting LP and its prices and trade costs) and the infeasibility diagnostics'
phase-one LP. LPs are solved by the simplex method. A QP is first scaled so that its solution is of
order one (`solution_scale`: the data of the reconciliation close to ~1e-9, and HiPO then failed its
own dual feasibility check on about half of such instances, "Solve error"), then solved by HiPO
(interior point, highspy-extras; it scales to the world instance), else by the active-set QP solver
(small models only: it takes minutes from ~20k columns, time-limited), else by HiPO at its default
tolerances, and if HiGHS fails every time, by a second solver, a dual semismooth Newton on the KKT
conditions (`petra.model.kkt_qp`, equality rows and a positive Hessian).
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from petra.model.kkt_qp import solve_equality_qp

ACTIVE_SET_FALLBACK_MAX_COLUMNS = 20_000
ACTIVE_SET_TIME_LIMIT = 60.0  # seconds: the active-set solver cycled for minutes on a few small QPs
TIGHT_OPTIONS = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10,
                 "ipm_optimality_tolerance": 1e-12}
QP_ATTEMPTS = (("hipo", TIGHT_OPTIONS), ("qpasm", {**TIGHT_OPTIONS, "time_limit": ACTIVE_SET_TIME_LIMIT}),
               ("hipo", {}))
"""HiGHS solver and options of each attempt at a QP, in order (qpasm only up to
ACTIVE_SET_FALLBACK_MAX_COLUMNS columns; {}: HiGHS's defaults)."""


@dataclass(frozen=True)
class DiagonalQPResult:
    z: np.ndarray          # primal solution
    row_dual: np.ndarray   # duals of the rows (HiGHS sign convention)
    objective: float
    optimal: bool
    status: str


def solve_diagonal_qp(hessian: np.ndarray, cost: np.ndarray, A: sp.spmatrix, row_lower: np.ndarray,
                      row_upper: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                      options: dict | None = None) -> DiagonalQPResult:
    """Solve the QP above (infinite bounds as +-inf); never raises on a failed solve (see `optimal`)."""
    n_cols = len(cost)
    A = sp.csc_matrix(A, shape=(A.shape[0], n_cols))
    A.sort_indices()
    hv = np.asarray(hessian, dtype=float)
    cost = np.asarray(cost, dtype=float)
    if not (hv > 0).any():  # an LP: the simplex method, whose vertex solutions are exact (the netting of
        # cycles relies on it)
        return _highs(hv, cost, A, row_lower, row_upper, lower, upper, [("simplex", options or {})])
    a = solution_scale(hv, cost, row_lower, row_upper)
    scaled = (hv, cost / a, A, np.asarray(row_lower) / a, np.asarray(row_upper) / a, np.asarray(lower) / a,
              np.asarray(upper) / a)
    attempts = [(solver, {**opts, **(options or {})}) for solver, opts in QP_ATTEMPTS
                if solver != "qpasm" or n_cols <= ACTIVE_SET_FALLBACK_MAX_COLUMNS]
    res = _highs(*scaled, attempts)
    if not res.optimal and np.array_equal(scaled[3], scaled[4]):
        kkt = solve_equality_qp(hv, scaled[1], A, scaled[3], scaled[5], scaled[6])
        if kkt.optimal:
            res = DiagonalQPResult(z=kkt.z, row_dual=kkt.row_dual, objective=kkt.objective, optimal=True,
                                   status=kkt.status)
    return DiagonalQPResult(z=res.z * a, row_dual=res.row_dual * a, objective=res.objective * a * a,
                            optimal=res.optimal, status=res.status)


def solution_scale(hessian: np.ndarray, cost: np.ndarray, row_lower: np.ndarray,
                   row_upper: np.ndarray) -> float:
    """A power of two near the size of the QP's solution (the largest finite row bound, or |c_j| / h_j):
    the QP is solved for z / scale, whose entries are then of order one, and the scaling is exact in
    floating point. 1 where the rows and costs are all zero."""
    rows = np.r_[np.asarray(row_lower, float), np.asarray(row_upper, float)]
    rows = np.abs(rows[np.isfinite(rows)])
    pos = hessian > 0
    size = max(rows.max(initial=0.0), (np.abs(cost[pos]) / hessian[pos]).max(initial=0.0))
    if not np.isfinite(size) or size <= 0:
        return 1.0
    return float(2.0 ** np.clip(np.round(np.log2(size)), -1000, 1000))


def _highs(hessian, cost, A, row_lower, row_upper, lower, upper, attempts) -> DiagonalQPResult:
    """The QP run by HiGHS with each (solver, options) of `attempts` in turn until one is optimal."""
    n_cols = len(cost)
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_cols, A.shape[0]
    lp.col_cost_ = np.asarray(cost, dtype=float)
    lp.col_lower_ = np.where(np.isfinite(lower), lower, -inf).astype(float)
    lp.col_upper_ = np.where(np.isfinite(upper), upper, inf).astype(float)
    lp.row_lower_ = np.where(np.isfinite(row_lower), row_lower, -inf).astype(float)
    lp.row_upper_ = np.where(np.isfinite(row_upper), row_upper, inf).astype(float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(float)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(lp)
    nz = np.flatnonzero(hessian > 0).astype(np.int32)
    if nz.size:
        start = np.searchsorted(nz, np.arange(n_cols, dtype=np.int32)).astype(np.int32)
        h.passHessian(n_cols, int(nz.size), highspy.HessianFormat.kTriangular, start, nz, hessian[nz])
    status = None
    for solver, options in attempts:
        h.resetOptions()
        h.setOptionValue("output_flag", False)
        for key, val in {**(TIGHT_OPTIONS if solver == "simplex" else {}), **options}.items():
            h.setOptionValue(key, val)
        h.setOptionValue("solver", solver)
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            break
    sol = h.getSolution()
    return DiagonalQPResult(z=np.asarray(sol.col_value), row_dual=np.asarray(sol.row_dual),
                            objective=float(h.getInfo().objective_function_value),
                            optimal=status == highspy.HighsModelStatus.kOptimal,
                            status=h.modelStatusToString(status))
