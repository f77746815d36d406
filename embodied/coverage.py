"""Coverage of embodied totals: the share of the volume whose intensity is known.

An embodied total (e.g. China's ``Embodied Land|Cropland|Imports``) sums the routes (or productions)
whose intensity is known; its coverage is their volume over the whole volume of the same region,
period and account:

    coverage[R,T,i,a] = sum_{rows with a known intensity i} q / sum_{all rows} q

with q the flow of each route into R (imports), out of R (exports), R's production (production_based),
the traced origin quantities of R's consumption (consumption_traced) or of its consumption from other
origins (imports_traced). Every row counts in the denominator, also those of a commodity without any
intensity for the indicator. ``co2e`` (the CO2-equivalent total) counts a row as covered when every
gas it has is known. Rows are `embodied_math.embodied_flows` outputs (one per route and indicator, with
``flow``). Quantities in the flows' unit (one unit for every commodity, e.g. kt). Pure functions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

GASES = ("ch4", "n2o", "deforestation_co2")
CO2E = "co2e"
TOTAL = "total"
COVERAGE_COLUMNS = ["region", "commodity", "period", "indicator", "account", "covered", "volume", "coverage"]


def _rows(df: pd.DataFrame, region_col: str, account: str) -> pd.DataFrame:
    r = df[["exporter", "importer", "commodity", "period", "indicator", "flow", "value"]]
    r = r.assign(region=r[region_col], account=account, known=r["value"].notna())
    gas = r[r["indicator"].isin(GASES)]
    if len(gas):
        key = ["exporter", "importer", "commodity", "period"]
        g = gas.groupby(key, sort=False).agg(flow=("flow", "first"), known=("known", "all")).reset_index()
        r = pd.concat([r, g.assign(region=g[region_col], account=account, indicator=CO2E)], ignore_index=True)
    return r


def coverage(production_rows: pd.DataFrame, route_rows: pd.DataFrame,
             traced_rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """Coverage of every (region, commodity, period, indicator, account) and of every total over
    commodities (commodity ``total``). Columns COVERAGE_COLUMNS; coverage NaN where the volume is 0."""
    parts = [_rows(production_rows, "exporter", "production_based"), _rows(route_rows, "exporter", "exports"),
             _rows(route_rows, "importer", "imports")]
    if traced_rows is not None:
        parts += [_rows(traced_rows, "importer", "consumption_traced"),
                  _rows(traced_rows[traced_rows["exporter"] != traced_rows["importer"]], "importer",
                        "imports_traced")]
    rows = pd.concat(parts, ignore_index=True)
    rows = rows[rows["flow"] > 0]
    rows["covered"] = np.where(rows["known"], rows["flow"], 0.0)
    # the denominator: every row of the account, whatever its commodity's indicators
    route = ["exporter", "importer", "commodity", "period", "account", "region"]
    vol = rows.drop_duplicates(route).groupby(["region", "commodity", "period", "account"])["flow"].sum()
    keys = ["region", "commodity", "period", "indicator", "account"]
    by_c = rows.groupby(keys, sort=True)["covered"].sum().reset_index()
    ind = by_c[["region", "period", "indicator", "account"]].drop_duplicates()
    # a commodity without any row for an indicator counts as uncovered
    grid = ind.merge(vol.reset_index(), on=["region", "period", "account"])
    by_c = grid.merge(by_c, on=keys, how="left").fillna({"covered": 0.0}).rename(columns={"flow": "volume"})
    tot = by_c.groupby(["region", "period", "indicator", "account"], sort=True)[["covered", "volume"]].sum()
    out = pd.concat([by_c, tot.reset_index().assign(commodity=TOTAL)], ignore_index=True)
    v = out["volume"].to_numpy(dtype=float)
    out["coverage"] = np.divide(out["covered"].to_numpy(dtype=float), v, out=np.full(len(out), np.nan),
                                where=v > 0)
    return out[COVERAGE_COLUMNS].sort_values(keys).reset_index(drop=True)
