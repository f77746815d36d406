"""The equilibrium problem as flat numpy arrays, built once from a validated Dataset.

Markets are (region, commodity) pairs indexed 0..n-1; routes 0..m-1 link an exporter market to an
importer market of the same commodity. Units are the dataset's: quantities in the commodity unit
(e.g. kt), prices and costs in currency per commodity unit (e.g. USD/t; with kt quantities,
price x quantity is in 1000 USD).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from petra.dataset import Dataset
from petra.model.route_costs import CONSTANT, ISOELASTIC, LOGIT, NEW, ROUTE_KIND_NAMES, route_kind

__all__ = ["CONSTANT", "ISOELASTIC", "LOGIT", "NEW", "ROUTE_KIND_NAMES", "Problem", "build_problem",
           "route_kind"]


@dataclass(frozen=True)
class Problem:
    """Arrays of one equilibrium problem (one period).

    Markets (length n): `region`, `commodity` (labels), `commodity_index` (int), `S0`, `D0`, `P0`
    (observed supply, demand, price), `es` (>= 0), `ed` (<= 0).
    Routes (length m): `exporter`, `importer` (market indices), `tau` = transport_cost + tariff,
    `flow_prev` (previous-period flow), `elasticity` (expansion elasticity, +inf = constant cost),
    `slope` (new-flow slope), `adjustment` (additive per-unit cost), `kind` (ISOELASTIC, CONSTANT,
    NEW, decided by flow_prev > 0 and a finite elasticity), `quota` (optional upper bound on the
    flow, commodity unit; None or +inf = none: a route at its quota may have a price gap above its
    marginal cost, the quota rent).
    `price_factor` (optional, per market): reported price / trade-point price (None = 1). A calibrated
    dataset's markets carry a trade-point price (markets.csv `trade_price`), at which arbitrage
    happens: the problem is posed in trade-point prices (P0 = the trade price, the curves with the same
    point elasticities there, route costs >= 0), and a solved price p is reported as p x price_factor,
    so that the reported base-year price is the observed one (`reported_prices`).
    `logit_scale` (optional, per route, P; NaN or None = none) and `log_anchor` (ln of the anchor flow,
    ln Q): the logit route cost MC = a + tau + w*ln(X/A) of routes traded in the base year with a trade
    elasticity (`petra.model.route_costs.Logit`, `logit_parameters`); such routes are LOGIT whatever
    their previous flow, and keep both arrays through every period.
    Scales per commodity (`q_scale`, `p_scale`) make the numerical problem well conditioned.
    """

    region: np.ndarray
    commodity: np.ndarray
    commodity_index: np.ndarray
    commodities: np.ndarray
    S0: np.ndarray
    D0: np.ndarray
    P0: np.ndarray
    es: np.ndarray
    ed: np.ndarray
    exporter: np.ndarray
    importer: np.ndarray
    tau: np.ndarray
    flow_prev: np.ndarray
    elasticity: np.ndarray
    slope: np.ndarray
    adjustment: np.ndarray
    kind: np.ndarray
    q_scale: np.ndarray
    p_scale: np.ndarray
    quota: np.ndarray | None = None
    price_factor: np.ndarray | None = None
    logit_scale: np.ndarray | None = None
    log_anchor: np.ndarray | None = None

    @property
    def n_markets(self) -> int:
        return len(self.S0)

    @property
    def n_routes(self) -> int:
        return len(self.tau)

    def market_label(self, i: int) -> str:
        return f"({self.region[i]}, {self.commodity[i]})"

    def route_label(self, r: int) -> str:
        return (f"{self.region[self.exporter[r]]} -> {self.region[self.importer[r]]} "
                f"({self.commodity[self.exporter[r]]})")

    def with_routes(self, **arrays: np.ndarray) -> Problem:
        """A copy with some route arrays replaced (e.g. a new flow_prev); `kind` is recomputed."""
        fields = {k: getattr(self, k) for k in self.__dataclass_fields__}
        fields.update({k: np.asarray(v, dtype=float) for k, v in arrays.items()})
        fields["kind"] = route_kind(fields["flow_prev"], fields["elasticity"], fields["logit_scale"])
        return Problem(**fields)


# the Problem's arrays by what they are indexed on (besides commodity_index, exporter and importer,
# which hold indices): slicing and copying go through these lists, so a new array is declared once
MARKET_ARRAYS = ("region", "commodity", "S0", "D0", "P0", "es", "ed", "price_factor")
ROUTE_ARRAYS = ("tau", "flow_prev", "elasticity", "slope", "adjustment", "kind", "quota", "logit_scale",
                "log_anchor")
COMMODITY_ARRAYS = ("commodities", "q_scale", "p_scale")


def route_upper(p: Problem) -> np.ndarray:
    """Upper bound of each route's flow: its quota, +inf where there is none."""
    return np.full(p.n_routes, np.inf) if p.quota is None else np.asarray(p.quota, dtype=float)


