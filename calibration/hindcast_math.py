"""Forecast-skill maths of the hindcast: error metrics and naive baselines (pure functions).

Flows are route arrays (one value per route, data units); `importer` and `exporter` give each
route's importer and exporter market (region x commodity) index, so every share and margin is per
commodity. Definitions (the report quotes them):

* WAPE = sum_r |model_r - obs_r| / sum_r obs_r (weighted absolute percentage error; 0 is perfect,
  1 is as bad as predicting no trade at all).
* r2_log = 1 - sum (ln(m + f) - ln(o + f))^2 / sum (ln(o + f) - mean ln(o + f))^2 over routes with
  model or observed flow, f = FLOW_FLOOR_SHARE x the mean positive observed flow (the coefficient of
  determination of log flows; small routes count as much as large ones).
* partner misallocation: per importer market, half the L1 distance between the modelled and the
  observed partner shares (0: same shares, 1: no overlap; an importer the model gives no imports
  counts 1), averaged over importers weighted by observed imports.

Baselines (each gets the evaluation year's observed gross margins that petra does not get: petra is
given net trade through observed production and consumption only):

* shares carried forward: share_r = X_ref,r / imports_ref of the importer, times the importer's
  observed imports in the evaluation year (`persistence`: the base year's shares;
  `last_year_shares`: the last observed year before the evaluation);
* RAS: the last observed matrix scaled biproportionally (iterative proportional fitting, Bacharach
  1970) to the evaluation year's observed exporter and importer totals.
"""

from __future__ import annotations

import numpy as np

FLOW_FLOOR_SHARE = 1e-3
RAS_TOLERANCE = 1e-10
RAS_MAX_ITERATIONS = 2_000


def wape(model: np.ndarray, observed: np.ndarray) -> float:
    """sum |model - observed| / sum observed (NaN when nothing was observed)."""
    total = float(np.sum(observed))
    return float(np.sum(np.abs(model - observed)) / total) if total > 0 else float("nan")


def r2_log(model: np.ndarray, observed: np.ndarray) -> float:
    """Coefficient of determination of log flows (see module docstring); NaN with < 2 routes."""
    pos = observed[observed > 0]
    if pos.size == 0:
        return float("nan")
    f = FLOW_FLOOR_SHARE * pos.mean()
    keep = (observed > 0) | (model > 0)
    if keep.sum() < 2:
        return float("nan")
    lo, lm = np.log(observed[keep] + f), np.log(np.maximum(model[keep], 0.0) + f)
    ss = float(np.sum((lo - lo.mean()) ** 2))
    return 1.0 - float(np.sum((lm - lo) ** 2)) / ss if ss > 0 else float("nan")


def group_totals(values: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum of `values` per group index (length n_groups)."""
    return np.bincount(group, weights=values, minlength=n_groups)


def partner_misallocation(model: np.ndarray, observed: np.ndarray, importer: np.ndarray,
                          n_markets: int) -> float:
    """Import-weighted mean over importers of half the L1 distance between partner shares."""
    obs_tot = group_totals(observed, importer, n_markets)
    mod_tot = group_totals(np.maximum(model, 0.0), importer, n_markets)
    if obs_tot.sum() <= 0:
        return float("nan")
    s_obs = observed / np.where(obs_tot > 0, obs_tot, 1.0)[importer]
    s_mod = np.maximum(model, 0.0) / np.where(mod_tot > 0, mod_tot, 1.0)[importer]
    dist = 0.5 * group_totals(np.abs(s_mod - s_obs), importer, n_markets)
    dist = np.where(mod_tot > 0, dist, 1.0)
    w = obs_tot / obs_tot.sum()
    return float(np.sum(w[obs_tot > 0] * dist[obs_tot > 0]))


def carried_shares(reference: np.ndarray, importer_totals: np.ndarray, importer: np.ndarray,
                   n_markets: int) -> np.ndarray:
    """Reference-year partner shares of each importer times its target imports (route array).

    An importer without reference imports gets nothing (its imports cannot be allocated)."""
    ref_tot = group_totals(reference, importer, n_markets)
    share = reference / np.where(ref_tot > 0, ref_tot, 1.0)[importer]
    return share * importer_totals[importer]


def net_only_totals(seed: np.ndarray, net_exports: np.ndarray, exporter: np.ndarray, importer: np.ndarray,
                    n_markets: int) -> tuple[np.ndarray, np.ndarray]:
    """(exporter totals, importer totals) built only from a seed matrix's two-way trade and a year's net
    exports per market: each market keeps its seed overlap min(seed exports, seed imports) and adds its
    net position, exports = overlap + max(net, 0), imports = overlap + max(-net, 0). Margins sum alike
    where the net exports of each commodity sum to 0."""
    overlap = np.minimum(group_totals(seed, exporter, n_markets), group_totals(seed, importer, n_markets))
    return overlap + np.maximum(net_exports, 0.0), overlap + np.maximum(-net_exports, 0.0)


def ras(seed: np.ndarray, exporter_totals: np.ndarray, importer_totals: np.ndarray,
        exporter: np.ndarray, importer: np.ndarray, n_markets: int, *,
        tol: float = RAS_TOLERANCE, max_iter: int = RAS_MAX_ITERATIONS) -> tuple[np.ndarray, dict]:
    """Biproportional scaling of `seed` (route array) to the given exporter and importer totals.

    Alternately scales every exporter's row and every importer's column to its target until both
    margins are met within `tol` (relative to the total) or `max_iter` rounds. Margins the seed
    cannot reach (a target > 0 on a market whose seed row or column is all zero) stay unmet; the
    returned record says so: {iterations, converged, margin_error (relative, after the last round),
    unreachable (markets with a target but no seed flow)}.
    """
    x = np.asarray(seed, dtype=float).copy()
    total = max(float(np.sum(importer_totals)), 1e-300)
    seed_row = group_totals(x, exporter, n_markets) > 0
    seed_col = group_totals(x, importer, n_markets) > 0
    unreachable = int(((exporter_totals > 0) & ~seed_row).sum() + ((importer_totals > 0) & ~seed_col).sum())
    err, it = np.inf, 0
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is returned
        rows = group_totals(x, exporter, n_markets)
        x *= np.where(rows > 0, exporter_totals / np.where(rows > 0, rows, 1.0), 0.0)[exporter]
        cols = group_totals(x, importer, n_markets)
        x *= np.where(cols > 0, importer_totals / np.where(cols > 0, cols, 1.0), 0.0)[importer]
        rows = group_totals(x, exporter, n_markets)
        err = float(np.abs(rows - exporter_totals)[seed_row].sum()) / total
        if err <= tol:
            break
    return x, {"iterations": it, "converged": err <= tol, "margin_error": err, "unreachable": unreachable}
