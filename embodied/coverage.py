"""Coverage of embodied totals: the share of the volume whose intensity is known.

An embodied total (e.g. China's ``Embodied Land|Cropland|Imports``) sums the routes (or productions)
whose intensity is known; its coverage is their volume over the whole volume of the same region,
period and account:

    coverage[R,T,i,a] = sum_{rows with a known intensity i} q / sum_{all rows} q

with q the flow of each route into R (imports), out of R (exports), R's production (production_based),
the traced origin quantities of R's consumption (consumption_traced) or of its consumption from other
origins (imports_traced). Every commodity's volume counts in the denominator, also that of a commodity
without any intensity for the indicator. ``co2e`` (the CO2-equivalent total) counts per commodity the
smallest covered volume of its gases (exact when the rows missing one gas include those missing the
other, as in the shipped data). Quantities in the flows' unit (one unit for every commodity, e.g. kt).
Pure functions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

GASES = ("ch4", "n2o", "deforestation_co2")
CO2E = "co2e"
TOTAL = "total"
COVERAGE_COLUMNS = ["region", "commodity", "period", "indicator", "account", "covered", "volume", "coverage"]


def coverage(components: pd.DataFrame) -> pd.DataFrame:
    """Coverage of every (region, commodity, period, indicator, account) and of every total over
    commodities (commodity ``total``) from `embodied_math.accounts_and_components`' long sums
    (region, commodity, period, indicator, flow, covered, component). Columns COVERAGE_COLUMNS;
    coverage NaN where the volume is 0."""
    c = components.rename(columns={"component": "account"})
    c = c[c["flow"] > 0]
    keys = ["region", "commodity", "period", "account"]
    # a commodity's volume: every expected indicator sees all its rows, so the largest of their sums
    volume = c.groupby(keys, sort=True)["flow"].max()
    covered = c.set_index(keys + ["indicator"])["covered"].unstack("indicator")
    gases = [g for g in GASES if g in covered.columns]
    if gases:
        covered[CO2E] = covered[gases].min(axis=1)  # over the gases the commodity has rows for
    covered = covered.reindex(volume.index).fillna(0.0)  # no row for an indicator: uncovered
    long = covered.stack().rename("covered").reset_index()
    long = long.merge(volume.rename("volume").reset_index(), on=keys)
    tot = long.groupby(["region", "period", "account", "indicator"], sort=True)[["covered", "volume"]].sum()
    out = pd.concat([long, tot.reset_index().assign(commodity=TOTAL)], ignore_index=True)
    v = out["volume"].to_numpy(dtype=float)
    out["coverage"] = np.divide(out["covered"].to_numpy(dtype=float), v, out=np.full(len(out), np.nan),
                                where=v > 0)
    return out[COVERAGE_COLUMNS].sort_values(["region", "commodity", "period", "indicator", "account"]
                                             ).reset_index(drop=True)
