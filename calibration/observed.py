"""Later observed years (observed_markets.csv, observed_flows.csv) as arrays in a Problem's order."""

from __future__ import annotations

import numpy as np
import pandas as pd

from petra.dataset import Dataset
from petra.errors import InputError
from petra.model.problem import Problem
from petra.tables import source_line


def observed_years(dataset: Dataset) -> list[int]:
    """Years present in observed_markets.csv (sorted); [] when the dataset has none."""
    om = dataset.observed_markets
    if om is None or om.empty:
        return []
    return sorted({int(y) for y in om["year"]})


def check_observations(dataset: Dataset, years: list[int]) -> None:
    """Raise InputError (one line) if `years` are not all observed (markets complete for every
    year) or observed_flows.csv has a flow on a route routes.csv does not allow."""
    have = observed_years(dataset)
    missing = [y for y in years if y not in have]
    if missing:
        span = f"{have[0]}-{have[-1]}" if have else "none"
        raise InputError(f"year {missing[0]} is not in the data (observed years: {span})",
                         file="observed_markets.csv")
    base = dataset.metadata.get("base_year")
    if base is not None and any(y <= int(base) for y in years):
        raise InputError(f"year {min(years)} is not after the base year {base}", file="observed_markets.csv")
    om = dataset.observed_markets
    keys = set(zip(dataset.markets["region"], dataset.markets["commodity"], strict=True))
    for y in years:
        sub = om[om["year"] == y]
        got = set(zip(sub["region"], sub["commodity"], strict=True))
        lack = sorted(keys - got)
        if lack:
            raise InputError(f"year {y} lacks market ({lack[0][0]}, {lack[0][1]}) "
                             f"({len(lack)} markets missing)", file="observed_markets.csv")
    of = dataset.observed_flows
    if of is not None and not of.empty:
        routes = pd.MultiIndex.from_frame(dataset.routes[["exporter", "importer", "commodity"]])
        obs = pd.MultiIndex.from_frame(of[["exporter", "importer", "commodity"]])
        bad = ~obs.isin(routes) & (of["flow"].to_numpy() > 0)
        if bad.any():
            i = int(np.argmax(bad))
            raise InputError(f"observed flow on a route that does not exist in routes.csv "
                             f"({of['exporter'].iloc[i]} -> {of['importer'].iloc[i]}, "
                             f"{of['commodity'].iloc[i]})", file=of.attrs.get("file", "observed_flows.csv"),
                             row=source_line(of, i), column="exporter")


def market_anchors(dataset: Dataset, problem: Problem, years: list[int]
                   ) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """{year: (production, consumption)} in the problem's market order (checked complete)."""
    om = dataset.observed_markets
    index = pd.MultiIndex.from_arrays([problem.region, problem.commodity])
    out = {}
    for y in years:
        sub = om[om["year"] == y].set_index(["region", "commodity"])
        sub = sub.reindex(index)
        out[y] = (sub["production"].to_numpy(dtype=float), sub["consumption"].to_numpy(dtype=float))
    return out


def observed_prices(dataset: Dataset, problem: Problem, year: int) -> np.ndarray:
    """Observed prices of `year` in market order (NaN where not observed)."""
    om = dataset.observed_markets
    sub = om[om["year"] == year].set_index(["region", "commodity"])
    if "price" not in sub:
        return np.full(problem.n_markets, np.nan)
    return sub["price"].reindex(pd.MultiIndex.from_arrays([problem.region, problem.commodity])
                                ).to_numpy(dtype=float)


def route_flows(dataset: Dataset, years: list[int]) -> dict[int, np.ndarray]:
    """{year: observed flow per route of routes.csv} (routes absent for a year: 0)."""
    of = dataset.observed_flows
    index = pd.MultiIndex.from_frame(dataset.routes[["exporter", "importer", "commodity"]])
    out = {}
    for y in years:
        if of is None:
            out[y] = np.zeros(len(index))
            continue
        sub = of[of["year"] == y].set_index(["exporter", "importer", "commodity"])["flow"]
        out[y] = sub.reindex(index).fillna(0.0).to_numpy(dtype=float)
    return out
