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

`project_periods` is the one projection loop of petra: scenarios (`petra.projection`), the fit and
the hindcast (`petra.calibration`) all give it one `PeriodInputs` per period. Each period is solved
commodity by commodity (commodities do not interact: the same equilibrium as the whole problem,
smaller QPs). Flows are carried exactly as solved: the active-set refinement gives exact zeros on
unused routes, and rounding small flows to zero would break the equilibrium conditions of
isoelastic routes whose tiny flow is set by a steep marginal cost.

The functions are pure (Problems are frozen; nothing is modified in place). `HighsBackend` fixes the
market curves when it is built, so a new backend is built for each period (the direct loader makes
that cheap: ~10 ms for 10k routes).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from petra.demand import FeedCoupling
from petra.errors import PetraError, SolveError
from petra.model.certificate import market_trade
from petra.model.equilibrium_math import demand_slope, no_cross_hauling_adjustment, supply_slope
from petra.model.problem import Problem, commodity_slice, reverse_routes, route_kind
from petra.model.solve import DEFAULT_TOLERANCE, solve_problem
from petra.productivity import supply_response

TINY_FLOW = 1e-9
"""Used routes below TINY_FLOW x the commodity's quantity scale are counted (`tiny_flows` in the log)."""


def solve_order(problem: Problem, feed: FeedCoupling | None) -> list[int]:
    """Commodity indices in solving order: those with livestock markets of the feed coupling first."""
    k = len(problem.commodities)
    if feed is None:
        return list(range(k))
    drives = np.zeros(k, dtype=bool)
    drives[np.unique(problem.commodity_index[feed.livestock])] = True
    return [c for c in range(k) if drives[c]] + [c for c in range(k) if not drives[c]]


def first_fed(problem: Problem, feed: FeedCoupling) -> int | None:
    """The first commodity of `solve_order` that drives no feed (when feed use is added)."""
    order = solve_order(problem, feed)
    drives = set(np.unique(problem.commodity_index[feed.livestock]).tolist())
    return next((c for c in order if c not in drives), None)


