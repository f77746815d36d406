"""The equilibrium certificate: relative violations of the spatial price equilibrium conditions.

Given quantities S, D, X and prices p, each condition's residual is made relative:
- balance with free disposal: |min(E / q, p / P)| with the excess E = S + imports - exports - D and
  q = max(S0, D0, S, D, imports, exports) of the market: the residual of the complementarity
  E >= 0 _|_ p >= 0 (an excess only at price 0; a shortage or a negative price both count);
- supply: |S - max(0, S(p))| / q and demand: |D - max(0, D(p))| / q (on the curve at the price);
- price gap: max(0, p_importer - p_exporter - MC(X)) / P, P = max(P0, |p|) over the route's two
  markets (the gap may never exceed the marginal cost);
- used routes: |min(X / q_route, (MC(X) - gap) / P)| where MC >= gap, q_route = min(q_exporter,
  q_importer): on a route carrying flow the gap must equal the marginal cost (the natural residual
  of the complementarity X >= 0 _|_ MC - gap >= 0, so a flow of 1e-12 on an unused route counts
  as 1e-12, not as a used route).
- logit routes (`petra.model.route_costs.Logit`, whose marginal cost is -inf at zero flow and whose
  flow is X(gap) > 0 at every gap): each route residual is at most the flow-space one
  |X - X(gap)| / q_route, so that an exact tiny flow held at 0 by a solver counts as that tiny flow.
- routes with a quota Q: the flow may not exceed it, max(0, X - Q) / q_route, and a gap above the
  marginal cost is allowed only at the quota: the price-gap residual becomes
  min((Q - X) / q_route, (gap - MC) / P) where gap > MC (complementarity Q - X >= 0 _|_ rent >= 0).
The certificate is the maximum over all of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from petra.model.equilibrium_math import demand_at, route_marginal_cost, route_response, supply_at
from petra.model.problem import LOGIT, Problem


@dataclass(frozen=True)
class Certificate:
    """Maximum relative violation per condition, with where it occurs."""

    balance: float
    supply: float
    demand: float
    price_gap: float
    used_routes: float
    worst_market: str
    worst_route: str

    @property
    def max_violation(self) -> float:
        return max(self.balance, self.supply, self.demand, self.price_gap, self.used_routes)

    def as_dict(self) -> dict:
        return {"max_violation": self.max_violation, "balance": self.balance, "supply": self.supply,
                "demand": self.demand, "price_gap": self.price_gap, "used_routes": self.used_routes,
                "worst_market": self.worst_market, "worst_route": self.worst_route}


def market_trade(p: Problem, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(imports, exports) per market for route flows X."""
    n = p.n_markets
    imports = np.bincount(p.importer, weights=X, minlength=n)
    exports = np.bincount(p.exporter, weights=X, minlength=n)
    return imports, exports


def residuals(p: Problem, S: np.ndarray, D: np.ndarray, X: np.ndarray, price: np.ndarray) -> dict:
    """Per-market and per-route relative residual arrays (see module docstring)."""
    imports, exports = market_trade(p, X)
    q = np.maximum.reduce([p.S0, p.D0, S, D, imports, exports])
    q = np.where(q > 0, q, 1.0)
    P = np.maximum(p.P0, np.abs(price))
    balance = np.abs(np.minimum((S + imports - exports - D) / q, price / P))
    supply = np.abs(S - supply_at(p, price)) / q
    demand = np.abs(D - demand_at(p, price)) / q
    gap = price[p.importer] - price[p.exporter]
    mc = route_marginal_cost(p, X)
    Pr = np.maximum(P[p.importer], P[p.exporter])
    qr = np.minimum(q[p.importer], q[p.exporter])
    price_gap = np.maximum(gap - mc, 0.0) / Pr
    used = np.abs(np.minimum(np.maximum(X, 0.0) / qr, np.maximum(mc - gap, 0.0) / Pr))
    logit = p.kind == LOGIT
    if logit.any():
        flow_residual = np.where(logit, np.abs(X - route_response(p, gap)[0]) / qr, np.inf)
        price_gap = np.minimum(price_gap, flow_residual)
        used = np.minimum(used, flow_residual)
    if p.quota is not None:
        Q = np.asarray(p.quota, dtype=float)
        room = np.where(np.isfinite(Q), np.maximum(Q - X, 0.0) / qr, np.inf)
        price_gap = np.minimum(price_gap, room)
        over = np.where(np.isfinite(Q), np.maximum(X - Q, 0.0) / qr, 0.0)
        used = np.maximum(used, over)
    return {"balance": balance, "supply": supply, "demand": demand, "price_gap": price_gap,
            "used_routes": used}


def certificate(p: Problem, S: np.ndarray, D: np.ndarray, X: np.ndarray, price: np.ndarray) -> Certificate:
    """The equilibrium certificate of a candidate solution."""
    r = residuals(p, S, D, X, price)

    def worst(a):
        return (float(a.max()), int(a.argmax())) if a.size else (0.0, -1)

    m_parts = {k: worst(r[k]) for k in ("balance", "supply", "demand")}
    r_parts = {k: worst(r[k]) for k in ("price_gap", "used_routes")}
    km = max(m_parts, key=lambda k: m_parts[k][0])
    kr = max(r_parts, key=lambda k: r_parts[k][0])
    wm = p.market_label(m_parts[km][1]) + f" [{km}]" if p.n_markets else ""
    wr = p.route_label(r_parts[kr][1]) + f" [{kr}]" if p.n_routes else ""
    return Certificate(balance=m_parts["balance"][0], supply=m_parts["supply"][0],
                       demand=m_parts["demand"][0], price_gap=r_parts["price_gap"][0],
                       used_routes=r_parts["used_routes"][0], worst_market=wm, worst_route=wr)
