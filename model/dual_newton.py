"""Newton's method on the dual function, without HiGHS: the fallback for problems whose routes all
have rising marginal costs (no flat-cost route) when the successive QPs stall.

With every route's flow a function of its price gap, X_r = X_r(gap_r) (`route_response`), the
equilibrium prices minimise the convex dual function

    Phi(p) = sum_i [consumer + producer surplus_i(p)] + sum_r route profit_r(gap_r)

without constraints. Its gradient is the excess supply g_i = S_i(p) - D_i(p) + imports_i - exports_i
and its Hessian H = diag(dS/dp - dD/dp) + L, with L the graph Laplacian weighted by dX/dgap, is
positive semi-definite. Each step solves H d = -g (a tiny ridge keeps prices no curve or route
pins down where they are) and moves by an exact line search on Phi along d (a root of the
directional derivative, `dual_derivative`): every step decreases Phi, so the iteration cannot cycle
as a QP solved inexactly can; near the solution it converges quadratically. The result stands only
if the equilibrium certificate is within tolerance.

**Links.** Flat-cost routes whose ends are each on no other flat route (the domestic routes of the
supply/demand-node split, `petra.model.nodes`) carry whatever flow balances their ends, at a constant
marginal cost c: they make the dual the constrained problem min Phi(p) s.t. p_i - p_e <= c per link
e -> i. With the slack s = p_e + c - p_i as the unknown in place of p_i, the constraint is the bound
s >= 0, handled as the price bound p >= 0 is (projected Newton steps, a held set): the unknowns y are
the prices of unlinked markets and link exporters (bound p >= 0) and the links' slacks (bound s >= 0),
p = M y + offset. A link at s = 0 carries the flow -g_i (its importer's unmet demand); one whose
importer has an excess opens its slack (its two prices part).
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.optimize import brentq

from petra.model.certificate import certificate, market_trade
from petra.model.equilibrium_math import (
    DENSE_MAX,
    demand_at,
    dual_derivative,
    excess_supply_jacobian,
    route_marginal_cost,
    route_response,
    supply_at,
    uncapped_flat_routes,
)
from petra.model.problem import Problem
from petra.model.refine import Refined

BOUND_SNAP = 1e-9
"""An unknown (price or link slack) below this share of its commodity's price scale is at its bound 0."""


def links(p: Problem) -> np.ndarray | None:
    """Indices of the flat-cost routes without a quota when no market is an end of two of them (the
    links, see module docstring), else None."""
    idx = np.flatnonzero(uncapped_flat_routes(p))
    ends = np.concatenate([p.exporter[idx], p.importer[idx]])
    return idx if np.unique(ends).size == ends.size else None


def applicable(p: Problem) -> bool:
    """Whether every route's flow is a function of its gap, except links (see module docstring)."""
    return links(p) is not None


def _line_search(p: Problem, price: np.ndarray, d: np.ndarray, cap: float = np.inf) -> float:
    """The step minimising Phi along d (d a descent direction) up to `cap` (where a price reaches 0):
    bracket the root of the directional derivative by doubling, then Brent; `cap` if Phi still falls
    there."""
    if dual_derivative(p, price, d, 0.0) >= 0.0:
        return 0.0
    if np.isfinite(cap) and dual_derivative(p, price, d, cap) <= 0.0:
        return cap
    lo, hi = 0.0, min(1.0, cap)
    for _ in range(60):
        if dual_derivative(p, price, d, hi) >= 0.0:
            break
        lo, hi = hi, min(2.0 * hi, cap)
    else:
        return hi
    return float(brentq(lambda a: dual_derivative(p, price, d, a), lo, hi, xtol=1e-14 * hi, rtol=1e-12))


def _newton_direction(H, g: np.ndarray, held: np.ndarray) -> np.ndarray | None:
    """Solve (H + mu I) d = -g on the markets not `held` (d = 0 on held ones); None if singular."""
    n = g.size
    mu = 1e-10 * max(float(np.abs(H.diagonal()).max()) if n else 1.0, 1e-300)
    rhs = np.where(held, 0.0, -g)
    try:
        if isinstance(H, np.ndarray):
            A = H + mu * np.eye(n)
            if held.any():
                A[held, :], A[:, held] = 0.0, 0.0
                A[held, held] = 1.0
            return np.linalg.solve(A, rhs)
        keep = sp.diags((~held).astype(float))
        A = (keep @ (H + sp.diags(np.full(n, mu))) @ keep + sp.diags(held.astype(float))).tocsc()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", spla.MatrixRankWarning)
            return spla.spsolve(A, rhs)
    except (RuntimeError, ValueError, np.linalg.LinAlgError):
        return None


