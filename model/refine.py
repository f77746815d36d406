"""Newton refinement of an equilibrium on the active set HiGHS identified.

HiGHS's interior-point solution is accurate relative to the commodity's scale, which for a market
10^4 times smaller than the average is not 1e-6 of that market. Given HiGHS's prices and which
flat-cost routes carry flow, the equilibrium conditions are a square system in the prices p and the
flows Xc of the routes kept in flow space (used flat-cost routes, and used isoelastic routes with an
elasticity below 1, whose inverse marginal cost X(gap) has a vertical tangent at gap = a: Newton in
the gap stalls there, while MC(X) is smooth):

    S_i(p) - D_i(p) + sum_{r into i} X_r - sum_{r out of i} X_r = 0      (every market)
    p_importer - p_exporter - MC_r(Xc_r) = 0                             (routes in flow space)

where X_r = X_r(gap) is the inverse marginal cost of every other rising-cost route (closed form).
Its Jacobian is symmetric, [[K + L, B], [B', -H]], with K the curve slopes, L the graph Laplacian
weighted by dX/dgap, B the incidence of the flow-space routes and H = diag(dMC/dX) (0 on flat ones).
Newton steps with a backtracking search on the residual norm converge quadratically; the result
stands only if the equilibrium certificate (which also checks the active set) is within tolerance.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.sparse.csgraph import minimum_spanning_tree

from petra.model.certificate import Certificate, certificate
from petra.model.equilibrium_math import (
    DENSE_MAX,
    demand_at,
    excess_supply_jacobian,
    flat_cost_routes,
    rising_isoelastic,
    route_marginal_cost,
    route_marginal_cost_derivative,
    route_response,
    supply_at,
)
from petra.model.problem import Problem, route_upper


@dataclass(frozen=True)
class Refined:
    S: np.ndarray
    D: np.ndarray
    X: np.ndarray
    price: np.ndarray
    certificate: Certificate
    steps: int


def _state(p: Problem, price: np.ndarray, xc: np.ndarray, flat_used: np.ndarray, at_quota: np.ndarray,
           disposal_scale: np.ndarray):
    """(S, D, X, dX/dgap, balance, link, H) at `price`, with the flows `xc` of the flow-space routes
    `flat_used` (H: their dMC/dX)."""
    gap = price[p.importer] - price[p.exporter]
    X, dX = route_response(p, gap)
    X, dX = X.copy(), dX.copy()
    if p.quota is not None:  # flat routes outside the used set: at their quota or unused
        fixed = flat_cost_routes(p) & ~flat_used
        X[fixed] = np.where(at_quota[fixed], p.quota[fixed], 0.0)
    X[flat_used] = xc
    dX[flat_used] = 0.0
    S = supply_at(p, price)
    D = demand_at(p, price)
    n = p.n_markets
    bal = S - D + np.bincount(p.importer, X, n) - np.bincount(p.exporter, X, n)
    # markets disposing of an excess: their equation is price = 0 (scaled like a balance residual)
    bal = np.where(disposal_scale > 0, price * disposal_scale, bal)
    x_mc = np.maximum(X, 0.0)
    link = gap[flat_used] - route_marginal_cost(p, x_mc)[flat_used]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        H = np.nan_to_num(route_marginal_cost_derivative(p, x_mc)[flat_used], nan=0.0, posinf=0.0)
    return S, D, X, dX, bal, link, H


def _scaled_norm(bal, link, q, pr):
    """Residual norm in scaled units; +inf where a trial step overflows (the line search then halves it)."""
    with np.errstate(over="ignore", invalid="ignore"):
        norm = float(np.sqrt(np.sum((bal / q) ** 2) + np.sum((link / pr) ** 2)))
    return norm if np.isfinite(norm) else np.inf


def _newton(p: Problem, price: np.ndarray, xc: np.ndarray, flat_used: np.ndarray, at_quota: np.ndarray,
            q: np.ndarray, pr: np.ndarray, max_steps: int, disposal: np.ndarray):
    """Damped Newton on the square system for a fixed set of used flat-cost routes.

    Returns (price, xc, state, steps) or None when the linear algebra fails."""
    n = p.n_markets
    idx = np.flatnonzero(flat_used)
    e_used, i_used = p.exporter[idx], p.importer[idx]
    nc = idx.size
    pr_link = pr[e_used]
    dscale = np.where(disposal, q / pr, 0.0)
    st = _state(p, price, xc, flat_used, at_quota, dscale)
    S, D, _, dX, bal, link, H = st
    norm = _scaled_norm(bal, link, q, pr_link)
    steps = 0
    dense = n + nc <= DENSE_MAX
    B = sp.coo_matrix((np.concatenate([np.ones(nc), -np.ones(nc)]),
                       (np.concatenate([i_used, e_used]), np.concatenate([np.arange(nc)] * 2))),
                      shape=(n, nc))
    B = B.toarray() if dense else B.tocsr()
    keep_rows = (~disposal).astype(float)
    B_top = (B * keep_rows[:, None]) if dense else sp.diags(keep_rows) @ B  # p_i = 0 has no flow term
    for _ in range(max_steps):
        if norm < 1e-13:
            break
        steps += 1
        # regularise so that markets whose price nothing pins down keep it (min-norm step)
        K = excess_supply_jacobian(p, S, D, dX, dense=dense)
        if disposal.any():  # rows of markets at price 0: d(price * q/pr)
            K = (K * keep_rows[:, None] + np.diag(dscale)) if dense else (
                sp.diags(keep_rows) @ K + sp.diags(dscale)).tocsc()
        mu = 1e-12 * max(float(np.abs(K.diagonal()).max()) if n else 1.0, 1e-300)
        rhs = -np.concatenate([bal, link])
        try:
            if dense:
                J = np.block([[K + mu * np.eye(n), B_top], [B.T, -np.diag(H + mu)]])
                delta = np.linalg.solve(J, rhs)
            else:
                J = sp.bmat([[K + sp.diags(np.full(n, mu)), B_top], [B.T, sp.diags(-(H + mu))]],
                            format="csc")
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", spla.MatrixRankWarning)
                    delta = spla.spsolve(J, rhs)
        except (RuntimeError, ValueError, np.linalg.LinAlgError):
            return None
        if not np.all(np.isfinite(delta)):
            return None
        dp, dxc = delta[:n], delta[n:]
        alpha = 1.0
        while alpha > 1e-4:
            cand = _state(p, price + alpha * dp, xc + alpha * dxc, flat_used, at_quota, dscale)
            cand_norm = _scaled_norm(cand[4], cand[5], q, pr_link)
            if cand_norm < norm or cand_norm == 0.0:
                break
            alpha *= 0.5
        else:
            break
        price, xc, norm, st = price + alpha * dp, xc + alpha * dxc, cand_norm, cand
        S, D, _, dX, bal, link, H = st
    return price, xc, st, steps


def spanning_forest(p: Problem, routes: np.ndarray, X: np.ndarray) -> np.ndarray:
    """The subset of `routes` (indices) forming a maximum-flow spanning forest of the market graph.

    In a non-degenerate equilibrium the used flat-cost routes carry no cycle (price links around a
    cycle would need a zero total cost), but an interior-point solution can spread flow around one;
    its price equations would then be inconsistent. Kruskal's forest with the largest flows first
    (scipy.sparse.csgraph, edge weight 1/flow) keeps one route per cycle-free link.
    """
    if routes.size == 0:
        return routes
    n = p.n_markets
    a = np.minimum(p.exporter[routes], p.importer[routes])
    b = np.maximum(p.exporter[routes], p.importer[routes])
    order = np.lexsort((-X[routes], b, a))  # per undirected pair, the largest flow first
    a, b, r = a[order], b[order], routes[order]
    first = np.ones(r.size, dtype=bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    a, b, r = a[first], b[first], r[first]
    w = 1.0 / np.maximum(X[r], 1e-300)
    tree = minimum_spanning_tree(sp.csr_matrix((w, (a, b)), shape=(n, n))).tocoo()
    kept = set(zip(tree.row.tolist(), tree.col.tolist(), strict=True))
    mask = np.array([(x, y) in kept for x, y in zip(a.tolist(), b.tolist(), strict=True)], dtype=bool)
    return r[mask]


def stiff_rising_routes(p: Problem) -> np.ndarray:
    """Rising isoelastic routes with e < 1: their flow responds to the gap with a vertical tangent
    at gap = a (dX/dgap -> inf), so Newton keeps their flow, not the gap, as the unknown."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return rising_isoelastic(p) & (p.elasticity < 1.0)


