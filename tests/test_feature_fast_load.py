"""Loading a large dataset fast without weakening validation (data/world: 442,520 routes).

petra.tables reads a table line by line (a line without a quote split at its commas, a quoted line by
the csv module on its own) and checks each distinct cell once; where only the csv module reading the
whole text can tell (a quoted line break, a lone carriage return, ...) it does that. Both give the same
frames and the same one-line errors. `Dataset.replace` / `from_frames` validate typed frames directly,
without rendering them as text, so numbers are kept bit for bit.
"""

from __future__ import annotations

import gzip
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import petra.tables as tables
from petra.dataset import (
    _OPTIONAL_TABLES,
    MARKET_COLUMNS,
    ROUTE_COLUMNS,
    from_frames,
    load_dataset,
    table_path,
)
from petra.errors import InputError
from petra.tables import read_table, validate_frame

DATA = Path(__file__).resolve().parents[1] / "data"
TABLES = {"markets.csv": (MARKET_COLUMNS, ["region", "commodity"]),
          "routes.csv": (ROUTE_COLUMNS, ["exporter", "importer", "commodity"]),
          **{name: (cols, key) for cols, key, name in _OPTIONAL_TABLES.values()}}


def assert_same_frames(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Same columns, dtypes, attrs and values, numbers bit for bit."""
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert a.attrs == b.attrs
    for c in a.columns:
        x, y = a[c].to_numpy(), b[c].to_numpy()
        if x.dtype.kind == "f":
            assert x.tobytes() == y.tobytes(), c
        else:
            assert list(x) == list(y), c


def read_by_csv_module(monkeypatch, *args, **kw):
    """read_table with the line-by-line reader switched off (the csv module reads the whole text)."""
    with monkeypatch.context() as m:
        m.setattr(tables, "_line_rows", lambda text, label: None)
        return read_table(*args, **kw)


@pytest.mark.parametrize("name", ["china9", "globiom37"])
def test_line_reader_and_csv_module_give_the_same_frames_on_shipped_data(name, monkeypatch):
    folder = DATA / name
    for file, (cols, key) in TABLES.items():
        path = table_path(folder, file)
        if path is None:
            continue
        assert_same_frames(read_table(path, cols, key=key),
                           read_by_csv_module(monkeypatch, path, cols, key=key))


@pytest.mark.parametrize("name", ["china9", "globiom37"])
def test_validating_loaded_frames_again_changes_nothing(name):
    ds = load_dataset(DATA / name)
    for attr, (cols, key, _name) in _OPTIONAL_TABLES.items():
        frame = getattr(ds, attr)
        if frame is not None:
            again = validate_frame(frame, cols, key=key, label=frame.attrs["file"])
            assert_same_frames(again, frame)
    again = from_frames(markets=ds.markets, routes=ds.routes)
    for attr in ("markets", "routes"):
        a, b = getattr(again, attr), getattr(ds, attr)
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        assert all(a[c].to_numpy().tobytes() == b[c].to_numpy().tobytes()
                   for c in a.columns if a[c].dtype.kind == "f")


def test_replace_keeps_numbers_bit_for_bit(good_dataset_dir):
    # pd.to_numeric reads "0.00011251961346749989" (the repr of this double) as 0.0001125196134674:
    # validating through text would change the tariff by ~7000 ulps
    ds = load_dataset(good_dataset_dir)
    tariff = 0.00011251961346749989
    routes = ds.routes.assign(tariff=tariff, flow=ds.routes["flow"] * (1 + 1e-15))
    out = ds.replace(routes=routes)
    assert (out.routes["tariff"] == tariff).all()
    assert out.routes["flow"].to_numpy().tobytes() == routes["flow"].to_numpy().tobytes()


def test_typed_frames_give_read_tables_messages(good_dataset_dir):
    ds = load_dataset(good_dataset_dir)
    cases = [
        (ds.markets.assign(price=[10.0, math.nan] + [5.0] * (len(ds.markets) - 2)),
         "markets.csv line 3, column 'price': 'nan' is not a finite number (NaN and infinity are not "
         "allowed)"),
        (ds.markets.assign(production=-1.5), "markets.csv line 2, column 'production': -1.5 is out of range"),
        (ds.markets.assign(region=" "), "markets.csv line 2, column 'region': empty value"),
    ]
    for markets, message in cases:
        with pytest.raises(InputError) as err:
            ds.replace(markets=markets)
        assert str(err.value).startswith(message)
    with pytest.raises(InputError, match=r"routes.csv line 2, column 'tariff': 'inf' is not a finite number"):
        ds.replace(routes=ds.routes.assign(tariff=math.inf))
    routes = ds.replace(routes=ds.routes.assign(expansion_elasticity=np.nan, new_flow_slope=np.nan)).routes
    assert np.isinf(routes["expansion_elasticity"]).all() and (routes["new_flow_slope"] == 0).all()


def write_gz(path: Path, text: str) -> None:
    with gzip.open(path, "wt", encoding="utf-8", newline="") as f:
        f.write(text)


@pytest.mark.parametrize("quoted", [False, True])
def test_a_bad_number_deep_in_a_compressed_table_names_its_line_and_column(tmp_path, quoted):
    folder = tmp_path / "ds"
    shutil.copytree(DATA / "china9", folder)
    plain = (folder / "routes.csv").read_text()
    (folder / "routes.csv").unlink()
    lines = plain.splitlines()
    fields = lines[900].split(",")
    fields[4] = "12,5" if quoted else "1.2.5"  # transport_cost; "12,5" quoted
    lines[900] = ",".join(f'"{f}"' if quoted and j == 4 else f for j, f in enumerate(fields))
    write_gz(folder / "routes.csv.gz", "\n".join(lines) + "\n")
    with pytest.raises(InputError) as err:
        load_dataset(folder)
    shown = "12,5" if quoted else "1.2.5"
    assert str(err.value) == (f"{folder / 'routes.csv.gz'} line 901, column 'transport_cost': "
                              f"'{shown}' is not a number")


def test_a_row_with_too_many_fields_deep_in_a_table_names_its_line(tmp_path):
    folder = tmp_path / "ds"
    shutil.copytree(DATA / "china9", folder)
    lines = (folder / "routes.csv").read_text().splitlines()
    lines[700] += ",1,2"
    (folder / "routes.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"routes.csv line 701: 10 fields where the header has 8"):
        load_dataset(folder)


HEADER = "region,commodity,production,consumption,price,supply_elasticity,demand_elasticity"
CELLS = ["A", "B", " A", "B ", "w", "1", "2.5", " 3 ", "0", "", " ", "nan", "inf", "-1", "1e400", "x",
         '"A"', '"1,5"', '" 2"', '"a\nb"', '"', "\t", "\xa0", "é", "1e-40", "2e9"]


@st.composite
def csv_text(draw):
    rows = draw(st.lists(st.lists(st.sampled_from(CELLS), min_size=5, max_size=9), max_size=8))
    body = [",".join(r) for r in rows]
    for _ in range(draw(st.integers(0, 2))):
        body.insert(draw(st.integers(0, len(body))), draw(st.sampled_from(["", " ", ",,", " , ,"])))
    newline = draw(st.sampled_from(["\n", "\n", "\r\n", "\r"]))
    return newline.join([HEADER, *body]) + draw(st.sampled_from(["", newline]))


@settings(max_examples=200, deadline=2000, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=csv_text())
def test_line_reader_and_csv_module_agree_on_odd_text(text, tmp_path, monkeypatch):
    path = tmp_path / "markets.csv"
    path.write_bytes(text.encode("utf-8"))

    def outcome(read):
        try:
            return read(path, MARKET_COLUMNS, key=["region", "commodity"])
        except InputError as exc:
            return str(exc)

    fast = outcome(read_table)
    slow = outcome(lambda *a, **kw: read_by_csv_module(monkeypatch, *a, **kw))
    assert type(fast) is type(slow)
    if isinstance(fast, str):
        assert fast == slow
    else:
        assert_same_frames(fast, slow)
