"""Reading the files of a `petra run` output back (`petra compare`, `petra explore`): anything damaged,
truncated or of the wrong shape is an InputError naming the file (exit 2, one line), never a traceback
of pyarrow, pyam or json.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from petra.errors import InputError, one_line
from petra.textfiles import load_yaml

KIND_NAMES = {dict: "mapping (key: value)", pd.DataFrame: "table"}


def read_file(path: Path, reader: Callable[[Path], object], kind: type):
    """`reader(path)`, or InputError naming the file if it cannot be read or is not a `kind`."""
    try:
        value = reader(path)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parse failure of a damaged file is bad input
        raise InputError(f"cannot be read ({type(exc).__name__}: {one_line(exc, 200)})",
                         file=str(path)) from None
    if not isinstance(value, kind):
        raise InputError(f"is not a {KIND_NAMES.get(kind, kind.__name__)}", file=str(path))
    return value


def read_parquet(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    """A Parquet table of the run with at least `columns` (InputError naming the first missing one)."""
    table = read_file(path, pd.read_parquet, pd.DataFrame)
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise InputError(f"column '{missing[0]}' is missing", file=str(path))
    return table


def read_summary(path: Path) -> dict:
    """summary.json: a JSON object whose `scenarios` maps each scenario to an object."""
    doc = read_file(path, lambda p: json.loads(p.read_text(encoding="utf-8")), dict)
    scenarios = doc.get("scenarios")
    if not isinstance(scenarios, dict) or not all(isinstance(v, dict) for v in scenarios.values()):
        raise InputError("not the summary of a run: 'scenarios' must map each scenario to its record",
                         file=str(path))
    return doc


def read_resolved(path: Path) -> dict:
    """scenarios.yaml: a mapping whose `scenarios` is a mapping and `focus_region` a name."""
    doc = read_file(path, lambda p: load_yaml(p, what="scenarios.yaml"), dict)
    if not isinstance(doc.get("scenarios"), dict) or not isinstance(doc.get("focus_region"), str):
        raise InputError("not the configuration of a run: it needs 'scenarios' (a mapping) and "
                         "'focus_region' (a region)", file=str(path))
    return doc


def read_iamc(path: Path) -> pd.DataFrame:
    """iamc.csv as a long frame (model, scenario, region, variable, unit, year, value), read by pyam."""
    import pyam

    from petra.projection.iamc import IAMC_COLUMNS

    return read_file(path, lambda p: pyam.IamDataFrame(str(p)).data[IAMC_COLUMNS], pd.DataFrame)
