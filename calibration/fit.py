"""Fitting expansion elasticities and new-flow slopes so that projections track later observed years.

Parameters, per commodity (and optionally per exporter group, `fit.group_by_exporter`):
expansion elasticity e > 0 (all routes of the group) and a new-flow slope factor f > 0, with
new_flow_slope = f x p_scale / q_scale of the commodity (mean positive price / mean market size).

For a parameter vector, the calibrated base year is projected recursively over the observed years
(`petra.model.recursive.project`: flows of year t-1 anchor year t's routes, observed production and
consumption of year t anchor the curves at base prices) and compared with the observed flows:

    residual_{r,t} = sqrt(w_{r,t}) * err(X_model, X_obs)
    w_{r,t} = (X_obs + floor) / sum_r (X_obs + floor)   (trade-volume weights, each year sums to 1)
    err = log(X_model + floor) - log(X_obs + floor)       (fit.error = "log", default)
        or (X_model - X_obs) / (X_obs + floor)            (fit.error = "relative")

floor = fit.flow_floor x the commodity's mean positive base-year flow. The base-year calibration does
not depend on e or f (it only sets cost adjustments), so the base year stays exact for any fit.
Commodities do not interact, so each commodity is fitted separately on its own sub-problem
(scipy.optimize.least_squares, trust-region reflective on log-parameters within bounds, finite-
difference Jacobian, started from the best of the defaults and a grid of (e, f) (`fit.start_*`); every
evaluation is a projection, i.e. one model solve per year).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from petra.calibration.config import CalibrationConfig
from petra.calibration.observed import check_observations, market_anchors, route_flows
from petra.dataset import Dataset
from petra.errors import PetraError
from petra.model.problem import Problem, build_problem, commodity_slice
from petra.model.recursive import anchored_inputs, project_periods

FIT_SOLVE_TOLERANCE = 1e-9
# HiGHS's interior-point QP without the model's active-set fallback: with highspy 1.15.1 the active-set
# solver (qpasm) segfaults on some of the QPs a parameter search produces (see the report to the model
# owner); a period HiPO cannot solve then raises SolveError, which the fit scores as a failed evaluation
FIT_HIGHS_OPTIONS = {"solver": "ipm"}


@dataclass
class FitResult:
    """parameters: commodity, group, routes, expansion_elasticity, new_flow_slope_factor,
    default_expansion_elasticity, default_new_flow_slope_factor, objective_default, objective_fitted,
    improvement (1 - fitted/default; objective_default is inf and improvement NaN where the model
    could not be solved with the default values), evaluations, status. dataset: the calibrated
    dataset with the fitted values in routes.csv."""

    parameters: pd.DataFrame
    dataset: Dataset
    years: list[int]
    seconds: float


def slope_unit(p: Problem) -> float:
    """p_scale / q_scale of a one-commodity problem (the unit of the slope factor)."""
    return float(p.p_scale[0] / p.q_scale[0])


def flow_residuals(X_model: dict, X_obs: dict, floor: float, error: str) -> np.ndarray:
    """Weighted residuals over years (see module docstring)."""
    out = []
    for y, xo in X_obs.items():
        xm = np.maximum(X_model[y], 0.0)
        w = (xo + floor) / np.sum(xo + floor)
        if error == "log":
            err = np.log(xm + floor) - np.log(xo + floor)
        else:
            err = (xm - xo) / (xo + floor)
        out.append(np.sqrt(w) * err)
    return np.concatenate(out) if out else np.zeros(0)


class _CommodityFit:
    """Projection of one commodity as a function of its log-parameters."""

    def __init__(self, sub: Problem, groups: np.ndarray, anchors: dict, X_obs: dict, floor: float,
                 error: str):
        self.sub, self.groups, self.anchors, self.X_obs = sub, groups, anchors, X_obs
        self.floor, self.error = floor, error
        self.n_groups = int(groups.max()) + 1 if groups.size else 0
        self.unit = slope_unit(sub)
        self.evaluations = 0
        self.failures = 0

    def problem_for(self, theta: np.ndarray) -> Problem:
        g = self.n_groups
        e = np.exp(theta[:g])[self.groups]
        f = np.exp(theta[g:])[self.groups]
        return self.sub.with_routes(elasticity=e, slope=f * self.unit)

    def model_flows(self, problem: Problem) -> dict:
        return project_periods(problem, anchored_inputs({y: self.anchors[y] for y in self.X_obs}),
                               tol=FIT_SOLVE_TOLERANCE, highs_options=FIT_HIGHS_OPTIONS,
                               raise_on_failure=True).flows()

    def residuals_of(self, problem: Problem) -> np.ndarray:
        self.evaluations += 1
        try:
            xm = self.model_flows(problem)
        except PetraError:
            # a parameter vector for which a period cannot be solved: as bad as all flows off by e^3
            self.failures += 1
            return np.full(sum(v.size for v in self.X_obs.values()), 3.0)
        return flow_residuals(xm, self.X_obs, self.floor, self.error)

    def __call__(self, theta: np.ndarray) -> np.ndarray:
        return self.residuals_of(self.problem_for(theta))


def fit_parameters(calibrated: Dataset, years: list[int], config: CalibrationConfig | None = None
                   ) -> FitResult:
    """Fit elasticities and new-flow slopes of a calibrated dataset to observed `years`."""
    cfg = config or CalibrationConfig()
    fc = cfg.fit
    t0 = time.perf_counter()
    years = sorted(years)
    check_observations(calibrated, years)
    p = build_problem(calibrated)
    anchors = market_anchors(calibrated, p, years)
    flows = route_flows(calibrated, years)
    group_names = np.array([fc.group_by_exporter.get(str(r), "all") for r in p.region[p.exporter]],
                           dtype=object)
    elasticity = p.elasticity.copy()
    slope = p.slope.copy()
    rows = []
    for c, cname in enumerate(p.commodities):
        sub, mk, rt = commodity_slice(p, c)
        if rt.size == 0:
            continue
        names, groups = np.unique(group_names[rt], return_inverse=True)
        pos_flow = sub.flow_prev[sub.flow_prev > 0]
        floor = fc.flow_floor * (pos_flow.mean() if pos_flow.size else sub.q_scale[0])
        obj = _CommodityFit(sub, groups, {y: (a[0][mk], a[1][mk]) for y, a in anchors.items()},
                            {y: flows[y][rt] for y in years}, floor, fc.error)
        unit = obj.unit
        e_def = np.array([_typical(sub.elasticity[groups == g], 2.0) for g in range(len(names))])
        f_def = np.array([_typical(sub.slope[groups == g] / unit, 1.0) for g in range(len(names))])
        lo = np.log(np.r_[[fc.elasticity_bounds[0]] * len(names), [fc.slope_bounds[0]] * len(names)])
        hi = np.log(np.r_[[fc.elasticity_bounds[1]] * len(names), [fc.slope_bounds[1]] * len(names)])
        r_default = obj.residuals_of(sub)  # the dataset's own (possibly per-route) values
        default_failed = obj.failures > 0
        # start from the best of the defaults and a small grid (same value for every group): the
        # objective has kinks where routes open or close, so a local method needs a good start
        starts = [np.r_[e_def, f_def]]
        starts += [np.r_[np.full(len(names), e), np.full(len(names), f)]
                   for e in fc.start_elasticities for f in fc.start_slope_factors]
        x0, best = None, np.inf
        for start in starts:
            x = np.clip(np.log(start), lo + 1e-9, hi - 1e-9)
            failures = obj.failures
            r = obj(x)
            val = float(r @ r) if obj.failures == failures else np.inf
            if val < best or x0 is None:
                x0, best = x, val
        ls = least_squares(obj, x0, bounds=(lo, hi), method="trf", diff_step=1e-4, x_scale=1.0,
                           ftol=1e-10, xtol=1e-10, gtol=1e-12, max_nfev=fc.max_evaluations)
        theta = ls.x
        fitted = obj.problem_for(theta)
        obj_default = float(r_default @ r_default) if not default_failed else float("inf")
        obj_fitted = float(ls.fun @ ls.fun)
        status = ls.message + (f" ({obj.failures} evaluations could not be solved)" if obj.failures else "")
        if obj_fitted > obj_default:  # never report a fit worse than the defaults
            theta, obj_fitted, status = None, obj_default, "kept defaults (fit not better)"
            fitted = sub
        elasticity[rt] = fitted.elasticity
        slope[rt] = fitted.slope
        g = len(names)
        for k, name in enumerate(names):
            e_k = float(np.exp(theta[k])) if theta is not None else float("nan")
            f_k = float(np.exp(theta[g + k])) if theta is not None else float("nan")
            rows.append({"commodity": cname, "group": name, "routes": int((groups == k).sum()),
                         "expansion_elasticity": e_k, "new_flow_slope_factor": f_k,
                         "new_flow_slope": f_k * unit,
                         "default_expansion_elasticity": float(e_def[k]),
                         "default_new_flow_slope_factor": float(f_def[k]),
                         "objective_default": obj_default, "objective_fitted": obj_fitted,
                         "improvement": (1.0 - obj_fitted / obj_default if np.isfinite(obj_default)
                                         and obj_default > 0 else float("nan")),
                         "evaluations": obj.evaluations, "status": status})
    routes = calibrated.routes.copy()
    routes["expansion_elasticity"] = elasticity
    routes["new_flow_slope"] = slope
    meta = dict(calibrated.metadata)
    meta.setdefault("calibration", {})
    meta["calibration"] = {**meta["calibration"], "fitted_years": years,
                           "fit_error": fc.error}
    fitted_ds = calibrated.replace(routes=routes, metadata=meta)
    return FitResult(parameters=pd.DataFrame(rows), dataset=fitted_ds, years=years,
                     seconds=time.perf_counter() - t0)


def _typical(values: np.ndarray, fallback: float) -> float:
    """Median of the finite positive values, `fallback` if none."""
    v = values[np.isfinite(values) & (values > 0)]
    return float(np.median(v)) if v.size else fallback


def synthetic_history(calibrated: Dataset, years: list[int], elasticity: dict[str, float],
                      slope_factor: dict[str, float], *, sigma: float = 0.15, seed: int = 0
                      ) -> Dataset:
    """Observed years generated by the model itself with known parameters (for tests/benchmarks).

    Production and consumption anchors drift by lognormal(0, sigma) shocks per year and market
    (consumption rescaled so that each commodity's world totals match production); the projection with
    per-commodity `elasticity` and `slope_factor` gives the observed flows and prices. Returns
    `calibrated` with observed_markets / observed_flows set (its routes keep their own parameters).
    """
    rng = np.random.default_rng(seed)
    p = build_problem(calibrated)
    c_of_route = p.commodity_index[p.exporter]
    e = np.array([elasticity[str(c)] for c in p.commodities])[c_of_route]
    unit = (p.p_scale / p.q_scale)[c_of_route]
    f = np.array([slope_factor[str(c)] for c in p.commodities])[c_of_route]
    truth = p.with_routes(elasticity=e, slope=f * unit)
    S, D = p.S0.copy(), p.D0.copy()
    anchors = {}
    for y in years:
        S = S * rng.lognormal(0.0, sigma, S.size)
        D = D * rng.lognormal(0.0, sigma, D.size)
        tot_s = np.bincount(p.commodity_index, S)
        tot_d = np.bincount(p.commodity_index, D)
        D = D * (tot_s / tot_d)[p.commodity_index]
        anchors[y] = (S.copy(), D.copy())
    proj = project_periods(truth, anchored_inputs(anchors), tol=FIT_SOLVE_TOLERANCE, raise_on_failure=True)
    om, of = [], []
    for year, X, price in zip(proj.periods, proj.X, proj.P, strict=True):
        om.append(pd.DataFrame({"year": year, "region": p.region, "commodity": p.commodity,
                                "production": anchors[year][0], "consumption": anchors[year][1],
                                "price": price}))
        keep = X > 1e-9 * p.q_scale[c_of_route]
        r = calibrated.routes
        of.append(pd.DataFrame({"year": year, "exporter": r["exporter"][keep],
                                "importer": r["importer"][keep], "commodity": r["commodity"][keep],
                                "flow": X[keep]}))
    return calibrated.replace(observed_markets=pd.concat(om, ignore_index=True),
                              observed_flows=pd.concat(of, ignore_index=True))
