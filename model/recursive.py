"""Recursive (period-by-period) projection: each period's solved flows anchor the next period's routes.

A period t is the equilibrium of a Problem whose

* routes keep their parameters (tau, cost_adjustment, expansion elasticity, new-flow slope) and take
  `flow_prev` = the flows solved for period t-1: a route that carried trade expands along the
  isoelastic cost a + tau*(X/X_{t-1})^(1/e) (constant cost if e is infinite), a route that did not
  is a new route with cost a + tau + slope*X. `kind` is recomputed from the new flow_prev;
* supply and demand curves are re-anchored: S0_t and D0_t are the quantities supplied and demanded
  at the *base-year* prices P0 (the observed production and consumption of year t when the
  projection is driven by observations, or any scenario's quantities), with the same point
  elasticities at the anchor. So S_t(p) = S0_t + es*S0_t/P0*(p - P0) and
  D_t(p) = D0_t + ed*D0_t/P0*(p - P0): a supply shift moves the whole curve horizontally in
  proportion to S0_t/S0, keeping its price elasticity at P0. Optionally the anchor prices move too
  (`prices=`), which re-anchors the curves at (P_t, S0_t) instead;
* commodity scales (q_scale, p_scale) stay the base year's, so all periods are scaled alike;
* no cross-hauling: a route without trade last period may not open while its reverse route still
  carries trade at a lower cost. Its adjustment is raised until the two marginal costs at zero flow
  sum to zero (`petra.model.equilibrium_math.no_cross_hauling_adjustment`). Calibrated data can
  leave a used route with a negative adjustment (observed trade from the dearer market), whose
  isoelastic marginal cost falls to that adjustment as its flow shrinks.

The functions are pure (Problems are frozen; nothing is modified in place). `HighsBackend` fixes the
market curves when it is built, so a new backend is built for each period (the direct loader makes
that cheap: ~10 ms for 10k routes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from petra.model.certificate import Certificate
from petra.model.equilibrium_math import no_cross_hauling_adjustment
from petra.model.problem import Problem, reverse_routes, route_kind
from petra.model.solve import DEFAULT_TOLERANCE, solve_problem


def step_problem(problem: Problem, solved_flows: np.ndarray, production: np.ndarray,
                 consumption: np.ndarray, prices: np.ndarray | None = None, *,
                 tau: np.ndarray | None = None, quota: np.ndarray | None = None) -> Problem:
    """The next period's Problem (see module docstring), from the base problem.

    solved_flows: the flows of the period just solved (length n_routes, >= 0), the next flow_prev.
    production, consumption: the next period's supply and demand at the anchor prices (length
        n_markets, >= 0); prices: the anchor prices (default: unchanged, the base-year prices).
    tau, quota: the period's route costs and flow caps (default: the problem's).
    New routes' adjustments are raised where they could open against their reverse route
    (`no_cross_hauling_adjustment`), from `problem.adjustment`: step from the base problem each
    period, not from the last period's, so that raises do not accumulate.
    """
    X = np.maximum(np.asarray(solved_flows, dtype=float), 0.0)
    S0 = np.asarray(production, dtype=float)
    D0 = np.asarray(consumption, dtype=float)
    if X.shape != (problem.n_routes,) or S0.shape != (problem.n_markets,) or D0.shape != S0.shape:
        raise ValueError("step_problem: flows must have one value per route, production and "
                         "consumption one per market")
    if (S0 < 0).any() or (D0 < 0).any() or not (np.isfinite(S0).all() and np.isfinite(D0).all()):
        raise ValueError("step_problem: production and consumption must be finite and >= 0")
    P0 = problem.P0 if prices is None else np.asarray(prices, dtype=float)
    if P0.shape != (problem.n_markets,) or not (P0 > 0).all():
        raise ValueError("step_problem: prices must be > 0, one per market")
    stepped = replace(problem, S0=S0, D0=D0, P0=P0, flow_prev=X, kind=route_kind(X, problem.elasticity),
                      tau=problem.tau if tau is None else np.asarray(tau, dtype=float),
                      quota=problem.quota if quota is None else quota)
    return replace(stepped, adjustment=no_cross_hauling_adjustment(stepped, reverse_routes(stepped)))


@dataclass(frozen=True)
class Period:
    """One solved period of a projection (data units)."""

    key: object
    problem: Problem
    S: np.ndarray
    D: np.ndarray
    X: np.ndarray
    price: np.ndarray
    certificate: Certificate | None
    converged: bool


def project(problem: Problem, anchors: Mapping[object, tuple[np.ndarray, np.ndarray]], *,
            base_flows: np.ndarray | None = None, tol: float = DEFAULT_TOLERANCE,
            highs_options: dict | None = None) -> list[Period]:
    """Solve period by period, in the order of `anchors` (e.g. {2015: (S0, D0), 2016: ...}).

    The first period steps from `problem` with flow_prev = `base_flows` (default: problem.flow_prev,
    i.e. the base year's flows, which for a calibrated base year are its equilibrium); each later
    period from the previous one's solution. Raises InfeasibleMarketError / SolveError as
    `solve_problem` does; a period whose certificate misses `tol` is returned with converged=False.
    """
    X = problem.flow_prev if base_flows is None else np.asarray(base_flows, dtype=float)
    out = []
    for key, (production, consumption) in anchors.items():
        current = step_problem(problem, X, production, consumption)
        sol, _ = solve_problem(current, tol=tol, highs_options=highs_options)
        out.append(Period(key=key, problem=current, S=sol.S, D=sol.D, X=sol.X, price=sol.price,
                          certificate=sol.certificate, converged=sol.converged))
        X = sol.X
    return out
