"""Embodied-resource arithmetic: pure, vectorised functions over pandas tables (no files, no CLI).

Definitions follow the shared indicator reference (GLOBIOM virtual-trade accounting, IPCC 2006, Kastner
et al. trade-network tracing):

* direct embodied flow ``E[R->C,P,T,i] = flow[R->C,P,T] * I[R,P,T,i]`` with ``I = resource / production`` the
  exporter-average intensity (the same for domestic use and export);
* production-based (territorial) account ``PROD[R] * I[R]``; direct consumption-based account
  ``(PROD[R] - exports[R]) * I[R] + sum_imports``; traced consumption-based account through the physical
  trade-network Leontief inverse (`trace_origins`).

Tables
------
flows        exporter, importer, commodity, period, flow          (flow in the commodity's unit)
production   region, commodity, period, production                (same unit as the flows)
intensities  region, commodity, period, indicator, value, unit [, source]
             value per unit of mass of product (``ha/t``, ``m3/t``, ``kg/t``); NaN = known missing.

Missing intensities are never replaced by zero: an embodied value computed from one is NaN and the
(region, commodity, period, indicator) is listed in the missing report. An indicator is *expected* for a
commodity when at least one region has an intensity row for that (commodity, indicator); a commodity with no
intensity row at all is expected to have every indicator of the table.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from petra import emission_factors as ef
from petra.embodied import units
from petra.errors import InputError

INTENSITY_KEY = ["region", "commodity", "period", "indicator"]
ROUTE_KEY = ["exporter", "importer", "commodity", "period"]
EMBODIED_COLUMNS = ["exporter", "importer", "commodity", "period", "indicator", "value", "unit"]
MISSING_COLUMNS = ["region", "commodity", "period", "indicator", "reason", "flow", "flow_unit"]

# Emission factors: one home, petra.emission_factors (IPCC 2006 Tier 1 defaults; rice: 2019 Refinement)
IPCC2006_EF1 = ef.EF1
IPCC2006_EF1_FLOODED_RICE = ef.EF1_FLOODED_RICE
IPCC2006_FRAC_GASF = ef.FRAC_GASF
IPCC2006_EF4 = ef.EF4
IPCC2006_FRAC_LEACH = ef.FRAC_LEACH
IPCC2006_EF5 = ef.EF5
N2O_PER_N2O_N = ef.N2O_PER_N2O_N
IPCC2006_RICE_EF_BASELINE = ef.RICE_CH4_EF_BASELINE

_REASONS = {
    "missing_value": "intensity given as missing (empty value)",
    "no_row": "no intensity for this region and indicator",
    "no_commodity": "no intensity at all for this commodity",
}


# --------------------------------------------------------------------------------------------------------
# intensities
# --------------------------------------------------------------------------------------------------------
def check_intensities(intensities: pd.DataFrame, label: str = "intensities") -> pd.DataFrame:
    """Validate an intensity table; return a copy with int periods and a ``source`` column.

    NaN values are allowed (known missing). Negative or infinite values, a missing column or a duplicate
    (region, commodity, period, indicator) raise InputError naming the offending row.
    """
    for col in ["region", "commodity", "period", "indicator", "value", "unit"]:
        if col not in intensities.columns:
            raise InputError("missing column", file=label, column=col)
    df = intensities.copy()
    df.attrs = {}  # read_table's line numbers (arrays) would break pandas' attrs comparison in concat
    if "source" not in df.columns:
        df["source"] = ""
    df["source"] = df["source"].fillna("").astype(str)
    values = pd.to_numeric(df["value"], errors="coerce").to_numpy(dtype=float)
    bad_text = np.isnan(values) & df["value"].notna().to_numpy() & ~_is_nan_like(df["value"])
    bad = bad_text | np.isinf(values) | (values < 0)
    if bad.any():
        i = int(np.argmax(bad))
        row = df.iloc[i]
        what = "is not a number" if bad_text[i] else (
            "is not finite" if np.isinf(values[i]) else "is negative")
        raise InputError(f"intensity {row['value']!r} {what} (region {row['region']}, commodity "
                         f"{row['commodity']}, indicator {row['indicator']}); intensities must be finite and "
                         f">= 0, an empty value marks a missing one", file=label, column="value")
    df["value"] = values
    df["period"] = _int_periods(df["period"], label)
    for col in ["region", "commodity", "indicator", "unit"]:
        df[col] = df[col].astype(str)
    dup = df.duplicated(INTENSITY_KEY).to_numpy()
    if dup.any():
        row = df.iloc[int(np.argmax(dup))]
        raise InputError(f"duplicate intensity ({', '.join(str(row[k]) for k in INTENSITY_KEY)})", file=label)
    return df.reset_index(drop=True)


def _is_nan_like(s: pd.Series) -> np.ndarray:
    return s.astype(str).str.strip().str.lower().isin(["nan", "", "none", "<na>"]).to_numpy()


def _int_periods(s: pd.Series, label: str) -> pd.Series:
    p = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(p) | (np.round(p) != p)
    if bad.any():
        raise InputError(f"period {s.iloc[int(np.argmax(bad))]!r} is not a whole year", file=label,
                         column="period")
    return pd.Series(p.astype(np.int64), index=s.index)


def n2o_from_nitrogen(nitrogen_kg_per_t: np.ndarray | float, *, flooded_rice: bool | np.ndarray = False,
                      indirect: bool = False) -> np.ndarray:
    """Fertiliser N2O (kg N2O per t product) from N applied (kg N per t), IPCC 2006 Tier 1.

    Direct: ``N * EF1 * 44/28`` with EF1 = 0.01 (0.004 for flooded rice, IPCC 2019). With ``indirect``, adds
    volatilisation ``N * FracGASF * EF4`` and leaching ``N * FracLEACH * EF5`` (both x 44/28).
    """
    n = np.asarray(nitrogen_kg_per_t, dtype=float)
    ef1 = np.where(np.asarray(flooded_rice, dtype=bool), IPCC2006_EF1_FLOODED_RICE, IPCC2006_EF1)
    n2o_n = n * ef1
    if indirect:
        n2o_n = n2o_n + n * (IPCC2006_FRAC_GASF * IPCC2006_EF4 + IPCC2006_FRAC_LEACH * IPCC2006_EF5)
    return n2o_n * N2O_PER_N2O_N


def rice_ch4_per_tonne(yield_t_per_ha: np.ndarray | float, season_days: np.ndarray | float, *,
                       ef_baseline: float = IPCC2006_RICE_EF_BASELINE, sf_water: float = 1.0,
                       sf_preseason: float = 1.0, sf_organic: float = 1.0) -> np.ndarray:
    """Rice CH4 (kg CH4 per t of rice): ``EF_c * SF_w * SF_p * SF_o * days / yield`` (IPCC Eq. 5.1-5.2;
    EF_c 1.19 kg/ha/day, IPCC 2019 Table 5.11).

    Scaling factors default to 1 (continuously flooded, no organic amendment).
    """
    y = np.asarray(yield_t_per_ha, dtype=float)
    return ef_baseline * sf_water * sf_preseason * sf_organic * np.asarray(season_days, dtype=float) / y


def derive_ghg(intensities: pd.DataFrame, *, n2o_indirect: bool = False,
               rice_season_days: float | None = None) -> pd.DataFrame:
    """Add derived GHG intensities where the table lacks them (the given ones always win).

    1. A gas total (``ch4``, ``n2o``) from its sources (``ch4_enteric``, ``ch4_manure``, ``n2o_manure``...)
       where a (region, commodity, period) has sources but no total; NaN if any source is NaN.
    2. Crop fertiliser N2O from ``nitrogen`` (`n2o_from_nitrogen`) for commodities with no ``n2o`` row in any
       region; commodities whose name contains "rice" use the flooded-rice EF1.
    3. Rice CH4 from the ``land`` intensity (yield = 1 / land) when `rice_season_days` is given, where a
       rice commodity's ``ch4`` is absent or given as missing (empty).
    Derived rows carry a ``source`` saying how they were computed.
    """
    df = check_intensities(intensities)
    added = []
    keys = ["region", "commodity", "period"]
    for gas in ("ch4", "n2o"):
        parts = df[df["indicator"].str.startswith(gas + "_")]
        if parts.empty:
            continue
        kg = parts["value"].to_numpy() * np.array([units.factor(u, "kg/t") for u in parts["unit"]])
        parts = parts.assign(kg=kg, nan=np.isnan(kg))
        agg = parts.groupby(keys, sort=False).agg(value=("kg", "sum"), nan=("nan", "any")).reset_index()
        agg.loc[agg["nan"], "value"] = np.nan
        have = df.loc[df["indicator"] == gas, keys]
        agg = agg.merge(have.assign(_have=True), on=keys, how="left")
        agg = agg[agg["_have"].isna()]
        if not agg.empty:
            added.append(agg[keys].assign(indicator=gas, value=agg["value"], unit="kg/t",
                                          source=f"derived: sum of {gas}_* sources"))
    df = pd.concat([df, *added], ignore_index=True) if added else df
    added = []
    has_n2o = set(df.loc[df["indicator"] == "n2o", "commodity"])
    n = df[(df["indicator"] == "nitrogen") & ~df["commodity"].isin(has_n2o)]
    if not n.empty:
        kg_n = n["value"].to_numpy() * np.array([units.factor(u, "kg/t") for u in n["unit"]])
        rice = n["commodity"].map(ef.is_flooded_rice).to_numpy(dtype=bool)
        added.append(n[keys].assign(indicator="n2o", value=n2o_from_nitrogen(kg_n, flooded_rice=rice,
                                                                              indirect=n2o_indirect),
                                    unit="kg/t",
                                    source="derived: IPCC 2006 Tier 1 fertiliser N2O from nitrogen"
                                           + (" (direct+indirect)" if n2o_indirect else " (direct)")))
    if rice_season_days is not None:
        # asked for explicitly: fills rice CH4 that is absent or given as missing (NaN), never a given value
        given = df[(df["indicator"] == "ch4") & df["value"].notna()][keys]
        land = df[(df["indicator"] == "land") & df["commodity"].str.contains("rice", case=False)]
        land = land.merge(given.assign(_given=True), on=keys, how="left")
        land = land[land["_given"].isna()].drop(columns="_given")
        df = df.merge(land[keys].assign(_drop=True), on=keys, how="left")
        df = df[~(df["_drop"].notna() & (df["indicator"] == "ch4"))].drop(columns="_drop")
        if not land.empty:
            ha_per_t = land["value"].to_numpy() * np.array([units.factor(u, "ha/t") for u in land["unit"]])
            with np.errstate(divide="ignore", invalid="ignore"):
                ch4 = rice_ch4_per_tonne(1.0 / ha_per_t, rice_season_days)
            added.append(land[keys].assign(indicator="ch4", value=np.where(ha_per_t > 0, ch4, np.nan),
                                           unit="kg/t",
                                           source=f"derived: IPCC 2006 rice CH4, {rice_season_days:g} days"))
    df = pd.concat([df, *added], ignore_index=True) if added else df
    return df.reset_index(drop=True)


def indicator_units(intensities: pd.DataFrame) -> dict[str, str]:
    """Output unit of each indicator's embodied flows (``ha``, ``m3`` or ``t``)."""
    out = {}
    for ind, unit in intensities[["indicator", "unit"]].drop_duplicates().itertuples(index=False):
        u = units.product_factor("t", unit)[1]
        if out.setdefault(ind, u) != u:
            raise InputError(f"indicator '{ind}' has units of different dimensions ({out[ind]} and {u})",
                             file="intensities")
    return out


