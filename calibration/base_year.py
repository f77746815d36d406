"""Exact base-year calibration: per-route cost adjustments that make the observations an equilibrium.

Given observed production S0, consumption D0, prices P0 (markets.csv) and net flows X0 (routes.csv
`flow`) that balance (S0 + imports - exports = D0 in every market; otherwise they are first
reconciled by least squares, `petra.calibration.least_squares`), the linear supply and demand curves
already pass through (P0, S0) and (P0, D0). What remains are the price links, with
gap_r = P0[importer] - P0[exporter] and tau_r = transport_cost + tariff:

* used route (X0 > 0): cost_adjustment a_r = gap_r - tau_r, so the marginal cost at X = X0,
  a + tau*(X0/X0)^(1/e) = gap, equals the price gap. `gap_r` is the route's implied marginal trade
  cost; where it is negative (importer cheaper than exporter) the route is kept, counted and listed
  ("negative implied cost"). Routes whose routes.csv leaves the expansion elasticity empty (constant
  cost) get `default_expansion_elasticity`: with a flat cost their flows would not be unique.
* unused route (X0 = 0): a_r = max(0, gap_r + margin * P0[importer] - tau_r), so the marginal cost at
  zero flow a + tau >= gap + margin: the route stays unused at the observed prices.

With `method = "consistent"` (`petra.calibration.consistent`) the flows and prices are first made
consistent (cycles netted out, every used route's price gap at least its cost floor), and the above
then runs on them: no used route has a negative implied cost.

The calibrated dataset is the input with `cost_adjustment` (and filled elasticities/slopes, and the
reconciled values if reconciliation ran) replaced; `petra solve` on it reproduces the observations.
That is checked by solving it (`verify`), and a calibration whose re-solve is off by more than the
tolerance raises CalibrationError naming the worst markets.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from petra.calibration.config import CalibrationConfig
from petra.calibration.consistent import ConsistentCalibration, calibrate_consistent
from petra.calibration.least_squares import (
    CalibrationError,
    Reconciliation,
    close_balance,
    market_imbalance,
    reconcile,
)
from petra.calibration.price_fidelity import price_table
from petra.calibration.reexports import net_reexports
from petra.dataset import Dataset
from petra.model.problem import Problem, build_problem, reported_prices
from petra.model.solve import solve_problem


@dataclass
class BaseYearCalibration:
    """The calibrated dataset and what calibration did.

    routes: exporter, importer, commodity, status (used/unused), flow, price_gap, tau,
        cost_adjustment, implied_cost (marginal cost at the calibrated flow = price gap on used
        routes; marginal cost at zero on unused ones).
    negative: the used routes with a negative implied cost: price gap < 0, or on logit routes a trade cost
        a + tau < 0 (their preference covers a gap below the cost).
    reconciliation: the least-squares step's result, None if the data closed.
    consistency: what the consistent calibration moved (method "consistent"), else None.
    reexports: the observed re-exports traced to direct flows, per hub (`petra.calibration.reexports`).
    prices: observed, reported and trade-point price per market (`petra.calibration.price_fidelity`).
    check: the re-solve's maximum relative deviations and where.
    """

    dataset: Dataset
    routes: pd.DataFrame
    negative: pd.DataFrame
    reconciliation: Reconciliation | None
    reconciled_markets: pd.DataFrame | None
    consistency: ConsistentCalibration | None
    reexports: pd.DataFrame
    prices: pd.DataFrame
    check: dict
    timings: dict


def slope_unit(p: Problem) -> np.ndarray:
    """p_scale / q_scale of each route's commodity: the unit of the new-flow slope factor."""
    c = p.commodity_index[p.exporter]
    return p.p_scale[c] / p.q_scale[c]


