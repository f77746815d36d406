"""Commodity mapping: traded FAOSTAT items -> model commodities in primary equivalents.

`mappings/commodity_items.csv` lists, per traded item, the model commodity and the conversion
factor (t of primary equivalent per t of product) with its source. `mappings/commodities.csv`
lists the model commodities: unit, the FBS item that defines production, price items, and the
crop names used for area, water and nitrogen intensities.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from petra.errors import InputError

MAPPINGS = Path(__file__).resolve().parent / "mappings"


def load_item_map(path: Path | None = None) -> pd.DataFrame:
    """Traded item -> commodity table (factor: t primary equivalent per t product)."""
    df = pd.read_csv(path or MAPPINGS / "commodity_items.csv", dtype={"trade_item": str})
    if (df["factor"] <= 0).any():
        raise InputError("conversion factors must be > 0", file=str(path or "commodity_items.csv"),
                         column="factor")
    return df


def load_commodities(path: Path | None = None) -> pd.DataFrame:
    """Model commodity table (commodity, name, unit, fbs_item, price_items, ...)."""
    return pd.read_csv(path or MAPPINGS / "commodities.csv", dtype=str, keep_default_na=False)


def split_codes(cell: str) -> list[int]:
    """'156;157' -> [156, 157]; '' -> []."""
    return [int(x) for x in str(cell).split(";") if x.strip()]


def to_primary(flows: pd.DataFrame, item_map: pd.DataFrame, *, item_col: str = "item",
               qty_col: str = "quantity", unmapped: str = "drop") -> pd.DataFrame:
    """Convert product quantities to primary equivalents of the model commodities.

    `flows[item_col]` holds trade item names (as in commodity_items.trade_item) or FAO item codes
    (ints, matched to fao_item_code). Rows of unmapped items are dropped (`unmapped="drop"`) or raise
    InputError (`unmapped="raise"`). Adds `commodity` and `factor`; `qty_col` is multiplied by factor.
    """
    key = "fao_item_code" if pd.api.types.is_integer_dtype(flows[item_col]) else "trade_item"
    lut = item_map.set_index(key)[["commodity", "factor"]]
    hit = flows[item_col].isin(lut.index).to_numpy()
    if not hit.all() and unmapped == "raise":
        i = int(np.argmax(~hit))
        raise InputError(f"item '{flows[item_col].iloc[i]}' has no commodity mapping", column=item_col)
    out = flows[hit].copy()
    out["commodity"] = lut.loc[out[item_col], "commodity"].to_numpy()
    out["factor"] = lut.loc[out[item_col], "factor"].to_numpy(dtype=float)
    out[qty_col] = out[qty_col].to_numpy(dtype=float) * out["factor"].to_numpy()
    return out.reset_index(drop=True)
