"""Pure functions of the spatial price equilibrium: curves, route costs, welfare.

Units: quantities in the commodity unit (e.g. kt), prices and per-unit costs in currency per
commodity unit (e.g. USD/t), welfare in price x quantity (e.g. 1000 USD for USD/t and kt).

Linear curves through the observed point (P0, S0) and (P0, D0) with point elasticities es, ed:
    S(p) = S0 + es*S0/P0*(p - P0)          D(p) = D0 + ed*D0/P0*(p - P0)
A curve with zero slope (elasticity 0, or zero observed quantity) is a fixed quantity.
Route costs (marginal, total, inverse, the SQP's local model) are written once per route kind in
`petra.model.route_costs`; the functions here dispatch on the kind.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from petra.model.problem import Problem
from petra.model.route_costs import ISOELASTIC, LOGIT, NEW, by_kind

MIN_ELASTICITY = 1e-6  # |elasticity| below this is a fixed quantity: it moves the quantity by less
# than 1e-6 relative per 100% price change, below the certificate tolerance, and its inverse curve
# would make the QP numerically singular


MIN_SCALED_CURVE_SLOPE = 1e-9  # a curve whose slope is below this in the commodity's scaled units
# (quantity scale per price scale) is a fixed quantity: it moves by less than 1e-9 of a typical market
# per typical price, and its inverse slope (above 1e9) is a Hessian entry HiGHS cannot take (a
# consumption of 2.5e-11 kt next to markets of 8,000 kt gave 1.4e15, and HiPO corrupted the heap)


def _curve_slope(p: Problem, elasticity: np.ndarray, anchor: np.ndarray) -> np.ndarray:
    k = np.where(elasticity >= MIN_ELASTICITY, elasticity, 0.0) * anchor / p.P0
    c = p.commodity_index
    return np.where(k * p.p_scale[c] / p.q_scale[c] >= MIN_SCALED_CURVE_SLOPE, k, 0.0)


def supply_slope(p: Problem) -> np.ndarray:
    """dS/dp = es*S0/P0 (quantity per price unit); 0 means fixed supply (see MIN_SCALED_CURVE_SLOPE)."""
    return _curve_slope(p, p.es, p.S0)


def demand_slope(p: Problem) -> np.ndarray:
    """-dD/dp = -ed*D0/P0 >= 0 (quantity per price unit); 0 means fixed demand."""
    return _curve_slope(p, -p.ed, p.D0)


def supply_at(p: Problem, price: np.ndarray) -> np.ndarray:
    """Supply on the curve at `price`, floored at zero (a curve below zero supplies nothing)."""
    return np.maximum(p.S0 + supply_slope(p) * (price - p.P0), 0.0)


def demand_at(p: Problem, price: np.ndarray) -> np.ndarray:
    """Demand on the curve at `price`, floored at zero."""
    return np.maximum(p.D0 - demand_slope(p) * (price - p.P0), 0.0)


def inverse_supply_coefficients(p: Problem) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(intercept, slope, fixed) of the inverse supply P_s(S) = intercept + slope*S.

    Where `fixed` is True the supply is the constant S0 and intercept/slope are 0.
    """
    k = supply_slope(p)
    fixed = k <= 0
    slope = np.where(fixed, 0.0, 1.0 / np.where(fixed, 1.0, k))
    intercept = np.where(fixed, 0.0, p.P0 - slope * p.S0)
    return intercept, slope, fixed


