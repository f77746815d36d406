"""Successive quadratic approximation of the isoelastic trade-expansion cost, solved with HiGHS.

The welfare problem is concave but not quadratic on isoelastic routes. Each iteration replaces
every isoelastic route's marginal cost by a line and solves the resulting QP with HiGHS:

1. First QP: the tangent of the marginal cost at the previous-period flow (where it equals tau, so a
   calibrated base year is solved exactly at once).
2. Later QPs: the line through the point of the true marginal-cost curve at the current price gap,
   (X(gap), gap), with the curve's slope there: a Newton step on the market prices (the QP's
   optimality conditions are the price equations with each route's flow response linearised). A
   route whose response is flat at the current gap (no flow, or a tangent too steep to carry in a
   QP) has its flow held at X(gap) for that QP.
   The prices are damped by an exact line search on the convex dual function
   Phi(p) = sum_i [consumer surplus_i(p) + producer surplus_i(p)] + sum_r route profit_r(gap_r),
   whose gradient is the excess supply; a Newton direction is a descent direction, so the
   iteration converges globally, and quadratically near the solution.
After each QP the equilibrium certificate is evaluated with the true marginal costs; if it is not
yet within tolerance, a Newton refinement on the active set HiGHS found (`petra.model.refine`) is
tried, which removes the interior-point solver's accuracy floor on very small markets.
If the QPs stall (HiGHS's interior point can end "Unknown" on every linearisation) and every route
has a rising cost, Newton's method on the dual itself finishes the job (`petra.model.dual_newton`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq

from petra.model.certificate import Certificate, certificate
from petra.model.dual_newton import applicable as dual_newton_applicable
from petra.model.dual_newton import dual_newton
from petra.model.equilibrium_math import (
    curved_routes,
    dual_derivative,
    quadratic_route_model,
    rising_isoelastic,
    route_response,
)
from petra.model.formulation import route_scales
from petra.model.highs_backend import HighsBackend, QPSolution
from petra.model.problem import ISOELASTIC, LOGIT, Problem, route_upper
from petra.model.refine import Refined, refine

MAX_BACKOFFS = 6  # consecutive unsolvable linearisations before giving up
MIN_SCALED_BOUND = 1e-12  # held flows below this (scaled units) are held at 0
MAX_SCALED_SLOPE = 1e6  # a route model steeper than this (scaled units) is held at its flow instead


@dataclass
class SQPTrace:
    """What each iteration did: certificate, price step, HiGHS counters and time."""

    certificates: list[float] = field(default_factory=list)
    steps: list[float] = field(default_factory=list)
    ipm_iterations: list[int] = field(default_factory=list)
    qp_iterations: list[int] = field(default_factory=list)
    highs_seconds: list[float] = field(default_factory=list)
    solvers: list[str] = field(default_factory=list)
    refined: bool = False
    refine_steps: int = 0


@dataclass(frozen=True)
class SQPResult:
    S: np.ndarray
    D: np.ndarray
    X: np.ndarray
    price: np.ndarray
    certificate: Certificate | None
    converged: bool
    status: str
    optimal: bool
    trace: SQPTrace
    supply_price: np.ndarray | None = None  # the supply nodes' prices where they differ (petra.model.nodes)


def price_line_search(p: Problem, price: np.ndarray, target: np.ndarray) -> float:
    """Step in (0, 1] minimising the dual function from `price` towards `target`."""
    d = target - price
    if dual_derivative(p, price, d, 1.0) <= 0.0 or dual_derivative(p, price, d, 0.0) >= 0.0:
        return 1.0
    return float(brentq(lambda a: dual_derivative(p, price, d, a), 0.0, 1.0, xtol=1e-12))


def dual_point_model(p: Problem, price: np.ndarray, X: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Route marginal-cost lines c + h*X for the next QP.

    Isoelastic routes with e >= 1 (concave marginal cost, convex flow response): the line through the
    curve point at the current price gap, (X(gap), gap); `hold` gives X(gap) for routes to be held
    there in the next QP (flat response, or a line too steep for the QP). Isoelastic routes with
    e < 1 (convex marginal cost, whose flow response is vertical at zero): the tangent of the
    marginal cost at the last QP flow X (held at X where the tangent is too steep). Other routes
    keep their exact model.
    Returns (c, h, hold) with hold NaN where the route is free.
    """
    iso = curved_routes(p)
    primal = rising_isoelastic(p) & (p.elasticity < 1.0)
    c0, h0 = quadratic_route_model(p, X)
    iso = iso & ~primal
    gap = price[p.importer] - price[p.exporter]
    Xg, dX = route_response(p, gap)
    q, pr = route_scales(p)
    with np.errstate(divide="ignore"):
        slope = np.where(dX > 0, 1.0 / np.where(dX > 0, dX, 1.0), np.inf)
    hold = iso & ((slope * q / pr) > MAX_SCALED_SLOPE)
    hold_primal = primal & ((h0 * q / pr) > MAX_SCALED_SLOPE)
    line = iso & ~hold
    slope = np.where(line, slope, 0.0)
    h = np.where(line, slope, np.where(iso | hold_primal, 0.0, h0))
    c = np.where(line, gap - slope * Xg, np.where(iso | hold_primal, 0.0, c0))
    held = np.where(hold, Xg, np.where(hold_primal, X, np.nan))
    return c, h, held


