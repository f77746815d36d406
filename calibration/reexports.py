"""Observed re-exports netted to direct flows, so that no region exports more than it produces.

The model's regions export only their own production (`petra.model.nodes`). Observed trade matrices
do not: hubs (the Netherlands, Singapore) and aggregated regions pass imports on, and an exporter-
reported matrix then shows exports above production. Before calibration every such excess is traced
back to its origins by the proportional rule of input-output accounting (the re-exported goods are a
proportional mix of the hub's imports, sent to the hub's destinations in proportion to its exports;
Kastner, Kastner, Erb and Haberl 2011, Ecological Economics 70:1032, for FAOSTAT re-exports):

    R_k = E_k - S_k > 0 (hub k's re-exports),  a_i = X_ik / M_k,  b_j = X_kj / E_k
    X_ik -= R_k a_i,  X_kj -= R_k b_j,  X_ij += R_k a_i b_j  (i != j; i = j is a round trip, dropped)

and where a traced flow meets trade in the other direction (X_ji > 0) the two are netted.

Every market's net trade is unchanged (the hub's exports and imports both fall by R_k; an origin i's
exports and imports both fall by R_k a_i b_i), the hub's consumption is unchanged, and no market's
exports rise, so processing one hub never makes another: one pass, largest excess first, leaves every
region's exports at most its production. M_k >= R_k always holds where consumption is >= 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from petra.calibration.least_squares import CalibrationError
from petra.model.certificate import market_trade
from petra.model.problem import Problem, reverse_routes

EXCESS_TOLERANCE = 1e-9
"""Exports above production by less than this share of the market's quantity scale are round-off."""


@dataclass(frozen=True)
class ReexportNetting:
    """The netted flows and, per hub, what was traced: region, commodity, production, exports_observed,
    reexports (R_k, commodity unit), share (R_k / exports_observed)."""

    X: np.ndarray
    hubs: pd.DataFrame


def _net_pairs(X: np.ndarray, routes: np.ndarray, reverse: np.ndarray) -> None:
    """In place: where a route of `routes` and its reverse both carry flow, the smaller flow is taken off
    both (each market's net trade unchanged, no two-way trade made by the tracing)."""
    rev = reverse[routes]
    ok = rev >= 0
    r, q = routes[ok], rev[ok]
    first = (r < q) | ~np.isin(q, r)
    r, q = r[first], q[first]
    d = np.minimum(X[r], X[q])
    X[r] -= d
    X[q] -= d


def net_reexports(p: Problem, S: np.ndarray, X0: np.ndarray, *, swaps: bool = False) -> ReexportNetting:
    """Flows with every hub's re-exports traced to direct flows (see module docstring). With `swaps`, a
    market that both imports and exports passes min(imports, exports) through (traced the same way):
    every market then only imports or only exports."""
    X = np.asarray(X0, dtype=float).copy()
    n = p.n_markets
    route_of = pd.Series(np.arange(p.n_routes), index=p.exporter.astype(np.int64) * n + p.importer)
    reverse = reverse_routes(p)
    q = np.maximum(np.maximum(p.S0, p.D0), p.q_scale[p.commodity_index])
    imports, exports = market_trade(p, X)
    # no consumption (to round-off): whatever such a market imports it passes on, however little
    passing = S + imports - exports <= EXCESS_TOLERANCE * q

    def reexports(imports, exports):
        r = np.maximum(exports - S, np.where(passing, imports, 0.0))
        return np.maximum(r, np.minimum(exports, imports)) if swaps else r

    imports, exports = market_trade(p, X)
    excess0 = reexports(imports, exports)
    order = np.argsort(-excess0, kind="stable")
    rows = []
    for k in order[(excess0[order] > EXCESS_TOLERANCE * q[order]) | (passing[order] & (excess0[order] > 0))]:
        imports, exports = market_trade(p, X)
        R = float(reexports(imports, exports)[k])
        if R <= EXCESS_TOLERANCE * q[k] and not (passing[k] and R > 0):
            continue
        R = min(R, imports[k]) if passing[k] else R
        if imports[k] < R - 1e-6 * q[k]:
            raise CalibrationError(f"market {p.market_label(k)} exports {exports[k]:.6g} with production "
                                   f"{S[k]:.6g} and imports {imports[k]:.6g}: its consumption is negative")
        r_in = np.flatnonzero((p.importer == k) & (X > 0))
        r_out = np.flatnonzero((p.exporter == k) & (X > 0))
        a = X[r_in] / imports[k]
        b = X[r_out] / exports[k]
        X[r_in] -= R * a
        X[r_out] -= R * b
        orig, dest = p.exporter[r_in], p.importer[r_out]
        ii, jj = np.meshgrid(np.arange(r_in.size), np.arange(r_out.size), indexing="ij")
        ii, jj = ii.ravel(), jj.ravel()
        direct = orig[ii] != dest[jj]
        codes = orig[ii[direct]] * n + dest[jj[direct]]
        target = route_of.reindex(codes).to_numpy()
        if np.isnan(target).any():
            miss = int(np.flatnonzero(np.isnan(target))[0])
            raise CalibrationError(f"re-exports of {p.market_label(k)} need the route "
                                   f"{p.region[codes[miss] // n]} -> {p.region[codes[miss] % n]}, which "
                                   f"routes.csv lacks")
        target = target.astype(np.int64)
        np.add.at(X, target, R * a[ii[direct]] * b[jj[direct]])
        _net_pairs(X, np.unique(target), reverse)
        X[(X < 0) | ((X > 0) & (X < 1e-12 * q[p.exporter]))] = 0.0
        rows.append({"region": p.region[k], "commodity": p.commodity[k], "production": float(S[k]),
                     "exports_observed": float(exports[k]), "reexports": float(R),
                     "share": float(R / exports[k])})
    hubs = pd.DataFrame(rows, columns=["region", "commodity", "production", "exports_observed", "reexports",
                                       "share"])
    return ReexportNetting(X=X, hubs=hubs)
