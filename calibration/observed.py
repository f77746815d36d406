"""Later observed years (observed_markets.csv, observed_flows.csv) as arrays in a Problem's order."""

from __future__ import annotations

import numpy as np
import pandas as pd

from petra.dataset import AD_VALOREM_BASIS, Dataset
from petra.errors import InputError
from petra.model.problem import Problem
from petra.tables import source_line


def observed_years(dataset: Dataset) -> list[int]:
    """Years present in observed_markets.csv (sorted); [] when the dataset has none."""
    om = dataset.observed_markets
    if om is None or om.empty:
        return []
    return sorted({int(y) for y in om["year"]})


def year_span(years: list[int]) -> str:
    """'2010-2020' for a continuous run of years, '2010, 2012, 2015' otherwise, 'none' if empty."""
    if not years:
        return "none"
    if years == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}-{years[-1]}"
    return ", ".join(str(y) for y in years)


def check_observations(dataset: Dataset, years: list[int], *, after_base: bool = True) -> None:
    """Raise InputError (one line) if `years` are not all observed (markets complete for every
    year), are not after the base year (unless `after_base` is False), or observed_flows.csv has a
    flow on a route routes.csv does not allow."""
    have = observed_years(dataset)
    missing = [y for y in years if y not in have]
    if missing:
        raise InputError(f"year {missing[0]} is not in the data (observed years: {year_span(have)})",
                         file="observed_markets.csv")
    base = dataset.metadata.get("base_year")
    if after_base and base is not None and any(y <= int(base) for y in years):
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


def rebased_tariffs(old_markets: pd.DataFrame, new_markets: pd.DataFrame,
                    routes: pd.DataFrame) -> np.ndarray:
    """Each route's tariff (currency per unit) scaled by its exporter's price ratio new / old: the same
    ad valorem rate at the new base year's exporter price."""
    keys = pd.MultiIndex.from_frame(routes[["exporter", "commodity"]])
    old = old_markets.set_index(["region", "commodity"])["price"].reindex(keys).to_numpy(dtype=float)
    new = new_markets.set_index(["region", "commodity"])["price"].reindex(keys).to_numpy(dtype=float)
    return routes["tariff"].to_numpy(dtype=float) * new / old


def at_base_year(dataset: Dataset, year: int) -> Dataset:
    """The dataset re-based on observed `year`: markets.csv production, consumption and price and
    routes.csv flows are that year's observations; elasticities, transport costs and route parameters are
    kept (cost adjustments are reset to 0: calibrate again), and so are tariffs unless the dataset's
    `tariff_basis` is AD_VALOREM_BASIS (then they are converted at the year's exporter prices).
    Intensities are the dataset's (the base period uses that year's).

    Prices observed as empty are filled with the commodity's production-weighted mean price over the
    regions observed that year (recorded in metadata `rebase.price_fills`; prices that a dataset
    flags as filled in `price_basis` are used as they are). InputError if the year is not observed.
    """
    year = int(year)
    if str(dataset.metadata.get("base_year")) == str(year) and year not in observed_years(dataset):
        return dataset  # already based there, and the observations do not repeat the base year
    check_observations(dataset, [year], after_base=False)
    om = dataset.observed_markets
    sub = om[om["year"] == year].set_index(["region", "commodity"])
    keys = pd.MultiIndex.from_frame(dataset.markets[["region", "commodity"]])
    sub = sub.reindex(keys)
    price = sub["price"].to_numpy(dtype=float) if "price" in sub else np.full(len(sub), np.nan)
    production = sub["production"].to_numpy(dtype=float)
    missing = ~np.isfinite(price)
    fills = []
    if missing.any():
        commodity = dataset.markets["commodity"].to_numpy()
        for c in np.unique(commodity[missing]):
            known = (commodity == c) & ~missing
            if not known.any():
                raise InputError(f"year {year}: no region has an observed price of '{c}' to fill the "
                                 "others with", file="observed_markets.csv", column="price")
            w = production[known]
            fill = (float(np.average(price[known], weights=w)) if w.sum() > 0
                    else float(np.mean(price[known])))
            for i in np.flatnonzero((commodity == c) & missing):
                price[i] = fill
                fills.append(f"{dataset.markets['region'].iloc[i]} {c}")
    # a calibration's trade prices belong to its own base year
    markets = dataset.markets.drop(columns="trade_price", errors="ignore").copy()
    markets["production"], markets["consumption"], markets["price"] = (
        production, sub["consumption"].to_numpy(dtype=float), price)
    routes = dataset.routes.copy()
    routes["flow"] = route_flows(dataset, [year])[year]
    routes["cost_adjustment"] = 0.0
    ad_valorem = dataset.metadata.get("tariff_basis") == AD_VALOREM_BASIS
    if ad_valorem:
        routes["tariff"] = rebased_tariffs(dataset.markets, markets, routes)
    meta = dict(dataset.metadata)
    meta["rebase"] = {"from_base_year": dataset.metadata.get("base_year"), "year": year,
                      "price_fills": fills, "tariffs": "ad valorem, at the year's exporter prices"
                      if ad_valorem else "kept (currency per unit)"}
    meta["base_year"] = year
    return dataset.replace(markets=markets, routes=routes, metadata=meta)
