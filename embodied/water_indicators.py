"""Virtual water indicators of staple-grain trade studies (pure functions).

Definitions (shared indicator reference, section 5), for region R, crop C, period T and each water
indicator (``water_blue``, ``water_green`` and their sum ``water_total``, `add_total_water`):

* virtual water content ``D_C = W_C / Y_C`` (m3/t) from the crop water requirement per hectare and the yield
  (`virtual_water_content`); in the post-processor D_C is the region's own intensity (m3/t), i.e. the water
  the region would use (imports: saves) to produce the traded tonnes itself;
* virtual water imports ``V_i = D_C * G_i``, exports ``V_e = D_C * G_e``, net ``V_n = V_i - V_e`` (> 0: net
  import), with G the traded tonnes; water used in domestic production ``W = D_C * PROD``;
* water stress of traded virtual water ``MWSI = V / LQ * 100`` (%) against the national water-use cap LQ,
  and of production ``MWSI_f = W / LQ * 100``; pressure coefficient ``P = MWSI / MWSI_f`` (= V / W);
* min-max normalisation over the periods studied: imports and net imports (larger P, less pressure)
  ``I = (P_max - P) / (P_max - P_min)``; exports ``I = (P - P_min) / (P_max - P_min)``; grade ``high`` if
  ``I >= hi``, ``medium`` if ``I >= lo``, else ``low`` (default thirds); NaN / "" when P_max = P_min;
* impact index of trade on water use: traded virtual water / virtual water of domestic production, per crop
  (``impact_imports = V_i / W``, ``impact_exports = V_e / W``, ``impact_net = V_n / W``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from petra.embodied import units
from petra.embodied.embodied_math import check_flows, check_intensities, match_intensities

ALL = "(all)"
KEY = ["region", "commodity", "period", "indicator"]


TOTAL_WATER = "water_total"
"""Green + blue virtual water (m3/t); grey water is not in the data."""


def add_total_water(intensities: pd.DataFrame) -> pd.DataFrame:
    """The intensity table with ``water_total`` = ``water_green`` + ``water_blue`` (m3/t) for every
    (region, commodity, period) that has both rows (missing if either is); a given ``water_total`` wins."""
    ints = check_intensities(intensities)
    keys = ["region", "commodity", "period"]
    if (ints["indicator"] == TOTAL_WATER).any():
        return ints
    parts = []
    for ind in ("water_green", "water_blue"):
        w = ints[ints["indicator"] == ind]
        f = np.array([units.factor(u, "m3/t") for u in w["unit"]]) if len(w) else np.empty(0)
        parts.append(w[keys].assign(**{ind: w["value"].to_numpy(dtype=float) * f}))
    both = parts[0].merge(parts[1], on=keys, how="inner")
    if both.empty:
        return ints
    total = both[keys].assign(indicator=TOTAL_WATER, value=both["water_green"] + both["water_blue"],
                              unit="m3/t", source="derived: water_green + water_blue")
    return pd.concat([ints, total], ignore_index=True)


def virtual_water_content(water_per_ha: np.ndarray | float, yield_t_per_ha: np.ndarray | float) -> np.ndarray:
    """``D_C = W_C / Y_C``: m3 per tonne from m3 per hectare and t per hectare (NaN where yield is 0)."""
    w = np.asarray(water_per_ha, dtype=float)
    y = np.asarray(yield_t_per_ha, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(y > 0, w / y, np.nan)


def virtual_water_trade(flows: pd.DataFrame, production: pd.DataFrame, intensities: pd.DataFrame,
                        flow_units: Mapping[str, str] | str, *, indicators: list[str] | None = None,
                        carry_forward: bool = True, total: bool = True) -> pd.DataFrame:
    """Virtual water imports, exports, net and production use per region, crop, period, water indicator.

    Uses each region's own water intensity (`content`, m3/t). Returns KEY + content_m3_per_t, imports_t,
    exports_t, production_t, V_i, V_e, V_n, W (m3), impact_imports, impact_exports, impact_net. With
    `total`, adds per (region, period, indicator) a commodity ``(all)`` row summing the crops whose content
    is known (tonnes and volumes alike; products without water data, e.g. livestock, are left out).
    """
    ints = check_intensities(intensities)
    if indicators is None:
        indicators = [i for i in ints["indicator"].unique() if i.startswith("water")]
    water = indicators
    ints = ints[ints["indicator"].isin(water)]
    flows = check_flows(flows)
    flows = flows[flows["flow"] > 0]
    imp = flows.groupby(["importer", "commodity", "period"])["flow"].sum().rename("imports")
    exp = flows.groupby(["exporter", "commodity", "period"])["flow"].sum().rename("exports")
    imp.index = imp.index.set_names(["region", "commodity", "period"])
    exp.index = exp.index.set_names(["region", "commodity", "period"])
    prod = production.assign(period=production["period"].astype(np.int64)).set_index(
        ["region", "commodity", "period"])["production"]
    q = pd.concat([imp, exp, prod], axis=1).fillna(0.0)
    q = q[(q["imports"] > 0) | (q["exports"] > 0) | (q["production"] > 0)].reset_index()
    crops = set(ints["commodity"])
    q = q[q["commodity"].isin(crops)]
    m = match_intensities(q[["region", "commodity", "period"]], ints, carry_forward=carry_forward)
    df = q.merge(m[[*KEY, "value", "unit"]], on=["region", "commodity", "period"], how="inner")
    fu = pd.Series(flow_units, index=df.index) if isinstance(flow_units, str) else df["commodity"].map(
        dict(flow_units))
    to_t = np.array([units.factor(u, "t") for u in fu])
    content = np.array([v * units.factor(u, "m3/t") if isinstance(u, str) else np.nan
                        for v, u in zip(df["value"], df["unit"], strict=True)])
    out = df[KEY].copy()
    out["content_m3_per_t"] = content
    for col in ("imports", "exports", "production"):
        out[f"{col}_t"] = df[col].to_numpy() * to_t
    out["V_i"] = content * out["imports_t"]
    out["V_e"] = content * out["exports_t"]
    out["V_n"] = out["V_i"] - out["V_e"]
    out["W"] = content * out["production_t"]
    if total:
        # over the crops with a known content (the tonnes too, so that ratios stay consistent); the
        # coverage of the total is the covered share of the tonnes (embodied_coverage.csv in a run)
        known = out[out["content_m3_per_t"].notna()]
        agg = known.groupby(["region", "period", "indicator"], sort=True)[
            ["imports_t", "exports_t", "production_t", "V_i", "V_e", "V_n", "W"]].sum()
        agg = agg.reset_index().assign(commodity=ALL)
        with np.errstate(divide="ignore", invalid="ignore"):
            agg["content_m3_per_t"] = np.where(agg["production_t"] > 0, agg["W"] / agg["production_t"],
                                               np.nan)
        out = pd.concat([out, agg[out.columns]], ignore_index=True)
    w = out["W"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        for name, v in (("impact_imports", "V_i"), ("impact_exports", "V_e"), ("impact_net", "V_n")):
            out[name] = np.where(w > 0, out[v].to_numpy(dtype=float) / w, np.nan)
    return out.sort_values(KEY).reset_index(drop=True)


def water_stress(vw: pd.DataFrame, cap: pd.DataFrame | None) -> pd.DataFrame:
    """Add the cap LQ (m3), MWSI_i / MWSI_e / MWSI_n / MWSI_f (%) and the pressure coefficients P_i, P_e, P_n.

    `cap`: region, period (NaN = every period), value (m3). Without a cap for a region, its MWSI columns are
    NaN; P (= V / W) does not need the cap and is always computed.
    """
    df = vw.copy()
    lq = np.full(len(df), np.nan)
    if cap is not None and len(cap):
        c = cap.copy()
        general = c[c["period"].isna()].set_index("region")["value"]
        specific = c[c["period"].notna()].assign(period=lambda d: d["period"].astype(np.int64))
        specific = specific.set_index(["region", "period"])["value"]
        keys = pd.MultiIndex.from_frame(df[["region", "period"]])
        lq = specific.reindex(keys).to_numpy(dtype=float)
        fill = general.reindex(df["region"]).to_numpy(dtype=float)
        lq = np.where(np.isnan(lq), fill, lq)
    df["LQ"] = lq
    with np.errstate(divide="ignore", invalid="ignore"):
        for s, v in (("i", "V_i"), ("e", "V_e"), ("n", "V_n"), ("f", "W")):
            df[f"MWSI_{s}"] = df[v].to_numpy(dtype=float) / lq * 100.0
        w = df["W"].to_numpy(dtype=float)
        for s, v in (("i", "V_i"), ("e", "V_e"), ("n", "V_n")):
            df[f"P_{s}"] = np.where(w > 0, df[v].to_numpy(dtype=float) / w, np.nan)
    return df


def normalise_pressure(p: np.ndarray, kind: str) -> np.ndarray:
    """Min-max pressure index over a series of periods; kind ``imports``/``net`` (reversed) or ``exports``."""
    p = np.asarray(p, dtype=float)
    if not np.isfinite(p).any():
        return np.full(p.shape, np.nan)
    lo, hi = np.nanmin(p), np.nanmax(p)
    span = hi - lo
    if not np.isfinite(span) or span <= 0:
        return np.full(p.shape, np.nan)
    return (hi - p) / span if kind in ("imports", "net") else (p - lo) / span


def grade(index: np.ndarray, thresholds: tuple[float, float] = (1 / 3, 2 / 3)) -> np.ndarray:
    """``high`` / ``medium`` / ``low`` pressure grade of a normalised index ("" where NaN)."""
    lo, hi = thresholds
    i = np.asarray(index, dtype=float)
    g = np.where(i >= hi, "high", np.where(i >= lo, "medium", "low")).astype(object)
    g[np.isnan(i)] = ""
    return g


def pressure_index(df: pd.DataFrame, thresholds: tuple[float, float] = (1 / 3, 2 / 3)) -> pd.DataFrame:
    """Add I_i, I_e, I_n (min-max over the periods of each region, crop and indicator) and their grades."""
    out = df.sort_values(KEY).reset_index(drop=True)
    for s, kind in (("i", "imports"), ("e", "exports"), ("n", "net")):
        # normalise_pressure per group, vectorised: min and max over the group's finite values
        p = out[f"P_{s}"].where(np.isfinite(out[f"P_{s}"]))
        lo = p.groupby([out["region"], out["commodity"], out["indicator"]], sort=False).transform("min")
        hi = p.groupby([out["region"], out["commodity"], out["indicator"]], sort=False).transform("max")
        span = (hi - lo).to_numpy(dtype=float)
        num = (hi - p) if kind in ("imports", "net") else (p - lo)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[f"I_{s}"] = np.where(span > 0, num.to_numpy(dtype=float) / span, np.nan)
        out[f"grade_{s}"] = grade(out[f"I_{s}"].to_numpy(), thresholds)
    return out


def water_indicators(flows: pd.DataFrame, production: pd.DataFrame, intensities: pd.DataFrame,
                     flow_units: Mapping[str, str] | str, *, cap: pd.DataFrame | None = None,
                     thresholds: tuple[float, float] = (1 / 3, 2 / 3),
                     carry_forward: bool = True) -> pd.DataFrame:
    """All virtual water indicators in one table (see the module docstring), green, blue and total;
    volumes in m3, MWSI in %."""
    vw = virtual_water_trade(flows, production, add_total_water(intensities), flow_units,
                             carry_forward=carry_forward)
    return pressure_index(water_stress(vw, cap), thresholds)
