"""The scenario file's `uncertainty:` block: rules that draw a number from a distribution and apply it
to dataset parameters (the schema, validated with the rest of the file; `petra ensemble` samples
them in `petra.ensemble.distributions`).

Example::

    uncertainty:
      - {target: supply_elasticity, commodity: soybeans, distribution: normal, mean: 1.0, sd: 0.2}
      - {target: demand_elasticity, distribution: uniform, low: 0.8, high: 1.2}
      - {target: expansion_elasticity, exporter: [BRA, ARG], importer: CHN,
         distribution: lognormal, median: 1.0, sigma: 0.3}
      - {target: intensity, indicator: water_blue, distribution: triangular,
         low: 0.7, mode: 1.0, high: 1.5, independent: true}
      - {target: supply_elasticity, region: CHN, commodity: maize, apply: value,
         distribution: uniform, low: 0.05, high: 0.4}

target        supply_elasticity, demand_elasticity (markets; selectors region, commodity),
              expansion_elasticity (routes; exporter, importer, commodity),
              intensity (intensities.csv rows; region, commodity, indicator; every period)
distribution  normal (mean, sd), uniform (low, high), triangular (low, mode, high),
              lognormal (median, sigma: the median and the standard deviation of the log)
apply         factor (default): the dataset value is multiplied by the draw (dimensionless);
              value: the draw replaces it (in the target's unit: elasticities dimensionless,
              intensities in the row's unit)
independent   false (default): one draw per rule, shared by every selected entity (fully
              correlated); true: one draw per selected entity (market, route, or region x
              commodity x indicator for intensities)

A missing selector selects all. Rules apply in file order, after the scenario's own elasticity
rules (the uncertainty is around the scenario's central values), so a later rule acts on the result
of an earlier one. Draws outside the target's domain (a normal tail) are clipped to its edge:
supply in [0, 1e3], demand in [-1e3, 0], expansion in [EXPANSION_FLOOR, 1e3], intensity in [0, 1e9]
(petra.bounds, the dataset contract's ranges); a known-missing intensity
(empty) stays missing. Distributions whose support lies outside the domain are rejected.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from petra import bounds
from petra.selectors import Names
from petra.strict_fields import no_yes_no_numbers

EXPANSION_FLOOR = 0.05  # smallest trade-expansion elasticity a draw may give (the fit's lower bound)

MARKET_TARGETS = ("supply_elasticity", "demand_elasticity")
ROUTE_TARGETS = ("expansion_elasticity",)
INTENSITY_TARGETS = ("intensity",)
SELECTORS = {
    "supply_elasticity": ("region", "commodity"),
    "demand_elasticity": ("region", "commodity"),
    "expansion_elasticity": ("exporter", "importer", "commodity"),
    "intensity": ("region", "commodity", "indicator"),
}
PARAMETERS = {
    "normal": ("mean", "sd"),
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "lognormal": ("median", "sigma"),
}


class UncertaintyRule(BaseModel):
    """One uncertainty rule (see module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_yes_no(cls, value, info):
        return no_yes_no_numbers(cls, value, info)

    target: Literal["supply_elasticity", "demand_elasticity", "expansion_elasticity", "intensity"]
    region: Names = None
    commodity: Names = None
    exporter: Names = None
    importer: Names = None
    indicator: Names = None
    distribution: Literal["normal", "uniform", "triangular", "lognormal"]
    mean: float | None = None
    sd: float | None = None
    low: float | None = None
    high: float | None = None
    mode: float | None = None
    median: float | None = None
    sigma: float | None = None
    apply: Literal["factor", "value"] = "factor"
    independent: bool = False

    @model_validator(mode="after")
    def _check(self):
        for s in ("region", "commodity", "exporter", "importer", "indicator"):
            if getattr(self, s) is not None and s not in SELECTORS[self.target]:
                raise ValueError(f"'{s}' is not a selector of target {self.target} "
                                 f"(use {', '.join(SELECTORS[self.target])})")
        needed = PARAMETERS[self.distribution]
        for p in ("mean", "sd", "low", "high", "mode", "median", "sigma"):
            v = getattr(self, p)
            if p in needed and v is None:
                raise ValueError(f"a {self.distribution} distribution needs '{p}'")
            if p not in needed and v is not None:
                raise ValueError(f"'{p}' is not a parameter of a {self.distribution} distribution "
                                 f"(give {', '.join(needed)})")
            if v is not None and not math.isfinite(v):
                raise ValueError(f"'{p}' must be finite")
        d = self.distribution
        if d == "normal" and self.sd < 0:
            raise ValueError("sd must be >= 0")
        if d == "uniform" and not self.low <= self.high:
            raise ValueError("uniform needs low <= high")
        if d == "triangular" and not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError("triangular needs low <= mode <= high and low < high")
        if d == "lognormal" and not (self.median > 0 and self.sigma >= 0):
            raise ValueError("lognormal needs median > 0 and sigma >= 0")
        top = bounds.LOG_SIGMA_MAX
        if d == "lognormal" and self.sigma > top:
            raise ValueError(f"sigma is at most {top:g} (a factor e^{top:g} = {math.exp(top):,.0f} per "
                             "standard deviation; beyond it nearly every draw is clipped to the edge of the "
                             f"valid range), not {self.sigma:g}")
        lo, hi = support(self)
        dom_lo, dom_hi = domain(self)
        outside = hi < dom_lo or lo > dom_hi
        if outside or (self.distribution == "normal" and not dom_lo <= self.mean <= dom_hi):
            raise ValueError(f"the distribution lies outside the valid range [{dom_lo:g}, {dom_hi:g}] "
                             f"of a {self.target} {'factor' if self.apply == 'factor' else 'value'}")
        return self

    def selectors(self) -> dict[str, tuple[str, ...]]:
        """The selectors given (name -> names)."""
        return {s: getattr(self, s) for s in SELECTORS[self.target] if getattr(self, s) is not None}


def support(rule: UncertaintyRule) -> tuple[float, float]:
    """The distribution's support [low, high] (normal: the whole line; lognormal: (0, inf))."""
    if rule.distribution in ("uniform", "triangular"):
        return rule.low, rule.high
    if rule.distribution == "lognormal":
        return 0.0, math.inf
    return -math.inf, math.inf


def domain(rule: UncertaintyRule) -> tuple[float, float]:
    """Valid range of a rule's draws: factors are >= 0 (a sign never flips); values follow the target."""
    if rule.apply == "factor":
        return 0.0, math.inf
    return TARGET_DOMAIN[rule.target]


TARGET_DOMAIN = {  # the dataset contract's ranges (petra.bounds), so a clipped draw is always valid
    "supply_elasticity": (0.0, bounds.ELASTICITY_MAX),
    "demand_elasticity": (-bounds.ELASTICITY_MAX, 0.0),
    "expansion_elasticity": (EXPANSION_FLOOR, bounds.ELASTICITY_MAX),
    "intensity": (0.0, bounds.INTENSITY_MAX),
}
