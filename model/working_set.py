"""Solve a problem with many routes on a working set of them (column generation for the equilibrium).

A country-level commodity has ~34,000 routes, of which 500-3,700 carry trade. HiGHS's time and every
Newton step grow with the routes, so a problem above `MIN_ROUTES` is solved on a working set W:

1. W = the routes that carried trade last period (their isoelastic cost is anchored there) and those
   within `NEAR_PROFIT` of the exporter's price of being profitable at zero flow at the anchor prices
   (gap P0_j - P0_i above the zero-flow marginal cost minus NEAR_PROFIT x price);
2. solve the problem restricted to W (every market kept): the first time with the full solver, later
   by Newton on the dual from the last prices when every route's cost rises (`dual_newton`: no QP,
   converges globally), else with the full solver again;
3. a route outside W carries nothing; it is in equilibrium iff its zero-flow marginal cost is at
   least the price gap. Routes where the gap exceeds it by more than `ADD_MARGIN` x tol x price
   join W (with all routes within NEAR_PROFIT of profitable, to save rounds), and step 2 repeats.

When no route outside W is profitable, the restricted equilibrium with zero flow elsewhere is the
equilibrium of the whole problem: its conditions are checked by the certificate on the full problem,
which is what the result carries. A restricted problem that fails (an infeasible market that only an
excluded route could supply, HiGHS trouble) or `MAX_ROUNDS` without a stable set returns None, and
the caller solves the whole problem.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from petra.errors import PetraError
from petra.model.certificate import certificate
from petra.model.dual_newton import applicable as dual_newton_applicable
from petra.model.dual_newton import dual_newton
from petra.model.equilibrium_math import route_marginal_cost
from petra.model.problem import Problem, route_subset
from petra.model.sqp import SQPResult, SQPTrace, from_dual_newton

MIN_ROUTES = 5000
"""Problems with more routes than this are solved on a working set (china9 and globiom37 have fewer
routes per commodity: 72 and 1,332; the world dataset 34,040)."""
NEAR_PROFIT = 0.02
"""A route joins the working set when its price gap is within this share of the exporter's price of
its zero-flow marginal cost (at the anchor prices first, then at each restricted solution's)."""
ADD_MARGIN = 0.1
"""An excluded route whose gap exceeds its zero-flow marginal cost by more than ADD_MARGIN x tol of the
price is a violation that forces another round (the certificate's own threshold is tol)."""
MAX_ROUNDS = 12


def _profit_at_zero(p: Problem, price: np.ndarray, mc0: np.ndarray) -> np.ndarray:
    """(gap - zero-flow marginal cost) / price scale of every route, at `price`."""
    P = np.maximum(p.P0, np.abs(price))
    Pr = np.maximum(P[p.importer], P[p.exporter])
    return (price[p.importer] - price[p.exporter] - mc0) / Pr


def initial_working_set(p: Problem, mc0: np.ndarray) -> np.ndarray:
    """Boolean mask: routes used last period or near profitable at the anchor prices P0."""
    return (p.flow_prev > 0) | (_profit_at_zero(p, p.P0, mc0) > -NEAR_PROFIT)


def _warm(sub: Problem, price: np.ndarray, tol: float) -> SQPResult | None:
    """Dual Newton on a restricted problem from the previous round's prices; None if it fails."""
    dn = dual_newton(sub, price, tol=tol)
    if dn is None:
        return None
    return from_dual_newton(dn, "Optimal (working set grown; dual Newton from the last prices)", SQPTrace())


def solve_on_working_set(p: Problem, solve: Callable[[Problem], SQPResult], *, tol: float
                         ) -> tuple[SQPResult, dict] | None:
    """The equilibrium of `p` from solves of restricted problems (`solve` maps a Problem to its
    SQPResult), with its certificate on the whole problem; None if the working set does not settle or a
    restricted solve fails (see module docstring). The second item reports rounds and set sizes."""
    mc0 = route_marginal_cost(p, np.zeros(p.n_routes))
    work = initial_working_set(p, mc0)
    trace, sizes, sol = SQPTrace(), [], None
    for _ in range(MAX_ROUNDS):
        idx = np.flatnonzero(work)
        sizes.append(int(idx.size))
        sub = route_subset(p, idx)
        sol = _warm(sub, sol.price, tol) if len(sizes) > 1 and dual_newton_applicable(sub) else None
        if sol is None:
            try:
                sol = solve(sub)
            except PetraError:
                return None
        for name in ("certificates", "steps", "ipm_iterations", "qp_iterations", "highs_seconds", "solvers"):
            getattr(trace, name).extend(getattr(sol.trace, name))
        trace.refined, trace.refine_steps = sol.trace.refined, trace.refine_steps + sol.trace.refine_steps
        if not sol.converged:
            return None
        profit = _profit_at_zero(p, sol.price, mc0)
        missing = ~work & (profit > ADD_MARGIN * tol)
        if not missing.any():
            X = np.zeros(p.n_routes)
            X[idx] = sol.X
            cert = certificate(p, sol.S, sol.D, X, sol.price)
            result = SQPResult(S=sol.S, D=sol.D, X=X, price=sol.price, certificate=cert,
                               converged=cert.max_violation <= tol, status=sol.status,
                               optimal=sol.optimal, trace=trace)
            return result, {"working_set_rounds": len(sizes), "working_set_routes": sizes}
        work |= profit > -NEAR_PROFIT
    return None
