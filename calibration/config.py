"""Calibration settings: weights, bounds, margins and tolerances, in configuration, not code.

Load them from a TOML or YAML file with `load_config(path)` (`petra calibrate --config FILE`). Every
key is optional (defaults below); an unknown key, a wrong type or a value out of range is an
InputError (exit 2) naming the key. Example TOML::

    tolerance = 1e-6
    unused_margin = 0.05
    default_expansion_elasticity = 2.0

    [least_squares]
    mode = "auto"
    flow_bound = 0.5

    [fit]
    error = "log"
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from petra.errors import InputError
from petra.strict_fields import no_yes_no_numbers
from petra.textfiles import load_toml, load_yaml


class _Strict(BaseModel):
    # NaN and infinity are bad input (except +inf for the relative bounds of least_squares: none)
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_yes_no(cls, value, info):
        return no_yes_no_numbers(cls, value, info)


class LeastSquaresConfig(_Strict):
    """Reconciliation of data that do not close (Jansson & Heckelei 2009 style least squares).

    The objective is sum_k w_k * ((v_k - v0_k) / scale_k)^2 over production, consumption, prices,
    observed flows and the per-route cost adjustments (prior 0, i.e. the trade cost equals
    transport cost + tariff), subject to market balance and the price links of observed routes.
    `scale_k` = max(|v0_k|, scale_floor * the commodity's mean positive value): relative deviations,
    floored so that tiny observations do not dominate.
    """

    mode: Literal["auto", "always", "never"] = Field(
        "auto", description="auto: only when some market's balance is off by more than "
        "balance_tolerance (relative); always; never (unbalanced data are then an error)")
    balance_tolerance: float = Field(1e-9, ge=0.0)
    weight_production: float = Field(1.0, ge=0.0)
    weight_consumption: float = Field(1.0, ge=0.0)
    weight_flow: float = Field(1.0, ge=0.0)
    weight_price: float = Field(1.0, ge=0.0)
    weight_cost: float = Field(0.0, ge=0.0, description="weight of the cost adjustment (relative to "
                               "the commodity price scale); 0 leaves prices at their observation")
    flow_bound: float = Field(0.5, ge=0.0, le=1.0, description="observed flows may move within "
                              "[1 - b, 1 + b] x observed (route status, used or not, never changes)")
    production_bound: float = Field(math.inf, ge=0.0, allow_inf_nan=True, description="relative bound "
                                    "on production (.inf, the default: none)")
    consumption_bound: float = Field(math.inf, ge=0.0, allow_inf_nan=True, description="relative bound "
                                     "on consumption (.inf, the default: none)")
    price_floor: float = Field(0.01, gt=0.0, le=1.0, description="prices stay >= floor x observed")
    scale_floor: float = Field(1e-3, gt=0.0)


class ConsistentConfig(_Strict):
    """The consistent calibration (`method = "consistent"`, `petra.calibration.consistent`): netting
    cycles out of the observed flows, then trade-point prices and used routes' transport costs estimated
    jointly near the observed prices and the transport-cost priors (a robust weighted least squares)."""

    price_sd: float = Field(
        0.25, gt=0.0, description="standard deviation of a market's trade-point price around its "
        "observed (farm-gate) price, relative to it")
    transport_sd: float = Field(
        0.5, gt=0.0, description="standard deviation of a used route's transport cost around its "
        "distance-based prior, relative to it")
    huber: float = Field(
        1.0, gt=0.0, description="price deviations beyond this many standard deviations are penalised "
        "linearly (Huber loss): an implausible observation does not drag its trade partners")
    transport_floor_share: float = Field(
        1.0, gt=0.0, le=1.0, description="a used route's calibrated transport cost >= share x its prior. "
        "1 (default): every cost adjustment (calibrated minus prior transport cost) is >= 0, so no "
        "route's marginal cost is negative at any flow; chosen by hindcast (README, Base-year calibration)")
    plausible_band: float = Field(
        4.0, gt=1.0, description="an observed price more than this factor above or below the median "
        "observed price of its commodity across regions is implausible: its trade price follows its "
        "partners' (weight 1e-3) and the market is listed")
    price_band: float = Field(
        2.0, gt=1.0, description="trade prices stay within [observed / band, band x observed]; a "
        "commodity whose used routes need more is calibrated with the band doubled until they fit; "
        "chosen by hindcast (README, Base-year calibration)")


class FitConfig(_Strict):
    """Fitting expansion elasticities and new-flow slopes to later observed years (`petra.calibration.fit`):
    a penalised (maximum a posteriori) fit of one-year-ahead forecasts, with a lognormal prior centred
    on the calibration defaults (`default_expansion_elasticity`, `default_new_flow_slope`)."""

    error: Literal["deviance", "log", "relative"] = Field(
        "deviance", description="deviance: Poisson deviance of the flows (the PPML objective of gravity "
        "models, linear in volume like WAPE); log: log(X + floor) errors weighted by volume; relative: "
        "(X - X_obs)/(X_obs + floor) weighted by volume")
    flow_floor: float = Field(1e-3, gt=0.0, description="floor as a share of the commodity's mean "
                              "positive base-year flow (unobserved routes, log of zero)")
    prior_sd_elasticity: float = Field(
        1.0, gt=0.0, description="prior standard deviation of ln(expansion elasticity) around "
        "ln(default_expansion_elasticity) (1.0: a factor e = 2.7 is one standard deviation)")
    prior_sd_slope: float = Field(
        2.3, gt=0.0, description="prior standard deviation of ln(new-flow slope factor) around "
        "ln(default_new_flow_slope) (2.3: a factor 10 is one standard deviation)")
    interval: float = Field(0.9, gt=0.0, lt=1.0, description="probability of the reported intervals "
                            "(Laplace approximation of the posterior)")
    elasticity_bounds: tuple[float, float] = Field(
        (0.05, 10.0), description="bounds on the fitted expansion elasticity. The upper bound is a "
        "stability limit, not an estimate: under cost cuts, flows around calibrated cycles grow by about "
        "s^-e per period (README, known limits), so globiom37 fitted on 2016-2019 with sugar at 42 "
        "fails the shipped liberalisation scenario in 2050; with 10 every shipped scenario runs. A value "
        "at a bound is flagged 'no: at bound'")
    trade_elasticity_bounds: tuple[float, float] = Field(
        (1.0, 100.0), description="bounds on the fitted trade elasticity of a commodity on the logit "
        "form (its prior: lognormal around the calibration's trade elasticity, sd prior_sd_elasticity)")
    slope_bounds: tuple[float, float] = Field(
        (1e-4, 1e4), description="bounds on the slope factor (slope = factor x p_scale / q_scale)")
    max_evaluations: int = Field(60, ge=1, description="model projections per commodity (scipy "
                                 "least_squares max_nfev, finite-difference evaluations excluded)")
    start_elasticities: tuple[float, ...] = Field(
        (0.5, 1.0, 2.0, 4.0, 8.0, 16.0), description="grid of starting elasticities: each commodity's "
        "fit starts from the best (penalised objective) of the prior and this grid x "
        "start_slope_factors (the objective has kinks where routes open or close; empty: prior only)")
    start_slope_factors: tuple[float, ...] = (0.1, 1.0, 10.0)
    group_by_exporter: dict[str, str] = Field(
        default_factory=dict, description="optional exporter -> group map: one elasticity and slope "
        "per (commodity, group); exporters not listed are group 'all'")

    @model_validator(mode="after")
    def _bounds(self):
        for name in ("elasticity_bounds", "trade_elasticity_bounds", "slope_bounds"):
            lo, hi = getattr(self, name)
            if not 0 < lo < hi:
                raise ValueError(f"{name} must satisfy 0 < low < high")
        return self


class CalibrationConfig(_Strict):
    """All calibration settings (defaults documented per field)."""

    @field_validator("trade_elasticity_by_commodity")
    @classmethod
    def _positive_elasticities(cls, value: dict[str, float]) -> dict[str, float]:
        bad = [k for k, v in value.items() if not (math.isfinite(v) and 0 < v <= 1e3)]
        if bad:
            raise ValueError(f"trade elasticities must be in (0, 1000]: {', '.join(bad[:5])}")
        return value

    method: Literal["exact", "consistent"] = Field(
        "consistent", description="exact: observed flows and prices kept, every price gap put into a "
        "per-route cost adjustment (which is negative where trade flows from the dearer market); "
        "consistent: cycles netted out of the flows and prices moved so that every trade cost is "
        ">= its floor (see [consistent]). consistent is the default: it forecast better on the hindcast "
        "selection splits of both shipped datasets (README, Forecast skill)")
    tolerance: float = Field(1e-6, gt=0.0, description="maximum relative deviation of the re-solved "
                             "calibrated base year from the (reconciled) observations")
    unused_margin: float = Field(0.05, ge=0.0, description="unobserved routes: marginal cost at zero "
                                 "flow >= price gap + margin x importer price")
    default_expansion_elasticity: float | None = Field(
        4.0, gt=0.0, description="expansion elasticity given to routes whose routes.csv leaves it "
        "empty (infinite: constant cost, which makes flows non-unique); None keeps them empty; also the "
        "prior median of the fit. 4.0 was chosen by hindcast on splits evaluated before 2018 (README, "
        "Forecast skill)")
    default_new_flow_slope: float = Field(
        1.0, ge=0.0, description="new-flow slope factor for routes with none: slope = factor x "
        "p_scale / q_scale of the commodity (mean positive price / mean market size; a new route "
        "carrying a typical market's quantity costs a typical price more at the margin). 0 keeps "
        "0: flat-cost new routes, whose flows are not unique")
    trade_elasticity: float | None = Field(
        15.0, gt=0.0, le=1e3, description="trade elasticity epsilon of the logit route cost "
        "(petra.model.route_costs.Logit) on every route traded in the base year: its observed two-way "
        "flows are kept (not netted), a cost change of a share t of the commodity's mean price moves "
        "the route's flow by exp(-epsilon*t). None: GLOBIOM's isoelastic expansion cost on netted flows. "
        "15: within the range of agricultural trade elasticities (Caliendo & Parro 2015: 9.1 for "
        "agriculture; GTAP's grain Armington elasticities x 2: 5-20) the value the selection splits "
        "prefer (they improve with epsilon; README, Forecast skill)")
    logit_unused_margin: float = Field(
        1.0, ge=0.0, description="unobserved routes of a commodity on the logit form: marginal cost at "
        "zero flow >= price gap + margin x importer price (a new route competes with the logit routes, "
        "whose flows grow smoothly; chosen on the selection splits, README, Forecast skill)")
    trade_elasticity_by_commodity: dict[str, float] = Field(
        default_factory=dict, description="commodity -> trade elasticity, overriding trade_elasticity "
        "(a commodity given here uses the logit form even when trade_elasticity is None)")
    focus_region: str = Field("CHN", description="region of the net-import chart in the report")
    main_partners: int = Field(5, ge=1, description="partners shown in the focus-region chart")
    least_squares: LeastSquaresConfig = LeastSquaresConfig()
    consistent: ConsistentConfig = ConsistentConfig()
    fit: FitConfig = FitConfig()


def load_config(path: str | Path | None) -> CalibrationConfig:
    """Read a TOML (.toml) or YAML (.yaml/.yml) configuration; None gives the defaults."""
    if path is None:
        return CalibrationConfig()
    path = Path(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        raw = load_yaml(path, what="configuration file") or {}
    else:
        raw = load_toml(path, what="configuration file")
    if not isinstance(raw, dict):
        raise InputError("configuration must be a table of keys", file=str(path))
    return parse_config(raw, str(path))


def parse_config(raw: dict, file: str | None, *, key_prefix: tuple[str, ...] = ()) -> CalibrationConfig:
    """Validate a configuration mapping; InputError naming the key (after `key_prefix`, e.g.
    ("calibration",) for the block of a scenario file) on failure."""
    try:
        return CalibrationConfig.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors()
        err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        key = ".".join(str(x) for x in (*key_prefix, *err["loc"]))
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"].removeprefix("Value error, ")
        raise InputError(f"key '{key}': {msg}", file=file) from None


def with_method(cfg: CalibrationConfig, method: str | None) -> CalibrationConfig:
    """`cfg` with its calibration method replaced (a command's --method); InputError on an unknown one."""
    if method is None:
        return cfg
    methods = CalibrationConfig.model_fields["method"].annotation.__args__
    if method not in methods:
        raise InputError(f"--method must be one of {', '.join(methods)}, not {method!r}")
    return cfg.model_copy(update={"method": method})
