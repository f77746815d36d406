"""The free hindcast (`petra hindcast --quantities model`): production, consumption and net trade
projected by the model itself from the base year, scored against what happened (issue 25).

The ordinary hindcast gives the model each evaluation year's observed production and consumption and
tests the bilateral pattern. Here the model gets only what a projection gets:

* the calibrated base year B (observed markets and flows of B, nothing later);
* population and GDP per capita per region and year (the SSP database's historical estimates, SSP2
  v3, interpolated log-linearly between its five-year points): demand by use (`petra.demand`, food
  with falling income elasticities, other uses per capita, feed tied to the solved livestock output;
  optionally the protein feeds' intensity trend up to B, `feed_half_life`: `petra.demand.feed_intensity`);
* productivity trends estimated only from years up to B (`petra.productivity`), partial adjustment of
  supply;

and projects every year from B + 1 one year at a time. Scored per evaluation year, over markets, as
WAPE = sum |model - observed| / sum |observed| of net imports (imports - exports), production and
consumption, against two baselines given the same information:

* **persistence**: every market's base-year production, consumption and net imports held;
* **trend**: production growing at its own log-linear trend of the ten years up to B (the FAOSTAT
  production history; persistence where there is none), consumption at the region's population growth
  (per-capita use held), net imports their difference moved by the same changes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from petra.calibration.base_year import calibrate_base_year
from petra.calibration.config import CalibrationConfig
from petra.calibration.fit import FIT_HIGHS_OPTIONS, FIT_SOLVE_TOLERANCE
from petra.calibration.observed import at_base_year, check_observations
from petra.dataset import Dataset
from petra.demand import FEED_INTENSITY_HALF_LIFE, feed_coupling, feed_intensity, non_feed_demand, uses_demand
from petra.errors import InputError, SolveError
from petra.model.certificate import market_trade
from petra.model.problem import build_problem
from petra.model.recursive import PeriodInputs, project_periods
from petra.productivity import productivity_index, productivity_rates, supply_response

QUANTITIES = ("net_imports", "production", "consumption")
TREND_YEARS = 10
"""Years of production history up to the base year the trend baseline is fitted on."""
HISTORY_RELEASE, HISTORY_SSP = "v3", "SSP2"
"""The SSP series whose historical years give population and GDP (shared by every SSP up to 2020)."""


@dataclass
class FreeHindcastResult:
    """markets: year, region, commodity and per quantity observed, petra, persistence, trend (commodity
    unit). scores: quantity, year, method, wape. seconds: time taken."""

    markets: pd.DataFrame
    scores: pd.DataFrame
    seconds: float

    def score(self, quantity: str = "net_imports", year: int | None = None, method: str = "petra") -> float:
        s = self.scores
        year = int(s["year"].max()) if year is None else year
        row = s[(s["quantity"] == quantity) & (s["year"] == year) & (s["method"] == method)]
        return float(row["wape"].iloc[0]) if len(row) else float("nan")


def history_drivers(dataset: Dataset, region: np.ndarray, years: list[int], base_year: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """(population factor, per-capita income factor) per year and market, (T, n), relative to the base
    year, from the dataset's SSP table (HISTORY_RELEASE/HISTORY_SSP), log-linear between its years."""
    t = dataset.ssp_drivers
    if t is None:
        raise InputError("the free hindcast needs the dataset's ssp_drivers.csv (population and GDP)")
    rows = t[(t["release"] == HISTORY_RELEASE) & (t["ssp"] == HISTORY_SSP)]
    pop, inc = np.ones((len(years), len(region))), np.ones((len(years), len(region)))
    for r in np.unique(region):
        g = rows[rows["region"] == r].sort_values("year")
        if len(g) < 2:
            raise InputError(f"ssp_drivers.csv has no {HISTORY_RELEASE}/{HISTORY_SSP} series for region "
                             f"'{r}'")
        yrs = g["year"].to_numpy(float)
        cols = region == r
        for name, out in (("population", pop), ("gdp_per_capita", inc)):
            lv = np.interp([base_year, *years], yrs, np.log(g[name].to_numpy(float)))
            out[:, cols] = np.exp(lv[1:] - lv[0])[:, None]
    return pop, inc


def trend_production(dataset: Dataset, region: np.ndarray, commodity: np.ndarray, base: np.ndarray,
                     base_year: int, years: list[int]) -> np.ndarray:
    """(T, n) production of the trend baseline: base-year production x exp(g (t - B)), g the log-linear
    trend of the market's production over the TREND_YEARS years up to B (0 without history)."""
    h = dataset.productivity_history
    g = np.zeros(len(region))
    if h is not None and not h.empty:
        h = h[(h["year"] <= base_year) & (h["year"] > base_year - TREND_YEARS) & (h["production"] > 0)]
        for i, (r, c) in enumerate(zip(region, commodity, strict=True)):
            s = h[(h["region"] == r) & (h["commodity"] == c)]
            if len(s) >= 5:
                g[i] = np.polyfit(s["year"].to_numpy(float), np.log(s["production"].to_numpy(float)), 1)[0]
    dt = np.asarray(years, dtype=float)[:, None] - base_year
    return base[None, :] * np.exp(g[None, :] * dt)