def match_intensities(keys: pd.DataFrame, intensities: pd.DataFrame, *,
                      carry_forward: bool = True) -> pd.DataFrame:
    """Intensity of every expected indicator for each (region, commodity, period) of `keys`.

    Returns region, commodity, period, indicator, value, unit, source, intensity_period, status with status
    ``ok``, ``missing_value``, ``no_row`` or ``no_commodity`` (value NaN unless ``ok``). With
    `carry_forward`, a period without its own intensity uses the latest earlier one (``intensity_period``
    says which); an intensity from a later period is never used.
    """
    keys = keys[["region", "commodity", "period"]].drop_duplicates().reset_index(drop=True)
    keys = keys.assign(period=keys["period"].astype(np.int64))
    all_ind = sorted(intensities["indicator"].unique())
    per_com = intensities[["commodity", "indicator"]].drop_duplicates()
    known = set(per_com["commodity"])
    unknown = keys.loc[~keys["commodity"].isin(known), ["commodity"]].drop_duplicates()
    expected = pd.concat([per_com, unknown.merge(pd.DataFrame({"indicator": all_ind}), how="cross")],
                         ignore_index=True)
    want = keys.merge(expected, on="commodity", how="inner")
    if want.empty:
        return pd.DataFrame(columns=[*INTENSITY_KEY, "value", "unit", "source", "intensity_period", "status"])
    table = intensities.rename(columns={"period": "intensity_period"})
    table = table.assign(intensity_period=table["intensity_period"].astype(np.int64))
    if carry_forward:
        left = want.assign(_p=want["period"]).sort_values("_p", kind="stable")
        right = table.assign(_p=table["intensity_period"]).sort_values("_p", kind="stable")
        cols = ["region", "commodity", "indicator", "_p", "intensity_period", "value", "unit", "source"]
        got = pd.merge_asof(left, right[cols], on="_p", by=["region", "commodity", "indicator"],
                            direction="backward")
        got = got.drop(columns="_p")
    else:
        got = want.merge(table.assign(period=table["intensity_period"]),
                         on=INTENSITY_KEY, how="left")
    found = got["intensity_period"].notna().to_numpy()
    status = np.where(found, np.where(np.isnan(got["value"].to_numpy(dtype=float)), "missing_value", "ok"),
                      np.where(got["commodity"].isin(known).to_numpy(), "no_row", "no_commodity"))
    got["status"] = status
    got["intensity_period"] = got["intensity_period"].astype("Int64")
    got["value"] = got["value"].astype(float)
    cols = [*INTENSITY_KEY, "value", "unit", "source", "intensity_period", "status"]
    return got[cols].reset_index(drop=True)


