"""Hindcast: petra's out-of-sample forecast skill against naive baselines (`petra hindcast`).

For a base year B, optional fit years F (observed, not B, before the first evaluation year) and
evaluation years E after B:

1. **Out-of-sample discipline.** Everything the model sees comes from a training copy of the
   dataset whose observed flows stop before the first evaluation year and whose evaluation-year
   prices are removed; of the evaluation years it keeps only production and consumption, the
   drivers. Evaluation-year flows reach only the scoring (and the baselines' margins).
2. Re-base on B (`petra.calibration.observed.at_base_year`) and calibrate exactly
   (`petra.calibration.base_year`).
3. Fit the expansion parameters on F if given (`petra.calibration.fit`: one-year-ahead forecasts of
   each fit year from the observed year before it). Fit years are usually after B (calibrate at
   B, fit on what followed); they may also precede B, which tests the configuration of a projection
   based on the latest observed year and fitted on the years before it.
4. Project every observed year from B + 1 to the last evaluation year, one year per period, each
   from the previous one (`petra.model.recursive.project_periods`), with that year's observed
   production and consumption as the supply and demand anchors, the short-run share of the supply
   elasticity (partial adjustment, `petra.productivity.supply_response`) and the route terms
   (tariffs, bans, quotas) of an optional policy applied on top.
5. Score the evaluation years' modelled flows and the baselines' against the observed flows
   (`petra.calibration.hindcast_math`): per method, commodity and year, and pooled.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from petra.calibration import hindcast_math as hm
from petra.calibration.base_year import calibrate_base_year
from petra.calibration.config import CalibrationConfig
from petra.calibration.fit import FIT_HIGHS_OPTIONS, FitResult, fit_parameters
from petra.calibration.observed import (
    at_base_year,
    check_observations,
    market_anchors,
    observed_years,
    route_flows,
    year_span,
)
from petra.dataset import Dataset
from petra.errors import InputError, SolveError
from petra.model.problem import Problem, build_problem
from petra.model.recursive import PeriodInputs, period_years, project_periods
from petra.productivity import supply_response
from petra.progress import ProgressCallback, within

HINDCAST_SOLVE_TOLERANCE = 1e-8
"""Certificate tolerance of the hindcast's projected years: 1e-8 of every market (the fit's 1e-9 is out of
reach in double precision for the country-level world dataset, whose 2018 barley stops at 3.9e-9 on
markets a million times smaller than the largest); china9 and globiom37 score the same to 3 decimals."""
HELD_RESPONSE = 0.01
"""The quantity-held variant (`petra_held`) scales every supply and demand elasticity by this: production
and consumption stay at their observed values up to a price response of 1 % of the model's, which still
pins each commodity's price level (with fixed quantities it is undetermined and the solves stall). It
isolates how petra allocates the observed net positions among partners, the question the RAS baselines
answer."""
METHODS = ("petra", "petra_held", "persistence", "last_year_shares", "net_only_ras", "net_only_ras_last",
           "ras")
"""petra (observed production and consumption anchor the curves; prices move them), petra_held (they are
held) and the baselines. net_only_ras is the fair baseline: the base year's matrix scaled to totals
built only from what petra is given (each evaluation year's net trade and the seed's two-way trade,
`hindcast_math.net_only_totals`); net_only_ras_last seeds it with the last observed year before the
evaluation (information petra's projection does not use); ras is told each year's observed gross
exports and imports, which no model is given: a ceiling, not a baseline."""
ALL = "all"


@dataclass(frozen=True)
class RouteTerms:
    """A policy's route terms in one year (data units): tau = transport + tariff (n_routes), quota
    (n_routes, +inf where none, or None), banned (n_routes bool, or None)."""

    tau: np.ndarray
    quota: np.ndarray | None = None
    banned: np.ndarray | None = None


Policy = Callable[[Dataset, Problem, list[int]], dict[int, RouteTerms]]
"""A policy: (calibrated base dataset, its problem, projected years) -> {year: RouteTerms}."""


@dataclass
class HindcastResult:
    """flows: year, exporter, importer, commodity, observed, petra, persistence, last_year_shares, ras
    (every evaluation year x route). metrics: method, commodity, year, wape, r2_log,
    partner_misallocation, observed_total (commodity/year 'all' pooled). years: base_year,
    fit_years, eval_years, projected_years, share_year (the last observed year before the evaluation).
    net_imports: year, region, commodity, observed, petra: net imports of every observed year up to
    the last evaluation year (petra: the calibrated base year and the projected years, NaN before).
    history: the same years' route flows (year, exporter, importer, commodity, observed, petra)."""

    flows: pd.DataFrame
    metrics: pd.DataFrame
    net_imports: pd.DataFrame
    history: pd.DataFrame
    years: dict
    calibration_check: dict
    fit: FitResult | None
    ras: dict
    timings: dict
    notes: list[str] = field(default_factory=list)

    def score(self, method: str = "petra", commodity: str = ALL, year: str | int = ALL,
              metric: str = "wape") -> float:
        m = self.metrics
        row = m[(m["method"] == method) & (m["commodity"] == commodity)
                & (m["year"].astype(str) == str(year))]
        return float(row[metric].iloc[0]) if len(row) else float("nan")


def check_years(dataset: Dataset, base_year: int, eval_years: list[int], fit_years: list[int]) -> None:
    """InputError (one line) for years the data lack, an evaluation year not after the base year, or
    a fit year outside (base year, first evaluation year)."""
    if not eval_years:
        raise InputError("--eval: give at least one evaluation year (e.g. 2018-2020)")
    have = observed_years(dataset)
    base_ok = base_year in have or str(dataset.metadata.get("base_year")) == str(base_year)
    if not base_ok:
        raise InputError(f"--base-year {base_year} is not an observed year (observed: {year_span(have)})",
                         file="observed_markets.csv")
    check_observations(dataset, sorted(set(eval_years) | set(fit_years)), after_base=False)
    if min(eval_years) <= base_year:
        raise InputError(f"--eval year {min(eval_years)} is not after the base year {base_year}")
    bad = [y for y in fit_years if y == base_year or y >= min(eval_years)]
    if bad:
        raise InputError(f"--fit year {bad[0]} is outside the window: fit years must be observed years "
                         f"other than the base year {base_year} and before the first evaluation year "
                         f"{min(eval_years)}")


def training_copy(dataset: Dataset, first_eval: int) -> Dataset:
    """The dataset as the model may see it: observed flows before `first_eval` only; observed
    markets of later years keep production and consumption (the drivers) without prices."""
    of = dataset.observed_flows
    om = dataset.observed_markets
    if of is not None:
        of = of[of["year"] < first_eval].reset_index(drop=True)
    if om is not None:
        om = om.copy()
        late = om["year"] >= first_eval
        if "price" in om:
            om.loc[late, "price"] = np.nan
        if "price_basis" in om:
            om.loc[late, "price_basis"] = ""
    return dataset.replace(observed_flows=of, observed_markets=om)


def projected_years(dataset: Dataset, base_year: int, last: int) -> list[int]:
    """Observed years after the base year up to `last` (the projection's annual periods)."""
    return [y for y in observed_years(dataset) if base_year < y <= last]


def project_observed(calibrated: Dataset, years: list[int], *, policy: Policy | None = None,
                     tol: float = HINDCAST_SOLVE_TOLERANCE, held: bool = False
                     ) -> tuple[Problem, dict[int, np.ndarray]]:
    """Project `years` from the calibrated base with observed production and consumption as anchors
    (and a policy's route terms); returns the problem and {year: flows}. `held`: the quantity-held
    variant (supply and demand elasticities x HELD_RESPONSE)."""
    p = build_problem(calibrated)
    if held:
        p = replace(p, es=p.es * HELD_RESPONSE, ed=p.ed * HELD_RESPONSE)
    anchors = market_anchors(calibrated, p, years)
    terms = policy(calibrated, p, years) if policy is not None else {}
    inputs = []
    base = calibrated.metadata.get("base_year")
    for i, y in enumerate(years):
        t = terms.get(y)
        inputs.append(PeriodInputs(key=y, production=anchors[y][0], consumption=anchors[y][1],
                                   tau=None if t is None else t.tau, quota=None if t is None else t.quota,
                                   banned=None if t is None else t.banned,
                                   years=period_years(y, years[i - 1] if i else base),
                                   supply_response=supply_response(period_years(
                                       y, years[i - 1] if i else base))))
    proj = project_periods(p, inputs, tol=tol, highs_options=FIT_HIGHS_OPTIONS)
    if not proj.ok:
        raise SolveError(f"hindcast projection failed: {proj.failure}")
    return p, proj.flows()


def history_tables(dataset: Dataset, p: Problem, keys: pd.DataFrame, modelled: dict[int, np.ndarray],
                   last: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every observed year up to `last` with petra's flows where it has them (the calibrated base
    year and the projected years; NaN elsewhere): route flows (year, exporter, importer, commodity,
    observed, petra) and market net imports (year, region, commodity, observed, petra)."""
    years = sorted({*[y for y in observed_years(dataset) if y <= last], *modelled})
    obs = route_flows(dataset, years)
    flows, net = [], []
    for y in years:
        m = modelled.get(y, np.full(p.n_routes, np.nan))
        flows.append(keys.assign(year=y, observed=obs[y], petra=m))
        net_of = [hm.group_totals(x, p.importer, p.n_markets) - hm.group_totals(x, p.exporter, p.n_markets)
                  for x in (obs[y], np.nan_to_num(m))]
        net.append(pd.DataFrame({"year": y, "region": p.region.astype(str),
                                 "commodity": p.commodity.astype(str), "observed": net_of[0],
                                 "petra": net_of[1] if y in modelled else np.nan}))
    cols = ["year", "exporter", "importer", "commodity", "observed", "petra"]
    return pd.concat(flows, ignore_index=True)[cols], pd.concat(net, ignore_index=True)


def baseline_flows(dataset: Dataset, p: Problem, base_year: int, share_year: int, eval_years: list[int]
                   ) -> tuple[dict[str, dict[int, np.ndarray]], dict]:
    """{method: {year: flows}} of the baselines (`METHODS`), and full RAS's convergence record per year."""
    obs = route_flows(dataset, sorted({share_year, *eval_years}))
    base = route_flows(dataset, [base_year])[base_year] if base_year in observed_years(dataset) \
        else dataset.routes["flow"].to_numpy(dtype=float)
    n = p.n_markets
    out: dict[str, dict[int, np.ndarray]] = {m: {} for m in METHODS if not m.startswith("petra")}
    records = {}
    for y in eval_years:
        imp = hm.group_totals(obs[y], p.importer, n)
        exp = hm.group_totals(obs[y], p.exporter, n)
        out["persistence"][y] = hm.carried_shares(base, imp, p.importer, n)
        out["last_year_shares"][y] = hm.carried_shares(obs[share_year], imp, p.importer, n)
        for method, seed in (("net_only_ras", base), ("net_only_ras_last", obs[share_year])):
            e, i = hm.net_only_totals(seed, exp - imp, p.exporter, p.importer, n)
            out[method][y] = hm.ras(seed, e, i, p.exporter, p.importer, n)[0]
        out["ras"][y], records[y] = hm.ras(obs[share_year], exp, imp, p.exporter, p.importer, n)
    return out, records


def metric_rows(method: str, commodity: str, year, model: np.ndarray, observed: np.ndarray,
                importer: np.ndarray, n_markets: int) -> dict:
    return {"method": method, "commodity": commodity, "year": year,
            "wape": hm.wape(model, observed), "r2_log": hm.r2_log(model, observed),
            "partner_misallocation": hm.partner_misallocation(model, observed, importer, n_markets),
            "observed_total": float(np.sum(observed))}


def score_table(p: Problem, modelled: dict[str, dict[int, np.ndarray]], observed: dict[int, np.ndarray],
                eval_years: list[int]) -> pd.DataFrame:
    """Metrics per method x commodity x year, with commodity and year 'all' pooled (routes x years;
    importers of different years are separate importers in the misallocation)."""
    rows = []
    route_c = p.commodity_index[p.exporter]
    T = len(eval_years)
    # pooled over years: stack years as separate markets so shares stay per importer and year
    imp_stack = np.concatenate([p.importer + k * p.n_markets for k in range(T)])
    for method, by_year in modelled.items():
        for c, cname in [*enumerate(p.commodities), (None, ALL)]:
            sel = np.ones(p.n_routes, bool) if c is None else route_c == c
            for y in eval_years:
                rows.append(metric_rows(method, str(cname), y, by_year[y][sel], observed[y][sel],
                                        p.importer[sel], p.n_markets))
            m = np.concatenate([by_year[y][sel] for y in eval_years])
            o = np.concatenate([observed[y][sel] for y in eval_years])
            rows.append(metric_rows(method, str(cname), ALL, m, o, imp_stack[np.tile(sel, T)],
                                    p.n_markets * T))
    return pd.DataFrame(rows)


def run_hindcast(dataset: Dataset, base_year: int, eval_years: list[int], fit_years: list[int] | None = None,
                 config: CalibrationConfig | None = None, *, policy: Policy | None = None,
                 progress: ProgressCallback | None = None) -> HindcastResult:
    """Calibrate at `base_year`, fit on `fit_years`, project to the last evaluation year and score
    petra and the baselines on `eval_years` (see module docstring); nothing is written.
    `progress(done, total, label)` after the calibration, each fitted commodity, the projection and
    the scores (petra.progress)."""
    cfg = config or CalibrationConfig()
    eval_years, fit_years = sorted(set(eval_years)), sorted(set(fit_years or []))
    check_years(dataset, base_year, eval_years, fit_years)
    t0 = time.perf_counter()
    first = eval_years[0]
    training = training_copy(dataset, first)
    n_fit = training.markets["commodity"].nunique() if fit_years else 0
    total = n_fit + 3
    step = progress if progress is not None else (lambda done, total, label: None)
    base = calibrate_base_year(at_base_year(training, base_year), cfg)
    step(1, total, f"calibrated {base_year}")
    t1 = time.perf_counter()
    fit = fit_parameters(base.dataset, fit_years, cfg, progress=within(progress, 1, total, "fit ")) \
        if fit_years else None
    final = fit.dataset if fit is not None else base.dataset
    t2 = time.perf_counter()
    years = projected_years(training, base_year, eval_years[-1])
    check_observations(training, years, after_base=False)
    p, flows = project_observed(final, years, policy=policy)
    held = project_observed(final, years, policy=policy, held=True)[1]
    step(total - 1, total, f"projected {years[0]}-{years[-1]}")
    t3 = time.perf_counter()
    share_year = max([y for y in observed_years(training) if y < first] + [base_year])
    baselines, ras_records = baseline_flows(dataset, p, base_year, share_year, eval_years)
    observed = route_flows(dataset, eval_years)
    modelled = {"petra": {y: flows[y] for y in eval_years}, "petra_held": {y: held[y] for y in eval_years},
                **baselines}
    metrics = score_table(p, modelled, observed, eval_years)
    notes = []
    if fit is None and (share_year - base_year) > 0:
        notes.append(f"petra starts from {base_year}; the share baselines see flows up to {share_year}")
    keys = final.routes[["exporter", "importer", "commodity"]].reset_index(drop=True)
    table = pd.concat([keys.assign(year=y, observed=observed[y],
                                   **{m: modelled[m][y] for m in METHODS}) for y in eval_years],
                      ignore_index=True)
    table = table[["year", "exporter", "importer", "commodity", "observed", *METHODS]]
    history, net = history_tables(dataset, p, keys, {base_year: p.flow_prev, **flows}, eval_years[-1])
    step(total, total, "scored")
    t4 = time.perf_counter()
    return HindcastResult(
        flows=table, metrics=metrics, net_imports=net, history=history,
        years={"base_year": base_year, "fit_years": fit_years, "eval_years": eval_years,
               "projected_years": years, "share_year": share_year},
        calibration_check=base.check, fit=fit, ras={int(y): r for y, r in ras_records.items()},
        timings={"calibrate_seconds": t1 - t0, "fit_seconds": t2 - t1, "project_seconds": t3 - t2,
                 "score_seconds": t4 - t3, "total_seconds": t4 - t0},
        notes=notes)