def step_problem(problem: Problem, solved_flows: np.ndarray, production: np.ndarray,
                 consumption: np.ndarray, prices: np.ndarray | None = None, *,
                 tau: np.ndarray | None = None, quota: np.ndarray | None = None,
                 years: float = 1.0, adjustment: np.ndarray | None = None,
                 supply_response: float = 1.0) -> Problem:
    """The next period's Problem (see module docstring), from the base problem.

    solved_flows: the flows of the period just solved (length n_routes, >= 0), the next flow_prev.
    production, consumption: the next period's supply and demand at the anchor prices (length
        n_markets, >= 0); prices: the anchor prices (default: unchanged, the base-year prices).
    tau, quota: the period's route costs and flow caps (default: the problem's).
    adjustment: the period's cost adjustments (default: the problem's, the calibrated ones).
    supply_response: the share of the supply elasticity acting within the period (partial adjustment).
    years: the period's length in years (time since the period of `solved_flows`): the expansion
        elasticity is per year, so the period's isoelastic cost a + tau*(X/X_prev)^(1/(e*years)) lets a
        persistent price wedge w = (gap - a)/tau grow the flow by w^e per year whatever the step
        (`period_elasticity`).
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
    if not (np.isfinite(years) and years > 0):
        raise ValueError("step_problem: the period length must be a positive number of years")
    e = period_elasticity(problem.elasticity, years)
    if not (np.isfinite(supply_response) and 0.0 < supply_response <= 1.0):
        raise ValueError("step_problem: the supply response must be in (0, 1]")
    stepped = replace(problem, S0=S0, D0=D0, P0=P0, flow_prev=X, elasticity=e,
                      kind=route_kind(X, e, problem.logit_scale),
                      es=problem.es * supply_response,
                      tau=problem.tau if tau is None else np.asarray(tau, dtype=float),
                      quota=problem.quota if quota is None else quota,
                      adjustment=problem.adjustment if adjustment is None else np.asarray(adjustment, float))
    return replace(stepped, adjustment=no_cross_hauling_adjustment(stepped, reverse_routes(stepped)))


MAX_PERIOD_ELASTICITY = 50.0
"""Cap on a period's expansion elasticity e * years. Above it the isoelastic cost is flat to the
solver's precision over the flow changes a period can bring ((X/X_prev)^(1/50): a 100-fold flow moves
the marginal cost by 10 %) and the equilibrium degenerates: globiom37 with e = 10 per year in 10-year
steps (100) failed its 2050 solves, with 5 (50) every shipped scenario runs. Time consistency holds up to
the cap (e <= 5 per year in 10-year steps)."""


def period_elasticity(elasticity: np.ndarray, years: float) -> np.ndarray:
    """The expansion elasticity of a period of `years` years from the per-year one: e * years, capped at
    MAX_PERIOD_ELASTICITY (infinite elasticities, constant-cost routes, stay infinite).

    Under a persistent wedge w = (gap - a)/tau an isoelastic route's flow is X_prev * w^(e*years) after
    one period of `years` years and X_prev * (w^e)^years after `years` one-year periods: the same.
    GLOBIOM's eq. (1), solved in 10-year steps with elasticity epsilon, is the case e = epsilon / 10.
    """
    e = np.asarray(elasticity, dtype=float)
    return np.where(np.isfinite(e), np.minimum(e * float(years), MAX_PERIOD_ELASTICITY), e)


@dataclass(frozen=True)
class PeriodInputs:
    """What one period of a projection is given (data units).

    key: the period's label (a year). production, consumption: the supply and demand anchors at the
    base prices (n_markets, >= 0). tau: route cost transport + tariff (n_routes; None: the problem's).
    quota: flow caps (n_routes, +inf where none; None: none). banned: routes that may not trade
    (n_routes bool; None: none). years: the time since the previous period (or since the base flows)
    in years, > 0: the isoelastic expansion cost uses the per-year elasticity x years
    (`period_elasticity`). adjustment: the period's cost adjustments (n_routes; None: the calibrated
    ones), e.g. scaled with the transport-cost driver. feed: demand tied to livestock output
    (`petra.demand.FeedCoupling`): `consumption` is then the non-feed demand, and each market's feed use
    at the period's solved livestock production is added before its commodity is solved (livestock
    commodities first). supply_response: the share of the supply elasticity that acts within the
    period (partial adjustment, `petra.productivity.supply_response`; 1: all of it).
    """

    key: object
    production: np.ndarray
    consumption: np.ndarray
    tau: np.ndarray | None = None
    quota: np.ndarray | None = None
    banned: np.ndarray | None = None
    years: float = 1.0
    adjustment: np.ndarray | None = None
    feed: FeedCoupling | None = None
    supply_response: float = 1.0


@dataclass
class Projection:
    """A projection, arrays with a first axis per period (data units).

    S, D, P, imports, exports: (T, n_markets); X, tau, adjustment: (T, n_routes) (adjustment: the
    period's cost adjustment, the calibrated one unless raised against cross-hauling).
    supply_anchor, demand_anchor, anchor_price, supply_slope, demand_slope: (T, n_markets), each
    period's curves as solved, S(p) = max(0, S0 + ks*(p - P0)), D(p) = max(0, D0 - kd*(p - P0)) with
    the effective slopes ks, kd >= 0 (quantity per price; 0: fixed quantity, see
    `petra.model.equilibrium_math.supply_slope`); flow_prev, elasticity, slope: (T, n_routes), each
    period's previous flow, period expansion elasticity (e x years, capped) and new-flow slope. With
    tau and adjustment they are every parameter of the period's route costs (welfare needs them).
    supply_price: (T, n_markets), the supply nodes' prices (P is the demand nodes'; they differ only
    where a region exports its whole production, `petra.model.nodes`).
    log: one dict per solve (period, commodity, status, certificate, qp_solves, solver, seconds).
    failure: None when every period solved within tolerance, else the reason; periods from the
    failing one on are NaN.
    """

    periods: tuple
    S: np.ndarray
    D: np.ndarray
    P: np.ndarray
    X: np.ndarray
    tau: np.ndarray
    adjustment: np.ndarray
    imports: np.ndarray
    exports: np.ndarray
    supply_anchor: np.ndarray | None = None
    demand_anchor: np.ndarray | None = None
    anchor_price: np.ndarray | None = None
    supply_slope: np.ndarray | None = None
    demand_slope: np.ndarray | None = None
    flow_prev: np.ndarray | None = None
    elasticity: np.ndarray | None = None
    slope: np.ndarray | None = None
    supply_price: np.ndarray | None = None
    log: list[dict] = field(default_factory=list)
    failure: str | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None

    def flows(self) -> dict:
        """{period key: flows (n_routes)}."""
        return dict(zip(self.periods, self.X, strict=True))


def project_periods(problem: Problem, inputs: Sequence[PeriodInputs], *,
                    base_flows: np.ndarray | None = None, tol: float = DEFAULT_TOLERANCE,
                    highs_options: dict | None = None, raise_on_failure: bool = False) -> Projection:
    """Solve period after period, each anchored on the last (see module docstring).

    The first period steps from `problem` with flow_prev = `base_flows` (default: problem.flow_prev,
    the base year's flows, which for a calibrated base year are its equilibrium); each later period
    from the previous one's solution. A solve that raises (infeasible, HiGHS failure) or misses `tol`
    stops the projection: its reason is `failure` and the periods from there on are left NaN; with
    `raise_on_failure` the error is raised instead (SolveError for a missed certificate).
    """
    T, n, m = len(inputs), problem.n_markets, problem.n_routes
    out = Projection(periods=tuple(x.key for x in inputs), S=np.full((T, n), np.nan),
                     D=np.full((T, n), np.nan), P=np.full((T, n), np.nan), X=np.full((T, m), np.nan),
                     tau=np.full((T, m), np.nan), adjustment=np.full((T, m), np.nan),
                     imports=np.full((T, n), np.nan), exports=np.full((T, n), np.nan),
                     supply_price=np.full((T, n), np.nan),
                     **{k: np.full((T, n), np.nan) for k in CURVE_ARRAYS},
                     **{k: np.full((T, m), np.nan) for k in ROUTE_COST_ARRAYS})
    X_prev = problem.flow_prev if base_flows is None else np.asarray(base_flows, dtype=float)
    qf = TINY_FLOW * problem.q_scale[problem.commodity_index[problem.exporter]]
    for k, period in enumerate(inputs):
        consumption = np.asarray(period.consumption, dtype=float)
        if period.feed is not None:  # feed use no livestock output drives is fixed from the start
            consumption = consumption + np.where(period.feed.driver0 > 0, 0.0, period.feed.base)
        pk = step_problem(problem, X_prev, period.production, consumption, tau=period.tau,
                          quota=period.quota, years=period.years, adjustment=period.adjustment,
                          supply_response=period.supply_response)
        allowed = None if period.banned is None else ~np.asarray(period.banned, dtype=bool)
        S, D, P, Ps, X = (np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(m))
        for c in solve_order(problem, period.feed):
            name = problem.commodities[c]
            if period.feed is not None and c == first_fed(problem, period.feed):
                # every livestock commodity is solved: feed use at the period's livestock output
                pk = replace(pk, D0=np.asarray(period.consumption, float) + period.feed.feed(S))
            sub, mk, rt = commodity_slice(pk, c, allowed)
            if mk.size == 0:
                continue
            t0 = time.perf_counter()
            entry = {"period": _plain(period.key), "commodity": str(name), "markets": int(mk.size),
                     "routes": int(rt.size)}
            try:
                sol, _ = solve_problem(sub, tol=tol, highs_options=highs_options)
            except PetraError as exc:
                if raise_on_failure:
                    raise
                out.log.append({**entry, "status": "error", "certificate": np.nan, "tiny_flows": 0,
                                "qp_solves": 0, "solver": "", "seconds": time.perf_counter() - t0,
                                "message": str(exc)})
                out.failure = f"period {period.key}, {name}: {exc}"
                return out
            cert = sol.certificate.max_violation if sol.certificate else np.nan
            tr = sol.trace
            out.log.append({**entry, "status": sol.status, "certificate": float(cert),
                            "tiny_flows": int(((sol.X > 0) & (sol.X < qf[rt])).sum()),
                            "qp_solves": len(tr.highs_seconds), "solver": "+".join(sorted(set(tr.solvers))),
                            "seconds": time.perf_counter() - t0, "message": ""})
            if not sol.converged:
                out.failure = (f"period {period.key}, {name}: certificate {cert:.3g} above tolerance "
                               f"{tol:g} (HiGHS status {sol.status})")
                if raise_on_failure:
                    raise SolveError(out.failure)
                return out
            S[mk], D[mk], P[mk], X[rt] = sol.S, sol.D, sol.price, sol.X
            Ps[mk] = sol.price if sol.supply_price is None else sol.supply_price
        imp, exp = market_trade(problem, X)
        out.S[k], out.D[k], out.P[k], out.X[k], out.tau[k] = S, D, P, X, pk.tau
        out.supply_price[k] = Ps
        out.adjustment[k] = pk.adjustment
        record_curves(out, k, pk)
        out.imports[k], out.exports[k] = imp, exp
        X_prev = X
    return out


CURVE_ARRAYS = ("supply_anchor", "demand_anchor", "anchor_price", "supply_slope", "demand_slope")
ROUTE_COST_ARRAYS = ("flow_prev", "elasticity", "slope")


def record_curves(out: Projection, k: int, pk: Problem) -> None:
    """Store period k's curves and route-cost parameters (those of the problem solved) in `out`."""
    out.supply_anchor[k], out.demand_anchor[k], out.anchor_price[k] = pk.S0, pk.D0, pk.P0
    out.supply_slope[k], out.demand_slope[k] = supply_slope(pk), demand_slope(pk)
    out.flow_prev[k], out.elasticity[k], out.slope[k] = pk.flow_prev, pk.elasticity, pk.slope


def anchored_inputs(anchors: dict, start: float | None = None) -> list[PeriodInputs]:
    """{year: (production, consumption)} -> one PeriodInputs per year (route costs unchanged), each
    period as long as the years since the previous one (the first: since `start`, the year of the
    base flows; one year if `start` is None), with the period's share of the supply response
    (`petra.productivity.supply_response`)."""
    keys = list(anchors)
    out = []
    for i, (k, (s, d)) in enumerate(anchors.items()):
        years = period_years(k, keys[i - 1] if i else start)
        out.append(PeriodInputs(key=k, production=s, consumption=d, years=years,
                                supply_response=supply_response(years)))
    return out


def period_years(year, previous) -> float:
    """Years from `previous` to `year` (1 when `previous` is None or not earlier: a base period, which
    reproduces its base flows whatever its length)."""
    if previous is None or float(year) <= float(previous):
        return 1.0
    return float(year) - float(previous)


def _plain(key):
    """A period key as a plain Python value (numpy integers become int) for logs and tables."""
    return key.item() if isinstance(key, np.generic) else key
