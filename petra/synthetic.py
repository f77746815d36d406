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
