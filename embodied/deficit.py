"""Virtual land against the ecological deficit (biocapacity studies; pure functions).

Ecological deficit of a land type = footprint - biocapacity (global hectares). Compensation ratio = net
virtual land import of that land type, converted to the footprint's unit with
``gha = ha * yield_factor * equivalence_factor``, divided by the deficit: how many times trade compensates
the deficit. Land types: ``cropland`` (embodied ``land``, plus cropland embodied in livestock feed
``feed_land`` when computed) and ``grazing`` (embodied ``pasture``). No deficit (<= 0): ratio NaN.
Besides each period, a row with period ``0`` and ``span`` "first-last" gives sum(net) / sum(deficit) over all
periods present (the published multi-year figure). A land type without any embodied data for a region and
period (e.g. grazing where no pasture intensity exists) has a missing net import and compensation, never 0.
A livestock product's cropland is its feed: where it has ``feed_land``, its own ``land`` (missing in the
shipped data: no direct cropland source) does not make the cropland total missing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LAND_TYPE_INDICATORS = {"cropland": ("land", "feed_land"), "grazing": ("pasture",)}


def net_virtual_land_imports(accounts: pd.DataFrame) -> pd.DataFrame:
    """region, period, land_type, net_import_ha (imports - exports by direct accounting, all commodities;
    NaN if any part is missing). `accounts` from `embodied_math.accounts` (ha units)."""
    rows = []
    keys = ["region", "commodity", "period"]
    fed = accounts.loc[accounts["indicator"] == "feed_land", keys].drop_duplicates().assign(_fed=True)
    for lt, inds in LAND_TYPE_INDICATORS.items():
        a = accounts[accounts["indicator"].isin(inds)]
        if lt == "cropland" and len(fed):  # a fed product's missing own land: its cropland is its feed
            a = a.merge(fed, on=keys, how="left")
            own_missing = (a["indicator"] == "land") & a["_fed"].notna() & (
                a["imports"].isna() | a["exports"].isna())
            a = a[~own_missing].drop(columns="_fed")
        if a.empty:
            continue
        net = a["imports"] - a["exports"]
        g = a.assign(net=net, _nan=net.isna()).groupby(["region", "period"], sort=True)
        agg = g.agg(net_import_ha=("net", "sum"), _nan=("_nan", "any")).reset_index()
        agg.loc[agg["_nan"], "net_import_ha"] = np.nan
        rows.append(agg.drop(columns="_nan").assign(land_type=lt))
    if not rows:
        return pd.DataFrame(columns=["region", "period", "land_type", "net_import_ha"])
    return pd.concat(rows, ignore_index=True)[["region", "period", "land_type", "net_import_ha"]]


def deficit_compensation(net_imports: pd.DataFrame, footprint: pd.DataFrame) -> pd.DataFrame:
    """Compensation of the ecological deficit by net virtual land imports.

    net_imports  region, period, land_type, net_import_ha
    footprint    region, period, land_type, footprint, biocapacity, unit, yield_factor, equivalence_factor
    Returns region, period, span, land_type, unit, footprint, biocapacity, deficit, net_import_ha,
    net_import (in the footprint unit), compensation; per period plus one all-period row per region and land
    type (period 0).
    """
    m = footprint.merge(net_imports, on=["region", "period", "land_type"], how="left")
    # a land type the accounts have no data for (e.g. grazing without pasture intensities) stays missing:
    # its net import is unknown, not 0
    m["net_import_ha"] = m["net_import_ha"].astype(float)
    m["deficit"] = m["footprint"] - m["biocapacity"]
    m["net_import"] = m["net_import_ha"] * m["yield_factor"] * m["equivalence_factor"]
    m["span"] = m["period"].astype(str)
    g = m.groupby(["region", "land_type", "unit"], sort=True)
    tot = g.agg(footprint=("footprint", "sum"), biocapacity=("biocapacity", "sum"),
                deficit=("deficit", "sum"),
                net_import_ha=("net_import_ha", lambda s: s.sum() if s.notna().all() else np.nan),
                net_import=("net_import", lambda s: s.sum() if s.notna().all() else np.nan),
                first=("period", "min"), last=("period", "max")).reset_index()
    tot["period"] = 0
    tot["span"] = tot["first"].astype(str) + "-" + tot["last"].astype(str)
    cols = ["region", "period", "span", "land_type", "unit", "footprint", "biocapacity", "deficit",
            "net_import_ha", "net_import"]
    out = pd.concat([m[cols], tot[cols]], ignore_index=True)
    d = out["deficit"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["compensation"] = np.where(d > 0, out["net_import"].to_numpy(dtype=float) / d, np.nan)
    return out.sort_values(["region", "land_type", "period"]).reset_index(drop=True)
