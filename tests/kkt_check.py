"""An independent check of the spatial equilibrium conditions, written from the README's formulas with
plain pandas (it shares no code with petra.model.certificate or petra.model.nodes)."""

from __future__ import annotations

import math

import numpy as np


def max_violation(dataset, result) -> dict:
    """Relative violations of balance, curves, price gap <= MC and equality on used routes, with
    supply and demand nodes: a region's exports leave its supply node (price `supply_price`, where the
    result has it, else `price`), its imports reach its demand node (`price`), and the domestic flow
    production - exports must be >= 0, with supply_price >= price, equal where it is positive.
    Arbitrage is at trade-point prices: a reported price x trade_price / price of the dataset's markets
    where it has trade prices (the curves, in reported prices, are those of markets.csv).

    A route with a base flow and a trade elasticity (routes column `trade_elasticity`) has the logit
    cost MC = cost_adjustment + tau - preference + (P_c / epsilon) * ln(x / flow), P_c the mean of the
    commodity's positive trade-point anchor prices across its markets; its flow must be positive.

    An optional routes column `quota` (upper bound on the flow) allows a gap above the marginal cost
    on a route at its quota and adds the violation of the bound."""
    m = dataset.markets.set_index(["region", "commodity"])
    sol = result.markets.set_index(["region", "commodity"])
    price = sol["price"]
    supply_price = sol["supply_price"] if "supply_price" in sol.columns else price
    to_trade = ((m["trade_price"] / m["price"]).fillna(1.0) if "trade_price" in m.columns
                else price * 0.0 + 1.0)
    out = {"balance": 0.0, "curves": 0.0, "price_gap": 0.0, "used_routes": 0.0, "domestic": 0.0}
    imports = {k: 0.0 for k in m.index}
    exports = {k: 0.0 for k in m.index}
    anchors = m["price"] * to_trade
    mean_anchor = anchors[anchors > 0].groupby(level="commodity").mean()  # P_c of the logit cost
    routes = dataset.routes.reset_index(drop=True)
    flows = result.flows.reset_index(drop=True)
    for i in range(len(routes)):
        r = routes.loc[i]
        x = float(flows.loc[i, "flow"])
        assert x >= 0, "negative flow"
        exp, imp = (r["exporter"], r["commodity"]), (r["importer"], r["commodity"])
        exports[exp] += x
        imports[imp] += x
        tau = r["transport_cost"] + r["tariff"]
        adj = r.get("cost_adjustment", 0.0)
        eps = float(r.get("trade_elasticity", math.nan))
        if r["flow"] > 0 and math.isfinite(eps) and eps > 0:
            w = mean_anchor[r["commodity"]] / eps
            pref = float(r.get("preference", 0.0))
            pref = 0.0 if math.isnan(pref) else pref
            mc = adj + tau - pref + w * math.log(x / r["flow"]) if x > 0 else -math.inf
        elif r["flow"] > 0 and math.isfinite(r["expansion_elasticity"]):
            mc = adj + tau * (x / r["flow"]) ** (1.0 / r["expansion_elasticity"])
        elif r["flow"] > 0:
            mc = adj + tau
        else:
            mc = adj + tau + r["new_flow_slope"] * x
        gap = price[imp] * to_trade[imp] - supply_price[exp] * to_trade[exp]
        scale = max(m.loc[exp, "price"] * to_trade[exp], m.loc[imp, "price"] * to_trade[imp],
                    abs(price[imp] * to_trade[imp]), abs(supply_price[exp] * to_trade[exp]))
        qsize = min(max(m.loc[exp, "production"], m.loc[exp, "consumption"]),
                    max(m.loc[imp, "production"], m.loc[imp, "consumption"]))
        if m.loc[exp, "production"] <= 0 or m.loc[imp, "consumption"] <= 0:
            # no supply node at the exporter or no demand node at the importer: the route cannot carry
            out["used_routes"] = max(out["used_routes"], x / max(qsize, 1e-12))
            continue
        quota = float(r["quota"]) if "quota" in r.index else math.inf
        at_quota = math.isfinite(quota) and x >= quota - 1e-9 * max(qsize, 1e-12)
        if not at_quota:
            out["price_gap"] = max(out["price_gap"], (gap - mc) / scale)
        if math.isfinite(quota):
            out["used_routes"] = max(out["used_routes"], (x - quota) / max(qsize, 1e-12))
        if x > 1e-9 * qsize:
            # a used route prices its flow at the marginal cost; at a quota the gap may exceed it
            miss = max(mc - gap, 0.0) if at_quota else abs(gap - mc)
            out["used_routes"] = max(out["used_routes"], min(miss / scale, x / max(qsize, 1e-12)))
    for k in m.index:
        S0, D0, P0 = m.loc[k, "production"], m.loc[k, "consumption"], m.loc[k, "price"]
        es, ed = m.loc[k, "supply_elasticity"], m.loc[k, "demand_elasticity"]
        S, D, p, ps = sol.loc[k, "production"], sol.loc[k, "consumption"], price[k], supply_price[k]
        q = max(S0, D0, S, D, imports[k], exports[k], 1e-12)
        # free disposal: an excess only at price 0 (excess >= 0, price >= 0, complementary)
        excess = S + imports[k] - exports[k] - D
        out["balance"] = max(out["balance"], abs(min(excess / q, p / max(P0, abs(p)))))
        s_curve = max(0.0, S0 + es * S0 / P0 * (ps - P0))
        d_curve = max(0.0, D0 + ed * D0 / P0 * (p - P0))
        out["curves"] = max(out["curves"], abs(S - s_curve) / q, abs(D - d_curve) / q)
        if S0 > 0 and D0 > 0:
            # the domestic route: production - exports >= 0, the supply price >= the demand price,
            # equal while the region consumes some of its own production
            domestic = S - exports[k]
            gap = (p - ps) / max(P0, abs(p), abs(ps))
            out["domestic"] = max(out["domestic"], max(-domestic / q, 0.0), max(gap, 0.0),
                                  min(max(domestic, 0.0) / q, abs(gap)))
        elif S0 <= 0 and exports[k] > 0:
            out["domestic"] = max(out["domestic"], exports[k] / q)
    out["max"] = float(np.max(list(out.values())))
    return out
