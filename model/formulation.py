"""The Pyomo formulation of the spatial price equilibrium (Takayama-Judge welfare maximisation).

Variables are in scaled units per commodity c (quantities / q_scale[c], prices / p_scale[c]), so
that one HiGHS model holds commodities of very different magnitudes well conditioned:

    max  sum_i [ a_d,i D_i - b_d,i/2 D_i^2 ] - [ a_s,i S_i + b_s,i/2 S_i^2 ]
         - sum_r [ c_r X_r + h_r/2 X_r^2 ]
    s.t. S_i + sum_{r into i} X_r - sum_{r out of i} X_r - D_i = 0     (dual: price of market i)
         S, D, X >= 0;  S_i = S0_i where supply is fixed, D_i = D0_i where demand is fixed.

(a_d, b_d) and (a_s, b_s) are the inverse demand and supply curves. The route cost is quadratic with
marginal cost c_r + h_r X_r: exact for constant and new routes, and the tangent of the isoelastic
marginal cost at the current point for isoelastic routes (see `petra.model.sqp`).

With `free_disposal` the balance is an inequality (>= 0): a market may throw an excess away, which it
does only at price 0, so prices are never negative (excess >= 0, price >= 0, excess x price = 0).
`petra.model.solve.solve_problem` uses it when the equality model would give a negative price.

Routes are a sparse integer index set (only the allowed routes exist), markets likewise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from petra.model.equilibrium_math import inverse_demand_coefficients, inverse_supply_coefficients
from petra.model.problem import Problem


@dataclass(frozen=True)
class ScaledCoefficients:
    """Objective coefficients in scaled units (see module docstring); all arrays >= 0 slopes."""

    a_s: np.ndarray
    b_s: np.ndarray
    a_d: np.ndarray
    b_d: np.ndarray
    S_fixed: np.ndarray  # scaled fixed supply, NaN where supply is free
    D_fixed: np.ndarray  # scaled fixed demand, NaN where demand is free


def market_scales(p: Problem) -> tuple[np.ndarray, np.ndarray]:
    """(quantity scale, price scale) of each market (its commodity's scales)."""
    return p.q_scale[p.commodity_index], p.p_scale[p.commodity_index]


def route_scales(p: Problem) -> tuple[np.ndarray, np.ndarray]:
    """(quantity scale, price scale) of each route (its commodity's scales)."""
    q, pr = market_scales(p)
    return q[p.exporter], pr[p.exporter]


def scaled_market_coefficients(p: Problem) -> ScaledCoefficients:
    """Inverse supply/demand curves in scaled units: price/p_scale against quantity/q_scale."""
    q, pr = market_scales(p)
    a_s, b_s, fix_s = inverse_supply_coefficients(p)
    a_d, b_d, fix_d = inverse_demand_coefficients(p)
    return ScaledCoefficients(
        a_s=a_s / pr, b_s=b_s * q / pr, a_d=a_d / pr, b_d=b_d * q / pr,
        S_fixed=np.where(fix_s, p.S0 / q, np.nan), D_fixed=np.where(fix_d, p.D0 / q, np.nan))


def scaled_route_coefficients(p: Problem, c: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Route marginal-cost model c + h*X (currency/unit, currency/unit^2) in scaled units."""
    q, pr = route_scales(p)
    return c / pr, h * q / pr


def build_pyomo_model(p: Problem, route_c: np.ndarray | None = None, route_h: np.ndarray | None = None,
                      *, objective: bool = True, free_disposal: bool = False):
    """The Pyomo model of one period.

    With `objective=False` the welfare objective is left out: the HiGHS backend then sets it from
    arrays (it changes at every successive-quadratic iteration, and Pyomo's quadratic objective
    processing would cost more than the solve). `route_c`, `route_h` are the route marginal-cost
    model in data units (required with `objective=True`).
    """
    import pyomo.environ as pyo  # imported on use: Pyomo's import costs ~0.5 s

    coef = scaled_market_coefficients(p)
    m = pyo.ConcreteModel(name="petra_spatial_equilibrium")
    m.MARKETS = pyo.RangeSet(0, p.n_markets - 1)
    m.ROUTES = pyo.RangeSet(0, p.n_routes - 1)

    def s_bounds(_m, i):
        return (coef.S_fixed[i], coef.S_fixed[i]) if np.isfinite(coef.S_fixed[i]) else (0.0, None)

    def d_bounds(_m, i):
        return (coef.D_fixed[i], coef.D_fixed[i]) if np.isfinite(coef.D_fixed[i]) else (0.0, None)

    m.S = pyo.Var(m.MARKETS, bounds=s_bounds, doc="supply (scaled)")
    m.D = pyo.Var(m.MARKETS, bounds=d_bounds, doc="demand (scaled)")
    m.X = pyo.Var(m.ROUTES, bounds=(0.0, None), doc="route flow (scaled)")

    into = [[] for _ in range(p.n_markets)]
    out = [[] for _ in range(p.n_markets)]
    for r, (e, i) in enumerate(zip(p.exporter.tolist(), p.importer.tolist(), strict=True)):
        out[e].append(r)
        into[i].append(r)
    X = m.X

    def balance(_m, i):
        excess = m.S[i] + sum(X[r] for r in into[i]) - sum(X[r] for r in out[i]) - m.D[i]
        return excess >= 0 if free_disposal else excess == 0

    m.balance = pyo.Constraint(m.MARKETS, rule=balance,
                               doc="market balance with free disposal; dual = scaled price")

    if objective:
        if route_c is None or route_h is None:
            raise ValueError("build_pyomo_model(objective=True) needs route_c and route_h")
        c, h = scaled_route_coefficients(p, route_c, route_h)
        free_s = ~np.isfinite(coef.S_fixed)
        free_d = ~np.isfinite(coef.D_fixed)
        m.welfare = pyo.Objective(
            expr=pyo.quicksum(coef.a_d[i] * m.D[i] - 0.5 * coef.b_d[i] * m.D[i] ** 2
                              for i in range(p.n_markets) if free_d[i])
            - pyo.quicksum(coef.a_s[i] * m.S[i] + 0.5 * coef.b_s[i] * m.S[i] ** 2
                           for i in range(p.n_markets) if free_s[i])
            - pyo.quicksum(c[r] * X[r] + 0.5 * h[r] * X[r] ** 2 for r in range(p.n_routes)),
            sense=pyo.maximize)
    return m
