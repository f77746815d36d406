"""Least-squares reconciliation of base-year data that do not close, solved as a QP with HiGHS.

In the spirit of Jansson, T. & Heckelei, T. (2009), "A new estimator for trade costs and its small
sample properties", Economic Modelling 26(2), 489-498 (see also their "Estimating a primal model of
regional crop supply in the European Union", J. Agric. Econ. 2011): instead of forcing a calibration
through inconsistent data, estimate the data points and the trade costs jointly, minimising the
weighted squared deviations from the observations subject to the equilibrium conditions.

With the route status (used: observed flow > 0, unused: flow 0) fixed, the conditions are linear:

    S_i + sum_{r into i} X_r - sum_{r out of i} X_r - D_i = 0          (every market i)
    P_importer(r) - P_exporter(r) - a_r = tau_r                          (every used route r)

where a_r is the route's additive cost adjustment (prior 0: the trade cost equals transport cost
plus tariff). Unused routes need no condition here: their adjustment is set afterwards from the
reconciled prices (see `petra.calibration.base_year`). The objective

    sum_k w_k * ((v_k - v0_k) / s_k)^2,   s_k = max(|v0_k|, scale_floor * mean of the commodity)

over production, consumption, prices, used flows and adjustments (w from `LeastSquaresConfig`), with
flows bounded within [1 - b, 1 + b] x observed, production/consumption within optional relative
bounds and prices >= price_floor x observed, is a separable convex QP. Variables are the scaled
deviations z_k = (v_k - v0_k)/s_k (the adjustments a_r / s_r), so the Hessian is 2 w on the diagonal.
With weight_cost = 0 the price rows decouple (a_r is free) and prices stay at their observations;
they are then dropped from the QP.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from petra.calibration.config import LeastSquaresConfig
from petra.errors import SolveError
from petra.model.highs_qp import solve_diagonal_qp
from petra.model.problem import Problem


class CalibrationError(SolveError):
    """A calibration that cannot meet its tolerance or whose reconciliation has no solution (exit 1)."""


@dataclass(frozen=True)
class Reconciliation:
    """Reconciled base-year values (data units) and what moved."""

    S: np.ndarray
    D: np.ndarray
    P: np.ndarray
    X: np.ndarray          # all routes (unused routes stay 0)
    adjustment: np.ndarray  # used routes: P_imp - P_exp - tau at the reconciled prices; 0 elsewhere
    imbalance_before: np.ndarray  # relative market imbalance of the data
    objective: float
    status: str
    seconds: float


def market_imbalance(p: Problem, S: np.ndarray, D: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Relative imbalance |S + imports - exports - D| / max(S, D, imports, exports) per market."""
    n = p.n_markets
    imp = np.bincount(p.importer, weights=X, minlength=n)
    exp = np.bincount(p.exporter, weights=X, minlength=n)
    q = np.maximum.reduce([S, D, imp, exp])
    return np.abs(S + imp - exp - D) / np.where(q > 0, q, 1.0)


def _scale(values: np.ndarray, commodity: np.ndarray, k: int, floor: float) -> np.ndarray:
    pos = values > 0
    tot = np.bincount(commodity, weights=np.where(pos, np.abs(values), 0.0), minlength=k)
    cnt = np.bincount(commodity, weights=pos.astype(float), minlength=k)
    mean = np.where(cnt > 0, tot / np.maximum(cnt, 1), 1.0)
    return np.maximum(np.abs(values), floor * mean[commodity])


