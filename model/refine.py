"""Newton refinement of an equilibrium on the active set HiGHS identified.

HiGHS's interior-point solution is accurate relative to the commodity's scale, which for a market
10^4 times smaller than the average is not 1e-6 of that market. Given HiGHS's prices and which
flat-cost routes carry flow, the equilibrium conditions are a square system in the prices p and the
flows Xc of the used flat-cost routes:

    S_i(p) - D_i(p) + sum_{r into i} X_r - sum_{r out of i} X_r = 0      (every market)
    p_importer - p_exporter - MC_r = 0                                   (used flat-cost routes)

where X_r = X_r(gap) is the inverse marginal cost of each rising-cost route (closed form) and Xc
for flat-cost routes. Its Jacobian is symmetric, [[K + L, B], [B', 0]], with K the curve slopes, L
the graph Laplacian weighted by dX/dgap and B the incidence of used flat-cost routes. Newton steps
with a backtracking search on the residual norm converge quadratically; the result stands only if
the equilibrium certificate (which also checks the active set) is within tolerance.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from petra.model.certificate import Certificate, certificate
from petra.model.equilibrium_math import (
    demand_at,
    demand_slope,
    flat_cost_routes,
    route_marginal_cost,
    route_response,
    supply_at,
    supply_slope,
)
from petra.model.problem import Problem


@dataclass(frozen=True)
class Refined:
    S: np.ndarray
    D: np.ndarray
    X: np.ndarray
    price: np.ndarray
    certificate: Certificate
    steps: int


def _state(p: Problem, price: np.ndarray, xc: np.ndarray, flat_used: np.ndarray):
    gap = price[p.importer] - price[p.exporter]
    X, dX = route_response(p, gap)
    X = X.copy()
    X[flat_used] = xc
    S = supply_at(p, price)
    D = demand_at(p, price)
    n = p.n_markets
    bal = S - D + np.bincount(p.importer, X, n) - np.bincount(p.exporter, X, n)
    flat_mc = route_marginal_cost(p, np.zeros(p.n_routes))[flat_used]
    link = gap[flat_used] - flat_mc
    return S, D, X, dX, bal, link


def _scaled_norm(bal, link, q, pr):
    return float(np.sqrt(np.sum((bal / q) ** 2) + np.sum((link / pr) ** 2)))


def refine(p: Problem, price: np.ndarray, X: np.ndarray, *, tol: float, max_steps: int = 30,
           used_threshold: float = 1e-9) -> Refined | None:
    """Refine (price, X) from HiGHS to the exact equilibrium on its active set; None if it fails."""
    n = p.n_markets
    q = np.maximum(np.maximum(p.S0, p.D0), 1e-12)
    pr = p.p_scale[p.commodity_index]
    qr = np.minimum(q[p.exporter], q[p.importer])
    flat_used = flat_cost_routes(p) & (X > used_threshold * qr)
    idx = np.flatnonzero(flat_used)
    xc = X[idx].copy()
    price = price.astype(float).copy()
    e_used, i_used = p.exporter[idx], p.importer[idx]
    nc = idx.size
    steps = 0
    pr_link = pr[e_used]
    S, D, Xall, dX, bal, link = _state(p, price, xc, flat_used)
    norm = _scaled_norm(bal, link, q, pr_link)
    for _ in range(max_steps):
        steps += 1
        k_curve = np.where(S > 0, supply_slope(p), 0.0) + np.where(D > 0, demand_slope(p), 0.0)
        L = sp.coo_matrix((np.concatenate([dX, dX, -dX, -dX]),
                           (np.concatenate([p.importer, p.exporter, p.importer, p.exporter]),
                            np.concatenate([p.importer, p.exporter, p.exporter, p.importer]))),
                          shape=(n, n)).tocsr()
        B = sp.coo_matrix((np.concatenate([np.ones(nc), -np.ones(nc)]),
                           (np.concatenate([i_used, e_used]), np.concatenate([np.arange(nc)] * 2))),
                          shape=(n, nc)).tocsr()
        # regularise so that markets whose price nothing pins down keep it (min-norm step)
        K = L + sp.diags(k_curve)
        diag = np.abs(K.diagonal())
        mu = 1e-12 * max(float(diag.max()) if n else 1.0, 1e-300)
        J = sp.bmat([[K + sp.diags(np.full(n, mu)), B], [B.T, sp.diags(np.full(nc, -mu))]],
                    format="csc")
        rhs = -np.concatenate([bal, link])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", spla.MatrixRankWarning)
                delta = spla.spsolve(J, rhs)
        except (RuntimeError, ValueError):
            return None
        if not np.all(np.isfinite(delta)):
            return None
        dp, dxc = delta[:n], delta[n:]
        alpha = 1.0
        while alpha > 1e-4:
            cand_p = price + alpha * dp
            cand_x = xc + alpha * dxc
            st = _state(p, cand_p, cand_x, flat_used)
            cand_norm = _scaled_norm(st[4], st[5], q, pr_link)
            if cand_norm < norm or cand_norm == 0.0:
                break
            alpha *= 0.5
        else:
            break
        price, xc, norm = cand_p, cand_x, cand_norm
        S, D, Xall, dX, bal, link = st
        if norm < 1e-13:
            break
    if np.any(xc < -1e-12 * qr[idx]):
        return None
    Xall = np.where(flat_used, np.maximum(Xall, 0.0), Xall)
    cert = certificate(p, S, D, Xall, price)
    if cert.max_violation > tol:
        return None
    return Refined(S=S, D=D, X=Xall, price=price, certificate=cert, steps=steps)
