"""Consistent base-year calibration: flows, prices and trade costs that form a spatial equilibrium with
non-negative trade costs (`petra calibrate --method consistent`).

GLOBIOM calibrates bilateral trade after Jansson & Heckelei (2009): flows, trade costs and prices are
estimated jointly, close to their observations and priors, such that every market's net trade is as
observed and every used route's price gap equals its trade cost. petra does this in two convex steps:

1. **Netting** (`net_cycles`, an LP per dataset). The flows become X = X0 - d with d >= 0 a
   circulation on the observed used routes:

       minimise sum_r c_r * X_r   s.t.  every market's exports - imports as observed,  0 <= X_r <= X0_r

   with c_r the prior trade cost (transport cost + tariff, floored at `COST_FLOOR` x the commodity's
   mean price so that it is positive). Because X0 - X has zero net at every market, only flows around
   cycles move: net trade is exact, no flow rises and no route opens. No directed cycle of used routes
   remains: a cycle with positive flow could be reduced at a positive saving. Among the acyclic
   matrices reachable this way the LP picks the one with the least transport cost (the transportation
   problem's answer, restricted to observed relations and volumes): two-way trade is netted to one way,
   and where cycles overlap the flow is removed from the costlier routes.
2. **Prices and trade costs** (`consistent_prices`, a QP). With the used routes acyclic there are prices
   whose gap along every used route is at least its cost floor:

       minimise  w_p * sum_i ((P_i - P0_i) / P0_i)^2 + w_c * sum_r ((g_r - tau_r) / s_c)^2
       s.t.      g_r = P_importer - P_exporter >= floor_share * tau_r   (every used route)
                 P_i >= price_floor * P0_i

   where tau_r = transport cost + tariff is the cost prior and s_c the commodity's mean price. The
   route's calibrated trade cost is its gap g_r; its cost adjustment g_r - tau_r is >= 0 with the
   default floor_share = 1, so that every route's marginal cost a + tau*(X/X_prev)^(1/e) is positive
   at every flow: no cycle of routes can carry flow in any later solve, whatever the cost drivers do.

Production and consumption are kept (reconciled first by least squares if the data do not close), so
the result is an exact equilibrium of the calibrated model, verified by re-solving it as `exact` is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from petra.calibration.config import ConsistentConfig
from petra.calibration.least_squares import CalibrationError, close_balance
from petra.model.diagnostics import cyclic_commodities
from petra.model.highs_qp import solve_diagonal_qp
from petra.model.problem import Problem, commodity_mean

COST_FLOOR = 1e-3  # netting cost floor, share of the commodity's mean price: makes every route's cost
# positive, so the LP removes every cycle, without ranking routes whose prior cost is zero


@dataclass(frozen=True)
class ConsistentCalibration:
    """What the consistent calibration moved.

    routes: per observed used route: exporter, importer, commodity, flow_observed, flow, change,
        price_gap_observed, price_gap (the calibrated trade cost), tau.
    commodities: per commodity: volume_observed, volume, moved_share (sum |X - X0| / sum X0),
        routes_closed, cyclic_before, cyclic_after, dearer_routes_before (used routes from the dearer
        market), price_change_mean, price_change_max (relative |P - P0| / P0 over its markets).
    """

    X: np.ndarray
    P: np.ndarray
    routes: pd.DataFrame
    commodities: pd.DataFrame


def net_cycles(p: Problem, X0: np.ndarray) -> np.ndarray:
    """Step 1: the cheapest flows X <= X0 on X0's support with every market's net trade as in X0."""
    used = np.flatnonzero(X0 > 0)
    if used.size == 0:
        return np.zeros(p.n_routes)
    n = p.n_markets
    k = used.size
    ci = p.commodity_index
    mean_price = commodity_mean(p.P0, ci, len(p.commodities))[ci[p.exporter[used]]]
    cost = np.maximum(p.tau[used], COST_FLOOR * mean_price) / mean_price
    q = p.q_scale[ci[p.exporter[used]]]
    ub = X0[used] / q  # scaled per commodity
    cols = np.arange(k)
    A = sp.csr_matrix((np.r_[np.ones(k), -np.ones(k)], (np.r_[p.exporter[used], p.importer[used]],
                                                        np.r_[cols, cols])), shape=(n, k))
    A = A[np.flatnonzero(np.diff(A.indptr) > 0)]
    # the removed flow d = X0 - X is a circulation (A d = 0) within [0, X0]: d = 0 is always feasible.
    # HiGHS's presolve (1.15) declares globiom37's rice LP infeasible: it is switched off (the LP is a
    # small network problem)
    zero = np.zeros(A.shape[0])
    res = solve_diagonal_qp(np.zeros(k), -cost * q / q.mean(), A, zero, zero, np.zeros(k), ub,
                            options={"presolve": "off"})
    if not res.optimal:
        raise CalibrationError(f"netting the observed flows failed (HiGHS: {res.status})")
    x = ub - np.clip(res.z, 0.0, ub)
    x[x <= 1e-12 * ub] = 0.0
    X = np.zeros(p.n_routes)
    X[used] = x * q
    return X


def consistent_prices(p: Problem, X: np.ndarray, cfg: ConsistentConfig) -> np.ndarray:
    """Step 2: prices nearest the observed ones whose gap along every used route is >= its floor."""
    used = np.flatnonzero(X > 0)
    n, k = p.n_markets, used.size
    ci = p.commodity_index
    mean_price = commodity_mean(p.P0, ci, len(p.commodities))
    sc = mean_price[ci[p.exporter[used]]]
    sP = np.maximum(p.P0, 1e-3 * mean_price[ci])
    ei, ii = p.exporter[used], p.importer[used]
    tau = p.tau[used]
    # columns: zP = (P - P0)/sP (n), y = (g - tau)/sc (k); rows: sP_i zP_i - sP_e zP_e - sc y = tau - gap0
    r = np.arange(k)
    A = sp.csc_matrix((np.r_[sP[ii] / sc, -sP[ei] / sc, -np.ones(k)],
                       (np.r_[r, r, r], np.r_[ii, ei, n + r])), shape=(k, n + k))
    rhs = (tau - (p.P0[ii] - p.P0[ei])) / sc
    lower = np.r_[(cfg.price_floor - 1.0) * p.P0 / sP, (cfg.cost_floor_share - 1.0) * tau / sc]
    upper = np.full(n + k, np.inf)
    hess = np.r_[np.full(n, 2 * cfg.weight_price), np.full(k, 2 * cfg.weight_cost)]
    qp = solve_diagonal_qp(hess, np.zeros(n + k), A, rhs, rhs, lower, upper)
    if not qp.optimal:
        raise CalibrationError(f"consistent prices failed (HiGHS: {qp.status}); the used routes after "
                               "netting should be acyclic, so this is a solver failure")
    P = p.P0 + sP * qp.z[:n]
    # the gaps meet their floors to HiGHS's feasibility tolerance; the adjustment is set from these
    # prices afterwards, so the calibrated equilibrium is exact whatever the round-off
    return P


def dearer_routes(p: Problem, X: np.ndarray, P: np.ndarray) -> np.ndarray:
    """Used routes whose exporter's price exceeds the importer's (bool, per route)."""
    return (X > 0) & (P[p.exporter] > P[p.importer])


def calibrate_consistent(p: Problem, S: np.ndarray, D: np.ndarray, P0: np.ndarray, X0: np.ndarray,
                         cfg: ConsistentConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                                         ConsistentCalibration]:
    """Both steps on (reconciled) base-year values; returns (S, D, P, X, report)."""
    from dataclasses import replace

    q = replace(p, P0=P0, S0=S, D0=D)
    X = net_cycles(q, X0)
    S, D = close_balance(q, S, D, X)
    P = consistent_prices(q, X, cfg)
    used0 = np.flatnonzero(X0 > 0)
    ci = p.commodity_index
    gap0 = P0[p.importer] - P0[p.exporter]
    gap = P[p.importer] - P[p.exporter]
    routes = pd.DataFrame({
        "exporter": p.region[p.exporter[used0]], "importer": p.region[p.importer[used0]],
        "commodity": p.commodity[p.exporter[used0]], "flow_observed": X0[used0], "flow": X[used0],
        "change": X[used0] - X0[used0], "price_gap_observed": gap0[used0], "price_gap": gap[used0],
        "tau": p.tau[used0]})
    routes = routes.reindex(routes["change"].abs().sort_values(ascending=False, kind="stable").index
                            ).reset_index(drop=True)
    kc = len(p.commodities)
    rc = ci[p.exporter]
    vol0 = np.bincount(rc, weights=X0, minlength=kc)
    rel = np.abs(P - P0) / np.where(P0 > 0, P0, 1.0)
    cnt = np.maximum(np.bincount(ci, minlength=kc), 1)
    commodities = pd.DataFrame({
        "commodity": p.commodities,
        "volume_observed": vol0,
        "volume": np.bincount(rc, weights=X, minlength=kc),
        "moved_share": np.bincount(rc, weights=np.abs(X - X0), minlength=kc) / np.where(vol0 > 0, vol0, 1.0),
        "routes_closed": np.bincount(rc, weights=((X0 > 0) & (X == 0)).astype(float), minlength=kc
                                     ).astype(int),
        "cyclic_before": cyclic_commodities(p, X0),
        "cyclic_after": cyclic_commodities(p, X),
        "dearer_routes_before": np.bincount(rc, weights=dearer_routes(p, X0, P0).astype(float),
                                            minlength=kc).astype(int),
        "dearer_routes_after": np.bincount(rc, weights=dearer_routes(p, X, P).astype(float),
                                           minlength=kc).astype(int),
        "price_change_mean": np.bincount(ci, weights=rel, minlength=kc) / cnt,
        "price_change_max": pd.Series(rel).groupby(ci).max().reindex(range(kc), fill_value=0.0).to_numpy(),
    })
    return S, D, P, X, ConsistentCalibration(X=X, P=P, routes=routes, commodities=commodities)