def calibrate_base_year(dataset: Dataset, config: CalibrationConfig | None = None, *,
                        verify: bool = True, highs_options: dict | None = None) -> BaseYearCalibration:
    """Calibrate `dataset`'s base year (see module docstring); raises CalibrationError on failure.
    `highs_options` go to the verifying solve (e.g. {"threads": 1})."""
    cfg = config or CalibrationConfig()
    t0 = time.perf_counter()
    # the observed prices are the input (trade prices of an earlier calibration are estimated anew)
    dataset = dataset.replace(markets=dataset.markets.drop(columns="trade_price", errors="ignore"))
    p = build_problem(dataset)
    S, D, P, X = p.S0.copy(), p.D0.copy(), p.P0.copy(), p.flow_prev.copy()
    imbalance = market_imbalance(p, S, D, X)
    ls = cfg.least_squares
    rec = None
    recon_table = None
    if ls.mode == "always" or (ls.mode == "auto" and imbalance.max() > ls.balance_tolerance):
        rec = reconcile(p, ls)
        S, D, P, X = rec.S, rec.D, rec.P, rec.X
        recon_table = pd.DataFrame({
            "region": p.region, "commodity": p.commodity, "imbalance_before": imbalance,
            "production_observed": p.S0, "production": S, "consumption_observed": p.D0,
            "consumption": D, "price_observed": p.P0, "price": P})
    elif imbalance.max() > ls.balance_tolerance:
        worst = np.argsort(-imbalance)[:5]
        names = ", ".join(f"{p.market_label(i)} {imbalance[i]:.3g}" for i in worst)
        raise CalibrationError(f"observed markets do not balance (production + imports - exports != "
                               f"consumption) and least_squares.mode is 'never'; worst: {names}")
    # the model's regions export only their own production (supply and demand nodes): observed
    # re-exports are traced to direct flows first, in both methods
    reexports = net_reexports(p, S, X)
    X = gross = reexports.X
    routes = dataset.routes.copy()
    transport = routes["transport_cost"].to_numpy(dtype=float)
    tariff = routes["tariff"].to_numpy(dtype=float)
    consistency = None
    trade = P
    if cfg.method == "consistent":
        # the transport-cost prior stays the routes' transport cost (the scale of their isoelastic
        # expansion cost and of transport-cost drivers); the estimated excess t - prior >= 0 becomes the
        # route's cost adjustment below (gap - tau at trade prices)
        S, D, trade, _, X, consistency = calibrate_consistent(p, S, D, P, X, transport, tariff,
                                                              cfg.consistent)
    t1 = time.perf_counter()
    e = routes["expansion_elasticity"].to_numpy(dtype=float)
    if cfg.default_expansion_elasticity is not None:
        e = np.where(np.isinf(e), cfg.default_expansion_elasticity, e)
    slope = routes["new_flow_slope"].to_numpy(dtype=float)
    slope = np.where(slope > 0, slope, cfg.default_new_flow_slope * slope_unit(p))
    # price links at trade-point prices (the observed prices with method exact)
    tau = transport + tariff
    gap = trade[p.importer] - trade[p.exporter]
    used = X > 0
    eps = commodity_trade_elasticity(cfg, p)[p.commodity_index[p.exporter]]
    margin = np.where(np.isfinite(eps), cfg.logit_unused_margin, cfg.unused_margin) * trade[p.importer]
    adj = np.where(used, gap - tau, np.maximum(0.0, gap + margin - tau))
    if cfg.method == "consistent":
        # a used route calibrated below its transport-cost prior (transport_floor_share < 1) takes the
        # calibrated cost as its transport cost: adjustments stay >= 0, so no route's marginal cost falls
        # below 0 at any flow
        c0 = np.maximum(transport + adj, 0.0)  # >= 0 up to round-off (a zero prior cost and gap)
        transport = np.where(used, np.minimum(transport, c0), transport)
        adj = c0 - transport
    logit = (gross > 0) & np.isfinite(eps)
    if logit.any():
        # logit routes keep the observed two-way flows: the price gap below the route's trade cost at
        # the trade prices is its preference (0 on the routes the netted pattern uses)
        adj = np.where(logit & ~used, 0.0, adj)
        X = np.where(np.isfinite(eps), gross, X)
        routes["trade_elasticity"] = np.where(logit, eps, np.nan)
        routes["preference"] = np.where(logit, transport + tariff + adj - gap, 0.0)
        used = X > 0
        # the netting LP's round-off (S and D were closed against the netted flows) goes back into
        # production or consumption, so that the gross flows balance exactly
        S, D = close_balance(p, S, D, X)
    routes["flow"] = X
    routes["transport_cost"] = transport
    routes["expansion_elasticity"] = e
    routes["new_flow_slope"] = slope
    routes["cost_adjustment"] = adj
    markets = dataset.markets.copy()
    markets["production"], markets["consumption"], markets["price"] = S, D, P
    if cfg.method == "consistent":
        markets["trade_price"] = trade
    else:
        markets = markets.drop(columns="trade_price", errors="ignore")
    meta = dict(dataset.metadata)
    meta["calibration"] = {
        "method": f"petra.calibration {cfg.method} base year" + (" after least-squares reconciliation"
                                                                 if rec is not None else ""),
        "unused_margin": cfg.unused_margin,
        "default_expansion_elasticity": (cfg.default_expansion_elasticity
                                         if cfg.default_expansion_elasticity is not None else "none"),
        "cost_adjustment": "per-route additive cost (routes.csv column cost_adjustment), not scaled "
                           "by the expansion factor: marginal cost = cost_adjustment + tau*(X/flow)^(1/e)",
        "route_form": ("logit on the routes with base trade: marginal cost = cost_adjustment + tau - "
                       "preference + (P_c/trade_elasticity)*ln(X/flow), P_c the commodity's mean trade "
                       "price (routes.csv columns trade_elasticity, preference)" if logit.any()
                       else "isoelastic (GLOBIOM)"),
    }
    calibrated = dataset.replace(markets=markets, routes=routes, metadata=meta)
    table = routes[["exporter", "importer", "commodity"]].copy()
    table["status"] = np.where(used, "used", "unused")
    table["flow"] = X
    table["price_gap"] = gap
    table["tau"] = tau
    table["cost_adjustment"] = adj
    # a logit route's trade cost is a + tau (>= 0); its preference covers a price gap below it
    preference = routes["preference"].to_numpy(dtype=float) if logit.any() else np.zeros(len(routes))
    table["preference"] = preference
    table["implied_cost"] = np.where(used & ~logit, gap, adj + tau)
    negative = table[used & (table["implied_cost"].to_numpy() < 0)].sort_values("implied_cost"
                                                                                 ).reset_index(drop=True)
    t2 = time.perf_counter()
    check = verify_calibration(calibrated, cfg.tolerance, highs_options=highs_options) if verify else {}
    t3 = time.perf_counter()
    return BaseYearCalibration(dataset=calibrated, routes=table, negative=negative, reconciliation=rec,
                               reconciled_markets=recon_table, consistency=consistency,
                               reexports=reexports.hubs,
                               prices=price_table(dataset.markets, calibrated.markets), check=check,
                               timings={"reconcile_seconds": t1 - t0, "calibrate_seconds": t2 - t1,
                                        "verify_seconds": t3 - t2, "total_seconds": t3 - t0})


