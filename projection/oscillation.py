"""Oscillation between periods: routes that switch on and off again, prices that zig-zag (pure functions).

A recursive-dynamic model with a switch between cost regimes (isoelastic on used routes, quadratic
new-flow cost on unused ones) can cycle: a route closes in one period, reopens the next, closes
again. That is worth reporting (it usually signals a new-flow slope or expansion elasticity that
makes the two regimes disagree) but it is not an error.
"""

from __future__ import annotations

import numpy as np


def route_flips(X: np.ndarray) -> np.ndarray:
    """Per route (columns of X, shape (T, m)), the number of times its used status returns to what
    it was two periods before after changing: on-off-on or off-on-off patterns."""
    used = np.asarray(X) > 0
    if used.shape[0] < 3:
        return np.zeros(used.shape[1], dtype=np.int64)
    a, b, c = used[:-2], used[1:-1], used[2:]
    return ((a != b) & (a == c)).sum(axis=0)


def price_zigzags(P: np.ndarray, threshold: float = 0.05) -> np.ndarray:
    """Per market (columns of P, shape (T, n)), the number of sign reversals of the period-to-period
    price change that are part of a zig-zag: two reversals in a row (up-down-up or down-up-down),
    every change in them larger than `threshold` (relative). A single turning point (prices rise,
    then fall as demand growth slows) is not an oscillation and counts 0."""
    P = np.asarray(P, dtype=float)
    if P.shape[0] < 4:
        return np.zeros(P.shape[1], dtype=np.int64)
    rel = np.diff(P, axis=0) / np.maximum(np.abs(P[:-1]), 1e-300)
    big = np.abs(rel) > threshold
    rev = (np.sign(rel[:-1]) * np.sign(rel[1:]) < 0) & big[:-1] & big[1:]
    zig = rev[:-1] & rev[1:]
    return (zig.sum(axis=0) > 0) * (rev.sum(axis=0))
