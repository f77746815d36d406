"""Recursive-dynamic projection of one scenario: period after period, each anchored on the last.

Period k's problem is the calibrated base problem with
* flow_prev = the flows solved for period k-1 (period 0: the base-year flows, the calibrated
  equilibrium), so routes used last period take the isoelastic expansion cost relative to that flow,
  routes that fell to zero take the quadratic new-flow cost, and new routes that became used switch
  to isoelastic (`petra.model.recursive.step_problem` recomputes each route's kind);
* supply and demand anchors S0 x supply_factor[k], D0 x demand_factor[k] at the base-year prices
  (the drivers shift the calibrated curves; the calibration itself is untouched);
* tau = transport_cost[k] + tariff[k]; banned routes are left out (zero flow); quotas cap flows;
* no cross-hauling: a new route may not open against a reverse route that still trades
  (`step_problem` raises its adjustment; see `petra.model.recursive`).

Commodities do not interact, so each period is solved commodity by commodity
(`petra.model.problem.commodity_slice`): the same equilibrium as the whole problem, smaller QPs.
Flows are carried exactly as solved: the active-set refinement (`petra.model.refine`) gives exact
zeros on unused routes, and rounding small flows to zero would break the equilibrium conditions of
isoelastic routes whose tiny flow is set by a steep marginal cost (tested with the independent KKT
checker). `tiny_flows` in the log counts used routes below 1e-9 x the commodity's quantity scale.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from petra.errors import PetraError
from petra.model.certificate import market_trade
from petra.model.problem import Problem, commodity_slice
from petra.model.recursive import step_problem
from petra.model.solve import DEFAULT_TOLERANCE, solve_problem
from petra.projection.drivers import DriverArrays

TINY_FLOW = 1e-9


@dataclass
class Projection:
    """A projected scenario, arrays with a first axis per period (data units).

    S, D, P, imports, exports: (T, n_markets); X, tau, adjustment: (T, n_routes) (adjustment: the
    period's cost adjustment, the calibrated one unless raised against cross-hauling).
    log: one dict per solve (period, commodity, status, certificate, qp_solves, solver, seconds).
    failure: None when every period solved within tolerance, else the reason; periods from the
    failing one on are NaN.
    """

    periods: tuple[int, ...]
    S: np.ndarray
    D: np.ndarray
    P: np.ndarray
    X: np.ndarray
    tau: np.ndarray
    adjustment: np.ndarray
    imports: np.ndarray
    exports: np.ndarray
    log: list[dict] = field(default_factory=list)
    failure: str | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None


def project_scenario(problem: Problem, arrays: DriverArrays, *, tol: float = DEFAULT_TOLERANCE,
                     highs_options: dict | None = None) -> Projection:
    """Solve every period of `arrays` from the calibrated `problem` (see module docstring).

    A solve that raises (infeasible, HiGHS failure) or misses `tol` stops the scenario: its reason is
    `failure`, and the periods from there on are left NaN.
    """
    T, n, m = len(arrays.periods), problem.n_markets, problem.n_routes
    out = Projection(periods=arrays.periods, S=np.full((T, n), np.nan), D=np.full((T, n), np.nan),
                     P=np.full((T, n), np.nan), X=np.full((T, m), np.nan), tau=np.full((T, m), np.nan),
                     adjustment=np.full((T, m), np.nan),
                     imports=np.full((T, n), np.nan), exports=np.full((T, n), np.nan))
    X_prev = problem.flow_prev
    qf = TINY_FLOW * problem.q_scale[problem.commodity_index[problem.exporter]]
    for k, period in enumerate(arrays.periods):
        tau = arrays.transport_cost[k] + arrays.tariff[k]
        quota = arrays.quota[k] if np.isfinite(arrays.quota[k]).any() else None
        pk = step_problem(problem, X_prev, problem.S0 * arrays.supply_factor[k],
                          problem.D0 * arrays.demand_factor[k], tau=tau, quota=quota)
        allowed = ~arrays.banned[k]
        S, D, P, X = (np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(m))
        for c, name in enumerate(problem.commodities):
            sub, mk, rt = commodity_slice(pk, c, allowed)
            if mk.size == 0:
                continue
            t0 = time.perf_counter()
            entry = {"period": int(period), "commodity": str(name), "markets": int(mk.size),
                     "routes": int(rt.size)}
            try:
                sol, _ = solve_problem(sub, tol=tol, highs_options=highs_options)
            except PetraError as exc:
                out.log.append({**entry, "status": "error", "certificate": np.nan, "tiny_flows": 0,
                                "qp_solves": 0,
                                "solver": "", "seconds": time.perf_counter() - t0, "message": str(exc)})
                out.failure = f"period {period}, {name}: {exc}"
                return out
            cert = sol.certificate.max_violation if sol.certificate else np.nan
            tr = sol.trace
            tiny = int(((sol.X > 0) & (sol.X < qf[rt])).sum())
            out.log.append({**entry, "status": sol.status, "certificate": float(cert), "tiny_flows": tiny,
                            "qp_solves": len(tr.highs_seconds),
                            "solver": "+".join(sorted(set(tr.solvers))),
                            "seconds": time.perf_counter() - t0, "message": ""})
            if not sol.converged:
                out.failure = (f"period {period}, {name}: certificate {cert:.3g} above tolerance {tol:g} "
                               f"(HiGHS status {sol.status})")
                return out
            S[mk], D[mk], P[mk], X[rt] = sol.S, sol.D, sol.price, sol.X
        imp, exp = market_trade(problem, X)
        out.S[k], out.D[k], out.P[k], out.X[k], out.tau[k] = S, D, P, X, tau
        out.adjustment[k] = pk.adjustment
        out.imports[k], out.exports[k] = imp, exp
        X_prev = X
    return out
