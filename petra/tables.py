"""Read a CSV table against a column specification, with one-line errors naming file, line and column.

Line numbers are those of the file as a spreadsheet or editor shows them: the header is line 1, the
first data row line 2. Every dataset file petra reads goes through `read_table`, so all of them
report bad input the same way.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from petra.errors import InputError, shown
from petra.textfiles import decode_utf8

FULL_PRECISION = "%.17g"  # float format of every CSV petra writes for re-reading (round-trips a double)

_NON_FINITE_WORDS = ["nan", "-nan", "+nan", "inf", "-inf", "+inf", "infinity", "-infinity",
                     "+infinity"]


@dataclass(frozen=True)
class Column:
    """One column of a table.

    kind: "str" (non-empty text) or "float" (finite number).
    required: the column must be present in the header; an optional column absent from the file is
        filled with `blank` for every row.
    blank: value substituted for an empty cell; None means an empty cell is an error.
    lower / upper: inclusive bounds; `lower_open` makes the lower bound strict.
    min_positive: a value must be 0 or at least this (tiny non-zero magnitudes are refused).
    integer: the value must be a whole number (years).
    """

    name: str
    kind: str = "float"
    required: bool = True
    blank: float | str | None = None
    lower: float | None = None
    lower_open: bool = False
    upper: float | None = None
    min_positive: float | None = None
    integer: bool = False


def _bound_message(col: Column) -> str:
    parts = []
    if col.lower is not None:
        parts.append(f"{'>' if col.lower_open else '>='} {col.lower:g}")
    if col.upper is not None:
        parts.append(f"<= {col.upper:g}")
    if col.min_positive is not None and col.lower == 0 and col.lower_open:
        parts[0] = f"> 0 (at least {col.min_positive:g})"
    elif col.min_positive is not None and col.lower == 0:
        parts[0] = f"0 or >= {col.min_positive:g}"
    elif col.min_positive is not None:
        parts.insert(0, f"0 or >= {col.min_positive:g}")
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
    header, cells = _read_cells(path, label, columns)
    return _validate_cells(header, cells, columns, key=key, label=label)


MAX_TABLE_BYTES = 500_000_000  # largest CSV table petra reads, bytes of text (after decompressing a .gz)
MAX_TABLE_LINES = 10_000_000  # most lines (blank ones included) of a CSV table
MAX_LINE_BYTES = 1_000_000  # longest line of a CSV table, bytes
READ_CHUNK_BYTES = 1 << 20  # a table is read (and decompressed) in pieces of this size
"""Bounds of a table's text, checked while it is read (and decompressed) piece by piece, so that
reading stops at the first piece beyond any of them: a 1.8 MB gzip of 1.9 GB of newlines is refused
after its first 10 MB, one of a single endless line after 1 MB. The largest shipped table (world
routes.csv.gz) is 20 MB of text in 442,521 lines of at most 100 bytes."""


def table_path(folder: Path, name: str) -> Path | None:
    """`folder/name` (e.g. routes.csv), or its gzip-compressed form `name.gz`, or None if neither exists;
    InputError if both do (which one is meant?)."""
    plain, packed = folder / name, folder / f"{name}.gz"
    if plain.is_file() and packed.is_file():
        raise InputError(f"both {name} and {name}.gz exist; keep one", file=str(folder))
    return plain if plain.is_file() else packed if packed.is_file() else None


def _read_bytes(path: Path, label: str) -> bytearray:
    """The file's bytes, decompressed if it ends in .gz, read piece by piece; InputError as soon as the
    text passes MAX_TABLE_BYTES, MAX_TABLE_LINES or a line MAX_LINE_BYTES (nothing more is read or held),
    or if the file is unreadable."""
    data = bytearray()
    lines = 0  # complete lines so far
    line = 0   # bytes of the line not yet ended
    try:
        with gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb") as f:
            while chunk := f.read(READ_CHUNK_BYTES):
                ends = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == ord("\n"))
                lengths = np.diff(ends, prepend=-1 - line) - 1  # the lines this piece ends
                line = len(chunk) - 1 - int(ends[-1]) if len(ends) else line + len(chunk)
                too_long = np.flatnonzero(lengths > MAX_LINE_BYTES)
                if len(too_long) or line > MAX_LINE_BYTES:
                    row = lines + 1 + (int(too_long[0]) if len(too_long) else len(lengths))
                    raise InputError(f"longer than {MAX_LINE_BYTES:,} bytes; petra reads table lines up to "
                                     "that length", file=label, row=row)
                lines += len(ends)
                if lines > MAX_TABLE_LINES:
                    raise InputError(f"more than {MAX_TABLE_LINES:,} lines; petra reads tables up to that "
                                     "many", file=label)
                if len(data) + len(chunk) > MAX_TABLE_BYTES:
                    raise InputError(f"larger than {MAX_TABLE_BYTES:,} bytes of text; petra reads tables up "
                                     "to that size", file=label)
                data += chunk
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise InputError(f"cannot read file ({getattr(exc, 'strerror', None) or exc})", file=label) from None
    return data


@dataclass
class _Rows:
    """The non-blank rows of a CSV text, as the csv module reads them (`skipinitialspace`): the header's
    fields, then the data rows. `flat` holds the fields of the rows at `positions` (each
    with exactly as many fields as the header, one row after another); `other` the remaining rows as
    (position, file line, fields), in file order."""

    header: list[str]
    count: int
    positions: np.ndarray
    flat: list[str]
    other: list[tuple[int, int, list[str]]]


def _is_blank(fields: list[str]) -> bool:
    return not any(c.strip() for c in fields)


def _csv_rows(text: str, label: str) -> _Rows:
    """`text` read by the csv module, record by record (any CSV: quoted line breaks, stray quotes)."""
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True)
    try:
        rows = [(reader.line_num, r) for r in reader if r and not _is_blank(r)]
    except csv.Error as exc:
        raise InputError(f"not a readable CSV table ({exc})", file=label, row=reader.line_num) from None
    if not rows:
        raise InputError("not a readable CSV table (empty file)", file=label)
    return _Rows(rows[0][1], len(rows) - 1, np.zeros(0, dtype=np.int64), [],
                 [(k, line, r) for k, (line, r) in enumerate(rows[1:])])


def _line_rows(text: str, label: str) -> _Rows | None:
    """`text` read line by line, the same rows as `_csv_rows` gives, fast: a line without a quote is
    split at its commas, one with a quote is read by the csv module on its own. None where only reading
    the whole text with the csv module can tell (a carriage return not ending a line, a quoted field
    spanning lines or followed by more text, a line longer than csv's field size limit)."""
    if "\r" in text:
        if text.count("\r") != text.count("\r\n"):
            return None
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    if not lines or max(map(len, lines)) > csv.field_size_limit():
        return None
    quoted: dict[int, list[str]] = {}
    if '"' in text:
        for i, line in enumerate(lines):
            if '"' in line:
                try:  # strict: an error wherever csv's own reading might go on past the line end
                    quoted[i] = next(csv.reader([line], skipinitialspace=True, strict=True))
                except csv.Error:
                    return None
    blank = np.fromiter((not line.replace(",", "").strip() for line in lines), dtype=bool, count=len(lines))
    commas = np.fromiter((line.count(",") for line in lines), dtype=np.int64, count=len(lines))
    for i, fields in quoted.items():
        blank[i], commas[i] = _is_blank(fields), -1  # a quoted line is read field by field
    if blank.all():
        raise InputError("not a readable CSV table (empty file)", file=label)
    first = int(np.argmin(blank))
    header = quoted.get(first) or lines[first].split(",")
    data = np.flatnonzero(~blank[first + 1:]) + first + 1  # the data rows' lines (index from 0)
    regular = commas[data] == len(header) - 1
    kept = data[regular]
    body = lines[first + 1:] if len(kept) == len(lines) - first - 1 else [lines[i] for i in kept]
    flat = ",".join(body).split(",") if body else []
    other = [(int(k), int(i) + 1, quoted.get(int(i)) or lines[i].split(","))
             for k, i in zip(np.flatnonzero(~regular), data[~regular], strict=True)]
    count, positions = len(data), np.flatnonzero(regular)
    return _Rows(header, count, positions, flat, other)


def _read_cells(path: Path, label: str, columns: list[Column]) -> tuple[list[str], list[np.ndarray]]:
    """A CSV file (or `.csv.gz`) as text cells: the header (trimmed) and one object array per header
    field. InputError on non-UTF-8 text, a NUL byte, an empty file, a header naming a column twice (after
    trimming) or a row with more non-empty fields than the header; short rows are padded with empty
    cells and blank lines skipped."""
    text = decode_utf8(_read_bytes(path, label), label)  # the bytes are released once decoded
    if "\x00" in text:
        raise InputError("contains a NUL byte (not a text table)", file=label,
                         row=text[: text.index("\x00")].count("\n") + 1)
    rows = _line_rows(text, label) or _csv_rows(text, label)
    header = [c.strip() for c in rows.header]
    seen: dict[str, int] = {}
    for j, name in enumerate(header):
        if name in seen and name:
            raise InputError(f"column '{shown(name)}' appears twice in the header (fields {seen[name] + 1} "
                             f"and {j + 1}, after trimming spaces)", file=label, row=1)
        seen[name] = j
    _check_columns(header, columns, label)
    width = len(header)
    padded = []
    for _, line, r in rows.other:
        if len(r) > width:
            if any(c.strip() for c in r[width:]):
                raise InputError(f"{len(r)} fields where the header has {width}", file=label, row=line)
            r = r[:width]
        padded.append(r + [""] * (width - len(r)))
    if not rows.count:  # no data rows: a column named twice (empty names only, here) counts once
        header = list(dict.fromkeys(header))
        return header, [np.empty(0, dtype=object) for _ in header]
    if not padded:  # every row split at its commas
        return header, [_objects(rows.flat[j::width]) for j in range(width)]
    cells = [np.empty(rows.count, dtype=object) for _ in range(width)]
    where = [k for k, _, _ in rows.other]
    block = np.array(padded, dtype=object).reshape(len(padded), width)
    for j in range(width):
        if len(rows.positions):
            cells[j][rows.positions] = _objects(rows.flat[j::width])
        cells[j][where] = block[:, j]
    return header, cells


def _objects(texts: list[str]) -> np.ndarray:
    out = np.empty(len(texts), dtype=object)
    out[:] = texts
    return out


def _overflows(text: str) -> bool:
    """Whether `text` is a number too large for a double (e.g. 1e400), not a word like 'inf'."""
    try:
        return math.isinf(float(text)) and text.strip().lower() not in _NON_FINITE_WORDS
    except ValueError:
        return False


def _check_columns(header: list[str], columns: list[Column], label: str) -> None:
    for col in columns:
        if col.required and col.name not in header:
            raise InputError(f"missing column (found: {', '.join(header)})", file=label, column=col.name)


def validate_text_frame(raw: pd.DataFrame, columns: list[Column], *, key: list[str] | None = None,
                        label: str = "table") -> pd.DataFrame:
    """Validate a frame of text cells (as read from CSV) against `columns`; see `read_table`."""
    header = [str(c).strip() for c in raw.columns]
    return _validate_cells(header, [raw.iloc[:, j].to_numpy(dtype=object) for j in range(raw.shape[1])],
                           columns, key=key, label=label, rows=len(raw))


def validate_frame(frame: pd.DataFrame, columns: list[Column], *, key: list[str] | None = None,
                   label: str = "table") -> pd.DataFrame:
    """Validate an in-memory frame (typed columns, e.g. one `read_table` returned, changed) against
    `columns` with `read_table`'s checks and messages, a cell shown as its CSV text would be (a number
    as `repr(float)`). Columns are taken by exact name, other columns dropped. A "str" column is each
    value's `str()`, trimmed; a number column is `pd.to_numeric` of its values (anything else is NaN),
    NaN (and +inf where `blank` is +inf) being an empty cell. Numbers are kept bit for bit (no text
    round trip). Returns a new frame with a RangeIndex, like `read_table`."""
    present = [c.name for c in columns if c.name in frame.columns]
    _check_columns(present, columns, label)
    rows = len(frame)
    out = {}
    for col in columns:
        if col.name not in frame.columns:
            out[col.name] = _absent(col, rows)
        elif col.kind == "str":
            out[col.name] = _text_cells(frame[col.name].astype(str).to_numpy(dtype=object), col, label)
        else:
            x = pd.to_numeric(frame[col.name], errors="coerce").to_numpy(dtype=float)
            empty = np.zeros(rows, dtype=bool) if col.blank is None else \
                np.isnan(x) | ((x == math.inf) if col.blank == math.inf else False)
            out[col.name] = _checked_numbers(np.where(empty, 0.0, x), empty, lambda i, x=x: repr(float(x[i])),
                                             lambda i: i + 2, col, label)
    return _framed(out, rows, key, label)


def _absent(col: Column, rows: int) -> pd.Series:
    """An optional column the table lacks: `blank` in every row."""
    return pd.Series([col.blank] * rows, dtype=object if col.kind == "str" else float)


def _validate_cells(header: list[str], cells: list[np.ndarray], columns: list[Column], *,
                    key: list[str] | None, label: str, rows: int | None = None) -> pd.DataFrame:
    """Validate text cells (one object array per header field) against `columns`; see `read_table`."""
    if len(set(header)) < len(header):
        name = next(h for j, h in enumerate(header) if h in header[:j])
        raise InputError(f"column '{shown(name)}' appears twice in the header (after trimming spaces)",
                         file=label, row=1)
    _check_columns(header, columns, label)
    rows = len(cells[0]) if rows is None else rows
    index = {h: j for j, h in enumerate(header)}
    out = {}
    for col in columns:
        if col.name not in index:
            out[col.name] = _absent(col, rows)
        elif col.kind == "str":
            out[col.name] = _text_cells(cells[index[col.name]], col, label)
        else:
            out[col.name] = _number_cells(cells[index[col.name]], col, label)
    return _framed(out, rows, key, label)


def _distinct(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, object]:
    """A column's distinct cells, trimmed, in order of first appearance (a table repeats its names and
    many of its numbers: each is checked once); the codes giving each row's, and a function giving the
    file line of distinct cell k (the first row holding it)."""
    codes, distinct = pd.factorize(cells)
    return codes, _objects([c.strip() for c in distinct]), lambda k: int(np.argmax(codes == k)) + 2


def _text_cells(cells: np.ndarray, col: Column, label: str) -> np.ndarray:
    """A "str" column's trimmed cells, `blank` where empty (InputError if it may not be)."""
    codes, text, line_of = _distinct(cells)
    empty = text == ""
    _refuse_empty(empty, col, label, line_of)
    if empty.any():
        text[empty] = col.blank
    return text[codes]


def _number_cells(cells: np.ndarray, col: Column, label: str) -> np.ndarray:
    """A number column's cells read (`pd.to_numeric`, as ever, for the same bits) and checked."""
    codes, text, line_of = _distinct(cells)
    empty = text == ""
    _refuse_empty(empty, col, label, line_of)
    values = np.asarray(pd.to_numeric(np.where(empty, "0", text) if empty.any() else text, errors="coerce"),
                        dtype=float)
    return _checked_numbers(values, empty, text.__getitem__, line_of, col, label)[codes]


def _refuse_empty(empty: np.ndarray, col: Column, label: str, line_of) -> None:
    if col.blank is None and empty.any():
        raise InputError("empty value", file=label, row=line_of(int(np.argmax(empty))), column=col.name)


def _checked_numbers(values: np.ndarray, empty: np.ndarray, text_at, line_of, col: Column,
                     label: str) -> np.ndarray:
    """Numbers checked against `col` (finite, bounds, whole), `blank` where `empty`: `values` holds the
    numbers read (0 where empty), `text_at(i)` the text of cell i for messages and `line_of(i)` its file
    line (cells in file order, or distinct cells in order of first appearance)."""
    nonfinite = ~np.isfinite(values)
    if nonfinite.any():
        _refuse_non_finite(values, np.flatnonzero(nonfinite), text_at, line_of, col, label)
    if col.blank is not None and empty.any():
        values = np.where(empty, float(col.blank), values)
    bad = np.zeros(len(values), dtype=bool)
    checked = ~empty
    if col.lower is not None:  # a bound as written in a cell ("1e-30") passes, whatever its last bit
        lower = col.lower - BOUND_SLACK * abs(col.lower)
        bad |= checked & ((values <= lower) if col.lower_open else (values < lower))
    if col.upper is not None:
        bad |= checked & (values > col.upper + BOUND_SLACK * abs(col.upper))
    if col.min_positive is not None:
        bad |= checked & (values != 0) & (np.abs(values) < col.min_positive * (1 - BOUND_SLACK))
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(f"{shown(text_at(i))} is out of range (must be {_bound_message(col)})",
                         file=label, row=line_of(i), column=col.name)
    if col.integer:
        frac = checked & (values != np.round(values))
        if frac.any():
            i = int(np.argmax(frac))
            raise InputError(f"{shown(text_at(i))} is not a whole number", file=label,
                             row=line_of(i), column=col.name)
    return values


BOUND_SLACK = 4 * np.finfo(float).eps
"""Relative slack of the bound checks: the CSV parser (pandas' fast one, kept for the same bits as ever)
reads some numbers one unit in the last place off ("1e-30" as 9.999999999999999e-31), which would refuse
the documented bound itself."""


def _refuse_non_finite(values: np.ndarray, where: np.ndarray, text_at, line_of, col: Column,
                       label: str) -> None:
    """InputError for the first bad cell among the non-finite numbers at `where`: text that is not a
    number, then a number beyond double precision, then NaN or infinity."""
    lowered = np.array([text_at(i).lower() for i in where], dtype=object)
    not_number = np.isnan(values[where]) & ~np.isin(lowered, ["nan", "-nan", "+nan"])
    if not_number.any():
        i = int(where[np.argmax(not_number)])
        if _overflows(text_at(i)):
            raise InputError(f"{shown(text_at(i))} is out of range (beyond double precision; must be "
                             f"{_bound_message(col) or 'finite'})", file=label, row=line_of(i),
                             column=col.name)
        raise InputError(f"'{shown(text_at(i))}' is not a number", file=label, row=line_of(i),
                         column=col.name)
    overflow = ~np.isin(lowered, _NON_FINITE_WORDS)
    if overflow.any():
        i = int(where[np.argmax(overflow)])
        raise InputError(f"{shown(text_at(i))} is out of range (beyond double precision; must be "
                         f"{_bound_message(col) or 'finite'})", file=label, row=line_of(i),
                         column=col.name)
    i = int(where[0])
    raise InputError(f"'{shown(text_at(i))}' is not a finite number (NaN and infinity are not "
                     f"allowed{'; leave the cell empty instead' if col.blank is not None else ''})",
                     file=label, row=line_of(i), column=col.name)


def _framed(out: dict, rows: int, key: list[str] | None, label: str) -> pd.DataFrame:
    """The validated columns as a frame (RangeIndex, file name and first line in attrs); InputError on
    a duplicate `key`."""
    df = pd.DataFrame(out, index=pd.RangeIndex(rows))
    if key:
        dup = df.duplicated(subset=key, keep="first").to_numpy()
        if dup.any():
            i = int(np.argmax(dup))
            first = df.index[(df[key] == df.loc[i, key]).all(axis=1)][0]
            keyval = ", ".join(str(df.loc[i, k]) for k in key)
            raise InputError(f"duplicate key ({keyval}), first given on line {first + 2}",
                             file=label, row=i + 2, column=key[0])
    # only scalars in attrs: pandas deep-copies attrs on every operation and compares them in concat
    df.attrs["first_line"] = 2
    df.attrs["file"] = label
    return df


def source_line(df: pd.DataFrame, position: int) -> int | None:
    """The file line of the row at integer `position` of a frame returned by `read_table`."""
    first = df.attrs.get("first_line")
    return None if first is None else int(first + position)

