"""Price fidelity of a calibration: the calibrated base year's prices against the observed ones.

A modeller's first check of a calibrated base year is whether its prices are the ones in the data.
petra reports two prices per market: `price`, at which the supply and demand curves are anchored and
which every output reports, and `trade_price`, the trade-point price at which arbitrage happens
(`petra.calibration.consistent`; equal to price without one). Both are set beside the observed
(FAOSTAT producer) price of the base year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FAR_SHARE = 0.3
"""A price more than this share away from the observed one counts as far off."""


def price_table(observed: pd.DataFrame, calibrated: pd.DataFrame) -> pd.DataFrame:
    """Per market: region, commodity, observed, price, trade_price, price_deviation, trade_deviation
    (relative to observed; NaN where the observed price is not a number).

    observed, calibrated: markets tables of the input and the calibrated dataset (same rows)."""
    obs = observed["price"].to_numpy(dtype=float)
    price = calibrated["price"].to_numpy(dtype=float)
    trade = (calibrated["trade_price"].to_numpy(dtype=float) if "trade_price" in calibrated.columns
             else price)
    trade = np.where(np.isfinite(trade), trade, price)
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame({
            "region": calibrated["region"].to_numpy(), "commodity": calibrated["commodity"].to_numpy(),
            "observed": obs, "price": price, "trade_price": trade,
            "price_deviation": price / obs - 1.0, "trade_deviation": trade / obs - 1.0})


def fidelity(prices: pd.DataFrame) -> dict:
    """Headline numbers of `price_table`: markets, and for the reported and the trade price the median
    and worst absolute deviation, the number of markets beyond FAR_SHARE and beyond half or double."""
    out = {"markets": int(len(prices))}
    for name, col in (("price", "price_deviation"), ("trade_price", "trade_deviation")):
        d = prices[col].to_numpy(dtype=float)
        d = d[np.isfinite(d)]
        ratio = 1.0 + d
        out[name] = {"median": float(np.median(np.abs(d))) if d.size else 0.0,
                     "worst": float(np.max(np.abs(d))) if d.size else 0.0,
                     "beyond_30pct": int((np.abs(d) > FAR_SHARE).sum()),
                     "beyond_half_or_double": int(((ratio < 0.5) | (ratio > 2.0)).sum())}
    return out
