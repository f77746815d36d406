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
    route_response,
    supply_at,
    uncapped_flat_routes,
)
from petra.model.problem import Problem
from petra.model.refine import Refined


def applicable(p: Problem) -> bool:
    """Whether every route's flow is a function of its gap (no flat-cost route without a quota)."""
    return not bool(uncapped_flat_routes(p).any())


def _line_search(p: Problem, price: np.ndarray, d: np.ndarray, cap: float = np.inf) -> float:
    """The step minimising Phi along d (d a descent direction) up to `cap` (where a price reaches 0):
    bracket the root of the directional derivative by doubling, then Brent; `cap` if Phi still falls
    there."""
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
    refinement's record (`steps`: Newton steps); None if the problem has flat-cost routes or the
    certificate is not reached in `max_steps`."""
    if not applicable(p):
        return None
    # a diverging attempt (a price the curves and routes do not pin down, stepped towards infinity)
    # overflows quietly and is refused below: the caller then takes another path
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _iterate(p, np.maximum(np.asarray(price, dtype=float), 0.0), tol, max_steps)


def _iterate(p: Problem, price: np.ndarray, tol: float, max_steps: int) -> Refined | None:
    n = p.n_markets
    for step in range(max_steps + 1):
        if not np.all(np.isfinite(price)):
            return None
        gap = price[p.importer] - price[p.exporter]
        X, dX = route_response(p, gap)
        S, D = supply_at(p, price), demand_at(p, price)
        cert = certificate(p, S, D, X, price)
        if cert.max_violation <= tol:
            return Refined(S=S, D=D, X=X, price=price, certificate=cert, steps=step)
        if step == max_steps:
            break
        imports, exports = market_trade(p, X)
        g = S - D + imports - exports
        # free disposal (prices >= 0): a market at price 0 with an excess, or whose price the step would
        # push below 0, keeps price 0 this step (a projected Newton step on the bound p >= 0)
        held = (price <= 0.0) & (g > 0.0)
        H = excess_supply_jacobian(p, S, D, dX, dense=n <= DENSE_MAX)
        for _ in range(n + 1):
            d = _newton_direction(H, g, held)
            if d is None:
                return None
            pushed = (price <= 0.0) & (d < 0.0) & ~held
            if not pushed.any():
                break
            held = held | pushed
        if not np.all(np.isfinite(d)) or float(g @ d) >= 0.0:
            return None
        falling = d < 0.0
        cap = float(np.min(-price[falling] / d[falling])) if falling.any() else np.inf
        price = np.maximum(price + _line_search(p, price, d, max(cap, 0.0)) * d, 0.0)
    return None
