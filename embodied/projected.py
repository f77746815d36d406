"""Intensities of projected periods (pure functions over intensity tables).

The rule (issue 14): every (region, commodity, indicator) starts from its **latest known value** at or
before the base period, the year it comes from recorded in ``known_period`` (a value given as missing
in the last observed year, e.g. land of 2020 where the area extract ends in 2019, never blanks the
projection);

* land and pasture per tonne (``YIELD_DRIVEN``) move with the scenario's yield driver:
  ``I[R,P,T] = I[R,P,known] / Y[R,P,T]`` with ``Y`` the cumulative yield factor of the period relative
  to the base period (1 at the base period; ``petra run``'s supply factor, (1 + yield)^dt compounded);
* every other indicator (water, nitrogen, GHG per tonne) is carried unchanged from its latest known
  value.

Intensities observed after the base period are not used (a projection based on 2017 does not see
2018's data). A (region, commodity, indicator) without any known value at or before the base period
stays missing (NaN, with the reason of its latest row).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

YIELD_DRIVEN = ("land", "pasture")
"""Indicators per tonne that scale with 1 / the scenario's yield factor."""
PROJECTED_COLUMNS = ["region", "commodity", "period", "indicator", "value", "unit", "source", "known_period"]


def latest_known(intensities: pd.DataFrame, up_to: int) -> pd.DataFrame:
    """Per (region, commodity, indicator): the latest non-missing value with period <= `up_to`.

    Returns region, commodity, indicator, value, unit, source, known_period (NaN value and NA
    known_period, with the latest row's source as the reason, where none is known)."""
    it = intensities[intensities["period"].astype(np.int64) <= int(up_to)]
    if "source" not in it.columns:
        it = it.assign(source="")
    it = it.sort_values("period", kind="stable")
    keys = ["region", "commodity", "indicator"]
    known = it[it["value"].notna()].groupby(keys, sort=False).tail(1)
    last = it.groupby(keys, sort=False).tail(1)
    out = last[keys + ["unit", "source"]].merge(
        known[keys + ["value", "unit", "source", "period"]].rename(
            columns={"unit": "_unit", "source": "_source", "period": "known_period"}),
        on=keys, how="left")
    has = out["value"].notna()
    out.loc[has, "unit"] = out.loc[has, "_unit"]
    out.loc[has, "source"] = out.loc[has, "_source"]
    out["known_period"] = out["known_period"].astype("Int64")
    return out[keys + ["value", "unit", "source", "known_period"]].reset_index(drop=True)


def project_intensities(intensities: pd.DataFrame, periods, base_period: int,
                        yield_factor: pd.DataFrame | None = None) -> pd.DataFrame:
    """Intensities of every period in `periods` by the module's rule.

    intensities: region, commodity, period, indicator, value, unit [, source] (NaN = missing).
    yield_factor: region, commodity, period, factor (dimensionless, cumulative from the base period);
    absent markets or periods have factor 1. Returns PROJECTED_COLUMNS, one row per (region,
    commodity, indicator) of the table and period; ``source`` says how the value was obtained.
    """
    it = intensities.copy()
    if "source" not in it.columns:
        it["source"] = ""
    it["source"] = it["source"].fillna("").astype(str)
    base = latest_known(it, base_period)
    per = pd.DataFrame({"period": np.asarray(sorted({int(p) for p in periods}), dtype=np.int64)})
    out = base.merge(per, how="cross")
    factor = np.ones(len(out))
    if yield_factor is not None and len(yield_factor):
        yf = yield_factor[["region", "commodity", "period", "factor"]].assign(
            period=lambda d: d["period"].astype(np.int64))
        f = out[["region", "commodity", "period"]].merge(yf, on=["region", "commodity", "period"], how="left")
        factor = f["factor"].fillna(1.0).to_numpy(dtype=float)
    scaled = out["indicator"].isin(YIELD_DRIVEN).to_numpy()
    value = out["value"].to_numpy(dtype=float)
    out["value"] = np.where(scaled, value / factor, value)
    known = out["value"].notna().to_numpy()
    kp = out["known_period"].astype("float").to_numpy()
    src = out["source"].to_numpy(dtype=object)
    moved = known & scaled & (factor != 1.0)
    carried = known & ~moved & (kp != out["period"].to_numpy())
    label = np.array([f"{int(k)}" if np.isfinite(k) else "" for k in kp], dtype=object)
    src = np.where(moved, "projected: " + label + " value / scenario yield factor; " + src, src)
    src = np.where(carried, "carried from " + label + "; " + src, src)
    out["source"] = src
    return out[PROJECTED_COLUMNS].sort_values(["region", "commodity", "period", "indicator"]).reset_index(
        drop=True)
