"""A second solver for the strictly convex separable QP of `petra.model.highs_qp`, used when HiGHS fails:

    minimise  sum_j 0.5 * h_j * z_j^2 + c_j * z_j   (every h_j > 0)
    subject to A z = b,  lower <= z <= upper

Dual semismooth Newton (the bound-constrained KKT conditions solved through the dual): for row
multipliers y, the Lagrangian's minimiser over the box is z(y) = clip((A'y - c) / h, lower, upper),
so every z(y) is dual feasible and the KKT conditions reduce to A z(y) = b. The dual function
f(y) = b'y - sum_j (0.5 h_j z_j^2 + c_j z_j - (A'y)_j z_j) is concave and piecewise quadratic; its
Newton step solves (A_F diag(1/h_F) A_F' + d I) dy = b - A z(y) over the free columns F (strictly
inside their bounds), with a backtracking line search on f. It stops when the rows hold to
`FEASIBILITY` x max(1, |b|) (the answer is then optimal to that accuracy), after `MAX_ITERATIONS`,
or when f grows without bound (the rows and the box have no common point). Dense algebra for up to
`DENSE_MAX_ROWS` rows, sparse LU beyond.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg

FEASIBILITY = 1e-12  # relative row residual at which the dual Newton stops (optimal)
MAX_ITERATIONS = 200  # Newton steps before giving up
REGULARISATION = 1e-14  # d, relative to the largest diagonal entry of the Newton matrix
DENSE_MAX_ROWS = 2000  # rows up to which the Newton system is solved densely
UNBOUNDED = 1e30  # a dual objective above this: no feasible point


@dataclass(frozen=True)
class KKTResult:
    z: np.ndarray
    row_dual: np.ndarray  # y, HiGHS's sign convention (c + H z - A'y = reduced costs)
    objective: float
    optimal: bool
    status: str
    iterations: int


def solve_equality_qp(hessian: np.ndarray, cost: np.ndarray, A: sp.spmatrix, rhs: np.ndarray,
                      lower: np.ndarray, upper: np.ndarray) -> KKTResult:
    """Solve the QP above by dual semismooth Newton (see module docstring); never raises."""
    h = np.asarray(hessian, dtype=float)
    c = np.asarray(cost, dtype=float)
    A = sp.csr_matrix(A)
    b = np.asarray(rhs, dtype=float)
    lo, up = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
    if not (h > 0).all():
        return _failed(c.size, b.size, "not strictly convex (a zero Hessian entry)", 0)
    if (lo > up).any():
        return _failed(c.size, b.size, "infeasible bounds", 0)
    AT = A.T.tocsr()
    target = FEASIBILITY * max(1.0, float(np.abs(b).max(initial=0.0)))

    def primal(y):
        return np.clip((AT @ y - c) / h, lo, up)

    def dual_value(y, z):  # f(y), to be maximised
        return float(b @ y - (0.5 * h * z * z + c * z - (AT @ y) * z).sum())

    y = np.zeros(b.size)
    z = primal(y)
    f = dual_value(y, z)
    for it in range(MAX_ITERATIONS):
        r = b - A @ z
        if np.abs(r).max(initial=0.0) <= target:
            return KKTResult(z=z, row_dual=y, objective=float((0.5 * h * z * z + c * z).sum()), optimal=True,
                             status="Optimal (dual Newton)", iterations=it)
        free = (z > lo) & (z < up)
        dy = _newton_step(A, free, h, r)
        step, slope = 1.0, float(r @ dy)
        while step > 1e-12:
            y_new = y + step * dy
            z_new = primal(y_new)
            f_new = dual_value(y_new, z_new)
            if f_new >= f + 1e-4 * step * slope:
                break
            step *= 0.5
        else:
            return _failed(c.size, b.size, "no progress (dual Newton line search)", it, z, y)
        y, z, f = y_new, z_new, f_new
        if f > UNBOUNDED:
            return _failed(c.size, b.size, "infeasible (the dual grows without bound)", it, z, y)
    return _failed(c.size, b.size, "iteration limit (dual Newton)", MAX_ITERATIONS, z, y)


def _newton_step(A: sp.csr_matrix, free: np.ndarray, h: np.ndarray, r: np.ndarray) -> np.ndarray:
    """dy solving (A_F diag(1/h_F) A_F' + d I) dy = r."""
    AF = A[:, np.flatnonzero(free)]
    M = (AF @ sp.diags(1.0 / h[free]) @ AF.T).tocsc()
    d = REGULARISATION * max(float(np.abs(M.diagonal()).max(initial=0.0)), 1.0)
    M = M + d * sp.identity(M.shape[0], format="csc")
    if M.shape[0] <= DENSE_MAX_ROWS:
        return scipy.linalg.solve(M.toarray(), r, assume_a="sym")
    return scipy.sparse.linalg.spsolve(M, r)


def _failed(n_cols: int, n_rows: int, status: str, iterations: int, z=None, y=None) -> KKTResult:
    return KKTResult(z=np.zeros(n_cols) if z is None else z, row_dual=np.zeros(n_rows) if y is None else y,
                     objective=float("nan"), optimal=False, status=status, iterations=iterations)