def reverse_routes(p: Problem) -> np.ndarray:
    """Index of each route's reverse route (importer -> exporter, same commodity); -1 where none."""
    n = max(p.n_markets, 1)
    codes = pd.Index(p.exporter * n + p.importer)
    return codes.get_indexer(p.importer * n + p.exporter).astype(np.int64)


def commodity_mean(values: np.ndarray, index: np.ndarray, k: int) -> np.ndarray:
    """Per-commodity mean of the positive entries (1 where none), length k."""
    pos = values > 0
    total = np.bincount(index, weights=np.where(pos, values, 0.0), minlength=k)
    count = np.bincount(index, weights=pos.astype(float), minlength=k)
    return np.where(count > 0, total / np.maximum(count, 1), 1.0)


def build_problem(dataset: Dataset) -> Problem:
    """Flatten a Dataset into a Problem (markets in file order, routes in file order)."""
    m = dataset.markets
    r = dataset.routes
    commodities, commodity_index = np.unique(m["commodity"].to_numpy(dtype=str), return_inverse=True)
    market_index = pd.Series(np.arange(len(m)),
                             index=pd.MultiIndex.from_frame(m[["region", "commodity"]]))
    exporter = market_index.reindex(pd.MultiIndex.from_frame(r[["exporter", "commodity"]])).to_numpy()
    importer = market_index.reindex(pd.MultiIndex.from_frame(r[["importer", "commodity"]])).to_numpy()
    S0 = m["production"].to_numpy(dtype=float)
    D0 = m["consumption"].to_numpy(dtype=float)
    P0, factor = anchor_prices(m)
    k = len(commodities)
    q_scale = commodity_mean(np.maximum(S0, D0), commodity_index, k)
    p_scale = commodity_mean(P0, commodity_index, k)
    flow_prev = r["flow"].to_numpy(dtype=float)
    elasticity = r["expansion_elasticity"].to_numpy(dtype=float)
    tau = (r["transport_cost"] + r["tariff"]).to_numpy(dtype=float)
    adjustment = r["cost_adjustment"].to_numpy(dtype=float)
    logit_scale = log_anchor = None
    if "trade_elasticity" in r.columns:
        logit_scale, log_anchor = logit_parameters(
            flow_prev, r["trade_elasticity"].to_numpy(dtype=float),
            p_scale[commodity_index[exporter.astype(np.int64)]],
            r["preference"].to_numpy(dtype=float) if "preference" in r.columns else np.zeros(len(r)))
    return Problem(price_factor=factor, logit_scale=logit_scale, log_anchor=log_anchor,
        region=m["region"].to_numpy(dtype=object),
        commodity=m["commodity"].to_numpy(dtype=object),
        commodity_index=commodity_index.astype(np.int64),
        commodities=commodities.astype(object),
        S0=S0, D0=D0, P0=P0,
        es=m["supply_elasticity"].to_numpy(dtype=float),
        ed=m["demand_elasticity"].to_numpy(dtype=float),
        exporter=exporter.astype(np.int64),
        importer=importer.astype(np.int64),
        tau=tau,
        flow_prev=flow_prev,
        elasticity=elasticity,
        slope=r["new_flow_slope"].to_numpy(dtype=float),
        adjustment=adjustment,
        kind=route_kind(flow_prev, elasticity, logit_scale),
        q_scale=q_scale,
        p_scale=p_scale,
    )


