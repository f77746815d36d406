"""Supply and demand nodes: the market split that keeps imports from being re-exported.

Takayama and Judge's spatial equilibrium separates every market into a supply node, where the
region's producers sell, and a demand node, where its consumers buy. Routes run only from supply
nodes to demand nodes: a trade route i -> j from i's supply node to j's demand node, and a domestic
route from each region's supply node to its own demand node at zero cost. So

    exports_i + domestic_i = S_i        imports_j + domestic_j = D_j        domestic >= 0,

a region exports only what it produces and consumes what it imports: nothing is passed on, so no
chain of routes and no circulation can form, whatever the route costs (the graph is bipartite). The
domestic route's zero cost ties the two node prices, p_demand <= p_supply with equality while the
region consumes some of its own production; the two differ only where a region would export its
whole production and import its whole consumption.

A node exists only where its curve has a quantity (a supply node for production S0 > 0, a demand node
for consumption D0 > 0): a market with neither carries no trade, and a market without production
exports nothing. The split problem is an ordinary `Problem` (markets = nodes, routes = trade and
domestic routes), so every solve path, the certificate and the diagnostics apply to it unchanged.

The problem is posed in trade-point prices (`Problem.price_factor`): every route cost is >= 0 there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from petra.model.problem import Problem, route_kind


@dataclass(frozen=True)
class NodeSplit:
    """The split problem and its index maps back to the market problem.

    problem: nodes as markets (supply nodes first, then demand nodes), trade routes then domestic routes.
    supply_node, demand_node: per market, its node's index in `problem` (-1: no such node).
    trade_route: per route of the market problem, its index in `problem` (-1: dropped, it links no
        supply node to a demand node and carries nothing).
    domestic_market: per domestic route (the last routes of `problem`), its market.
    """

    problem: Problem
    supply_node: np.ndarray
    demand_node: np.ndarray
    trade_route: np.ndarray
    domestic_market: np.ndarray

    @property
    def n_trade(self) -> int:
        return int((self.trade_route >= 0).sum())


def split_nodes(p: Problem) -> NodeSplit:
    """The supply/demand-node problem of `p` (see module docstring)."""
    n = p.n_markets
    has_s, has_d = p.S0 > 0, p.D0 > 0
    s_idx = np.flatnonzero(has_s)
    d_idx = np.flatnonzero(has_d)
    supply_node = np.full(n, -1, dtype=np.int64)
    demand_node = np.full(n, -1, dtype=np.int64)
    supply_node[s_idx] = np.arange(s_idx.size)
    demand_node[d_idx] = s_idx.size + np.arange(d_idx.size)
    markets = np.concatenate([s_idx, d_idx])
    zeros_s, zeros_d = np.zeros(s_idx.size), np.zeros(d_idx.size)

    keep = (supply_node[p.exporter] >= 0) & (demand_node[p.importer] >= 0)
    rt = np.flatnonzero(keep)
    trade_route = np.full(p.n_routes, -1, dtype=np.int64)
    trade_route[rt] = np.arange(rt.size)
    dom = np.flatnonzero(has_s & has_d)
    k = dom.size
    adjustment = p.adjustment[rt]
    flow_prev = np.concatenate([p.flow_prev[rt], np.ones(k)])
    elasticity = np.concatenate([p.elasticity[rt], np.full(k, np.inf)])
    quota = None if p.quota is None else np.concatenate([np.asarray(p.quota, dtype=float)[rt],
                                                          np.full(k, np.inf)])
    logit_scale = None if p.logit_scale is None else np.concatenate([p.logit_scale[rt], np.full(k, np.nan)])
    log_anchor = None if p.log_anchor is None else np.concatenate([p.log_anchor[rt], np.full(k, np.nan)])
    # nodes keep their region's name: messages name markets as the data do
    region = p.region[markets]
    split = Problem(
        region=region, commodity=p.commodity[markets], commodity_index=p.commodity_index[markets],
        commodities=p.commodities,
        S0=np.concatenate([p.S0[s_idx], zeros_d]), D0=np.concatenate([zeros_s, p.D0[d_idx]]),
        P0=p.P0[markets], es=np.concatenate([p.es[s_idx], zeros_d]),
        ed=np.concatenate([zeros_s, p.ed[d_idx]]),
        exporter=np.concatenate([supply_node[p.exporter[rt]], supply_node[dom]]),
        importer=np.concatenate([demand_node[p.importer[rt]], demand_node[dom]]),
        tau=np.concatenate([p.tau[rt], np.zeros(k)]), flow_prev=flow_prev, elasticity=elasticity,
        slope=np.concatenate([p.slope[rt], np.zeros(k)]),
        adjustment=np.concatenate([adjustment, np.zeros(k)]),
        kind=route_kind(flow_prev, elasticity, logit_scale), q_scale=p.q_scale, p_scale=p.p_scale,
        quota=quota, logit_scale=logit_scale, log_anchor=log_anchor)
    return NodeSplit(problem=split, supply_node=supply_node, demand_node=demand_node,
                     trade_route=trade_route, domestic_market=dom)


def market_values(split: NodeSplit, node_values: np.ndarray, p: Problem
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(S, D, X, price, supply_price) of the market problem from a solution of the split problem,
    given as node_values = (S, D, X, price) arrays of the split problem.

    price is the demand node's price (the supply node's where the market has no demand node, the
    anchor price P0 where it has neither: a market without curves has no price of its own);
    supply_price the supply node's (the demand node's, then P0, where there is none).
    """
    S_n, D_n, X_n, P_n = node_values
    sn, dn = split.supply_node, split.demand_node
    S = np.where(sn >= 0, S_n[np.maximum(sn, 0)], 0.0) if S_n.size else np.zeros(p.n_markets)
    D = np.where(dn >= 0, D_n[np.maximum(dn, 0)], 0.0) if D_n.size else np.zeros(p.n_markets)
    ps = np.where(sn >= 0, P_n[np.maximum(sn, 0)], np.nan) if P_n.size else np.full(p.n_markets, np.nan)
    pd_ = np.where(dn >= 0, P_n[np.maximum(dn, 0)], np.nan) if P_n.size else np.full(p.n_markets, np.nan)
    price = np.where(dn >= 0, pd_, np.where(sn >= 0, ps, p.P0))
    supply_price = np.where(sn >= 0, ps, price)
    tr = split.trade_route
    X = np.where(tr >= 0, X_n[np.maximum(tr, 0)], 0.0) if X_n.size else np.zeros(p.n_routes)
    return S, D, X, price, supply_price