def dual_newton(p: Problem, price: np.ndarray, *, tol: float, max_steps: int = 200
                ) -> Refined | None:
    """Equilibrium from starting prices by damped Newton on the dual (see module docstring), as the
    refinement's record (`steps`: Newton steps); None if the problem has flat-cost routes other than
    links or the certificate is not reached in `max_steps`."""
    link = links(p)
    if link is None:
        return None
    # a diverging attempt (a price the curves and routes do not pin down, stepped towards infinity)
    # overflows quietly and is refused below: the caller then takes another path
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _iterate(p, np.maximum(np.asarray(price, dtype=float), 0.0), tol, max_steps, link)


def _to_unknowns(H, le: np.ndarray, li: np.ndarray):
    """M' H M for p = M y (+ offset): y[li] is the slack of link le -> li, p[li] = y[le] + c - y[li]."""
    if le.size == 0:
        return H
    if isinstance(H, np.ndarray):
        A = H.copy()
        A[:, le] += H[:, li]
        A[:, li] = -H[:, li]
        B = A.copy()
        B[le, :] += A[li, :]
        B[li, :] = -A[li, :]
        return B
    n = H.shape[0]
    diag = np.ones(n)
    diag[li] = -1.0
    M = (sp.diags(diag) + sp.coo_matrix((np.ones(le.size), (li, le)), shape=(n, n))).tocsc()
    return (M.T @ H @ M).tocsc()


def _iterate(p: Problem, price: np.ndarray, tol: float, max_steps: int, link: np.ndarray) -> Refined | None:
    n = p.n_markets
    le, li = p.exporter[link], p.importer[link]
    lc = route_marginal_cost(p, np.zeros(p.n_routes))[link]
    # unknowns y: prices, except y[li] = the link's slack p[le] + c - p[li] >= 0
    y = price.copy()
    y[li] = np.maximum(price[le] + lc - price[li], 0.0)

    def prices_of(y: np.ndarray) -> np.ndarray:
        q = y.copy()
        q[li] = y[le] + lc - y[li]
        return q

    price = prices_of(y)
    snap = BOUND_SNAP * p.p_scale[p.commodity_index]
    for step in range(max_steps + 1):
        if not np.all(np.isfinite(price)):
            return None
        gap = price[p.importer] - price[p.exporter]
        X, dX = route_response(p, gap)
        S, D = supply_at(p, price), demand_at(p, price)
        imports, exports = market_trade(p, X)
        g = S - D + imports - exports
        if link.size:
            # a tight link carries its importer's unmet demand
            X = X.copy()
            X[link] = np.where(y[li] <= 0.0, np.maximum(-g[li], 0.0), 0.0)
        cert = certificate(p, S, D, X, price)
        if cert.max_violation <= tol:
            return Refined(S=S, D=D, X=X, price=price, certificate=cert, steps=step)
        if step == max_steps:
            break
        G = g.copy()  # the gradient in the unknowns y, M' g
        G[le] += g[li]
        G[li] = -g[li]
        # bounds y >= 0 (prices, slacks): an unknown at 0 with a positive gradient, or whose step would
        # push it below 0, keeps 0 this step (a projected Newton step). An unknown within BOUND_SNAP of
        # the price scale from 0 counts as at 0 (else each such one would cap a step at ~1e-15 in turn)
        at_bound = y <= snap
        held = at_bound & (G > 0.0)
        H = _to_unknowns(excess_supply_jacobian(p, S, D, dX, dense=n <= DENSE_MAX), le, li)
        for _ in range(n + 1):
            d = _newton_direction(H, G, held)
            if d is None:
                return None
            pushed = at_bound & (d < 0.0) & ~held
            if not pushed.any():
                break
            held = held | pushed
        if (held & (y > 0.0)).any():  # unknowns snapped to their bound
            y = np.where(held, 0.0, y)
            price = prices_of(y)
        if not np.all(np.isfinite(d)) or float(G @ d) >= 0.0:
            return None
        falling = d < 0.0
        cap = float(np.min(-y[falling] / d[falling])) if falling.any() else np.inf
        dp = d.copy()
        dp[li] = d[le] - d[li]
        alpha = _line_search(p, price, dp, max(cap, 0.0))
        if not alpha > 0.0:
            return None  # no descent left along the Newton direction: the caller takes another path
        y = np.maximum(y + alpha * d, 0.0)
        price = prices_of(y)
    return None
