"""Feed embodied in livestock trade (pure functions).

Feed requirements (t of feed commodity per t of livestock product, by region; user data, see
`petra.embodied.inputs.read_feed`) turn a livestock flow into embodied feed, allocated pro rata to the
exported quantity: ``feed[R->C, L, F] = flow[R->C, L] * req[R, L, F]``. The feed's embodied land, water,
N and GHG then follow the direct accounting with the feed-producing region's intensities:

* ``origin="domestic"`` (default): only the domestically produced share of R's feed supply counts,
  ``share[R, F] = PROD[R, F] / (PROD[R, F] + imports[R, F])`` (imported feed is already embodied in R's
  imports), at R's intensities. A feed commodity that is not a market of the data (e.g. grass, fodder) is
  all domestic (share 1), as is one with neither production nor imports in R;
* ``origin="all"``: all feed counted at R's intensities (share 1).

Joint products (milk and meat, eggs and meat): feed.csv may give the requirement of a *system* (per unit
of it), which joint.csv splits between its products by a key: ``protein`` (output x protein content),
``mass`` (output) or ``value`` (output x price). Product p of system s then needs
``req_s * share_p / output_p`` per tonne, where ``share_p = output_p k_p / sum_q output_q k_q``.
The shipped datasets hold default requirements (`feed.csv` in the dataset folder, built from FAOSTAT
food balances by `petra.data.feed_requirements`); `petra run` folds them into the livestock products'
intensities per tonne (`feed_intensities`, `with_feed`): livestock land, water and N are those of its
feed, so livestock trade carries them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from petra.embodied import units
from petra.embodied.embodied_math import EMBODIED_COLUMNS, check_flows, embodied_flows, strict_sum
from petra.errors import InputError

JOINT_KEYS = ("protein", "mass", "value")


def joint_allocation(joint: pd.DataFrame, key: str = "protein") -> pd.DataFrame:
    """system, product, output, share: each product's share of its system's feed under `key`."""
    if key not in JOINT_KEYS:
        raise InputError(f"joint-product key '{key}' is not one of {', '.join(JOINT_KEYS)}")
    weight = {"protein": joint["protein"], "mass": 1.0, "value": joint["price"]}[key]
    df = joint.assign(weight=joint["output"] * weight)
    total = df.groupby("system")["weight"].transform("sum")
    if (total <= 0).any():
        s = df.loc[(total <= 0).to_numpy(), "system"].iloc[0]
        raise InputError(f"system '{s}' has no {key} to split its feed by (all weights 0)", file="joint.csv")
    df["share"] = df["weight"] / total
    return df[["system", "product", "output", "share"]]


def feed_requirements(feed: pd.DataFrame, joint: pd.DataFrame | None = None,
                      key: str = "protein") -> pd.DataFrame:
    """Per-product feed requirements (region, product, feed, value in t/t), joint systems split by `key`."""
    req = feed[["region", "product", "feed", "value"]].copy()
    if joint is not None and len(joint):
        alloc = joint_allocation(joint, key)
        systems = set(alloc["system"])
        sys_rows = req[req["product"].isin(systems)]
        direct = req[~req["product"].isin(systems)]
        exp = sys_rows.rename(columns={"product": "system"}).merge(alloc, on="system", how="inner")
        exp = exp[exp["output"] > 0]
        exp["value"] = exp["value"] * exp["share"] / exp["output"]
        exp = exp[["region", "product", "feed", "value"]]
        clash = exp.merge(direct, on=["region", "product", "feed"], how="inner")
        if len(clash):
            r = clash.iloc[0]
            raise InputError(f"feed of product '{r['product']}' ({r['feed']}) is given both directly and "
                             f"through a joint system", file="feed.csv")
        req = pd.concat([direct, exp], ignore_index=True)
    return req.reset_index(drop=True)


def requirements_for(req: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """Requirements of each (region, product) in `pairs`: the region's own rows if any, else the defaults
    (empty region). Returns region, product, feed, value."""
    pairs = pairs[["region", "product"]].drop_duplicates()
    own = pairs.merge(req, on=["region", "product"], how="inner")
    have = own[["region", "product"]].drop_duplicates().assign(_own=True)
    rest = pairs.merge(have, on=["region", "product"], how="left")
    rest = rest[rest["_own"].isna()].drop(columns="_own")
    default = rest.merge(req[req["region"] == ""].drop(columns="region"), on="product", how="inner")
    return pd.concat([own, default], ignore_index=True)[["region", "product", "feed", "value"]]


def domestic_share(production: pd.DataFrame, flows: pd.DataFrame) -> pd.DataFrame:
    """region, commodity, period, share = PROD / (PROD + imports); 1 where both are 0."""
    flows = check_flows(flows)
    imp = flows.groupby(["importer", "commodity", "period"])["flow"].sum()
    imp.index = imp.index.set_names(["region", "commodity", "period"])
    prod = production.assign(period=production["period"].astype(np.int64)).set_index(
        ["region", "commodity", "period"])["production"]
    df = pd.concat([prod.rename("production"), imp.rename("imports")], axis=1).fillna(0.0)
    s = df["production"] + df["imports"]
    with np.errstate(divide="ignore", invalid="ignore"):
        df["share"] = np.where(s > 0, df["production"] / s, 1.0)
    return df.reset_index()[["region", "commodity", "period", "share"]]


def feed_flows(flows: pd.DataFrame, req: pd.DataFrame, flow_units: Mapping[str, str] | str) -> pd.DataFrame:
    """exporter, importer, commodity (livestock), period, feed, feed_t: feed embodied in each livestock flow
    (tonnes), with the exporter's requirements (`requirements_for`)."""
    flows = check_flows(flows)
    flows = flows[flows["flow"] > 0]
    pairs = flows.rename(columns={"exporter": "region", "commodity": "product"})[["region", "product"]]
    r = requirements_for(req, pairs).rename(columns={"region": "exporter", "product": "commodity",
                                                     "value": "req"})
    df = flows.merge(r, on=["exporter", "commodity"], how="inner")
    fu = (pd.Series(flow_units, index=df.index) if isinstance(flow_units, str)
          else df["commodity"].map(dict(flow_units)))
    if fu.isna().any():
        raise InputError(f"unit of commodity '{df.loc[fu.isna(), 'commodity'].iloc[0]}' is unknown")
    to_t = np.array([units.factor(u, "t") for u in fu])
    df["feed_t"] = df["flow"].to_numpy() * to_t * df["req"].to_numpy()
    return df[["exporter", "importer", "commodity", "period", "feed", "feed_t"]].reset_index(drop=True)


