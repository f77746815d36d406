"""Consistent base-year calibration: flows, prices and trade costs that form a spatial equilibrium with
non-negative trade costs (`petra calibrate --method consistent`).

GLOBIOM calibrates bilateral trade after Jansson & Heckelei (2009): flows, trade costs and prices are
estimated jointly, close to their observations and priors, such that every market's net trade is as
observed and every used route's price gap equals its trade cost. petra does this in two convex steps:

1. **Netting** (`net_cycles`, an LP per dataset). The flows become X = X0 - d with d >= 0 a
   circulation on the observed used routes:

       minimise sum_r c_r * X_r   s.t.  every market's exports - imports as observed,  0 <= X_r <= X0_r

   with c_r the prior trade cost (transport cost + tariff, floored at `COST_FLOOR` x the commodity's
   mean price so that it is positive). Because X0 - X has zero net at every market, only flows around
   cycles move: net trade is exact, no flow rises and no route opens. No directed cycle of used routes
   remains: a cycle with positive flow could be reduced at a positive saving. Among the acyclic
   matrices reachable this way the LP picks the one with the least transport cost (the transportation
   problem's answer, restricted to observed relations and volumes): two-way trade is netted to one way,
   and where cycles overlap the flow is removed from the costlier routes.
2. **Trade-point prices and transport costs** (`trade_prices`, a QP). FAOSTAT's producer prices are
   farm-gate prices, not the prices at which goods cross borders: their gaps often contradict the
   direction of observed trade. The reported price of every market stays the observed one (the
   curves are anchored there); arbitrage happens at a trade-point price pi_i = P0_i + basis_i, and the
   used routes' transport costs t_r are estimated with it, both near their observations and priors:

       minimise  sum_i w_i huber((pi_i - P0_i) / (price_sd x P0_i))
                 + sum_r ((t_r - T_r) / (transport_sd x T_r))^2 / 2
       s.t.      pi_importer - pi_exporter = t_r + tariff_r         (every used route)
                 t_r >= transport_floor_share x T_r,  P0_i / band <= pi_i <= band x P0_i

   with T_r the distance-based transport cost (a prior with an uncertainty, not a floor) and
   huber(z) = z^2/2 for |z| <= h, h|z| - h^2/2 beyond (`huber`): one implausible price observation
   takes a large basis of its own instead of dragging its partners. The weights w_i are the market's
   size relative to its commodity's mean (a large market's price is the better measured), and nearly
   0 for an observation outside the commodity's plausible band (more than `plausible_band` times the
   median of its observed prices across regions): such a market's trade price follows its partners'
   (`price_weights`). With the used routes acyclic
   there is always a solution. Every used route's total trade cost t + tariff is then positive and
   equals its trade-point price gap: its cost adjustment is 0 and no route's marginal cost is
   negative at any flow, whatever later cost drivers do (transport and tariffs only scale or add).
   Markets whose trade price ends more than `INCONSISTENT_SHARE` from the observed price are listed
   with the route that makes them so (`inconsistent_markets`).

Production and consumption are kept (reconciled first by least squares if the data do not close), so
the result is an exact equilibrium of the calibrated model, verified by re-solving it as `exact` is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from petra.calibration.config import ConsistentConfig
from petra.calibration.least_squares import CalibrationError, close_balance
from petra.model.diagnostics import cyclic_commodities
from petra.model.highs_qp import solve_diagonal_qp
from petra.model.problem import Problem, commodity_mean, commodity_slice

TRANSPORT_SCALE_FLOOR = 0.01
"""A route's transport-cost deviations are measured against max(prior, this share of the commodity's mean
price): a near-zero prior (neighbours) does not make every cent of deviation a large relative one."""
MAX_WEIGHT_RATIO = 10.0
"""Price weights (market size over the commodity's mean size) are kept within [1/10, 10]."""
IMPLAUSIBLE_WEIGHT = 1e-3
"""Weight of an implausible price observation (outside the commodity's plausible band)."""
COST_FLOOR = 1e-3  # netting cost floor, share of the commodity's mean price: makes every route's cost
# positive, so the LP removes every cycle, without ranking routes whose prior cost is zero


@dataclass(frozen=True)
class ConsistentCalibration:
    """What the consistent calibration moved.

    X: the netted flows; P: the trade-point prices.
    routes: per observed used route: exporter, importer, commodity, flow_observed, flow, change,
        price_gap_observed, trade_price_gap (the calibrated trade cost), transport_prior,
        transport_cost (calibrated), tariff.
    commodities: per commodity: volume_observed, volume, moved_share (sum |X - X0| / sum X0),
        routes_closed, cyclic_before, cyclic_after, dearer_routes_before/after (used routes from the
        dearer market, at observed / trade-point prices), basis_mean, basis_max (|pi - P0| / P0 over its
        markets), transport_ratio_median (calibrated / prior transport cost of used routes).
    inconsistent: `inconsistent_markets`.
    """

    X: np.ndarray
    P: np.ndarray
    routes: pd.DataFrame
    commodities: pd.DataFrame
    inconsistent: pd.DataFrame


def net_cycles(p: Problem, X0: np.ndarray) -> np.ndarray:
    """Step 1: the cheapest flows X <= X0 on X0's support with every market's net trade as in X0."""
    used = np.flatnonzero(X0 > 0)
    if used.size == 0:
        return np.zeros(p.n_routes)
    n = p.n_markets
    k = used.size
    ci = p.commodity_index
    mean_price = commodity_mean(p.P0, ci, len(p.commodities))[ci[p.exporter[used]]]
    cost = np.maximum(p.tau[used], COST_FLOOR * mean_price) / mean_price
    q = p.q_scale[ci[p.exporter[used]]]
    ub = X0[used] / q  # scaled per commodity
    cols = np.arange(k)
    A = sp.csr_matrix((np.r_[np.ones(k), -np.ones(k)], (np.r_[p.exporter[used], p.importer[used]],
                                                        np.r_[cols, cols])), shape=(n, k))
    A = A[np.flatnonzero(np.diff(A.indptr) > 0)]
    # the removed flow d = X0 - X is a circulation (A d = 0) within [0, X0]: d = 0 is always feasible.
    # HiGHS's presolve (1.15) declares globiom37's rice LP infeasible: it is switched off (the LP is a
    # small network problem)
    zero = np.zeros(A.shape[0])
    res = solve_diagonal_qp(np.zeros(k), -cost * q / q.mean(), A, zero, zero, np.zeros(k), ub,
                            options={"presolve": "off"})
    if not res.optimal:
        raise CalibrationError(f"netting the observed flows failed (HiGHS: {res.status})")
    x = ub - np.clip(res.z, 0.0, ub)
    x[x <= 1e-12 * ub] = 0.0
    X = np.zeros(p.n_routes)
    X[used] = x * q
    return X


def implausible_prices(p: Problem, band: float) -> np.ndarray:
    """Markets whose observed price is more than `band` times above or below the median observed price
    of their commodity across regions (bool per market)."""
    med = pd.Series(p.P0).groupby(p.commodity_index).transform("median").to_numpy()
    return (p.P0 > band * med) | (p.P0 < med / band)


def price_weights(p: Problem, cfg: ConsistentConfig) -> np.ndarray:
    """Weight of each market's price deviation: its size max(S0, D0) over its commodity's mean market
    size, within [1/MAX_WEIGHT_RATIO, MAX_WEIGHT_RATIO] (a large market's price is the better measured
    and the more consequential one), and IMPLAUSIBLE_WEIGHT where the observation is implausible
    (`implausible_prices`): such a price takes the basis its partners' prices need, not the reverse."""
    q = np.maximum(p.S0, p.D0)
    mean_q = commodity_mean(q, p.commodity_index, len(p.commodities))[p.commodity_index]
    w = np.clip(q / mean_q, 1.0 / MAX_WEIGHT_RATIO, MAX_WEIGHT_RATIO)
    return np.where(implausible_prices(p, cfg.plausible_band), IMPLAUSIBLE_WEIGHT, w)


def trade_prices(p: Problem, X: np.ndarray, transport: np.ndarray, tariff: np.ndarray, cfg: ConsistentConfig
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Step 2: trade-point prices and the used routes' transport costs, estimated jointly, commodity by
    commodity (they do not interact; smaller QPs, which HiGHS's active-set solver can finish where its
    interior point stops short).

    Returns (trade price per market, transport cost per route: calibrated on used routes, the prior on
    the others). See the module docstring for the loss.
    """
    trade = p.P0.astype(float).copy()
    out = np.asarray(transport, dtype=float).copy()
    w = price_weights(p, cfg)
    for c in range(len(p.commodities)):
        sub, mk, rt = commodity_slice(p, c)
        if mk.size == 0:
            continue
        trade[mk], out[rt] = _commodity_trade_prices(sub, X[rt], out[rt], np.asarray(tariff, float)[rt],
                                                     w[mk], cfg)
    return trade, out


MAX_PRICE_BAND = 1e3
"""Widest band the price band is doubled to; beyond, a commodity's trade prices are only held above
UNBANDED_FLOOR x observed (as is an implausible observation always)."""
UNBANDED_FLOOR = 0.05


def _commodity_trade_prices(p: Problem, X: np.ndarray, transport: np.ndarray, tariff: np.ndarray,
                            w: np.ndarray, cfg: ConsistentConfig) -> tuple[np.ndarray, np.ndarray]:
    """`trade_prices` of one commodity's problem within `cfg.price_band`, doubled while the used routes'
    costs cannot fit into it (up to MAX_PRICE_BAND)."""
    band = cfg.price_band
    used = X > 0
    least = cfg.transport_floor_share * transport[used] + tariff[used]
    exempt = w <= IMPLAUSIBLE_WEIGHT
    while band <= MAX_PRICE_BAND:
        if band_feasible(p.P0, p.exporter[used], p.importer[used], least, band, exempt):
            out = _banded_trade_prices(p, X, transport, tariff, w, cfg, band)
            if out is not None:
                return out
        band *= 2.0
    out = _banded_trade_prices(p, X, transport, tariff, w, cfg, np.inf)
    if out is None:
        raise CalibrationError(f"trade prices of {p.commodities[0]} failed (HiGHS); the used routes after "
                               "netting should be acyclic, so this is a solver failure")
    return out


def band_feasible(P0: np.ndarray, exporter: np.ndarray, importer: np.ndarray, least: np.ndarray,
                  band: float, exempt: np.ndarray) -> bool:
    """Whether trade prices within [P0 / band, band x P0] (exempt markets: [UNBANDED_FLOOR x P0, inf))
    can give every used route (exporter -> importer, acyclic) a gap of at least `least`: the smallest
    such prices are the longest paths from the lower bounds (difference constraints on a DAG, in
    topological order); feasible iff they stay within the upper bounds."""
    n = P0.size
    lo = np.where(exempt, UNBANDED_FLOOR * P0, P0 / band)
    hi = np.where(exempt, np.inf, P0 * band)
    price = lo.copy()
    indegree = np.bincount(importer, minlength=n)
    order = np.argsort(exporter, kind="stable")
    start = np.searchsorted(exporter[order], np.arange(n + 1))
    ready = list(np.flatnonzero(indegree == 0))
    seen = 0
    while ready:
        i = ready.pop()
        seen += 1
        for r in order[start[i]:start[i + 1]]:
            j = importer[r]
            price[j] = max(price[j], price[i] + least[r])
            indegree[j] -= 1
            if indegree[j] == 0:
                ready.append(j)
    return seen == n and bool((price <= hi * (1.0 + 1e-12)).all())


def _banded_trade_prices(p: Problem, X: np.ndarray, transport: np.ndarray, tariff: np.ndarray,
                         w: np.ndarray, cfg: ConsistentConfig, band: float
                         ) -> tuple[np.ndarray, np.ndarray] | None:
    """One commodity's trade prices within [observed / band, band x observed] (band inf: only above
    UNBANDED_FLOOR x observed; None if infeasible or HiGHS fails). The QP's columns are the price
    deviations in standard deviations z = u + v+ - v- (u quadratic, v+ and v- linear beyond `cfg.huber`:
    the Huber loss) and the transport-cost deviations y in standard deviations."""
    used = np.flatnonzero(X > 0)
    n, k = p.n_markets, used.size
    mean_price = float(commodity_mean(p.P0, p.commodity_index, 1)[0])
    sP = cfg.price_sd * np.maximum(p.P0, COST_FLOOR * mean_price)
    ei, ii = p.exporter[used], p.importer[used]
    prior = transport[used]
    sT = cfg.transport_sd * np.maximum(prior, TRANSPORT_SCALE_FLOOR * mean_price)
    # rows: sP_i z_i - sP_e z_e - sT y = tariff + prior - (P0_i - P0_e), per used route (/ mean price)
    r = np.arange(k)
    z_cols = [np.r_[ii, ei], np.r_[n + ii, n + ei], np.r_[2 * n + ii, 2 * n + ei]]
    z_vals = np.r_[sP[ii], -sP[ei]] / mean_price
    A_routes = sp.csc_matrix((np.r_[z_vals, z_vals, -z_vals, -sT / mean_price],
                              (np.r_[r, r, r, r, r, r, r],
                               np.r_[z_cols[0], z_cols[1], z_cols[2], 3 * n + r])),
                             shape=(k, 3 * n + k))
    rhs = (tariff[used] + prior - (p.P0[ii] - p.P0[ei])) / mean_price
    # rows: P0_i / band <= P0_i + sP_i z_i <= band x P0_i (trade prices within the band)
    m = np.arange(n)
    A_band = sp.csc_matrix((np.r_[np.ones(n), np.ones(n), -np.ones(n)],
                            (np.r_[m, m, m], np.r_[m, n + m, 2 * n + m])),
                           shape=(n, 3 * n + k))
    A = sp.vstack([A_routes, A_band]).tocsc()
    # an implausible observation (weight IMPLAUSIBLE_WEIGHT) is not held to the band: it follows its
    # partners instead of holding them
    unbanded = (w <= IMPLAUSIBLE_WEIGHT) | ~np.isfinite(band)
    lo = np.r_[rhs, np.where(unbanded, UNBANDED_FLOOR - 1.0, 1.0 / band - 1.0) * p.P0 / sP]
    hi = np.r_[rhs, np.where(unbanded, np.inf, (band - 1.0) * p.P0 / sP)]
    lower = np.r_[np.full(n, -np.inf), np.zeros(2 * n), (cfg.transport_floor_share - 1.0) * prior / sT]
    upper = np.full(3 * n + k, np.inf)
    hess = np.r_[w, np.zeros(2 * n), np.ones(k)]
    cost = np.r_[np.zeros(n), cfg.huber * w, cfg.huber * w, np.zeros(k)]
    qp = solve_diagonal_qp(hess, cost, A, lo, hi, lower, upper)
    if not qp.optimal:
        return None
    z = qp.z[:n] + qp.z[n:2 * n] - qp.z[2 * n:3 * n]
    out = transport.copy()
    out[used] = np.maximum(prior + sT * qp.z[3 * n:], cfg.transport_floor_share * prior)
    # the route links meet their rows to HiGHS's feasibility tolerance; the adjustments are set from
    # these prices afterwards, so the calibrated equilibrium is exact whatever the round-off
    return p.P0 + sP * z, out


def dearer_routes(p: Problem, X: np.ndarray, P: np.ndarray) -> np.ndarray:
    """Used routes whose exporter's price exceeds the importer's (bool, per route)."""
    return (X > 0) & (P[p.exporter] > P[p.importer])


INCONSISTENT_SHARE = 0.3
"""A market whose trade price is more than this share away from its observed price is listed as
inconsistent with its trade partners, with the route that makes it so."""


def inconsistent_markets(p: Problem, X: np.ndarray, trade: np.ndarray, transport: np.ndarray,
                         tariff: np.ndarray, band: float = np.inf) -> pd.DataFrame:
    """Markets whose trade price is more than INCONSISTENT_SHARE from the observed price, with why: the
    used route whose observed price gap most contradicts its prior trade cost (transport + tariff).

    Columns: region, commodity, price (observed), trade_price, basis_share ((trade - price)/price),
    partner, reason."""
    share = (trade - p.P0) / p.P0
    cost = np.asarray(transport, dtype=float) + np.asarray(tariff, dtype=float)
    implausible = implausible_prices(p, band)
    med = pd.Series(p.P0).groupby(p.commodity_index).transform("median").to_numpy()
    # a used route's shortfall: exporter price + prior trade cost - importer price (> 0: the observed
    # gap is too small for the route's cost; it pulls the importer's trade price up, the exporter's down)
    short = np.where(X > 0, p.P0[p.exporter] + cost - p.P0[p.importer], -np.inf)
    rows = []
    for i in np.flatnonzero((np.abs(share) > INCONSISTENT_SHARE) | implausible):
        side = p.importer if share[i] > 0 else p.exporter
        mine = np.flatnonzero((side == i) & (X > 0))
        note = (f"observed price {p.P0[i]:.4g} is more than {band:g} times off the median {med[i]:.4g} of "
                f"the commodity's observed prices; " if implausible[i] else "")
        if mine.size == 0:
            rows.append((p.region[i], p.commodity[i], p.P0[i], trade[i], share[i], "",
                         note + "no used route; moved with its trade partners' arbitrage"))
            continue
        r = mine[np.argmax(short[mine])]
        e, m = p.exporter[r], p.importer[r]
        if share[i] > 0:
            why = (f"imports from {p.region[e]}, whose observed price {p.P0[e]:.4g} plus prior trade cost "
                   f"{cost[r]:.4g} exceeds its own {p.P0[i]:.4g}")
            partner = p.region[e]
        else:
            why = (f"exports to {p.region[m]}, whose observed price {p.P0[m]:.4g} is below its own "
                   f"{p.P0[i]:.4g} plus prior trade cost {cost[r]:.4g}")
            partner = p.region[m]
        rows.append((p.region[i], p.commodity[i], p.P0[i], trade[i], share[i], partner, note + why))
    return pd.DataFrame(rows, columns=["region", "commodity", "price", "trade_price", "basis_share",
                                       "partner", "reason"])


def calibrate_consistent(p: Problem, S: np.ndarray, D: np.ndarray, P0: np.ndarray, X0: np.ndarray,
                         transport: np.ndarray, tariff: np.ndarray, cfg: ConsistentConfig
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                    ConsistentCalibration]:
    """Both steps on (reconciled) base-year values; returns (S, D, trade price, transport cost, X,
    report). Prices P0 are kept: they are the reported prices, at which the curves stay anchored."""
    from dataclasses import replace

    q = replace(p, P0=P0, S0=S, D0=D)
    X = net_cycles(q, X0)
    S, D = close_balance(q, S, D, X)
    trade, t = trade_prices(q, X, transport, tariff, cfg)
    used0 = np.flatnonzero((X0 > 0) | (X > 0))
    ci = p.commodity_index
    gap0 = P0[p.importer] - P0[p.exporter]
    gap = trade[p.importer] - trade[p.exporter]
    routes = pd.DataFrame({
        "exporter": p.region[p.exporter[used0]], "importer": p.region[p.importer[used0]],
        "commodity": p.commodity[p.exporter[used0]], "flow_observed": X0[used0], "flow": X[used0],
        "change": X[used0] - X0[used0], "price_gap_observed": gap0[used0], "trade_price_gap": gap[used0],
        "transport_prior": np.asarray(transport, dtype=float)[used0], "transport_cost": t[used0],
        "tariff": np.asarray(tariff, dtype=float)[used0]})
    routes = routes.reindex(routes["change"].abs().sort_values(ascending=False, kind="stable").index
                            ).reset_index(drop=True)
    kc = len(p.commodities)
    rc = ci[p.exporter]
    vol0 = np.bincount(rc, weights=X0, minlength=kc)
    rel = np.abs(trade - P0) / np.where(P0 > 0, P0, 1.0)
    cnt = np.maximum(np.bincount(ci, minlength=kc), 1)
    used = X > 0
    prior = np.asarray(transport, dtype=float)
    t_rel = np.where(used & (prior > 0), t / np.where(prior > 0, prior, 1.0), np.nan)
    commodities = pd.DataFrame({
        "commodity": p.commodities,
        "volume_observed": vol0,
        "volume": np.bincount(rc, weights=X, minlength=kc),
        "moved_share": np.bincount(rc, weights=np.abs(X - X0), minlength=kc) / np.where(vol0 > 0, vol0, 1.0),
        "routes_closed": np.bincount(rc, weights=((X0 > 0) & (X == 0)).astype(float), minlength=kc
                                     ).astype(int),
        "cyclic_before": cyclic_commodities(p, X0),
        "cyclic_after": cyclic_commodities(p, X),
        "dearer_routes_before": np.bincount(rc, weights=dearer_routes(p, X0, P0).astype(float),
                                            minlength=kc).astype(int),
        "dearer_routes_after": np.bincount(rc, weights=dearer_routes(p, X, trade).astype(float),
                                           minlength=kc).astype(int),
        "basis_mean": np.bincount(ci, weights=rel, minlength=kc) / cnt,
        "basis_max": pd.Series(rel).groupby(ci).max().reindex(range(kc), fill_value=0.0).to_numpy(),
        "transport_ratio_median": pd.Series(t_rel).groupby(rc).median().reindex(range(kc)).to_numpy(),
    })
    report = ConsistentCalibration(X=X, P=trade, routes=routes, commodities=commodities,
                                   inconsistent=inconsistent_markets(q, X, trade, transport, tariff,
                                                                     cfg.plausible_band))
    return S, D, trade, t, X, report
