"""Synthetic world instances for benchmarks and property tests (not data: no real country is meant).

Regions sit at random points on a sphere; transport cost grows with great-circle distance. Every
ordered pair of regions is a route; a share of them carried trade in the previous period.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from petra.dataset import Dataset, from_frames

EARTH_RADIUS_KM = 6371.0


def great_circle_km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Pairwise great-circle distances (km) between points given in degrees (haversine)."""
    la, lo = np.radians(lat), np.radians(lon)
    dla = la[:, None] - la[None, :]
    dlo = lo[:, None] - lo[None, :]
    a = np.sin(dla / 2) ** 2 + np.cos(la)[:, None] * np.cos(la)[None, :] * np.sin(dlo / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def world_dataset(n_regions: int = 190, n_commodities: int = 1, *, traded_share: float = 0.5,
                  seed: int = 0, expansion_elasticity: tuple[float, float] = (1.0, 5.0)) -> Dataset:
    """A synthetic world: n_regions x n_commodities markets, all ordered pairs as routes.

    Quantities in kt (lognormal production, world consumption = world production), prices in USD/t
    around a commodity world price, transport cost 10 USD/t + 0.02 USD/t/km, tariffs 0-10% of the
    importer price. `traded_share` of the routes have a previous flow (with an expansion elasticity
    drawn uniformly from `expansion_elasticity`); the others are new routes with a quadratic cost.
    """
    rng = np.random.default_rng(seed)
    regions = np.array([f"R{i:03d}" for i in range(n_regions)], dtype=object)
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, n_regions)))
    lon = rng.uniform(-180, 180, n_regions)
    dist = great_circle_km(lat, lon)
    ex, im = np.nonzero(~np.eye(n_regions, dtype=bool))
    market_rows, route_rows = [], []
    for k in range(n_commodities):
        name = f"c{k:02d}"
        world_price = rng.uniform(150, 600)
        S0 = rng.lognormal(7.0, 1.8, n_regions)
        D0 = S0 * rng.lognormal(0.0, 0.6, n_regions)
        D0 *= S0.sum() / D0.sum()
        P0 = world_price * rng.uniform(0.85, 1.25, n_regions)
        market_rows.append(pd.DataFrame({
            "region": regions, "commodity": name, "production": S0, "consumption": D0, "price": P0,
            "supply_elasticity": rng.uniform(0.1, 0.8, n_regions),
            "demand_elasticity": -rng.uniform(0.1, 0.6, n_regions)}))
        traded = rng.random(ex.size) < traded_share
        typical = np.sqrt(S0[ex] * D0[im]) / n_regions
        flow = np.where(traded, typical * rng.lognormal(0.0, 1.0, ex.size), 0.0)
        transport = 10.0 + 0.02 * dist[ex, im]
        tariff = P0[im] * rng.uniform(0.0, 0.10, ex.size)
        e = rng.uniform(*expansion_elasticity, ex.size)
        route_rows.append(pd.DataFrame({
            "exporter": regions[ex], "importer": regions[im], "commodity": name, "flow": flow,
            "transport_cost": transport, "tariff": tariff,
            "expansion_elasticity": np.where(traded, e, np.inf),
            "new_flow_slope": (transport + tariff) / np.maximum(typical, 1e-9)}))
    markets = pd.concat(market_rows, ignore_index=True)
    routes = pd.concat(route_rows, ignore_index=True)
    return from_frames(markets, routes, metadata={"title": "synthetic world", "seed": seed})


