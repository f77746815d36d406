"""Deforestation emissions embodied in trade: top-down allocation to expanding products (pure functions).

For cropland (and the pasture analogue for ruminant products):

    Virtual_defor[R->C,P,T] = Defor[R,T] * dArea+[R,P,T] / sum_P dArea+[R,P,T]
                              * VirtualArea[R->C,P,T] / Area[R,P,T]

with ``dArea+ = max(Area[T] - Area[T_prev], 0)``: only products whose area expanded carry deforestation, and
a region-period without any expansion allocates nothing. ``Defor`` (t CO2) is a user input (`petra
embodied --deforestation`) or, in `petra run`, the dataset's `deforestation.csv` (CAIT, built by
`petra.data.deforestation_cait`; `period_emissions` takes for each period the latest year at or before
it, so periods after CAIT's last year use that year); without it there is no output at all (absent,
never zero). A product whose area change is unknown (first period, no earlier area) gets NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

AREA_KEY = ["region", "commodity", "land_type"]


def area_change(area: pd.DataFrame) -> pd.DataFrame:
    """Add ``d_area`` = area minus the area of the previous period present for the same (region, commodity,
    land_type); NaN for the first period. Input: region, commodity, period, land_type, area."""
    df = area.sort_values([*AREA_KEY, "period"], kind="stable").reset_index(drop=True)
    df["d_area"] = df.groupby(AREA_KEY, sort=False)["area"].diff()
    return df


def expansion_shares(area: pd.DataFrame) -> pd.DataFrame:
    """Share of each product in the region's positive area expansion per (region, period, land_type).

    Input has ``d_area`` (see `area_change`). Returns the input plus ``expansion`` (= max(d_area, 0), NaN if
    unknown) and ``share`` (0 when the region did not expand at all; NaN if any product's change is
    unknown). A product without an area in any period (no land data for it) is left out: its share is
    NaN and the others' shares do not depend on it.
    """
    df = area.copy()
    d = df["d_area"].to_numpy(dtype=float)
    df["expansion"] = np.where(np.isnan(d), np.nan, np.maximum(d, 0.0))
    # a product without any area in any period (no land data, e.g. livestock on cropland) uses none of
    # this land type: it takes no share and does not make the others' shares unknown
    no_area = df.groupby(AREA_KEY, sort=False)["area"].transform("count").to_numpy() == 0
    counted = df["expansion"].where(~no_area, 0.0)
    g = counted.groupby([df["region"], df["period"], df["land_type"]], sort=False)
    total = g.transform("sum")
    unknown = counted.isna().groupby([df["region"], df["period"], df["land_type"]], sort=False).transform(
        "any").astype(bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total.to_numpy() > 0, df["expansion"].to_numpy() / total.to_numpy(), 0.0)
    share[unknown.to_numpy()] = np.nan
    share[no_area] = np.nan
    df["share"] = share
    return df


def allocate_deforestation(area: pd.DataFrame, emissions: pd.DataFrame,
                           virtual_area: pd.DataFrame) -> pd.DataFrame:
    """Deforestation CO2 embodied in each route.

    area          region, commodity, period, land_type, area [, d_area]   (ha; d_area computed if absent)
    emissions     region, period, land_type, value                        (t CO2)
    virtual_area  exporter, importer, commodity, period, land_type, value (ha embodied in the route)

    Returns exporter, importer, commodity, period, land_type, value (t CO2), only for (exporter, period,
    land_type) present in `emissions`. Value NaN where the area change or the area is unknown, or the
    virtual area is NaN.
    """
    a = area if "d_area" in area.columns else area_change(area)
    a = expansion_shares(a)
    e = emissions.rename(columns={"value": "defor"})
    va = virtual_area.rename(columns={"exporter": "region", "value": "virtual_area"})
    m = va.merge(e, on=["region", "period", "land_type"], how="inner")
    m = m.merge(a[["region", "commodity", "period", "land_type", "area", "share"]],
                on=["region", "commodity", "period", "land_type"], how="left")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(m["area"].to_numpy(dtype=float) > 0,
                         m["virtual_area"].to_numpy(dtype=float) / m["area"].to_numpy(dtype=float), np.nan)
    m["value"] = m["defor"].to_numpy(dtype=float) * m["share"].to_numpy(dtype=float) * ratio
    # no expansion of this product: exactly zero, whatever else is unknown about the route
    m.loc[m["share"].to_numpy(dtype=float) == 0, "value"] = 0.0
    out = m.rename(columns={"region": "exporter"})
    return out[["exporter", "importer", "commodity", "period", "land_type", "value"]].reset_index(drop=True)


def period_emissions(emissions: pd.DataFrame, periods) -> pd.DataFrame:
    """region, period, land_type, value of each period in `periods`: the row of the latest year at or before
    the period (the rule for periods after the source's last year); none for a period before the first."""
    e = emissions.assign(period=emissions["period"].astype(np.int64)).sort_values("period")
    per = pd.DataFrame({"period": np.asarray(sorted({int(p) for p in periods}), dtype=np.int64)})
    out = []
    for (region, lt), g in e.groupby(["region", "land_type"], sort=True):
        m = pd.merge_asof(per, g[["period", "value"]], on="period", direction="backward").dropna()
        out.append(m.assign(region=region, land_type=lt))
    if not out:
        return pd.DataFrame(columns=["region", "period", "land_type", "value"])
    return pd.concat(out, ignore_index=True)[["region", "period", "land_type", "value"]]


def deforestation_flows(land_flows: pd.DataFrame, area: pd.DataFrame, emissions: pd.DataFrame,
                        land_type: str = "cropland") -> pd.DataFrame:
    """Deforestation CO2 of each route of `land_flows` (embodied land rows: exporter, importer, commodity,
    period, value in ha, flow) whose commodity has an area: exporter, importer, commodity, period,
    indicator ``deforestation_co2``, value (t CO2), unit ``t``, flow. `area`: region, commodity, period,
    area (ha), every period in order (the first one only gives the change to the next); `emissions`:
    region, period, value (t CO2) of the periods."""
    va = land_flows[land_flows["commodity"].isin(set(area["commodity"]))]
    a = area.assign(land_type=land_type)
    e = emissions.assign(land_type=land_type)
    out = allocate_deforestation(a, e, va[["exporter", "importer", "commodity", "period", "value"]].assign(
        land_type=land_type))
    out = out.merge(va[["exporter", "importer", "commodity", "period", "flow"]],
                    on=["exporter", "importer", "commodity", "period"], how="left")
    return out.drop(columns="land_type").assign(indicator="deforestation_co2", unit="t")[
        ["exporter", "importer", "commodity", "period", "indicator", "value", "unit", "flow"]]
