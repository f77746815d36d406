"""Sampling the scenario file's uncertainty rules (pure): draws of a rule's distribution and
clipping to the target's domain. The rules themselves are `petra.projection.uncertainty_rules`."""

from __future__ import annotations

import math

import numpy as np

from petra.projection.uncertainty_rules import TARGET_DOMAIN, UncertaintyRule


def sample(rule: UncertaintyRule, rng: np.random.Generator, size: int) -> np.ndarray:
    """`size` independent draws of the rule's distribution (no clipping)."""
    d = rule.distribution
    if d == "normal":
        return rng.normal(rule.mean, rule.sd, size)
    if d == "uniform":
        return rng.uniform(rule.low, rule.high, size)
    if d == "triangular":
        return rng.triangular(rule.low, rule.mode, rule.high, size)
    return rng.lognormal(math.log(rule.median), rule.sigma, size)


def clip_to_target(target: str, values: np.ndarray) -> np.ndarray:
    """Values clipped to the target's domain (supply >= 0, demand <= 0, expansion >= floor, ...)."""
    lo, hi = TARGET_DOMAIN[target]
    return np.clip(values, lo, hi)
