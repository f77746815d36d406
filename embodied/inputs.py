"""Optional user inputs of the embodied-resource post-processor: formats and readers.

Every file is a CSV read with `petra.tables.read_table` (one-line errors naming file, line and column);
extra columns are ignored. An empty ``region`` or ``period`` cell, where allowed, means "every region" /
"every period" (a row naming the region or period wins over it).

deforestation.csv   region, period, land_type, value, unit
    Deforestation (land-use change) CO2 emissions attributed to the expansion of ``cropland`` or
    ``pasture`` (land_type) in a region over the period ending in `period`; value >= 0 in a mass unit
    (``t``, ``kt``, ``Mt``: tonnes of CO2). Allocated to products and trade only where area expanded.
areas.csv           region, commodity, period, land_type, area, unit
    Area of each product (harvested cropland, or pasture used for a ruminant product) per period, >= 0, in
    an area unit (``ha``, ``Mha``). Optional: by default the area is production x land intensity.
feed.csv            region, product, feed, value, unit
    Feed requirement: mass of feed commodity `feed` per mass of livestock `product` (unit ``t/t``,
    ``kg/kg``, ``kg/t``), >= 0. Empty region = default for every region. `product` may instead name a
    joint-production system of joint.csv, whose feed is then split between its products.
joint.csv           system, product, output, protein, price
    Joint products of a system (e.g. dairy: milk and meat): output = t of product per unit of the system
    (the unit feed.csv's requirement refers to), protein = protein content (t/t), price = value per t
    (any one currency). The split key (protein, mass or value) is chosen at run time.
water_cap.csv       region, period, value, unit
    National water-use cap (``LQ``), a volume (``km3`` = 1e9 m3, ``m3``) > 0; empty period = every period.
footprint.csv       region, period, land_type, footprint, biocapacity, unit, yield_factor, equivalence_factor
    Ecological footprint and biocapacity of ``cropland`` or ``grazing`` land (land_type), in global
    hectares (unit ``gha``) or hectares; yield_factor and equivalence_factor (> 0) convert hectares of
    embodied land into that unit: ``gha = ha * yield_factor * equivalence_factor`` (use 1 and 1 for ha).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from petra.embodied import units
from petra.errors import InputError
from petra.tables import Column, read_table, source_line

DEFORESTATION_COLUMNS = [Column("region", "str"), Column("period", lower=0.0), Column("land_type", "str"),
                         Column("value", lower=0.0), Column("unit", "str")]
AREA_COLUMNS = [Column("region", "str"), Column("commodity", "str"), Column("period", lower=0.0),
                Column("land_type", "str"), Column("area", lower=0.0), Column("unit", "str")]
FEED_COLUMNS = [Column("region", "str", blank=""), Column("product", "str"), Column("feed", "str"),
                Column("value", lower=0.0), Column("unit", "str")]
JOINT_COLUMNS = [Column("system", "str"), Column("product", "str"), Column("output", lower=0.0),
                 Column("protein", lower=0.0), Column("price", lower=0.0)]
WATER_CAP_COLUMNS = [Column("region", "str"), Column("period", blank=math.nan, lower=0.0),
                     Column("value", lower=0.0, lower_open=True), Column("unit", "str")]
FOOTPRINT_COLUMNS = [Column("region", "str"), Column("period", lower=0.0), Column("land_type", "str"),
                     Column("footprint", lower=0.0), Column("biocapacity", lower=0.0), Column("unit", "str"),
                     Column("yield_factor", lower=0.0, lower_open=True),
                     Column("equivalence_factor", lower=0.0, lower_open=True)]

DEFOR_LAND_TYPES = ("cropland", "pasture")
FOOTPRINT_LAND_TYPES = ("cropland", "grazing")


def _check_choice(df: pd.DataFrame, col: str, allowed: tuple[str, ...]) -> None:
    bad = ~df[col].isin(allowed).to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(f"'{df[col].iloc[i]}' is not one of {', '.join(allowed)}", file=df.attrs.get("file"),
                         row=source_line(df, i), column=col)


def _convert(df: pd.DataFrame, value: str, to: str, what: str) -> pd.Series:
    """Values of column `value` converted from the row's ``unit`` to `to`; InputError names the row."""
    out = np.empty(len(df))
    for i, (v, u) in enumerate(zip(df[value].to_numpy(), df["unit"].to_numpy(), strict=True)):
        try:
            out[i] = v * units.factor(u, to)
        except InputError as exc:
            raise InputError(f"unit '{u}' is not {what} ({exc})", file=df.attrs.get("file"),
                             row=source_line(df, i), column="unit") from exc
    return pd.Series(out, index=df.index)


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df.attrs = {}
    return df


def _periods(df: pd.DataFrame) -> pd.DataFrame:
    p = df["period"].to_numpy(dtype=float)
    bad = np.isfinite(p) & (np.round(p) != p)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(f"period {p[i]:g} is not a whole year", file=df.attrs.get("file"),
                         row=source_line(df, i), column="period")
    return df


def read_deforestation(path: str | Path) -> pd.DataFrame:
    """region, period, land_type, value (t CO2)."""
    df = _periods(read_table(path, DEFORESTATION_COLUMNS, key=["region", "period", "land_type"]))
    _check_choice(df, "land_type", DEFOR_LAND_TYPES)
    df["value"] = _convert(df, "value", "t", "a mass")
    df["period"] = df["period"].astype(np.int64)
    return _plain(df[["region", "period", "land_type", "value"]])


def read_areas(path: str | Path) -> pd.DataFrame:
    """region, commodity, period, land_type, area (ha)."""
    df = _periods(read_table(path, AREA_COLUMNS, key=["region", "commodity", "period", "land_type"]))
    _check_choice(df, "land_type", DEFOR_LAND_TYPES)
    df["area"] = _convert(df, "area", "ha", "an area")
    df["period"] = df["period"].astype(np.int64)
    return _plain(df[["region", "commodity", "period", "land_type", "area"]])


def read_feed(path: str | Path) -> pd.DataFrame:
    """region ('' = every region), product, feed, value (t feed per t product)."""
    df = read_table(path, FEED_COLUMNS, key=["region", "product", "feed"])
    df["value"] = _convert(df, "value", "dimensionless", "a mass ratio (t/t)")
    return _plain(df[["region", "product", "feed", "value"]])


def read_joint(path: str | Path) -> pd.DataFrame:
    """system, product, output, protein, price."""
    df = read_table(path, JOINT_COLUMNS, key=["system", "product"])
    return _plain(df[["system", "product", "output", "protein", "price"]])


def read_water_cap(path: str | Path) -> pd.DataFrame:
    """region, period (NaN = every period), value (m3)."""
    df = _periods(read_table(path, WATER_CAP_COLUMNS, key=["region", "period"]))
    df["value"] = _convert(df, "value", "m3", "a volume")
    return _plain(df[["region", "period", "value"]])


def read_footprint(path: str | Path) -> pd.DataFrame:
    """region, period, land_type, footprint, biocapacity, unit, yield_factor, equivalence_factor."""
    df = _periods(read_table(path, FOOTPRINT_COLUMNS, key=["region", "period", "land_type"]))
    _check_choice(df, "land_type", FOOTPRINT_LAND_TYPES)
    df["period"] = df["period"].astype(np.int64)
    return _plain(df[["region", "period", "land_type", "footprint", "biocapacity", "unit", "yield_factor",
               "equivalence_factor"]])