def inverse_demand_coefficients(p: Problem) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(intercept, slope, fixed) of the inverse demand P_d(D) = intercept - slope*D (slope >= 0)."""
    k = demand_slope(p)
    fixed = k <= 0
    slope = np.where(fixed, 0.0, 1.0 / np.where(fixed, 1.0, k))
    intercept = np.where(fixed, 0.0, p.P0 + slope * p.D0)
    return intercept, slope, fixed


def rising_isoelastic(p: Problem) -> np.ndarray:
    """Isoelastic routes whose marginal cost really rises (tau above `FLAT_TAU` of the commodity's
    price scale; below that the route is numerically a constant-cost route)."""
    return (p.kind == ISOELASTIC) & ~flat_cost_routes(p)


def curved_routes(p: Problem) -> np.ndarray:
    """Routes whose marginal cost rises non-linearly (rising isoelastic and logit routes): the QPs
    approximate them by lines (`petra.model.sqp`)."""
    return rising_isoelastic(p) | (p.kind == LOGIT)


def flat_cost_routes(p: Problem) -> np.ndarray:
    """Routes whose marginal cost does not rise with flow (constant routes, new routes with zero
    slope, isoelastic routes with zero tau): their flow is not a function of the price gap."""
    return by_kind(p, "flat") > 0


def uncapped_flat_routes(p: Problem) -> np.ndarray:
    """Flat-cost routes without a quota: the only routes whose flow nothing bounds."""
    flat = flat_cost_routes(p)
    return flat & ~np.isfinite(p.quota) if p.quota is not None else flat


def route_response(p: Problem, gap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flow at which each rising-cost route's marginal cost equals the price `gap`, and its
    derivative d(flow)/d(gap): the inverse marginal cost (0 on flat-cost routes; forms in
    `petra.model.route_costs`).

    With quotas the flow is capped at the quota (derivative 0 there), and a flat-cost route with a
    quota carries its quota where the gap exceeds its cost (0 below; at equality it is undetermined
    and left to the caller).
    """
    X, dX = by_kind(p, "response", gap)
    if p.quota is not None:
        Q = np.asarray(p.quota, dtype=float)
        capped = X >= Q
        X = np.where(capped, Q, X)
        dX = np.where(capped, 0.0, dX)
        flat = flat_cost_routes(p) & np.isfinite(Q)
        above = gap > route_marginal_cost(p, np.zeros(p.n_routes))
        X = np.where(flat, np.where(above, Q, 0.0), X)
        dX = np.where(flat, 0.0, dX)
    return X, dX


def route_marginal_cost(p: Problem, X: np.ndarray) -> np.ndarray:
    """Marginal cost of each route at flow X (currency per unit)."""
    return by_kind(p, "marginal_cost", X)


def route_marginal_cost_derivative(p: Problem, X: np.ndarray) -> np.ndarray:
    """d(marginal cost)/dX (currency per unit per unit); +inf at X = 0 on isoelastic routes, e > 1."""
    return by_kind(p, "marginal_cost_derivative", X)


def route_total_cost(p: Problem, X: np.ndarray) -> np.ndarray:
    """Total cost of each route at flow X (price x quantity); the integral of the marginal cost."""
    return by_kind(p, "total_cost", X)


def welfare(p: Problem, S: np.ndarray, D: np.ndarray, X: np.ndarray) -> float:
    """Consumer minus producer surplus areas minus trade cost (price x quantity).

    Sum over markets of the area under inverse demand up to D minus the area under inverse supply
    up to S (fixed curves contribute nothing: their quantity cannot move), minus route total costs.
    """
    a_s, b_s, fix_s = inverse_supply_coefficients(p)
    a_d, b_d, fix_d = inverse_demand_coefficients(p)
    cs = np.where(fix_d, 0.0, a_d * D - 0.5 * b_d * D * D)
    ps = np.where(fix_s, 0.0, a_s * S + 0.5 * b_s * S * S)
    return float(cs.sum() - ps.sum() - route_total_cost(p, X).sum())


def quadratic_route_model(p: Problem, X: np.ndarray, floor: float = 1e-3) -> tuple[np.ndarray, np.ndarray]:
    """Linear marginal-cost model mc(X) ~ c + h*X of each route around the point X (h >= 0; each form's
    `quadratic_model` in `petra.model.route_costs`: exact for constant and new routes, through the true
    marginal cost at X with the tangent or, below floor*X_prev, the secant on isoelastic ones).
    Returns (c, h): per-unit cost and its slope."""
    return by_kind(p, "quadratic_model", np.maximum(X, 0.0), floor)


