"""SSP population and per-capita GDP per region and period, and their growth rates (pure functions).

A scenario naming `ssp:` takes its population and per-capita income growth from the dataset's
`ssp_drivers.csv` (petra.data.ssp: 5-year steps). Levels at a period year between two steps are
interpolated linearly in log (constant growth within a step); the rate of period k is the compound
annual rate from period k-1 to k:

    g_k = (L(t_k) / L(t_{k-1}))^(1 / (t_k - t_{k-1})) - 1      (reported in % per year)

Per-capita GDP is the series' gdp_per_capita (GDP / population of the countries with both), so its
log-linear interpolation equals that of GDP over population where both are interpolated alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from petra.dataset import Dataset
from petra.errors import InputError
from petra.projection.drivers import BaseRates, DriverArrays
from petra.projection.scenario_config import ScenarioSpec


@dataclass(frozen=True)
class SspLevels:
    """One SSP's levels at the period years, per region (columns in `regions` order).

    population: (T, R) million; gdp_per_capita: (T, R) thousand currency units per person and year;
    gdp_unit: the unit of population x gdp_per_capita (e.g. "billion USD_2017/yr").
    """

    release: str
    ssp: str
    periods: tuple[int, ...]
    regions: tuple[str, ...]
    population: np.ndarray
    gdp_per_capita: np.ndarray
    gdp_unit: str

    @property
    def population_rate(self) -> np.ndarray:
        """(T, R) % per year from the previous period; row 0 NaN (the base period has no growth)."""
        return compound_rates(self.population, self.periods)

    @property
    def income_rate(self) -> np.ndarray:
        """(T, R) per-capita GDP growth, % per year from the previous period; row 0 NaN."""
        return compound_rates(self.gdp_per_capita, self.periods)


def log_interpolate(years: np.ndarray, values: np.ndarray, at: Sequence[int]) -> np.ndarray:
    """Values at the years `at`, linear in log between the given (increasing) `years`; `values` > 0 of
    shape (len(years), ...). ValueError for a year outside [years[0], years[-1]]."""
    years = np.asarray(years, dtype=float)
    at_ = np.asarray(at, dtype=float)
    if (at_ < years[0]).any() or (at_ > years[-1]).any():
        bad = at_[(at_ < years[0]) | (at_ > years[-1])][0]
        raise ValueError(f"year {bad:g} is outside the series ({years[0]:g}-{years[-1]:g})")
    logs = np.log(np.asarray(values, dtype=float))
    j = np.clip(np.searchsorted(years, at_, side="right") - 1, 0, len(years) - 2)
    w = (at_ - years[j]) / (years[j + 1] - years[j])
    w = w.reshape((-1,) + (1,) * (logs.ndim - 1))
    return np.exp((1.0 - w) * logs[j] + w * logs[j + 1])


def compound_rates(levels: np.ndarray, periods: Sequence[int]) -> np.ndarray:
    """(T, ...) compound annual growth in % per year from period k-1 to k; row 0 NaN."""
    levels = np.asarray(levels, dtype=float)
    out = np.full(levels.shape, np.nan)
    dt = np.diff(np.asarray(periods, dtype=float)).reshape((-1,) + (1,) * (levels.ndim - 1))
    out[1:] = ((levels[1:] / levels[:-1]) ** (1.0 / dt) - 1.0) * 100.0
    return out


def ssp_levels(table: pd.DataFrame, release: str, ssp: str, regions: Sequence[str],
               periods: Sequence[int], *, key: str, file: str | None = None) -> SspLevels:
    """The levels of `release`/`ssp` at `periods` for `regions` from an ssp_drivers table (the dataset
    contract's columns). InputError naming `key` if the table lacks the series, a region or a period."""
    rows = table[(table["release"] == release) & (table["ssp"] == ssp)]
    if rows.empty:
        have = sorted({f"{r}/{s}" for r, s in zip(table["release"], table["ssp"], strict=True)})
        raise InputError(f"key '{key}': ssp_drivers.csv has no series {release}/{ssp} (has: "
                         f"{', '.join(have)})", file=file)
    pop, gpc = [], []
    for region in regions:
        r = rows[rows["region"] == region].sort_values("year")
        if len(r) < 2:
            raise InputError(f"key '{key}': ssp_drivers.csv has no {release}/{ssp} series for region "
                             f"'{region}'", file=file)
        years = r["year"].to_numpy(float)
        try:
            pop.append(log_interpolate(years, r["population"].to_numpy(float), periods))
            gpc.append(log_interpolate(years, r["gdp_per_capita"].to_numpy(float), periods))
        except ValueError as exc:
            raise InputError(f"key '{key}': the {release}/{ssp} series of ssp_drivers.csv, region "
                             f"'{region}': period {exc}", file=file) from None
    units = rows["gdp_unit"].unique()
    return SspLevels(release=release, ssp=ssp, periods=tuple(int(p) for p in periods),
                     regions=tuple(regions), population=np.column_stack(pop),
                     gdp_per_capita=np.column_stack(gpc), gdp_unit=str(units[0]))


def scenario_levels(dataset: Dataset, spec: ScenarioSpec, *, file: str | None = None) -> SspLevels | None:
    """The levels of the SSP a scenario names at its periods (None if it names none); InputError naming
    the YAML key if the dataset has no ssp_drivers.csv or the file lacks the series, a region or a
    period."""
    if spec.ssp is None:
        return None
    if dataset.ssp_drivers is None:
        raise InputError(f"key '{spec.ssp_key}': the dataset {dataset.path or ''} has no ssp_drivers.csv "
                         "(build it with `python -m petra.data.ssp`), so it cannot take "
                         f"{spec.ssp.name}", file=file)
    regions = list(dict.fromkeys(dataset.markets["region"].astype(str)))
    return ssp_levels(dataset.ssp_drivers, spec.ssp.release, spec.ssp.name, regions, spec.periods,
                      key=spec.ssp_key, file=file)


def _columns(levels: SspLevels, market_region: np.ndarray) -> np.ndarray:
    index = {r: j for j, r in enumerate(levels.regions)}
    return np.array([index[str(r)] for r in market_region], dtype=int)


def market_base_rates(levels: SspLevels, market_region: np.ndarray) -> BaseRates:
    """The SSP's population and per-capita income growth per market (its region's), % per year."""
    cols = _columns(levels, market_region)
    return BaseRates(population=levels.population_rate[:, cols], income=levels.income_rate[:, cols])


def used_levels(levels: SspLevels, arrays: DriverArrays, market_region: np.ndarray,
                scenario: str) -> pd.DataFrame:
    """Population and GDP per region and period as the run used them: the SSP's base-period level x
    the run's cumulative population and per-capita income factors (the SSP's growth, or a rule's).

    Columns scenario, period, region, population (million), gdp_ppp (population x per-capita GDP, in
    gdp_unit), gdp_unit.
    """
    market_region = np.asarray(market_region).astype(str)
    cols = _columns(levels, market_region)
    first = {r: i for i, r in reversed(list(enumerate(market_region)))}  # a market of each region
    rows = []
    for region, i in sorted(first.items(), key=lambda kv: levels.regions.index(kv[0])):
        j = cols[i]
        pop = levels.population[0, j] * arrays.population_factor[:, i]
        gdp = pop * levels.gdp_per_capita[0, j] * arrays.income_factor[:, i]
        rows.append(pd.DataFrame({"scenario": scenario, "period": list(arrays.periods), "region": region,
                                  "population": pop, "gdp_ppp": gdp, "gdp_unit": levels.gdp_unit}))
    return pd.concat(rows, ignore_index=True)


def gdp_per_capita_at(dataset: Dataset, levels: SspLevels, market_region: np.ndarray
                      ) -> dict[int, np.ndarray]:
    """GDP per capita per market at the base year and at the year the dataset's food income elasticities
    hold for (`income_response.csv` up_to_year), from the SSP's series (history is shared by the SSPs);
    {} where the dataset lacks either."""
    ir = dataset.income_response
    base = dataset.metadata.get("base_year")
    if dataset.ssp_drivers is None or ir is None or "up_to_year" not in ir.columns or base is None:
        return {}
    years = sorted({int(ir["up_to_year"].iloc[0]), int(base)})
    try:
        at = ssp_levels(dataset.ssp_drivers, levels.release, levels.ssp, list(levels.regions), years,
                        key="ssp")
    except InputError:
        return {}
    cols = _columns(levels, market_region)
    return {y: at.gdp_per_capita[k, cols] for k, y in enumerate(years)}
