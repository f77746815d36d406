"""Income elasticity of food demand that falls as income rises: pure functions (no file access).

Each region keeps its own base-year elasticity e0 (its offset, at its base-year GDP per capita y0);
the elasticity moves with log income along the commodity's slope s (a dataset's
`income_response.csv`, estimated across countries by petra.data.income_response):

    e(y) = clip(e0 + s * ln(y / y0), low, high)

Integrated over income this is the log-quadratic Engel curve ln q(y) - ln q(y0) = e0 x + s x^2 / 2 with
x = ln(y / y0) (until a bound is reached; linear in x beyond it): `food_demand_index` gives the
per-capita food demand shifter q(y) / q(y0) at constant prices. GDP per capita in any one unit (the
ratio counts), elasticities dimensionless.
"""

from __future__ import annotations

import numpy as np


def food_income_elasticity(base_elasticity, gdp_pc_base, gdp_pc_now, slope, bounds):
    """e0 + slope * ln(gdp_pc_now / gdp_pc_base), clipped to bounds = (low, high). Arrays broadcast;
    an e0 outside the bounds moves towards them, never past its own value (the bounds widen to hold
    it: a region's offset is kept)."""
    e0 = np.asarray(base_elasticity, dtype=float)
    low, high = np.minimum(bounds[0], e0), np.maximum(bounds[1], e0)
    x = np.log(np.asarray(gdp_pc_now, dtype=float) / np.asarray(gdp_pc_base, dtype=float))
    return np.clip(e0 + np.asarray(slope, dtype=float) * x, low, high)


def food_demand_index(base_elasticity, gdp_pc_base, gdp_pc_now, slope, bounds):
    """Per-capita food demand at gdp_pc_now relative to gdp_pc_base at constant prices:
    exp(integral of food_income_elasticity over ln y from ln y0 to ln y), in closed form (the
    elasticity is linear in ln y until it reaches a bound, constant beyond)."""
    e0 = np.asarray(base_elasticity, dtype=float)
    s = np.asarray(slope, dtype=float)
    low, high = np.minimum(bounds[0], e0), np.maximum(bounds[1], e0)
    x = np.log(np.asarray(gdp_pc_now, dtype=float) / np.asarray(gdp_pc_base, dtype=float))
    e0, s, low, high, x = np.broadcast_arrays(e0, s, low, high, x)
    # the log income change after which the line meets the bound it travels towards (0 if it starts there)
    target = np.where(s * x > 0, high, low)
    with np.errstate(divide="ignore", invalid="ignore"):
        reach = np.where(s != 0, np.abs((target - e0) / np.where(s != 0, s, 1.0)), np.inf)
    inside = np.minimum(np.abs(x), reach) * np.sign(x)
    beyond = x - inside
    e_end = e0 + s * inside
    return np.exp(e0 * inside + s * inside * inside / 2.0 + e_end * beyond)
