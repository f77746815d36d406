"""Uses split (`uses.csv`): the shares of each market's domestic use that are food, feed and other uses,
from the FAOSTAT food balance sheets (petra.data.fbs), in the commodity's primary equivalent.

Per country and year, from the FBS elements of the commodity's item (t):

* food = food; feed = feed; other = seed + losses + processing + other (industrial) + residual.
* Oilseeds (soybeans, rapeseed): the crush (the seed's FBS ``processing``) is followed to its products
  in seed equivalent (t oil or cake x the joint-mass factor of mappings/commodity_items.csv, petra's
  primary equivalent): the oil through its own FBS balance (item 2571 / 2574: its food is food, its feed
  feed, the rest other: biodiesel, industry, losses), the cake (meal) to feed: domestic crush x
  feed_requirements.CAKE_YIELD + net cake imports (FAOSTAT trade matrix, the year's), at least 0. The
  seed's other elements count as for any crop. Imported oil and meal are thus counted where they are used.

Per region (the dataset's region map): the components are summed over its countries, then the rule for
negative entries applies: a negative residual (FAO's statistical discrepancy) nets against the other
uses; a component still below 0 is set to 0. Missing elements count as 0. Shares = component / (food +
feed + other); `domestic_use` is that sum (kt). A region-year without any use of the commodity in the
FBS takes the world shares of the commodity-year (basis 'world'; FAO's world = the sum over countries).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from petra.data import fbs
from petra.data.feed_requirements import CAKE_YIELD, cake_net_imports

SHARES = ("food", "feed", "other")
OTHER_ELEMENTS = ("seed", "losses", "processing", "other", "residual")


def plain_uses(bal: pd.DataFrame, item: int) -> pd.DataFrame:
    """area, year, food, feed, other (t) of one FBS item (`bal`: read_balances' long frame)."""
    w = bal[bal["item"] == item].pivot_table(index=["area", "year"], columns="element", values="value",
                                             aggfunc="sum")
    w = w.reindex(columns=list(fbs.USE_ELEMENTS)).fillna(0.0)
    return pd.DataFrame({"food": w["food"], "feed": w["feed"],
                         "other": w[list(OTHER_ELEMENTS)].sum(axis=1)}).reset_index()


def oilseed_uses(bal: pd.DataFrame, seed_item: int, oil_item: int, cake_yield: float,
                 equivalent: float, cake_imports: pd.DataFrame) -> pd.DataFrame:
    """area, year, food, feed, other (t seed equivalent) of an oilseed: the seed's own uses but the
    crush, its oil's uses x `equivalent`, its cake (crush x cake_yield + net imports `cake_imports`:
    area, year, value t; at least 0) x `equivalent` as feed."""
    w = bal[bal["item"] == seed_item].pivot_table(index=["area", "year"], columns="element",
                                                  values="value", aggfunc="sum")
    w = w.reindex(columns=list(fbs.USE_ELEMENTS)).fillna(0.0)
    oil = plain_uses(bal, oil_item).set_index(["area", "year"])
    idx = w.index.union(oil.index)
    w, oil = w.reindex(idx).fillna(0.0), oil.reindex(idx).fillna(0.0)
    net = cake_imports.set_index(["area", "year"])["value"].reindex(idx).fillna(0.0)
    cake = np.maximum(w["processing"] * cake_yield + net, 0.0)
    other_seed = w[[e for e in OTHER_ELEMENTS if e != "processing"]].sum(axis=1)
    out = pd.DataFrame({"food": w["food"] + equivalent * oil["food"],
                        "feed": w["feed"] + equivalent * (oil["feed"] + cake),
                        "other": other_seed + equivalent * oil["other"]}, index=idx)
    return out.reset_index()


def country_uses(bal: pd.DataFrame, cake_trade: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """area, commodity, year, food, feed, other (t primary equivalent) of every petra commodity in
    `years`. cake_trade: exporter, importer, item, year, quantity (t) of the cake trade items."""
    eq = fbs.oil_bean_equivalent()
    parts = []
    for commodity, item in fbs.commodity_items().items():
        if commodity in fbs.OIL_ITEMS:
            net = pd.concat([cake_net_imports(cake_trade, years=[y]).assign(year=y) for y in years],
                            ignore_index=True)
            net = net[net["feed"] == commodity][["area", "year", "value"]]
            u = oilseed_uses(bal, item, fbs.OIL_ITEMS[commodity], CAKE_YIELD[commodity], eq[commodity], net)
        else:
            u = plain_uses(bal, item)
        parts.append(u[u["year"].isin(years)].assign(commodity=commodity))
    return pd.concat(parts, ignore_index=True)[["area", "commodity", "year", *SHARES]]


def region_shares(uses: pd.DataFrame, regions: list[str], commodities: list[str],
                  years: list[int]) -> pd.DataFrame:
    """uses.csv rows: region, commodity, year, food, feed, other (shares summing to 1), domestic_use
    (kt), basis ('fbs' or 'world'). `uses`: region, commodity, year, food, feed, other (t) per country
    (any number of rows per market), summed here; negatives handled as the module docstring states."""
    keys = ["region", "commodity", "year"]
    s = uses.groupby(keys)[list(SHARES)].sum()
    s = s.clip(lower=0.0)  # a residual below 0 has netted against 'other' in the sum; the rest is 0
    world = s.groupby(level=["commodity", "year"]).sum()
    idx = pd.MultiIndex.from_product([regions, commodities, years], names=keys)
    s = s.reindex(idx).fillna(0.0)
    total = s.sum(axis=1)
    shares = s.div(total.where(total > 0), axis=0)
    own = total > 0
    wshare = world.div(world.sum(axis=1), axis=0)
    fill = wshare.reindex(pd.MultiIndex.from_arrays([idx.get_level_values("commodity"),
                                                     idx.get_level_values("year")])).to_numpy()
    shares = pd.DataFrame(np.where(own.to_numpy()[:, None], shares.to_numpy(), fill), index=idx,
                          columns=list(SHARES))
    out = shares.assign(domestic_use=total / 1000.0, basis=np.where(own, "fbs", "world")).reset_index()
    return out[[*keys, *SHARES, "domestic_use", "basis"]]