def dual_derivative(p: Problem, price: np.ndarray, direction: np.ndarray, alpha: float) -> float:
    """d/d(alpha) of the dual function Phi at price + alpha*direction (excess supply . direction).

    Flat-cost routes contribute nothing: on the segment between two dual-feasible price vectors
    their gap never exceeds their cost, where their profit is zero, except routes with a quota,
    whose profit above their cost is quota x (gap - cost) (`route_response`).
    """
    x = price + alpha * direction
    gap = x[p.importer] - x[p.exporter]
    dgap = direction[p.importer] - direction[p.exporter]
    X, _ = route_response(p, gap)
    return float(((supply_at(p, x) - demand_at(p, x)) * direction).sum() + (X * dgap).sum())


def no_cross_hauling_adjustment(p: Problem, reverse: np.ndarray) -> np.ndarray:
    """Cost adjustments with each new route raised so that it cannot open against its reverse route.

    Flows in both directions between two markets are both profitable only if the two routes'
    marginal costs at zero flow sum to less than zero: MC_r(0) + MC_r'(0) < 0. That happens when a
    route that traded last period has a negative calibrated adjustment (observed trade from the
    dearer to the cheaper market): its isoelastic marginal cost falls to that adjustment as its
    flow goes to zero. For every such pair where r had no trade last period (NEW) the adjustment of
    r is raised by the deficit, so that MC_r(0) + MC_r'(0) = 0: the pair's net cost is convex in its
    net flow and the route opens only once its reverse has closed (no cross-hauling, a homogeneous
    good). If neither route traded, both are raised by half the deficit. Routes are never lowered.
    `reverse` from `petra.model.problem.reverse_routes`.
    """
    # a logit route's marginal cost falls to -inf at zero flow (heterogeneity, not a cost): its cost
    # a + tau (>= 0 when calibrated) is what a new reverse route must not undercut
    mc0 = np.where(p.kind == LOGIT, p.adjustment + p.tau, route_marginal_cost(p, np.zeros(p.n_routes)))
    has = reverse >= 0
    rev = np.where(has, reverse, 0)
    deficit = np.where(has, -(mc0 + mc0[rev]), 0.0)
    new = p.kind == NEW
    share = np.where(new & ~new[rev], 1.0, np.where(new & new[rev], 0.5, 0.0))
    return p.adjustment + np.maximum(deficit, 0.0) * share


def excess_supply_jacobian(p: Problem, S: np.ndarray, D: np.ndarray, dX: np.ndarray, *,
                           dense: bool = False) -> sp.csc_matrix | np.ndarray:
    """d(excess supply)/d(price) with route flows X(gap): diag(dS/dp - dD/dp) on markets whose supply
    or demand is positive, plus the graph Laplacian weighted by dX/dgap (positive semi-definite; the
    Hessian of the dual function). Quantity per price unit, n_markets x n_markets; a numpy array if
    `dense` (cheaper for small markets, see `DENSE_MAX`), else sparse."""
    n = p.n_markets
    curve = np.where(S > 0, supply_slope(p), 0.0) + np.where(D > 0, demand_slope(p), 0.0)
    rows = np.concatenate([p.importer, p.exporter, p.importer, p.exporter])
    cols = np.concatenate([p.importer, p.exporter, p.exporter, p.importer])
    vals = np.concatenate([dX, dX, -dX, -dX])
    if dense:
        K = np.bincount(rows * n + cols, vals, n * n).astype(float, copy=False).reshape(n, n)
        K[np.diag_indices(n)] += curve
        return K
    L = sp.coo_matrix((vals, (rows, cols)), shape=(n, n))
    return (L + sp.diags(curve)).tocsc()


# Newton systems up to this many unknowns are solved dense (LAPACK): for a commodity of a few dozen
# markets, building and factorising sparse matrices costs ~10x the dense solve
DENSE_MAX = 400
