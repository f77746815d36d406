"""Recursive-dynamic projection of one scenario: its driver arrays as period inputs of the one
projection loop (`petra.model.recursive.project_periods`).

Period k's problem is the calibrated base problem with
* flow_prev = the flows solved for period k-1 (period 0: the base-year flows, the calibrated
  equilibrium), so routes used last period take the isoelastic expansion cost relative to that flow,
  routes that fell to zero take the quadratic new-flow cost, and new routes that became used switch
  to isoelastic (`petra.model.recursive.step_problem` recomputes each route's kind);
* supply and demand anchors S0 x supply_factor[k], D0 x demand_factor[k] at the base-year prices
  (the drivers shift the calibrated curves; the calibration itself is untouched);
* tau = transport_cost[k] + tariff[k]; banned routes are left out (zero flow); quotas cap flows;
* the calibrated cost adjustments scaled by each route's transport-cost growth transport_cost[k] /
  transport_cost[0] (the adjustment is the unobserved part of the route's transport cost), so that a
  uniform cost cut scales every calibrated trade cost alike: around a cycle of routes, or along a
  detour, the calibrated costs telescope to the same price gaps before and after the cut, and the cut
  makes neither profitable (README, Known limits);
* the expansion elasticity is per year: a period of `years` years uses e x years
  (`petra.model.recursive.period_elasticity`);
* no cross-hauling: a new route may not open against a reverse route that still trades
  (`step_problem` raises its adjustment; see `petra.model.recursive`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from petra.demand import FeedCoupling
from petra.model.problem import Problem
from petra.model.recursive import PeriodInputs, Projection, period_years, project_periods
from petra.model.solve import DEFAULT_TOLERANCE
from petra.productivity import supply_response
from petra.projection.drivers import DriverArrays


def period_inputs(problem: Problem, arrays: DriverArrays, feed: FeedCoupling | None = None
                  ) -> list[PeriodInputs]:
    """One PeriodInputs per period of a scenario's driver arrays; `feed` ties the demand of the markets
    `arrays.fed` marks to livestock output (their demand factor covers their other uses), at the
    period's feed intensity `arrays.feed_intensity[k]` where given."""
    if feed is not None:
        fed = np.zeros(problem.n_markets, dtype=bool) if arrays.fed is None else arrays.fed
        feed = replace(feed, base=np.where(fed, feed.base, 0.0))
    out = []
    base = arrays.transport_cost[0]
    for k, period in enumerate(arrays.periods):
        years = period_years(period, arrays.periods[k - 1] if k else None)
        # the calibrated cost adjustment is the unobserved part of a route's transport cost: it moves
        # with the route's transport-cost driver, so that a uniform cost cut scales every calibrated
        # trade cost alike and makes no detour or cycle cheaper than the direct route it telescopes to
        growth = np.divide(arrays.transport_cost[k], base, out=np.ones_like(base), where=base > 0)
        quota = arrays.quota[k] if np.isfinite(arrays.quota[k]).any() else None
        out.append(PeriodInputs(key=int(period), production=problem.S0 * arrays.supply_factor[k],
                                consumption=problem.D0 * arrays.demand_factor[k],
                                tau=arrays.transport_cost[k] + arrays.tariff[k], quota=quota,
                                banned=arrays.banned[k], years=years,
                                adjustment=problem.adjustment * growth,
                                feed=feed if feed is None or arrays.feed_intensity is None
                                else feed.at(arrays.feed_intensity[k]),
                                supply_response=supply_response(years)))
    return out


def project_scenario(problem: Problem, arrays: DriverArrays, *, tol: float = DEFAULT_TOLERANCE,
                     highs_options: dict | None = None, feed: FeedCoupling | None = None) -> Projection:
    """Solve every period of `arrays` from the calibrated `problem` (see module docstring).

    A solve that raises (infeasible, HiGHS failure) or misses `tol` stops the scenario: its reason is
    `failure`, and the periods from there on are left NaN.
    """
    return project_periods(problem, period_inputs(problem, arrays, feed), tol=tol,
                           highs_options=highs_options)
