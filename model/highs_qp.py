"""One home for solving a separable convex QP with HiGHS from arrays.

    minimise  sum_j 0.5 * h_j * z_j^2 + c_j * z_j   (h_j >= 0: a diagonal Hessian)
    subject to row_lower <= A z <= row_upper,  lower <= z <= upper

Used by the calibration's least-squares steps (the reconciliation of data that do not close, the
consistent calibration's netting LP and its prices and trade costs) and the infeasibility diagnostics'
phase-one LP. LPs are solved by the simplex method; for QPs HiPO (interior point, highspy-extras)
scales to the world instance, and the active-set QP solver is the fallback on small models only (it
takes minutes from ~20k columns).
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

ACTIVE_SET_FALLBACK_MAX_COLUMNS = 20_000
TIGHT_OPTIONS = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10,
                 "ipm_optimality_tolerance": 1e-12}


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
    hv = np.asarray(hessian, dtype=float)
    nz = np.flatnonzero(hv > 0).astype(np.int32)
    if nz.size:
        start = np.searchsorted(nz, np.arange(n_cols, dtype=np.int32)).astype(np.int32)
        h.passHessian(n_cols, int(nz.size), highspy.HessianFormat.kTriangular, start, nz, hv[nz])
    for key, val in {**TIGHT_OPTIONS, **(options or {})}.items():
        h.setOptionValue(key, val)
    # an LP (no Hessian) goes to the simplex method, whose vertex solutions are exact (the netting of
    # cycles relies on it); a QP to HiPO, with the active-set solver as the fallback on small models
    h.setOptionValue("solver", "hipo" if nz.size else "simplex")
    h.run()
    status = h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal and nz.size and n_cols <= ACTIVE_SET_FALLBACK_MAX_COLUMNS:
        h.setOptionValue("solver", "qpasm")
        h.run()
        status = h.getModelStatus()
    sol = h.getSolution()
    return DiagonalQPResult(z=np.asarray(sol.col_value), row_dual=np.asarray(sol.row_dual),
                            objective=float(h.getInfo().objective_function_value),
                            optimal=status == highspy.HighsModelStatus.kOptimal,
                            status=h.modelStatusToString(status))