def embodied_feed(flows: pd.DataFrame, req: pd.DataFrame, intensities: pd.DataFrame,
                  flow_units: Mapping[str, str] | str, *, production: pd.DataFrame | None = None,
                  all_flows: pd.DataFrame | None = None, origin: str = "domestic",
                  carry_forward: bool = True) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Land, water, N and GHG of the feed embodied in livestock flows.

    `production` and `all_flows` (production and flows of every commodity, feed crops included) give the
    domestic share for ``origin="domestic"``. Returns ``(per_feed, per_route, missing)``: per_feed has
    exporter, importer, commodity, period, feed, feed_t, domestic_share, indicator, value, unit; per_route
    has EMBODIED_COLUMNS with indicators ``feed_<indicator>`` (sum over feeds, NaN if a feed's intensity is
    missing); missing as in `embodied_flows` (for the feed commodities).
    """
    if origin not in ("domestic", "all"):
        raise InputError(f"feed origin '{origin}' is not 'domestic' or 'all'")
    ff = feed_flows(flows, req, flow_units)
    if origin == "domestic" and production is not None:
        ds = domestic_share(production, all_flows if all_flows is not None else flows)
        markets = set(production["commodity"])
        ds = ds.rename(columns={"region": "exporter", "commodity": "feed", "share": "domestic_share"})
        ff = ff.merge(ds, on=["exporter", "feed", "period"], how="left")
        fill = np.where(ff["feed"].isin(markets), 0.0, 1.0)  # a market with no row: no supply in R
        ff["domestic_share"] = ff["domestic_share"].fillna(pd.Series(fill, index=ff.index))
    else:
        ff["domestic_share"] = 1.0
    counted = ff.assign(flow=ff["feed_t"] * ff["domestic_share"], livestock=ff["commodity"],
                        commodity=ff["feed"])
    e, missing = embodied_flows(counted[["exporter", "importer", "commodity", "period", "livestock", "flow"]],
                                intensities, "t", carry_forward=carry_forward, keep=("livestock",))
    per_feed = e.rename(columns={"commodity": "feed", "livestock": "commodity"}).merge(
        ff[["exporter", "importer", "commodity", "period", "feed", "feed_t", "domestic_share"]],
        on=["exporter", "importer", "commodity", "period", "feed"], how="left")
    per_feed = per_feed[["exporter", "importer", "commodity", "period", "feed", "feed_t", "domestic_share",
                         "indicator", "value", "unit"]]
    per_route = strict_sum(per_feed, ["exporter", "importer", "commodity", "period", "indicator", "unit"])
    per_route["indicator"] = "feed_" + per_route["indicator"]
    return per_feed, per_route[EMBODIED_COLUMNS], missing


FEED_FILLED = ("land", "water_green", "water_blue", "nitrogen")
"""Indicators a livestock product takes from its feed where its own value is missing (cropland, water and
fertiliser N of a livestock product are those of its feed)."""
FEED_ADDED = ("n2o", "ch4")
"""Gases of the feed (fertiliser N2O, rice CH4) added to the product's own (enteric, manure) where known."""
FEED_SOURCE = "feed: default requirements x feed intensities x domestic share"


