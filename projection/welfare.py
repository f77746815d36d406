"""Welfare of a scenario against a baseline, from the equilibria a run solved (pure functions).

Every area is integrated exactly on the curves the model solved with (`curves.parquet`, the route
costs of `flows.parquet`; README, "The model"). Units: quantities Q and prices P of the dataset
(kt and USD/t for the shipped data), areas in P x Q (1000 USD); `welfare_changes` reports million
USD per year (`WELFARE_UNIT`): P x Q x (Mt per Q), with prices in USD/t as the IAMC output has them.

Market (region, commodity) with anchor price P0, anchors S0, D0 and slopes ks, kd >= 0 (0: fixed):

    S(p) = max(0, S0 + ks*(p - P0))        D(p) = max(0, D0 - kd*(p - P0))

* producer surplus PS(p) = integral of S from 0 to p (prices are >= 0: free disposal at 0), finite
  for every curve, so its change is PS_s(p_s) - PS_b(p_b) even where the scenario shifted the curve;
* consumer surplus CS(p) = integral of D from p to infinity = kd/2 * max(pc - p, 0)^2 with the choke
  price pc = P0 + D0/kd. A fixed demand (kd = 0) has no finite CS: its change is the area along the
  scenario's curve, -D_s*(p_s - p_b), and a shift of a fixed quantity between the scenarios is not
  valued (the shipped scenarios shift curves alike in every scenario, so this never arises there).

Every area is taken in the trade-point prices the model is solved in (a reported price / the
market's price_factor of curves.parquet; README, "Base-year calibration"). Producers sell at their
region's supply-node price and consumers buy at its demand-node price (`petra.model.nodes`; the two
differ only where a region exports its whole production): PS is taken at the supply price, CS at the
demand price.

Route r (exporter -> importer), flow X, price gap g = p_importer - supply price of the exporter,
tariff t (specific):

* tariff revenue t*X, collected by the importer;
* trade cost TC(X) - t*X: the route's total cost (transport, cost adjustment, the expansion or
  new-flow cost; `petra.model.equilibrium_math.route_total_cost`) less the tariff the importer
  collects. The tariff is part of tau, so on an isoelastic route it is scaled by the expansion
  factor like transport; what the expansion adds to it is counted as trade cost;
* trade rent X*g - TC(X): what the price gap pays above the route's total cost, the inframarginal
  rent of a rising cost (isoelastic, new routes) and a binding quota's rent (0 on constant-cost
  routes at an equilibrium);
all three are the importer's. The regional welfare change is

    total = CS + PS + tariff revenue + trade rent

the change in the model's objective (consumer minus producer areas minus route costs) plus the tariff
revenue, for curves that do not shift between the scenarios. The trade cost is reported beside it,
not added: it is paid out of the price gaps (X*g = tariff revenue + trade cost + trade rent), which
the surpluses at each region's own price already net out (a cheaper route raises the importer's CS
and the exporter's PS). Changes of a scenario are its value minus the baseline's in the same
period; World is the sum over regions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from petra.model.equilibrium_math import route_total_cost
from petra.model.problem import Problem, route_kind

WELFARE_UNIT = "million USD_2010/yr"
KT_TO_MT = 1e-3
"""Mt per quantity unit of the shipped data (kt): USD/t x kt x 1e-3 = million USD."""
COMPONENTS = ("consumer_surplus", "producer_surplus", "tariff_revenue", "trade_rent")
"""Welfare components, in the order they are reported; total is their sum."""
MEMO = ("trade_cost",)
"""Reported beside the components, not added to the total (module docstring)."""
WORLD = "World"


def supply_area(lo, hi, anchor, slope, anchor_price) -> np.ndarray:
    """Integral of S(p) = max(0, anchor + slope*(p - anchor_price)) over p from lo to hi (P x Q)."""
    lo, hi, q0, k, p0 = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in
                                              (lo, hi, anchor, slope, anchor_price)))
    fixed = k <= 0
    ks = np.where(fixed, 1.0, k)
    floor = p0 - q0 / ks   # where the linear supply reaches 0

    def prim(p):
        return 0.5 * ks * np.maximum(p - floor, 0.0) ** 2

    return np.where(fixed, q0 * (hi - lo), prim(hi) - prim(lo))


def demand_area(lo, hi, anchor, slope, anchor_price) -> np.ndarray:
    """Integral of D(p) = max(0, anchor - slope*(p - anchor_price)) over p from lo to hi (P x Q)."""
    lo, hi, q0, k, p0 = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in
                                              (lo, hi, anchor, slope, anchor_price)))
    fixed = k <= 0
    kd = np.where(fixed, 1.0, k)
    choke = p0 + q0 / kd

    def above(p):  # integral from p to infinity
        return 0.5 * kd * np.maximum(choke - p, 0.0) ** 2

    return np.where(fixed, q0 * (hi - lo), above(lo) - above(hi))


def producer_surplus(price, anchor, slope, anchor_price) -> np.ndarray:
    """PS(p): the integral of the supply curve from price 0 to p (P x Q)."""
    return supply_area(0.0, price, anchor, slope, anchor_price)


def consumer_surplus(price, anchor, slope, anchor_price) -> np.ndarray:
    """CS(p): the integral of the demand curve from p to its choke price (P x Q); +inf for a fixed
    demand with a positive quantity (slope 0)."""
    price, q0, k, p0 = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in
                                             (price, anchor, slope, anchor_price)))
    kd = np.where(k > 0, k, 1.0)
    cs = 0.5 * kd * np.maximum(p0 + q0 / kd - price, 0.0) ** 2
    return np.where(k > 0, cs, np.where(q0 > 0, np.inf, 0.0))


def surplus_changes(scen: dict, base: dict) -> tuple[np.ndarray, np.ndarray]:
    """(consumer, producer) surplus changes of markets from the baseline to the scenario (P x Q).

    `scen` and `base` map price, supply_anchor, demand_anchor, anchor_price, supply_slope and
    demand_slope to arrays (one entry per market). See the module docstring for fixed demands.
    """
    def ps_of(m):  # producers sell at their supply node's price (petra.model.nodes)
        return producer_surplus(m.get("supply_price", m["price"]), m["supply_anchor"], m["supply_slope"],
                                m["anchor_price"])

    ps = ps_of(scen) - ps_of(base)
    responsive = (np.asarray(scen["demand_slope"]) > 0) & (np.asarray(base["demand_slope"]) > 0)
    with np.errstate(invalid="ignore"):
        levels = (consumer_surplus(scen["price"], scen["demand_anchor"], scen["demand_slope"],
                                   scen["anchor_price"])
                  - consumer_surplus(base["price"], base["demand_anchor"], base["demand_slope"],
                                     base["anchor_price"]))
    along = -demand_area(base["price"], scen["price"], scen["demand_anchor"], scen["demand_slope"],
                         scen["anchor_price"])
    return np.where(responsive, levels, along), ps


def route_problem(tau, adjustment, flow_prev, elasticity, slope, logit_scale=None, log_anchor=None
                  ) -> Problem:
    """A Problem holding only route-cost parameters (no markets), for `route_total_cost` (logit_scale and
    log_anchor: the logit routes' parameters, NaN elsewhere; None: no logit route)."""
    arrays = {k: np.asarray(v, dtype=float) for k, v in dict(
        tau=tau, adjustment=adjustment, flow_prev=flow_prev, elasticity=elasticity, slope=slope).items()}
    logit = {} if logit_scale is None else {"logit_scale": np.asarray(logit_scale, dtype=float),
                                            "log_anchor": np.asarray(log_anchor, dtype=float)}
    m = arrays["tau"].size
    none = np.empty(0)
    return Problem(region=none.astype(object), commodity=none.astype(object),
                   commodity_index=np.zeros(0, np.int64), commodities=np.zeros(1, dtype=object),
                   S0=none, D0=none, P0=none, es=none, ed=none, exporter=np.zeros(m, np.int64),
                   importer=np.zeros(m, np.int64),
                   kind=route_kind(arrays["flow_prev"], arrays["elasticity"], logit.get("logit_scale")),
                   q_scale=np.ones(1), p_scale=np.ones(1), **arrays, **logit)


def route_accounts(flow, gap, transport_cost, tariff, adjustment, flow_prev, elasticity, slope,
                   logit_scale=None, log_anchor=None) -> dict[str, np.ndarray]:
    """Per route: tariff revenue t*X, trade cost TC(X) - t*X and trade rent X*gap - TC(X) (P x Q), with
    gap the importer's (demand node) price minus the exporter's supply price. On logit routes TC holds
    the entropy term w*X*(ln(X/A) - 1) (`petra.model.route_costs.Logit`): the value importers put on
    the variety of origins counts as a negative cost, as in the equilibrium's objective."""
    X = np.nan_to_num(np.asarray(flow, dtype=float))
    tariff = np.asarray(tariff, dtype=float)
    p = route_problem(np.asarray(transport_cost, dtype=float) + tariff, adjustment, flow_prev, elasticity,
                      slope, logit_scale, log_anchor)
    tc = np.where(X > 0, route_total_cost(p, X), 0.0)
    revenue = tariff * X
    return {"tariff_revenue": revenue, "trade_cost": tc - revenue,
            "trade_rent": X * np.asarray(gap, dtype=float) - tc}


MARKET_KEYS = ["scenario", "period", "region", "commodity"]
CURVE_COLUMNS = ["supply_anchor", "demand_anchor", "anchor_price", "supply_slope", "demand_slope"]


def trade_point_prices(markets: pd.DataFrame, curves: pd.DataFrame) -> pd.DataFrame:
    """markets.parquet with price and supply_price divided by curves.parquet's price_factor."""
    m = markets if "supply_price" in markets.columns else markets.assign(supply_price=markets["price"])
    if "price_factor" not in curves.columns:
        return m
    f = m[MARKET_KEYS].merge(curves[[*MARKET_KEYS, "price_factor"]], on=MARKET_KEYS, how="left",
                             validate="many_to_one")["price_factor"].fillna(1.0).to_numpy()
    return m.assign(price=m["price"].to_numpy() / f, supply_price=m["supply_price"].to_numpy() / f)


def market_levels(markets: pd.DataFrame, curves: pd.DataFrame) -> pd.DataFrame:
    """markets.parquet joined with curves.parquet on scenario, period, region, commodity: price and
    supply_price in the trade-point prices the curves are in (reported / price_factor; runs written
    before supply nodes and trade prices have supply_price = price and factor 1)."""
    m = trade_point_prices(markets, curves)
    return m[[*MARKET_KEYS, "price", "supply_price"]].merge(
        curves[[*MARKET_KEYS, *CURVE_COLUMNS]], on=MARKET_KEYS,
                                                  how="inner", validate="one_to_one")


def region_route_accounts(flows: pd.DataFrame, markets: pd.DataFrame) -> pd.DataFrame:
    """Per scenario, period and importing region: tariff revenue, trade cost and trade rent (P x Q);
    `markets` with trade-point prices (`trade_point_prices`)."""
    indexed = markets.set_index(MARKET_KEYS)
    prices = indexed["price"]
    supply = indexed["supply_price"] if "supply_price" in indexed.columns else prices
    f = flows[flows["flow"].fillna(0.0) > 0]
    key = ["scenario", "period"]
    p_imp = prices.reindex(pd.MultiIndex.from_frame(f[[*key, "importer", "commodity"]])).to_numpy()
    p_exp = supply.reindex(pd.MultiIndex.from_frame(f[[*key, "exporter", "commodity"]])).to_numpy()
    logit = (f["logit_scale"], f["log_anchor"]) if "logit_scale" in f.columns else (None, None)
    acc = route_accounts(f["flow"], p_imp - p_exp, f["transport_cost"], f["tariff"], f["cost_adjustment"],
                         f["previous_flow"], f["period_elasticity"], f["new_flow_slope"], *logit)
    out = pd.DataFrame({"scenario": f["scenario"].to_numpy(), "period": f["period"].to_numpy(),
                        "region": f["importer"].to_numpy(), **acc})
    return out.groupby(["scenario", "period", "region"], as_index=False)[list(acc)].sum()


def welfare_changes(markets: pd.DataFrame, curves: pd.DataFrame, flows: pd.DataFrame, baseline: str,
                    quantity_to_mt: float = KT_TO_MT) -> pd.DataFrame:
    """Welfare change of every scenario against `baseline`, per region (and World) and period.

    markets, curves, flows: the run's markets.parquet, curves.parquet, flows.parquet (prices in
    USD/t); quantity_to_mt: Mt per quantity unit (1e-3 for kt). Returns
    scenario, baseline, period, region, consumer_surplus, producer_surplus, tariff_revenue,
    trade_rent, total, trade_cost, unit (WELFARE_UNIT); total = CS + PS + tariff revenue + trade rent
    (trade cost beside it, not added). The baseline's own rows are zero and left out.
    """
    lv = market_levels(markets, curves)
    base = lv[lv["scenario"] == baseline].drop(columns="scenario")
    other = lv[lv["scenario"] != baseline]
    both = other.merge(base, on=["period", "region", "commodity"], suffixes=("", "_base"), how="inner")
    cols = ["price", "supply_price", *CURVE_COLUMNS]
    dcs, dps = surplus_changes({c: both[c].to_numpy() for c in cols},
                               {c: both[f"{c}_base"].to_numpy() for c in cols})
    surplus = pd.DataFrame({"scenario": both["scenario"], "period": both["period"], "region": both["region"],
                            "consumer_surplus": dcs, "producer_surplus": dps})
    surplus = surplus.groupby(["scenario", "period", "region"], as_index=False).sum()
    routes = region_route_accounts(flows, trade_point_prices(markets, curves))
    keys = ["period", "region"]
    rb = routes[routes["scenario"] == baseline].drop(columns="scenario").set_index(keys)
    names = [*COMPONENTS[2:], *MEMO]
    parts = []
    for scen, rs in routes[routes["scenario"] != baseline].groupby("scenario", sort=False):
        idx = rs.set_index(keys)[names].index.union(rb.index)
        d = rs.set_index(keys)[names].reindex(idx, fill_value=0.0) - rb[names].reindex(idx, fill_value=0.0)
        parts.append(d.reset_index().assign(scenario=scen))
    route_d = (pd.concat(parts, ignore_index=True) if parts
               else pd.DataFrame(columns=["scenario", *keys, *names]))
    out = surplus.merge(route_d, on=["scenario", *keys], how="left").fillna({n: 0.0 for n in names})
    values = [*COMPONENTS, *MEMO]
    world = out.groupby(["scenario", "period"], as_index=False, sort=False)[values].sum()
    out = pd.concat([out, world.assign(region=WORLD)], ignore_index=True)
    out[values] = out[values] * quantity_to_mt  # USD/t x Mt = million USD
    out["total"] = out[list(COMPONENTS)].sum(axis=1)
    out.insert(1, "baseline", baseline)
    out["unit"] = WELFARE_UNIT
    order = {s: i for i, s in enumerate(pd.unique(markets["scenario"]))}
    out = out.sort_values(["scenario", "period", "region"], key=lambda s: s.map(order) if s.name == "scenario"
                          else s.map(lambda r: (r != WORLD, r)) if s.name == "region" else s)
    return out[["scenario", "baseline", "period", "region", *COMPONENTS, "total", *MEMO, "unit"]
               ].reset_index(drop=True)