def _bound_floor(X: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Flows below MIN_SCALED_BOUND of their route's quantity scale as 0 (HiGHS reads bounds like
    1e-48 as ill-posed): a held flow that small is zero to the certificate's precision."""
    return np.where(X < MIN_SCALED_BOUND * q, 0.0, X)


def from_dual_newton(dn: Refined, status: str, trace: SQPTrace) -> SQPResult:
    """A certified dual Newton result as the solve's result, recorded in `trace`."""
    trace.solvers.append("dual-newton")
    trace.certificates.append(dn.certificate.max_violation)
    return SQPResult(S=dn.S, D=dn.D, X=dn.X, price=dn.price, certificate=dn.certificate, converged=True,
                     status=status, optimal=True, trace=trace)


def solve_sqp(p: Problem, backend: HighsBackend, *, tol: float = 1e-6, max_iter: int = 40,
              refine_solution: bool = True) -> SQPResult:
    """Iterate QP solves (and refinements) until the certificate is <= tol, HiGHS fails or max_iter."""
    trace = SQPTrace()
    has_iso = bool(np.isin(p.kind, (ISOELASTIC, LOGIT)).any())  # QPs only approximate these routes
    c, h = quadratic_route_model(p, p.flow_prev)
    upper = route_upper(p)
    # a tangent steeper than HiGHS can take (a route whose previous flow is tiny next to its market,
    # whose slope tau/(e*X_prev) can exceed 1e15 in scaled units; HiPO was seen to corrupt the heap on
    # such a QP): the route is held at its previous flow in the first QP, as later QPs hold steep lines
    q, pr = route_scales(p)
    steep = h * q / pr > MAX_SCALED_SLOPE
    c, h = np.where(steep, 0.0, c), np.where(steep, 0.0, h)
    held0 = np.where(steep, np.minimum(_bound_floor(p.flow_prev, q), upper), 0.0)
    backend.set_route_bounds(held0, np.where(steep, held0, upper))
    price_lin = price_prev = None
    failures = 0
    sol: QPSolution | None = None
    best_sol: QPSolution | None = None  # the last QP HiGHS solved (the one `best` comes from)
    best = None
    def record(qp: QPSolution) -> QPSolution:
        trace.ipm_iterations.append(qp.ipm_iterations)
        trace.qp_iterations.append(qp.qp_iterations)
        trace.highs_seconds.append(qp.seconds)
        trace.solvers.append(qp.solver)
        return qp

    def refined(qp: QPSolution, within: float):
        """The refinement from a QP point, recorded, or None (it must meet `within`)."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # failed attempts: None
            ref = refine(p, qp.price, qp.X, tol=within) if refine_solution else None
        if ref is None:
            return None
        trace.refined, trace.refine_steps = True, ref.steps
        trace.certificates.append(ref.certificate.max_violation)
        return (ref.S, ref.D, ref.X, ref.price, ref.certificate)

    def relinearise(price: np.ndarray):
        c, h, held = dual_point_model(p, price, best[2])
        hold = np.isfinite(held)
        held = _bound_floor(np.where(hold, held, 0.0), q)
        backend.set_route_bounds(held, np.where(hold, held, upper))
        return c, h

    for _ in range(max_iter):
        sol = record(backend.solve(c, h))
        if not sol.usable:
            # a linearisation HiGHS cannot solve: back off half way towards the previous prices
            if price_prev is None or failures >= MAX_BACKOFFS:
                break
            failures += 1
            price_lin = price_prev + 0.5 * (price_lin - price_prev)
            c, h = relinearise(price_lin)
            continue
        failures = 0
        best_sol = sol
        cert = certificate(p, sol.S, sol.D, sol.X, sol.price)
        trace.certificates.append(cert.max_violation)
        # Newton refinement on HiGHS's active set: exact zeros on unused routes and full accuracy
        # on small markets; kept when it meets the tolerance or does no worse than the QP
        best = refined(sol, max(tol, cert.max_violation)) or (sol.S, sol.D, sol.X, sol.price, cert)
        if best[4].max_violation <= tol:
            break
        if len(trace.highs_seconds) == 1 and dual_newton_applicable(p):
            # every route's cost rises: Newton on the dual from the first QP's prices needs no further
            # QP and converges globally (measured on the world dataset, 185 markets x 34k routes:
            # 2 s against 24 QPs and 120 s of successive linearisations)
            dn = dual_newton(p, best[3] if np.all(np.isfinite(best[3])) else p.P0, tol=tol)
            if dn is not None:
                return from_dual_newton(dn, f"{sol.status} (dual Newton from the first QP)", trace)
        if not has_iso or len(trace.highs_seconds) == max_iter:
            if not has_iso and sol.solver != "qpasm" and backend.active_set_available:
                # the interior point can be too inexact on tiny markets to name the routes in use;
                # the active-set solver's vertex solution names them exactly
                sol = record(backend.solve(c, h, solver="qpasm"))
                if sol.optimal:
                    best = refined(sol, tol) or best
            break
        price_prev = price_lin
        if price_lin is None:
            alpha, price_lin = 1.0, sol.price
        else:
            alpha = price_line_search(p, price_lin, sol.price)
            price_lin = price_lin + alpha * (sol.price - price_lin)
        trace.steps.append(alpha)
        c, h = relinearise(price_lin)
    assert sol is not None
    if (best is None or best[4].max_violation > tol) and dual_newton_applicable(p):
        # the QPs stalled (e.g. HiGHS's interior point ending "Unknown" on every linearisation):
        # Newton on the convex dual with exact line searches needs no QP and cannot cycle
        start = best[3] if best is not None else sol.price
        dn = dual_newton(p, start if np.all(np.isfinite(start)) else p.P0, tol=tol)
        if dn is not None:
            return from_dual_newton(
                dn, f"{sol.status} (QPs stalled; dual Newton reached a certified equilibrium)", trace)
    if best is None:
        return SQPResult(S=sol.S, D=sol.D, X=sol.X, price=sol.price, certificate=None, converged=False,
                         status=sol.status, optimal=sol.optimal, trace=trace)
    S, D, X, price, cert = best
    converged = cert.max_violation <= tol
    status = best_sol.status
    if converged and not best_sol.optimal:
        # HiGHS stopped short (e.g. HiPO "no progress") at a primal-feasible point with duals, and
        # the refinement from it meets the certificate: the equilibrium is certified all the same
        status = f"{best_sol.status} (HiGHS iterate refined to a certified equilibrium)"
    if not sol.usable:
        status += f"; a later linearisation failed in HiGHS ({sol.status})"
    return SQPResult(S=S, D=D, X=X, price=price, certificate=cert, converged=converged, status=status,
                     optimal=best_sol.usable, trace=trace)