def near_equilibrium_dataset(seed: int, n_regions: int = 7, n_commodities: int = 2, *,
                             zero_below: float = 1e-7, cost_noise: float = 0.5,
                             expansion_elasticity: float = 4.0) -> Dataset:
    """Observed data as a peer model would hand them over: the spatial equilibrium of linear markets
    (every ordered pair of regions a constant-cost route) solved by an interior-point solver at its
    default tolerances (HiPO), flows below `zero_below` set to 0, prices read off the demand curves,
    then every transport cost multiplied by a factor uniform in [1 - cost_noise, 1 + cost_noise] and
    the used routes given `expansion_elasticity`. Balances close only to ~1e-9 relative and the price
    gaps no longer match the costs: the data the least-squares reconciliation exists for (issue 22).
    A commodity whose equilibrium has a price below 1 USD/t (a glut) is drawn again. Quantities kt,
    prices USD/t."""
    rng = np.random.default_rng(seed)
    regions = np.array([f"R{i}" for i in range(n_regions)], dtype=object)
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, n_regions)))
    lon = rng.uniform(-180, 180, n_regions)
    ex, im = np.nonzero(~np.eye(n_regions, dtype=bool))
    tau = 10.0 + 0.02 * great_circle_km(lat, lon)[ex, im]
    markets, routes = [], []
    for k in range(n_commodities):
        market, X = _linear_equilibrium(rng, n_regions, ex, im, tau)
        X = np.where(X < zero_below, 0.0, X)
        markets.append(market.assign(region=regions, commodity=f"c{k}"))
        noise = rng.uniform(1 - cost_noise, 1 + cost_noise, ex.size)
        routes.append(pd.DataFrame({"exporter": regions[ex], "importer": regions[im], "commodity": f"c{k}",
                                    "flow": X, "transport_cost": tau * noise, "tariff": 0.0,
                                    "expansion_elasticity": np.where(X > 0, expansion_elasticity, np.inf),
                                    "new_flow_slope": np.nan}))
    columns = ["region", "commodity", "production", "consumption", "price", "supply_elasticity",
               "demand_elasticity"]
    return from_frames(pd.concat(markets, ignore_index=True)[columns], pd.concat(routes, ignore_index=True),
                       metadata={"title": "near-equilibrium instance", "seed": seed})


def _linear_equilibrium(rng, n: int, ex: np.ndarray, im: np.ndarray, tau: np.ndarray
                        ) -> tuple[pd.DataFrame, np.ndarray]:
    """Random linear markets and their spatial equilibrium solved by interior point: (markets: production,
    consumption, price, elasticities; flows). The welfare maximum
        min sum (P0 - bs S0) S + bs/2 S^2 - (P0 + bd D0) D + bd/2 D^2 + tau X,  S - D + imports - exports = 0
    with inverse-curve slopes bs = P0 / (es S0), bd = -P0 / (ed D0)."""
    import scipy.sparse as sp

    m = ex.size
    routes = np.r_[np.arange(m), np.arange(m)]
    trade = sp.csc_matrix((np.r_[np.ones(m), -np.ones(m)], (np.r_[im, ex], routes)), shape=(n, m))
    A = sp.hstack([sp.eye(n), -sp.eye(n), trade]).tocsc()
    for _ in range(100):
        S0 = rng.lognormal(6.0, 1.5, n)
        D0 = S0 * rng.lognormal(0.0, 0.8, n)
        D0 *= S0.sum() / D0.sum()
        P0 = rng.uniform(150, 600) * rng.uniform(0.7, 1.4, n)
        es, ed = rng.uniform(0.1, 1.0, n), -rng.uniform(0.1, 1.0, n)
        bs, bd = P0 / (es * S0), -P0 / (ed * D0)
        z = _interior_point_qp(np.concatenate([bs, bd, np.zeros(m)]),
                               np.concatenate([P0 - bs * S0, -(P0 + bd * D0), tau]), A, np.zeros(n))
        S, D, X = z[:n], z[n:2 * n], z[2 * n:]
        P = P0 + bd * (D0 - D)  # the demand curve at the solved consumption
        if P.min() >= 1.0:
            market = pd.DataFrame({"production": S, "consumption": D, "price": P, "supply_elasticity": es,
                                   "demand_elasticity": ed})
            return market, X
    raise RuntimeError("no equilibrium with positive prices in 100 draws")  # pragma: no cover


def _interior_point_qp(hess, cost, A, rhs) -> np.ndarray:
    """min 0.5 z'diag(hess)z + cost'z, A z = rhs, z >= 0, by HiGHS' interior point (HiPO) at its default
    tolerances and without crossover: a peer model's answer, accurate to ~1e-8."""
    import highspy

    n_cols = len(cost)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_cols, A.shape[0]
    lp.col_cost_, lp.col_lower_ = cost.astype(float), np.zeros(n_cols)
    lp.col_upper_ = np.full(n_cols, highspy.kHighsInf)
    lp.row_lower_ = lp.row_upper_ = np.asarray(rhs, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_ = A.indptr.astype(np.int32), A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(float)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(lp)
    nz = np.flatnonzero(hess > 0).astype(np.int32)
    start = np.searchsorted(nz, np.arange(n_cols, dtype=np.int32)).astype(np.int32)
    h.passHessian(n_cols, int(nz.size), highspy.HessianFormat.kTriangular, start, nz, hess[nz])
    h.setOptionValue("solver", "hipo")
    h.run()
    return np.asarray(h.getSolution().col_value)