def refine(p: Problem, price: np.ndarray, X: np.ndarray, *, tol: float, max_steps: int = 30,
           used_threshold: float = 1e-9, max_active_set_changes: int = 25) -> Refined | None:
    """Refine (price, X) from HiGHS to the exact equilibrium; None if it fails.

    Starts from the flat-cost routes HiGHS uses and, as a primal-dual active-set method, drops used
    flat routes whose flow turns negative and adds unused ones whose price gap exceeds their cost,
    until the set is stable (at most `max_active_set_changes` times).
    """
    q = np.maximum(np.maximum(p.S0, p.D0), 1e-12)
    pr = p.p_scale[p.commodity_index]
    qr = np.minimum(q[p.exporter], q[p.importer])
    flat = flat_cost_routes(p)
    flat_mc = route_marginal_cost(p, np.zeros(p.n_routes))
    upper = route_upper(p)
    # flat routes at their quota carry it whatever the gap (a rent may separate gap and cost)
    at_quota = flat & np.isfinite(upper) & (X >= upper - used_threshold * qr)
    candidates = np.flatnonzero(flat & ~at_quota & (X > used_threshold * qr))
    flat_used = np.zeros(p.n_routes, dtype=bool)
    flat_used[spanning_forest(p, candidates, X)] = True
    # used isoelastic routes with e < 1 (X(gap) has a vertical tangent at gap = a) in flow space
    flat_used |= stiff_rising_routes(p) & (X > used_threshold * qr) & (X < upper - used_threshold * qr)
    xc = X[flat_used].copy()
    price = price.astype(float).copy()
    # free disposal: markets HiGHS left at price 0 with an excess keep price 0 (their balance is dropped)
    n = p.n_markets
    excess = (supply_at(p, price) - demand_at(p, price) + np.bincount(p.importer, X, n)
              - np.bincount(p.exporter, X, n))
    disposal = (price <= 1e-9 * pr) & (excess > used_threshold * q)
    steps = 0
    for _ in range(max_active_set_changes + 1):
        out = _newton(p, price, xc, flat_used, at_quota, q, pr, max_steps, disposal)
        if out is None:
            return None
        price, xc, st, k = out
        steps += k
        S, D, Xall = st[0], st[1], st[2]
        idx = np.flatnonzero(flat_used)
        negative = idx[xc < -1e-12 * qr[idx]]
        over = xc > upper[idx] + 1e-12 * qr[idx]
        full = idx[over & flat[idx]]
        capped = idx[over & ~flat[idx]]   # a rising route above its quota: X(gap) caps it
        gap = price[p.importer] - price[p.exporter]
        Pr = np.maximum(pr[p.exporter], np.abs(price[p.exporter]))
        profitable = np.flatnonzero(flat & ~flat_used & ~at_quota & (gap - flat_mc > 0.1 * tol * Pr))
        no_rent = np.flatnonzero(at_quota & (gap - flat_mc < -0.1 * tol * Pr))
        excess = S - D + np.bincount(p.importer, Xall, n) - np.bincount(p.exporter, Xall, n)
        short = disposal & (excess < -1e-12 * q)        # disposing of a shortage: price must rise
        below = ~disposal & (price < -0.1 * tol * pr)    # a negative price: dispose instead
        if (negative.size == 0 and profitable.size == 0 and full.size == 0 and no_rent.size == 0
                and capped.size == 0 and not short.any() and not below.any()):
            break
        disposal = (disposal & ~short) | below
        xc_full = np.zeros(p.n_routes)
        xc_full[idx] = np.maximum(xc, 0.0)
        xc_full[no_rent] = upper[no_rent]
        keep = flat_used.copy()
        keep[negative] = False
        keep[full] = False
        keep[capped] = False
        keep[profitable] = True
        keep[no_rent] = True
        at_quota = at_quota.copy()
        at_quota[full] = True
        at_quota[no_rent] = False
        flat_used = keep
        xc = xc_full[flat_used]
    else:
        return None
    Xall = np.where(flat_used, np.maximum(Xall, 0.0), Xall)
    cert = certificate(p, S, D, Xall, price)
    if cert.max_violation > tol:
        return None
    return Refined(S=S, D=D, X=Xall, price=price, certificate=cert, steps=steps)
