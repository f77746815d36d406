"""Shared builders for small datasets written by the tests themselves."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from petra.dataset import from_frames

MARKET_HEADER = ["region", "commodity", "production", "consumption", "price", "supply_elasticity",
                 "demand_elasticity"]
ROUTE_HEADER = ["exporter", "importer", "commodity", "flow", "transport_cost", "tariff",
                "expansion_elasticity", "new_flow_slope"]


def frames(markets: list[tuple], routes: list[tuple]) -> tuple[pd.DataFrame, pd.DataFrame]:
    m = pd.DataFrame(markets, columns=MARKET_HEADER)
    r = pd.DataFrame(routes, columns=ROUTE_HEADER)
    return m, r


def dataset(markets: list[tuple], routes: list[tuple]):
    """A validated in-memory Dataset from row tuples (route elasticity None = infinite)."""
    m, r = frames(markets, routes)
    r["expansion_elasticity"] = r["expansion_elasticity"].astype(float)
    return from_frames(m, r)


def write_csvs(folder: Path, markets_csv: str, routes_csv: str) -> Path:
    """Write markets.csv and routes.csv verbatim (for bad-input tests)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "markets.csv").write_text(markets_csv)
    (folder / "routes.csv").write_text(routes_csv)
    return folder


GOOD_MARKETS = """region,commodity,production,consumption,price,supply_elasticity,demand_elasticity
A,wheat,100,80,200,0.5,-0.5
B,wheat,50,70,250,0.5,-0.5
"""
GOOD_ROUTES = """exporter,importer,commodity,flow,transport_cost,tariff,expansion_elasticity,new_flow_slope
A,B,wheat,20,30,0,2,
B,A,wheat,0,30,0,,1
"""



def peer_instance(folder: Path, regions: int = 153, seed: int = 7) -> Path:
    """A single-commodity dataset of markets.csv and routes.csv only (no dataset.toml), the shape of an
    open Pyomo spatial-equilibrium peer model's instance: `regions` regions, four routes out of each,
    half of them used, consumption = production + imports - exports exactly (the flows close)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    names = [f"R{i:03d}" for i in range(regions)]
    production = rng.uniform(50, 500, regions).round(6)
    net = np.zeros(regions)
    rows = []
    for i in range(regions):
        for j in rng.choice([k for k in range(regions) if k != i], 4, replace=False):
            flow = round(float(rng.uniform(1, 20)), 6) if rng.random() < 0.5 else 0.0
            net[i] -= flow
            net[j] += flow
            rows.append((names[i], names[j], "c", flow, round(float(rng.uniform(5, 40)), 4), 0.0, None, None))
    markets = pd.DataFrame({"region": names, "commodity": "c", "production": production,
                            "consumption": production + net, "price": rng.uniform(150, 350, regions).round(4),
                            "supply_elasticity": 0.5, "demand_elasticity": -0.5})
    folder.mkdir(parents=True, exist_ok=True)
    markets.to_csv(folder / "markets.csv", index=False, float_format="%.17g")
    pd.DataFrame(rows, columns=ROUTE_HEADER).to_csv(folder / "routes.csv", index=False, float_format="%.17g")
    return folder
