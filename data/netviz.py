"""Adapter for the netviz-tools extract of FAOSTAT's Detailed Trade Matrix.

Layout (one file per item, optionally gzip): o_code, d_code, o_name, d_name, year, item, weight.
`weight` is the export quantity in t as reported by the exporter (FAOSTAT element 5910); o_code and
d_code are FAO area codes of exporter and importer. Zero flows are absent; self-loops (re-exports
recorded against the reporter itself) are dropped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from petra.data.faostat import parse_codes, parse_values, read_text_csv
from petra.errors import InputError

COLUMNS = ["o_code", "d_code", "year", "item", "weight"]


def read_netviz(path: str | Path, years: list[int] | None = None) -> pd.DataFrame:
    """Exporter-reported bilateral quantities (t): exporter, importer, item, year, quantity, reported_by."""
    file = str(path)
    raw = read_text_csv(path)
    for col in COLUMNS:
        if col not in raw.columns:
            raise InputError(f"missing column (found: {', '.join(c for c in raw.columns if c != '_line')})",
                             file=file, column=col)
    lines = raw["_line"].to_numpy()
    year = parse_codes(raw["year"], file=file, column="year", lines=lines)
    keep = np.ones(len(raw), dtype=bool) if years is None else np.isin(year, years)
    raw, lines, year = raw[keep], lines[keep], year[keep]
    df = pd.DataFrame({
        "exporter": parse_codes(raw["o_code"], file=file, column="o_code", lines=lines),
        "importer": parse_codes(raw["d_code"], file=file, column="d_code", lines=lines),
        "item": raw["item"].str.strip().to_numpy(), "year": year,
        "quantity": parse_values(raw["weight"], file=file, column="weight", lines=lines),
        "reported_by": "exporter", "_line": lines})
    df = df[(df["exporter"] != df["importer"]) & np.isfinite(df["quantity"])]
    return df.reset_index(drop=True)