# --------------------------------------------------------------------------------------------------------
# direct embodied flows
# --------------------------------------------------------------------------------------------------------
def _flow_unit_series(commodities: pd.Series, flow_units: Mapping[str, str] | str) -> pd.Series:
    if isinstance(flow_units, str):
        return pd.Series(flow_units, index=commodities.index)
    mapped = commodities.map(dict(flow_units))
    if mapped.isna().any():
        c = commodities[mapped.isna()].iloc[0]
        raise InputError(f"unit of commodity '{c}' is unknown; give it in commodities.csv (column unit)")
    return mapped.astype(str)


def check_flows(flows: pd.DataFrame, label: str = "flows", value: str = "flow") -> pd.DataFrame:
    """Validate a flow table (finite, >= 0); return a copy with int periods."""
    for col in [*ROUTE_KEY, value]:
        if col not in flows.columns:
            raise InputError("missing column", file=label, column=col)
    df = flows.copy()
    df.attrs = {}
    v = pd.to_numeric(df[value], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(v) | (v < 0)
    if bad.any():
        row = df.iloc[int(np.argmax(bad))]
        raise InputError(f"{value} {row[value]!r} on route {row['exporter']}->{row['importer']} "
                         f"({row['commodity']}) must be finite and >= 0", file=label, column=value)
    df[value] = v
    df["period"] = _int_periods(df["period"], label)
    return df


def embodied_flows(flows: pd.DataFrame, intensities: pd.DataFrame, flow_units: Mapping[str, str] | str, *,
                   carry_forward: bool = True, indicators: list[str] | None = None,
                   keep: tuple[str, ...] = ()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Direct embodied flows ``flow * I[exporter, commodity, period, indicator]`` for routes with flow > 0.

    `flow_units` maps commodity -> unit of its flows (or one unit for all). Returns ``(embodied, missing)``:
    embodied has EMBODIED_COLUMNS (value NaN where the intensity is missing; units ``ha``, ``m3`` or ``t``)
    plus ``flow``, ``flow_unit``, ``intensity``, ``intensity_unit``, ``intensity_period``, ``status``;
    missing lists each (region, commodity, period, indicator) whose intensity is missing for a positive
    flow, with the reason and the flow affected. Columns named in `keep` are carried through (and sorted on).
    """
    flows = check_flows(flows)
    intensities = check_intensities(intensities)
    if indicators is not None:
        intensities = intensities[intensities["indicator"].isin(indicators)]
    flows = flows[flows["flow"] > 0]
    out_units = indicator_units(intensities)
    keys = flows.rename(columns={"exporter": "region"})[["region", "commodity", "period"]]
    matched = match_intensities(keys, intensities, carry_forward=carry_forward)
    df = flows[[*ROUTE_KEY, *keep, "flow"]].merge(matched.rename(columns={"region": "exporter"}),
                                           on=["exporter", "commodity", "period"], how="inner")
    df["flow_unit"] = _flow_unit_series(df["commodity"], flow_units)
    ok = df["status"].to_numpy() == "ok"
    fac = np.full(len(df), np.nan)
    unit_out = df["indicator"].map(out_units).fillna("").to_numpy(dtype=object)
    pairs = df.loc[ok, ["flow_unit", "unit"]].drop_duplicates()
    for fu, iu in pairs.itertuples(index=False):
        f, u = units.product_factor(fu, iu)
        sel = ok & (df["flow_unit"].to_numpy() == fu) & (df["unit"].to_numpy() == iu)
        fac[sel] = f
        unit_out[sel] = u
    df = df.rename(columns={"unit": "intensity_unit", "value": "intensity"})
    df["value"] = df["flow"].to_numpy() * df["intensity"].to_numpy() * fac
    df["unit"] = unit_out
    df = df.sort_values([*ROUTE_KEY, *keep, "indicator"], kind="stable").reset_index(drop=True)
    miss = df[df["status"] != "ok"]
    missing = (miss.groupby(["exporter", "commodity", "period", "indicator", "status", "flow_unit"],
                            sort=True)["flow"].sum().reset_index()
               .rename(columns={"exporter": "region", "status": "reason"}))
    missing["reason"] = missing["reason"].map(_REASONS)
    embodied = df[[*EMBODIED_COLUMNS, *keep, "flow", "flow_unit", "intensity", "intensity_unit",
                   "intensity_period", "status"]]
    return embodied, missing[MISSING_COLUMNS].reset_index(drop=True)


def strict_sum(df: pd.DataFrame, by: list[str], value: str = "value") -> pd.DataFrame:
    """Group sums in which any NaN makes the group NaN (a missing part makes the total missing)."""
    g = df.assign(_nan=df[value].isna()).groupby(by, sort=True, dropna=False)
    out = g.agg(**{value: (value, "sum"), "_nan": ("_nan", "any")}).reset_index()
    out.loc[out["_nan"], value] = np.nan
    return out.drop(columns="_nan")


# --------------------------------------------------------------------------------------------------------
# re-export tracing (Kastner et al. 2011): physical trade-network Leontief inverse per product
# --------------------------------------------------------------------------------------------------------
def trace_origins(production: pd.DataFrame, flows: pd.DataFrame) -> pd.DataFrame:
    """Origin of each region's domestic use, tracing re-exports through the trade network.

    Per (commodity, period): supply ``x_j = p_j + sum_k z_kj`` (production plus imports); every region's
    exports and domestic use are assumed to have the composition of its supply. With
    ``A_kj = z_kj / x_k`` (share of k's supply shipped to j), the origin-i content of j's supply is
    ``S = diag(p) (I - A)^-1`` and of j's domestic use ``c_j = x_j - sum_k z_jk``:
    ``Q_ij = S_ij * c_j / x_j``. Sum over j of Q_ij = p_i.

    Where exports exceed supply (inconsistent observed data, e.g. stock draws), the shortfall is treated as
    extra domestic supply of the exporter (attributed to it as origin) and reported in
    ``Q.attrs["adjusted"]``.

    Returns origin, consumer, commodity, period, quantity (in the flows' unit), quantity > 0 only.
    """
    flows = check_flows(flows)
    prod = production.copy()
    prod["period"] = _int_periods(prod["period"], "production")
    pv = pd.to_numeric(prod["production"], errors="coerce").to_numpy(dtype=float)
    if (~np.isfinite(pv) | (pv < 0)).any():
        raise InputError("production must be finite and >= 0", file="production", column="production")
    prod["production"] = pv
    f = flows[flows["flow"] > 0]
    regions = sorted(set(prod["region"]) | set(f["exporter"]) | set(f["importer"]))
    n = len(regions)
    # one region numbering for all groups: a region absent from a group has no supply and no trade,
    # an isolated block of (I - A) that changes nothing else
    pr = pd.Categorical(prod["region"], categories=regions).codes
    ex = pd.Categorical(f["exporter"], categories=regions).codes
    im = pd.Categorical(f["importer"], categories=regions).codes
    pvals, fvals = prod["production"].to_numpy(float), f["flow"].to_numpy(float)
    pg = prod.groupby(["commodity", "period"]).indices
    fg = f.groupby(["commodity", "period"]).indices
    none = np.empty(0, dtype=int)
    parts, adjusted = [], []
    for com, per in sorted(set(pg) | set(fg)):
        pi, fi = pg.get((com, per), none), fg.get((com, per), none)
        p = np.bincount(pr[pi], pvals[pi], n)
        imports = np.bincount(im[fi], fvals[fi], n)
        exports = np.bincount(ex[fi], fvals[fi], n)
        x = p + imports
        short = exports - x
        tol = 1e-9 * np.maximum(1.0, exports)
        if (short > tol).any():
            for k in np.flatnonzero(short > tol):
                adjusted.append((regions[k], com, per, float(short[k])))
            p = p + np.where(short > tol, short, 0.0)
            x = p + imports
        inv_x = np.divide(1.0, x, out=np.zeros(n), where=x > 0)
        m = _leontief_inverse(ex[fi], im[fi], fvals[fi] * inv_x[ex[fi]], n)
        c = np.maximum(x - exports, 0.0)
        q = p[:, None] * m * (c * inv_x)[None, :]
        oi, cj = np.nonzero(q > 1e-12 * max(1.0, float(p.sum())))
        parts.append((oi, cj, q[oi, cj], com, per))
    names = np.array(regions, dtype=object)
    out = pd.DataFrame({
        "origin": names[np.concatenate([t[0] for t in parts])] if parts else [],
        "consumer": names[np.concatenate([t[1] for t in parts])] if parts else [],
        "commodity": np.concatenate([np.full(t[0].size, t[3], dtype=object) for t in parts]) if parts else [],
        "period": np.concatenate([np.full(t[0].size, t[4]) for t in parts]) if parts else [],
        "quantity": np.concatenate([t[2] for t in parts]) if parts else []})
    out.attrs["adjusted"] = pd.DataFrame(adjusted, columns=["region", "commodity", "period", "shortfall"])
    return out


def _leontief_inverse(rows: np.ndarray, cols: np.ndarray, shares: np.ndarray, n: int) -> np.ndarray:
    """(I - A)^-1 for A with entries `shares` at (rows, cols) (duplicates add): dense LAPACK for small
    n, sparse LU otherwise. n x n, dimensionless."""
    if n <= DENSE_LEONTIEF_MAX:
        a = np.zeros((n, n))
        np.add.at(a, (rows, cols), shares)
        return np.linalg.solve(np.eye(n) - a, np.eye(n))
    a = sp.csc_matrix((shares, (rows, cols)), shape=(n, n))
    return spla.splu(sp.csc_matrix(sp.identity(n) - a)).solve(np.eye(n))


DENSE_LEONTIEF_MAX = 400


def traced_embodied(traced: pd.DataFrame, intensities: pd.DataFrame, flow_units: Mapping[str, str] | str,
                    **kw) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Embodied resources of traced origin quantities (origin intensities); same outputs as
    `embodied_flows` with origin/consumer in the exporter/importer columns."""
    f = traced.rename(columns={"origin": "exporter", "consumer": "importer", "quantity": "flow"})
    return embodied_flows(f, intensities, flow_units, **kw)


# --------------------------------------------------------------------------------------------------------
# production- vs consumption-based accounts
# --------------------------------------------------------------------------------------------------------
def known_sum(df: pd.DataFrame, by: list[str], value: str = "value") -> pd.DataFrame:
    """Group sums over the known (non-NaN) parts; NaN only where no part is known (a partial sum: report
    its coverage, `petra.embodied.coverage`)."""
    return df.groupby(by, sort=True, dropna=False)[value].sum(min_count=1).reset_index()


def _components(df: pd.DataFrame, region_col: str, name: str, partial: bool = False) -> pd.DataFrame:
    """Sums per region (`region_col`), commodity, period and indicator in one pass: value (strict, or
    over the known parts with `partial`), flow (all rows) and covered (flow of the rows with a value)."""
    keys = ["region", "commodity", "period", "indicator"]
    d = df.rename(columns={region_col: "region"})
    known = d["value"].notna().to_numpy()
    flow = d["flow"].to_numpy(dtype=float)
    d = d[keys].assign(value=np.where(known, d["value"].to_numpy(dtype=float), 0.0), flow=flow,
                       covered=np.where(known, flow, 0.0), _missing=(~known).astype(np.int64),
                       _n=np.ones(len(d), dtype=np.int64))
    g = d.groupby(keys, sort=True, dropna=False, observed=True)[
        ["value", "flow", "covered", "_missing", "_n"]].sum()
    bad = (g["_missing"] == g["_n"]) if partial else (g["_missing"] > 0)
    g.loc[bad.to_numpy(), "value"] = np.nan
    g = g.drop(columns=["_missing", "_n"]).reset_index()
    for k in ("region", "commodity", "indicator"):  # back from categorical keys (`_categorical`)
        g[k] = g[k].astype(object)
    g["period"] = g["period"].astype(np.int64)
    return g.assign(component=name)


def _categorical(df: pd.DataFrame) -> pd.DataFrame:
    """Key columns as categoricals: factorised once, grouped fast by every `_components` call."""
    return df.astype({k: "category" for k in ("exporter", "importer", "commodity", "indicator", "period")
                      if k in df.columns})


def production_embodied(production: pd.DataFrame, intensities: pd.DataFrame,
                        flow_units: Mapping[str, str] | str, **kw) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`embodied_flows` of each region's production (exporter = importer = region)."""
    p = production.rename(columns={"region": "exporter"}).assign(importer=lambda d: d["exporter"],
                                                                 flow=lambda d: d["production"])
    return embodied_flows(p, intensities, flow_units, **kw)


def accounts(production: pd.DataFrame, flows: pd.DataFrame, intensities: pd.DataFrame,
             flow_units: Mapping[str, str] | str, *, traced: pd.DataFrame | None = None,
             carry_forward: bool = True) -> pd.DataFrame:
    """Production- vs consumption-based accounts per region, commodity, period and indicator.

    Columns: region, commodity, period, indicator, unit, production_based, exports, imports, net_exports
    (= exports - imports), consumption_direct (= production_based - exports + imports),
    and with `traced` (from `trace_origins`): consumption_traced, imports_traced (consumption from other
    origins). NaN marks a value computed from a missing intensity; an absent component is 0.
    """
    kw = dict(carry_forward=carry_forward)
    prod_e, _ = production_embodied(production, intensities, flow_units, **kw)
    route_e, _ = embodied_flows(flows, intensities, flow_units, **kw)
    tr_e = traced_embodied(traced, intensities, flow_units, **kw)[0] if traced is not None else None
    return accounts_from_parts(prod_e, route_e, tr_e, indicator_units(check_intensities(intensities)))


def accounts_from_parts(prod_e: pd.DataFrame, route_e: pd.DataFrame, tr_e: pd.DataFrame | None,
                        out_units: dict[str, str], *, partial: bool = False) -> pd.DataFrame:
    """`accounts` from embodied production (`production_embodied`), route flows (`embodied_flows`) and
    traced flows (`traced_embodied`, or None). With `partial`, a region-commodity value sums the routes
    whose intensity is known (NaN only if none is); otherwise any missing part makes it NaN."""
    return accounts_and_components(prod_e, route_e, tr_e, out_units, partial=partial)[0]


def accounts_and_components(prod_e: pd.DataFrame, route_e: pd.DataFrame, tr_e: pd.DataFrame | None,
                            out_units: dict[str, str], *, partial: bool = False
                            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`accounts_from_parts` and the long sums behind it (region, commodity, period, indicator, value,
    flow, covered, component): each account's quantity and the part of it with known intensities
    (`petra.embodied.coverage.coverage`)."""
    prod_e, route_e = _categorical(prod_e), _categorical(route_e)
    tr_e = _categorical(tr_e) if tr_e is not None else None
    parts = [_components(prod_e, "exporter", "production_based", partial),
             _components(route_e, "exporter", "exports", partial),
             _components(route_e, "importer", "imports", partial)]
    traced = tr_e
    if tr_e is not None:
        parts.append(_components(tr_e, "importer", "consumption_traced", partial))
        other = tr_e["exporter"].to_numpy(dtype=object) != tr_e["importer"].to_numpy(dtype=object)
        parts.append(_components(tr_e[other], "importer", "imports_traced",
                                 partial))
    long = pd.concat(parts, ignore_index=True)
    idx = ["region", "commodity", "period", "indicator", "component"]
    wide = long.set_index(idx)["value"].unstack("component")
    present = long.assign(_one=1.0).set_index(idx)["_one"].unstack("component")
    wide = wide.where(present.notna(), 0.0)  # absent component = 0; a NaN value (missing) stays NaN
    for col in ["production_based", "exports", "imports"] + (
            ["consumption_traced", "imports_traced"] if traced is not None else []):
        if col not in wide.columns:
            wide[col] = 0.0
    wide["net_exports"] = wide["exports"] - wide["imports"]
    wide["consumption_direct"] = wide["production_based"] - wide["exports"] + wide["imports"]
    out = wide.reset_index()
    out.columns.name = None
    out["unit"] = out["indicator"].map(out_units)
    cols = ["region", "commodity", "period", "indicator", "unit", "production_based", "exports", "imports",
            "net_exports", "consumption_direct"]
    if traced is not None:
        cols += ["consumption_traced", "imports_traced"]
    out = out[cols].sort_values(["region", "commodity", "period", "indicator"]).reset_index(drop=True)
    return out, long


def reexport_comparison(direct: pd.DataFrame, traced: pd.DataFrame) -> pd.DataFrame:
    """Per (partner, consumer) pair: embodied imports by direct accounting (exporter = partner) and by
    tracing (origin = partner), for pairs of different regions. Columns origin, consumer, commodity,
    period, indicator, unit, direct, traced, difference (traced - direct)."""
    key = ["exporter", "importer", "commodity", "period", "indicator"]
    d = direct[key + ["value", "unit"]].rename(columns={"value": "direct"})
    t = traced[traced["exporter"] != traced["importer"]][key + ["value", "unit"]].rename(
        columns={"value": "traced"})
    m = d.merge(t, on=key, how="outer", suffixes=("", "_t"))
    m["unit"] = m["unit"].fillna(m.pop("unit_t"))
    # an absent pair is a zero flow on that side (not a missing intensity)
    m.loc[m["direct"].isna() & ~key_present(m, d, key), "direct"] = 0.0
    m.loc[m["traced"].isna() & ~key_present(m, t, key), "traced"] = 0.0
    m["difference"] = m["traced"] - m["direct"]
    m = m.rename(columns={"exporter": "origin", "importer": "consumer"})
    return m.sort_values(["origin", "consumer", "commodity", "period", "indicator"]).reset_index(drop=True)


def key_present(m: pd.DataFrame, part: pd.DataFrame, key: list[str]) -> np.ndarray:
    """Whether each row of `m` has its key in `part`."""
    idx = pd.MultiIndex.from_frame(part[key])
    return pd.MultiIndex.from_frame(m[key]).isin(idx)