def close_balance(p: Problem, S: np.ndarray, D: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(S, D) with every market's balance closed exactly: the round-off r = S + imports - exports - D of
    a solver's feasible solution goes into the larger of consumption and production (so that a zero
    stays zero: a consumption of 1e-11 next to a production of 19 would make a demand curve whose
    inverse slope no solver can take), and into the other one only where that would turn negative."""
    n = p.n_markets
    imp = np.bincount(p.importer, weights=X, minlength=n)
    exp = np.bincount(p.exporter, weights=X, minlength=n)
    r = S + imp - exp - D
    into_d = (D >= S) & (D + r >= 0) | (S - r < 0)
    return np.where(into_d, S, S - r), np.where(into_d, D + r, D)


def _beyond(move: np.ndarray, tol: np.ndarray) -> np.ndarray:
    """Moves (quantity) with those of magnitude <= tol set to 0."""
    return np.where(np.abs(move) > tol, move, 0.0)


def reconcile(p: Problem, cfg: LeastSquaresConfig) -> Reconciliation:
    """Solve the reconciliation QP for the base year of `p` (S0, D0, P0, flow_prev as data)."""
    import time

    t0 = time.perf_counter()
    n = p.n_markets
    used = np.flatnonzero(p.flow_prev > 0)
    k = used.size
    ci = p.commodity_index
    kc = len(p.commodities)
    rc = ci[p.exporter[used]]
    X0 = p.flow_prev[used]
    sS = _scale(p.S0, ci, kc, cfg.scale_floor)
    sD = _scale(p.D0, ci, kc, cfg.scale_floor)
    sP = _scale(p.P0, ci, kc, cfg.scale_floor)
    sX = _scale(X0, rc, kc, cfg.scale_floor)
    with_prices = cfg.weight_cost > 0
    n_cols = 2 * n + k + (n + k if with_prices else 0)
    inf = np.inf

    def box(v0, s, rel):
        lo = -v0 / s  # v >= 0
        if np.isfinite(rel):
            lo = np.maximum(lo, -rel * v0 / s)
            return lo, rel * v0 / s
        return lo, np.full(v0.size, inf)

    lS, uS = box(p.S0, sS, cfg.production_bound)
    lD, uD = box(p.D0, sD, cfg.consumption_bound)
    lX, uX = -cfg.flow_bound * X0 / sX, cfg.flow_bound * X0 / sX
    lower = [lS, lD, lX]
    upper = [uS, uD, uX]
    hess = [np.full(n, 2 * cfg.weight_production), np.full(n, 2 * cfg.weight_consumption),
            np.full(k, 2 * cfg.weight_flow)]
    # balance rows (scaled by the market's quantity scale): sS zS - sD zD + sum_in sX zX - sum_out sX zX
    #   = -(S0 + imp0 - exp0 - D0)
    q = np.maximum(sS, sD)
    imp0 = np.bincount(p.importer[used], weights=X0, minlength=n)
    exp0 = np.bincount(p.exporter[used], weights=X0, minlength=n)
    resid = p.S0 + imp0 - exp0 - p.D0
    rows_b = [np.arange(n), np.arange(n), p.importer[used], p.exporter[used]]
    cols_b = [np.arange(n), n + np.arange(n), 2 * n + np.arange(k), 2 * n + np.arange(k)]
    vals_b = [sS / q, -sD / q, sX / q[p.importer[used]], -sX / q[p.exporter[used]]]
    row_lo = [-resid / q]
    rows, cols, vals = rows_b, cols_b, vals_b
    n_rows = n
    if with_prices:
        lP = (cfg.price_floor - 1.0) * p.P0 / sP
        lower += [lP, np.full(k, -inf)]
        upper += [np.full(n, inf), np.full(k, inf)]
        hess += [np.full(n, 2 * cfg.weight_price), np.full(k, 2 * cfg.weight_cost)]
        sA = (np.bincount(ci, weights=p.P0, minlength=kc) / np.maximum(np.bincount(ci, minlength=kc), 1))[rc]
        # price rows (scaled by sA): sP_imp zP_imp - sP_exp zP_exp - sA zA = tau - gap0
        cP = 2 * n + k
        cA = 3 * n + k
        r = n + np.arange(k)
        ei, ii = p.exporter[used], p.importer[used]
        rows += [r, r, r]
        cols += [cP + ii, cP + ei, cA + np.arange(k)]
        vals += [sP[ii] / sA, -sP[ei] / sA, -np.ones(k)]
        gap0 = p.P0[ii] - p.P0[ei]
        row_lo.append((p.tau[used] - gap0) / sA)
        n_rows += k
    A = sp.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(n_rows, n_cols))
    rhs = np.concatenate(row_lo)
    qp = solve_diagonal_qp(np.concatenate(hess), np.zeros(n_cols), A, rhs, rhs,
                           np.concatenate(lower), np.concatenate(upper))
    imbalance = market_imbalance(p, p.S0, p.D0, p.flow_prev)
    if not qp.optimal:
        worst = np.argsort(-imbalance)[:5]
        names = ", ".join(f"{p.market_label(i)} {imbalance[i]:.2%}" for i in worst)
        raise CalibrationError(f"least-squares reconciliation failed (HiGHS: {qp.status}); the bounds in "
                               f"the configuration cannot close the data; worst imbalances: {names}")
    z = qp.z
    # moves within balance_tolerance x the commodity's quantity scale are the interior-point solver's
    # round-off (e.g. 2e-7 kt of production and consumption put into an empty market): not made
    snap = cfg.balance_tolerance * p.q_scale[ci]
    S = np.maximum(p.S0 + _beyond(sS * z[:n], snap), 0.0)
    D = np.maximum(p.D0 + _beyond(sD * z[n:2 * n], snap), 0.0)
    X = np.zeros(p.n_routes)
    X[used] = np.maximum(X0 + _beyond(sX * z[2 * n:2 * n + k], snap[p.exporter[used]]), 0.0)
    P = p.P0 + sP * z[2 * n + k:3 * n + k] if with_prices else p.P0.copy()
    S, D = close_balance(p, S, D, X)
    adj = np.zeros(p.n_routes)
    adj[used] = P[p.importer[used]] - P[p.exporter[used]] - p.tau[used]
    return Reconciliation(S=S, D=D, P=P, X=X, adjustment=adj, imbalance_before=imbalance,
                          objective=qp.objective,
                          status=qp.status, seconds=time.perf_counter() - t0)
