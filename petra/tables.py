"""Read a CSV table against a column specification, with one-line errors naming file, line and column.

Line numbers are those of the file as a spreadsheet or editor shows them: the header is line 1, the
first data row line 2. Every dataset file petra reads goes through `read_table`, so all of them
report bad input the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from petra.errors import InputError


@dataclass(frozen=True)
class Column:
    """One column of a table.

    kind: "str" (non-empty text) or "float" (finite number).
    required: the column must be present in the header; an optional column absent from the file is
        filled with `blank` for every row.
    blank: value substituted for an empty cell; None means an empty cell is an error.
    lower / upper: inclusive bounds; `lower_open` makes the lower bound strict.
    """

    name: str
    kind: str = "float"
    required: bool = True
    blank: float | str | None = None
    lower: float | None = None
    lower_open: bool = False
    upper: float | None = None


def _bound_message(col: Column) -> str:
    parts = []
    if col.lower is not None:
        parts.append(f"{'>' if col.lower_open else '>='} {col.lower:g}")
    if col.upper is not None:
        parts.append(f"<= {col.upper:g}")
    return " and ".join(parts)


def read_table(path: str | Path, columns: list[Column], *, key: list[str] | None = None,
               name: str | None = None) -> pd.DataFrame:
    """Read and validate a CSV file; return a DataFrame with exactly the spec's columns, typed.

    Extra columns in the file are ignored. `key` names columns whose combination must be unique.
    The returned frame keeps the file's row order (row i is file line i + 2; `source_line` gives it)
    and carries the file name in `df.attrs["file"]`, so later cross-checks can name the row too.
    Raises InputError on a missing file or column, an empty or non-numeric cell, NaN or infinite
    values, values out of bounds and duplicate keys.
    """
    path = Path(path)
    label = name or str(path)
    if not path.is_file():
        raise InputError("file not found", file=label)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False,
                          skipinitialspace=True, encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", file=label) from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"not a readable CSV table ({str(exc).splitlines()[0]})", file=label) from exc
    return validate_text_frame(raw, columns, key=key, label=label)


def validate_text_frame(raw: pd.DataFrame, columns: list[Column], *, key: list[str] | None = None,
                        label: str = "table") -> pd.DataFrame:
    """Validate a frame of text cells (as read from CSV) against `columns`; see `read_table`."""
    raw = raw.copy()
    raw.columns = [str(c).strip() for c in raw.columns]
    lines = np.arange(len(raw)) + 2
    out = {}
    for col in columns:
        if col.name not in raw.columns:
            if col.required:
                raise InputError(f"missing column (found: {', '.join(raw.columns)})", file=label,
                                 column=col.name)
            out[col.name] = pd.Series([col.blank] * len(raw), dtype=object if col.kind == "str"
                                      else float)
            continue
        text = raw[col.name].str.strip()
        empty = (text == "").to_numpy()
        if empty.any() and col.blank is None:
            i = int(np.argmax(empty))
            raise InputError("empty value", file=label, row=int(lines[i]), column=col.name)
        if col.kind == "str":
            out[col.name] = text.where(~empty, col.blank)
            continue
        values = pd.to_numeric(text.where(~empty, "0"), errors="coerce").to_numpy(dtype=float)
        lowered = text.str.lower().to_numpy()
        bad_text = np.isnan(values) & ~np.isin(lowered, ["nan", "-nan", "+nan"])
        if bad_text.any():
            i = int(np.argmax(bad_text))
            raise InputError(f"'{text.iloc[i]}' is not a number", file=label, row=int(lines[i]),
                             column=col.name)
        nonfinite = ~np.isfinite(values)
        if nonfinite.any():
            i = int(np.argmax(nonfinite))
            raise InputError(f"'{text.iloc[i]}' is not a finite number (NaN and infinity are not allowed"
                             f"{'; leave the cell empty instead' if col.blank is not None else ''})",
                             file=label, row=int(lines[i]), column=col.name)
        if col.blank is not None:
            values = np.where(empty, float(col.blank), values)
        bad = np.zeros(len(values), dtype=bool)
        checked = ~empty
        if col.lower is not None:
            bad |= checked & ((values <= col.lower) if col.lower_open else (values < col.lower))
        if col.upper is not None:
            bad |= checked & (values > col.upper)
        if bad.any():
            i = int(np.argmax(bad))
            raise InputError(f"{text.iloc[i]} is out of range (must be {_bound_message(col)})",
                             file=label, row=int(lines[i]), column=col.name)
        out[col.name] = values
    df = pd.DataFrame(out, index=pd.RangeIndex(len(raw)))
    if key:
        dup = df.duplicated(subset=key, keep="first").to_numpy()
        if dup.any():
            i = int(np.argmax(dup))
            first = df.index[(df[key] == df.loc[i, key]).all(axis=1)][0]
            keyval = ", ".join(str(df.loc[i, k]) for k in key)
            raise InputError(f"duplicate key ({keyval}), first given on line {lines[first]}",
                             file=label, row=int(lines[i]), column=key[0])
    # only scalars in attrs: pandas deep-copies attrs on every operation and compares them in concat
    df.attrs["first_line"] = 2
    df.attrs["file"] = label
    return df


def source_line(df: pd.DataFrame, position: int) -> int | None:
    """The file line of the row at integer `position` of a frame returned by `read_table`."""
    first = df.attrs.get("first_line")
    return None if first is None else int(first + position)