def feed_intensities(req: pd.DataFrame, intensities: pd.DataFrame, share: pd.DataFrame | None = None,
                     indicators: tuple[str, ...] = FEED_FILLED + FEED_ADDED) -> pd.DataFrame:
    """Per tonne of livestock product: ``sum_F req[R, L, F] x share[R, F, T] x I[R, F, T]``.

    req          region ('' = every region of `intensities`), product, feed, value (t feed / t product)
    intensities  region, commodity, period, indicator, value, unit (per t of the feed commodity)
    share        region, commodity, period, share (domestic share of R's feed supply, `domestic_share`;
                 None = 1)
    Returns region, commodity (the product), period, indicator, value, unit, source; value NaN if any feed
    the product needs lacks the intensity (a feed absent from `intensities` counts as missing) unless its
    domestic share is 0 (all imported: it adds 0).
    """
    it = intensities[intensities["indicator"].isin(indicators)]
    regions = sorted(set(it["region"]))
    own = req[req["region"] != ""]
    default = req[req["region"] == ""].drop(columns="region")
    if len(default):
        pairs = pd.DataFrame({"region": regions}).merge(default[["product"]].drop_duplicates(), how="cross")
        req = requirements_for(req, pd.concat([pairs, own[["region", "product"]]], ignore_index=True))
    else:
        req = own[["region", "product", "feed", "value"]]
    req = req[req["value"] > 0].rename(columns={"value": "req"})
    periods = pd.DataFrame({"period": sorted({int(p) for p in it["period"]})})
    ind = pd.DataFrame({"indicator": list(indicators)})
    want = req.merge(periods, how="cross").merge(ind, how="cross")
    target = {i: u for i, u in it[["indicator", "unit"]].drop_duplicates("indicator").itertuples(index=False)}
    fac = np.array([units.factor(u, target[i]) for i, u in zip(it["indicator"], it["unit"], strict=True)])
    got = it.assign(value=it["value"].to_numpy(dtype=float) * fac, period=it["period"].astype(np.int64))
    m = want.merge(got[["region", "commodity", "period", "indicator", "value"]].rename(
        columns={"commodity": "feed"}), on=["region", "feed", "period", "indicator"], how="left")
    if share is not None:
        s = share.rename(columns={"commodity": "feed"}).assign(period=lambda d: d["period"].astype(np.int64))
        m = m.merge(s[["region", "feed", "period", "share"]], on=["region", "feed", "period"], how="left")
        m["share"] = m["share"].fillna(1.0)  # no market row: neither production nor imports
    else:
        m["share"] = 1.0
    # all of it imported (share 0): none of it is R's, whatever R's intensity (e.g. a crop R does not grow)
    m["value"] = np.where(m["share"].to_numpy() == 0, 0.0, m["req"] * m["share"] * m["value"])
    out = strict_sum(m, ["region", "product", "indicator", "period"])
    out = out.rename(columns={"product": "commodity"}).assign(source=FEED_SOURCE)
    out["unit"] = out["indicator"].map(target)
    out = out[out["unit"].notna()]
    cols = ["region", "commodity", "period", "indicator", "value", "unit", "source"]
    return out[cols].reset_index(drop=True)


def with_feed(intensities: pd.DataFrame, feed: pd.DataFrame) -> pd.DataFrame:
    """`intensities` with the feed of livestock products (`feed_intensities`, same periods): FEED_FILLED
    indicators where the product's own value is missing or absent; FEED_ADDED gases added to a known
    own value (a missing own value stays missing). Given (non-missing) FEED_FILLED values always win."""
    keys = ["region", "commodity", "period", "indicator"]
    it = intensities.assign(period=intensities["period"].astype(np.int64)).copy()
    f = feed.assign(period=feed["period"].astype(np.int64))
    m = it.merge(f[keys + ["value", "unit"]].rename(columns={"value": "_feed", "unit": "_unit"}), on=keys,
                 how="left")
    ok = m["_feed"].notna().to_numpy()
    fill = ok & m["indicator"].isin(FEED_FILLED).to_numpy() & m["value"].isna().to_numpy()
    if fill.any():
        m.loc[fill, "unit"] = m.loc[fill, "_unit"]
    add = ok & m["indicator"].isin(FEED_ADDED).to_numpy() & m["value"].notna().to_numpy()
    if add.any():
        fac = np.array([units.factor(fu, u) for fu, u in zip(m.loc[add, "_unit"], m.loc[add, "unit"],
                                                               strict=True)])
        m.loc[add, "value"] = m.loc[add, "value"].to_numpy(dtype=float) + m.loc[add, "_feed"].to_numpy() * fac
    m.loc[fill, "value"] = m.loc[fill, "_feed"]
    src = m["source"].astype(str).to_numpy(dtype=object)
    src[fill] = FEED_SOURCE
    src[add] = src[add] + "; + feed"
    m["source"] = src
    absent = f[f["indicator"].isin(FEED_FILLED) & f["value"].notna()].merge(
        it[keys].assign(_have=True), on=keys, how="left")
    absent = absent[absent["_have"].isna()].drop(columns="_have")
    out = pd.concat([m.drop(columns=["_feed", "_unit"]), absent], ignore_index=True)
    return out[intensities.columns].sort_values(keys).reset_index(drop=True)
