"""The embodied post-processor's default inputs shipped with a dataset (read from its folder):

feed.csv            region, product, feed, value, unit: feed requirements (`petra.embodied.inputs.read_feed`),
                    built by `petra.data.feed_requirements`
deforestation.csv   region, period, land_type, value, unit: deforestation CO2 per year (`read_deforestation`),
                    built by `petra.data.deforestation_cait`

plus the observed cropland areas whose change to the first period shares its deforestation: production
(`observed_markets.csv`) x land intensity of each observed year (= FAOSTAT area harvested). A dataset
without these files has no default (None): no feed, no deforestation output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from petra.embodied import units
from petra.embodied.inputs import read_deforestation, read_feed


@dataclass(frozen=True)
class DefaultInputs:
    """A dataset's default embodied inputs (None where the dataset has none)."""

    feed: pd.DataFrame | None = None            # region, product, feed, value (t/t)
    deforestation: pd.DataFrame | None = None   # region, period, land_type, value (t CO2)
    observed_area: pd.DataFrame | None = None   # region, commodity, period, area (ha)


def observed_areas(dataset, flow_units: dict[str, str]) -> pd.DataFrame | None:
    """region, commodity, period, area (ha) of every observed year: production x `land` of that year."""
    om, it = dataset.observed_markets, dataset.intensities
    if om is None or it is None:
        return None
    land = it[(it["indicator"] == "land") & it["value"].notna()]
    m = om.rename(columns={"year": "period"})[["region", "commodity", "period", "production"]].merge(
        land[["region", "commodity", "period", "value", "unit"]], on=["region", "commodity", "period"])
    fac = np.array([units.product_factor(flow_units[c], u)[0] for c, u in zip(m["commodity"], m["unit"],
                                                                            strict=True)])
    return pd.DataFrame({"region": m["region"], "commodity": m["commodity"],
                         "period": m["period"].astype(np.int64),
                         "area": m["production"].to_numpy(dtype=float) * m["value"].to_numpy(dtype=float)
                         * fac})


def dataset_defaults(dataset, flow_units: dict[str, str]) -> DefaultInputs:
    """The default inputs of a dataset folder (`dataset.path`); bad files raise InputError naming them."""
    if dataset.path is None:
        return DefaultInputs()
    feed_path, defor_path = dataset.path / "feed.csv", dataset.path / "deforestation.csv"
    feed = read_feed(feed_path) if feed_path.is_file() else None
    defor = read_deforestation(defor_path) if defor_path.is_file() else None
    area = observed_areas(dataset, flow_units) if defor is not None else None
    return DefaultInputs(feed=feed, deforestation=defor, observed_area=area)