def logit_parameters(flow: np.ndarray, trade_elasticity: np.ndarray, price_scale: np.ndarray,
                     preference: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(logit scale w, ln anchor) of routes with a base flow > 0 and a trade elasticity epsilon > 0
    (NaN elsewhere; (None, None) where no route has both).

    w = P_c / epsilon (P), P_c the commodity's price scale (its mean trade-point price across markets,
    `Problem.p_scale`, the same for every route of the commodity): a cost rise of a share t of P_c
    moves a route's flow by exp(-epsilon*t). One w per commodity makes the equilibrium's flow changes
    biproportional (an exporter factor times an importer factor, as RAS's): with a w per importer, a
    cheap importer's tiny routes were multiplied a thousandfold (china9 wheat 2014-2017).
    ln A = ln(flow) + preference/w: at the base flow the logit term w*ln(flow/A) = -preference, so the
    route's marginal cost is a + tau - preference, its calibrated price gap (`preference`, P, any sign:
    what importers pay for this origin beyond its trade cost, which makes observed two-way trade an
    equilibrium with costs >= 0)."""
    eps = np.asarray(trade_elasticity, dtype=float)
    on = (flow > 0) & np.isfinite(eps) & (eps > 0) & (price_scale > 0)
    if not on.any():
        return None, None
    w = np.where(on, price_scale / np.where(on, eps, 1.0), np.nan)
    pref = np.nan_to_num(np.asarray(preference, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        log_a = np.where(on, np.log(np.where(on, flow, 1.0)) + pref / w, np.nan)
    return w, log_a


def anchor_prices(markets: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
    """(anchor prices, price factor) of a markets table: its trade prices (column `trade_price`, written
    by calibration; empty = the price) and price / trade price, or its prices and None without trade
    prices."""
    price = markets["price"].to_numpy(dtype=float)
    if "trade_price" not in markets.columns:
        return price, None
    trade = markets["trade_price"].to_numpy(dtype=float)
    trade = np.where(np.isfinite(trade) & (trade > 0), trade, price)
    if (trade == price).all():
        return price, None
    return trade, price / trade


def reported_prices(p: Problem, prices: np.ndarray) -> np.ndarray:
    """Prices of `p`'s markets (trade-point prices) as reported: x price_factor (unchanged without)."""
    return prices if p.price_factor is None else np.asarray(prices, dtype=float) * p.price_factor


def route_subset(p: Problem, routes: np.ndarray) -> Problem:
    """The problem with only the routes `routes` (indices, in that order); every market stays."""
    rt = np.asarray(routes, dtype=np.int64)
    return replace(p, exporter=p.exporter[rt], importer=p.importer[rt],
                   **{f: getattr(p, f)[rt] for f in ROUTE_ARRAYS if getattr(p, f) is not None})


def commodity_slice(p: Problem, c: int, route_mask: np.ndarray | None = None
                    ) -> tuple[Problem, np.ndarray, np.ndarray]:
    """The sub-problem of commodity index `c`: (problem, market indices, route indices).

    Commodities do not interact (no cross-price terms), so a problem's solution is the union of its
    commodities' solutions. `route_mask` (length n_routes, bool) keeps only some routes (e.g. routes
    not banned this period); the others are absent from the sub-problem (zero flow).
    """
    mk = np.flatnonzero(p.commodity_index == c)
    keep = p.commodity_index[p.exporter] == c
    if route_mask is not None:
        keep &= np.asarray(route_mask, dtype=bool)
    rt = np.flatnonzero(keep)
    pos = np.full(p.n_markets, -1, dtype=np.int64)
    pos[mk] = np.arange(mk.size)
    sub = replace(
        p, commodity_index=np.zeros(mk.size, np.int64), exporter=pos[p.exporter[rt]],
        importer=pos[p.importer[rt]],
        **{f: getattr(p, f)[mk] for f in MARKET_ARRAYS if getattr(p, f) is not None},
        **{f: getattr(p, f)[rt] for f in ROUTE_ARRAYS if getattr(p, f) is not None},
        **{f: getattr(p, f)[c:c + 1] for f in COMMODITY_ARRAYS})
    return sub, mk, rt