def wape(model: np.ndarray, observed: np.ndarray) -> float:
    """sum |model - observed| / sum |observed| (0 perfect)."""
    den = float(np.abs(observed).sum())
    return float(np.abs(model - observed).sum() / den) if den > 0 else float("nan")


def run_free_hindcast(dataset: Dataset, base_year: int, eval_years: list[int],
                      config: CalibrationConfig | None = None,
                      feed_half_life: float | None = FEED_INTENSITY_HALF_LIFE) -> FreeHindcastResult:
    """Calibrate at `base_year`, project every year to the last evaluation year with modelled quantities
    and score (see module docstring); nothing is written. feed_half_life: the protein-feed intensity
    trend's variant (`petra.demand.FEED_INTENSITY_HALF_LIFE`: None off, inf kept, else its half-life)."""
    t0 = time.perf_counter()
    eval_years = sorted(set(eval_years))
    if not eval_years or eval_years[0] <= base_year:
        raise InputError("the evaluation years must come after the base year")
    years = list(range(base_year + 1, eval_years[-1] + 1))
    check_observations(dataset, eval_years, after_base=False)
    base = at_base_year(dataset, base_year)
    cal = calibrate_base_year(base, config or CalibrationConfig()).dataset
    p = build_problem(cal)
    pop, inc = history_drivers(cal, p.region, years, base_year)
    uses = uses_demand(cal, p.region, p.commodity, p.D0, base_year)
    feed = feed_coupling(cal, p.region, p.commodity, p.S0, uses)
    nonfeed = non_feed_demand(uses, pop, inc)
    if feed is None:
        nonfeed = nonfeed + uses.feed[None, :]
    rates = productivity_rates(cal, p.region, p.commodity, base_year)
    prod = (np.ones((len(years), p.n_markets)) if rates is None
            else productivity_index(rates, years, base_year))
    k_feed = feed_intensity(cal.feed_history, p.region, p.commodity, base_year, years, feed_half_life)
    inputs = [PeriodInputs(key=y, production=p.S0 * prod[k], consumption=nonfeed[k],
                           feed=None if feed is None else feed.at(
                               None if feed_half_life is None else k_feed[k]),
                           supply_response=supply_response(1.0), years=1.0)
              for k, y in enumerate(years)]
    proj = project_periods(p, inputs, tol=FIT_SOLVE_TOLERANCE, highs_options=FIT_HIGHS_OPTIONS)
    if not proj.ok:
        raise SolveError(f"free hindcast projection failed: {proj.failure}")
    om = dataset.observed_markets.set_index(["year", "region", "commodity"])
    of = dataset.observed_flows
    rows, scores = [], []
    base_net = market_trade(p, p.flow_prev)[0] - market_trade(p, p.flow_prev)[1]
    trend_s = trend_production(dataset, p.region, p.commodity, p.S0, base_year, eval_years)
    for j, y in enumerate(eval_years):
        k = years.index(y)
        idx = pd.MultiIndex.from_arrays([np.full(p.n_markets, y), p.region, p.commodity])
        obs_s = om["production"].reindex(idx).to_numpy(float)
        obs_d = om["consumption"].reindex(idx).to_numpy(float)
        fy = of[of["year"] == y]
        imp = fy.groupby(["importer", "commodity"])["flow"].sum()
        exp = fy.groupby(["exporter", "commodity"])["flow"].sum()
        key = pd.MultiIndex.from_arrays([p.region, p.commodity])
        obs_n = imp.reindex(key, fill_value=0.0).to_numpy() - exp.reindex(key, fill_value=0.0).to_numpy()
        model = {"net_imports": proj.imports[k] - proj.exports[k], "production": proj.S[k],
                 "consumption": proj.D[k]}
        trend_d = p.D0 * pop[k]
        trend = {"production": trend_s[j], "consumption": trend_d,
                 "net_imports": base_net + (trend_d - p.D0) - (trend_s[j] - p.S0)}
        persist = {"net_imports": base_net, "production": p.S0, "consumption": p.D0}
        observed = {"net_imports": obs_n, "production": obs_s, "consumption": obs_d}
        for q in QUANTITIES:
            ok = np.isfinite(observed[q])
            for method, values in (("petra", model), ("persistence", persist), ("trend", trend)):
                scores.append({"quantity": q, "year": y, "method": method,
                               "wape": wape(values[q][ok], observed[q][ok])})
            rows.append(pd.DataFrame({"year": y, "region": p.region, "commodity": p.commodity,
                                      "quantity": q, "observed": observed[q], "petra": model[q],
                                      "persistence": persist[q], "trend": trend[q]}))
    return FreeHindcastResult(markets=pd.concat(rows, ignore_index=True), scores=pd.DataFrame(scores),
                              seconds=time.perf_counter() - t0)
