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