def commodity_trade_elasticity(cfg: CalibrationConfig, p: Problem) -> np.ndarray:
    """Trade elasticity per commodity of `p` (NaN: the isoelastic form), from the configuration."""
    default = math.nan if cfg.trade_elasticity is None else cfg.trade_elasticity
    return np.array([cfg.trade_elasticity_by_commodity.get(str(c), default) for c in p.commodities])


def relative_deviation(model: np.ndarray, observed: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """|model - observed| / max(|observed|, floor)."""
    return np.abs(model - observed) / np.maximum(np.abs(observed), floor)


def verify_calibration(calibrated: Dataset, tolerance: float, *, highs_options: dict | None = None) -> dict:
    """Solve the calibrated dataset as `petra solve` does and compare with its observations.

    Quantities are compared relative to max(|observed|, 1e-9 x the commodity's quantity scale) (a
    flow of exactly zero is reproduced within 1e-9 of the commodity's typical market), prices
    relative to the observed price, except in empty markets (no production, consumption or trade),
    whose price the equilibrium does not determine (counted as `undetermined_prices`). Raises
    CalibrationError naming the worst markets and routes if any deviation exceeds `tolerance`.
    """
    p = build_problem(calibrated)
    sol, _ = solve_problem(p, tol=min(tolerance, 1e-6) * 1e-2, highs_options=highs_options)
    qf = 1e-9 * p.q_scale[p.commodity_index]
    traded = (np.bincount(p.exporter, weights=p.flow_prev, minlength=p.n_markets)
              + np.bincount(p.importer, weights=p.flow_prev, minlength=p.n_markets)) > 0
    empty = (p.S0 == 0) & (p.D0 == 0) & ~traded
    dev = {
        "production": relative_deviation(sol.S, p.S0, qf),
        "consumption": relative_deviation(sol.D, p.D0, qf),
        "price": np.where(empty, 0.0, relative_deviation(sol.price, reported_prices(p, p.P0),
                                                         reported_prices(p, p.P0))),
    }
    dev_flow = relative_deviation(sol.X, p.flow_prev, qf[p.exporter])
    market_worst = np.maximum.reduce(list(dev.values()))
    out = {k: float(v.max(initial=0.0)) for k, v in dev.items()}
    out["flow"] = float(dev_flow.max(initial=0.0))
    out["max_deviation"] = max(out.values())
    out["worst_market"] = p.market_label(int(np.argmax(market_worst))) if p.n_markets else ""
    out["worst_route"] = p.route_label(int(np.argmax(dev_flow))) if p.n_routes else ""
    out["certificate"] = sol.certificate.max_violation if sol.certificate else float("nan")
    out["undetermined_prices"] = int(empty.sum())
    out["unused_routes_with_flow"] = int(((p.flow_prev == 0) & (sol.X > qf[p.exporter])).sum())
    if not sol.optimal or out["max_deviation"] > tolerance:
        bad = np.argsort(-market_worst)[:5]
        names = ", ".join(f"{p.market_label(i)} {market_worst[i]:.2e}" for i in bad)
        raise CalibrationError(f"calibration misses its tolerance {tolerance:g}: re-solved base year "
                               f"deviates by {out['max_deviation']:.3g} (flows {out['flow']:.3g}, worst "
                               f"route {out['worst_route']}); worst markets: {names}")
    return out
