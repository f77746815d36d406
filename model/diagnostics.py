"""Name the markets or routes behind an infeasible or unbounded equilibrium problem."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import NegativeCycleError, bellman_ford, connected_components

from petra.model.equilibrium_math import (
    inverse_demand_coefficients,
    inverse_supply_coefficients,
    route_marginal_cost,
    uncapped_flat_routes,
)
from petra.model.highs_qp import solve_diagonal_qp
from petra.model.problem import Problem, route_upper


def infeasible_markets(p: Problem, rel_tol: float = 1e-9) -> list[int]:
    """Markets that cannot balance: a phase-one LP with slacks on every balance row (HiGHS,
    `petra.model.highs_qp`), minimising total slack; the markets left with slack are returned (empty if
    feasible)."""
    n, m = p.n_markets, p.n_routes
    _, _, fix_s = inverse_supply_coefficients(p)
    _, _, fix_d = inverse_demand_coefficients(p)
    rows = np.arange(n)
    r = np.arange(m)
    # columns: S (n), D (n), X (m), slack+ (n), slack- (n), disposal (n, free: an excess may be
    # thrown away, so only a shortage makes a market infeasible)
    A = sp.hstack([
        sp.identity(n), -sp.identity(n),
        sp.csr_matrix((np.ones(m), (p.importer, r)), shape=(n, m))
        - sp.csr_matrix((np.ones(m), (p.exporter, r)), shape=(n, m)),
        sp.identity(n), -sp.identity(n), -sp.identity(n)], format="csr")
    upper_x = route_upper(p)
    lower = np.concatenate([np.where(fix_s, p.S0, 0.0), np.where(fix_d, p.D0, 0.0), np.zeros(m + 3 * n)])
    upper = np.concatenate([np.where(fix_s, p.S0, np.inf), np.where(fix_d, p.D0, np.inf), upper_x,
                            np.full(3 * n, np.inf)])
    cost = np.concatenate([np.zeros(2 * n + m), np.ones(2 * n), np.zeros(n)])
    res = solve_diagonal_qp(np.zeros(cost.size), cost, A, np.zeros(n), np.zeros(n), lower, upper)
    if not res.optimal:
        return []
    slack = res.z[2 * n + m:2 * n + m + n] + res.z[2 * n + m + n:2 * n + m + 2 * n]
    scale = np.maximum(np.maximum(p.S0, p.D0), 1.0)
    return rows[slack > rel_tol * scale].tolist()


def unbounded_routes(p: Problem) -> list[int]:
    """Routes of a negative-cost cycle of flat-cost routes (empty if there is none).

    Only flat-cost routes (constant, zero-slope new, zero-tau isoelastic) can carry unbounded flow;
    welfare is unbounded exactly when some cycle of them has a negative total marginal cost, found
    with Bellman-Ford on the flat-route graph (scipy.sparse.csgraph).
    """
    flat = np.flatnonzero(uncapped_flat_routes(p))  # a quota bounds the flow
    if flat.size == 0:
        return []
    cost = route_marginal_cost(p, np.zeros(p.n_routes))[flat]
    if (cost >= 0).all():
        return []
    n = p.n_markets
    # keep the cheapest parallel route per ordered pair (csgraph sums duplicates)
    order = np.lexsort((cost, p.importer[flat], p.exporter[flat]))
    e, i, c, r = p.exporter[flat][order], p.importer[flat][order], cost[order], flat[order]
    first = np.ones(e.size, dtype=bool)
    first[1:] = (e[1:] != e[:-1]) | (i[1:] != i[:-1])
    e, i, c, r = e[first], i[first], c[first], r[first]
    graph = sp.csr_matrix((c, (e, i)), shape=(n, n))
    try:
        bellman_ford(graph, directed=True, indices=np.unique(e))
    except NegativeCycleError:
        return r[c < 0].tolist()
    return []


def on_directed_cycle(exporter: np.ndarray, importer: np.ndarray, n: int) -> np.ndarray:
    """Per node 0..n-1 (bool): does it lie on a directed cycle of the edges exporter -> importer? A
    graph without self-loops has a cycle through a node exactly when the node's strongly connected
    component has more than one node."""
    graph = sp.csr_matrix((np.ones(len(exporter)), (exporter, importer)), shape=(n, n))
    _, label = connected_components(graph, directed=True, connection="strong")
    return np.bincount(label)[label] > 1


def cyclic_commodities(p: Problem, X: np.ndarray) -> np.ndarray:
    """Per commodity (bool, length of `p.commodities`): do its routes with X > 0 contain a directed
    cycle?"""
    used = X > 0
    in_cycle = on_directed_cycle(p.exporter[used], p.importer[used], p.n_markets)
    return np.bincount(p.commodity_index, weights=in_cycle.astype(float),
                       minlength=len(p.commodities)) > 0
