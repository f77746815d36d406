"""Dataset tables may be gzip-compressed (`routes.csv.gz`, ...): the same data, bounded in size.

A country-level dataset lists ~0.5 million routes; compressed, its tables fit a repository. Reading
stops at petra.tables.MAX_TABLE_BYTES of text, so a small gzip bomb cannot eat memory.
"""

from __future__ import annotations

import gzip
import shutil

import pandas as pd
import pytest

import petra.tables as tables
from petra.dataset import load_dataset
from petra.errors import InputError


def compress(folder, name):
    src = folder / name
    with src.open("rb") as f, gzip.open(folder / f"{name}.gz", "wb") as g:
        shutil.copyfileobj(f, g)
    src.unlink()


def test_a_dataset_with_compressed_tables_loads_the_same(tmp_path, good_dataset_dir):
    plain = load_dataset(good_dataset_dir)
    folder = tmp_path / "copy"
    shutil.copytree(good_dataset_dir, folder)
    for name in ("routes.csv", "markets.csv"):
        compress(folder, name)
    packed = load_dataset(folder)
    pd.testing.assert_frame_equal(packed.routes, plain.routes)
    pd.testing.assert_frame_equal(packed.markets, plain.markets)


def test_both_forms_of_one_table_are_an_error(tmp_path, good_dataset_dir):
    folder = tmp_path / "copy"
    shutil.copytree(good_dataset_dir, folder)
    with (folder / "routes.csv").open("rb") as f, gzip.open(folder / "routes.csv.gz", "wb") as g:
        shutil.copyfileobj(f, g)
    with pytest.raises(InputError, match="both routes.csv and routes.csv.gz exist"):
        load_dataset(folder)


def test_a_gzip_bomb_stops_at_the_size_bound(tmp_path, good_dataset_dir, monkeypatch):
    folder = tmp_path / "copy"
    shutil.copytree(good_dataset_dir, folder)
    monkeypatch.setattr(tables, "MAX_TABLE_BYTES", 1_000_000)
    header = (folder / "routes.csv").read_text().splitlines()[0]
    (folder / "routes.csv").unlink()
    with gzip.open(folder / "routes.csv.gz", "wb") as g:  # ~2 MB of text in a few kB
        g.write((header + "\n").encode() + b"\n" * 2_000_000)
    assert (folder / "routes.csv.gz").stat().st_size < 20_000
    with pytest.raises(InputError, match="larger than 1,000,000 bytes") as err:
        load_dataset(folder)
    assert "routes.csv.gz" in str(err.value) and "\n" not in str(err.value)


def test_a_corrupt_gzip_file_is_one_line(tmp_path, good_dataset_dir):
    folder = tmp_path / "copy"
    shutil.copytree(good_dataset_dir, folder)
    (folder / "routes.csv").unlink()
    (folder / "routes.csv.gz").write_bytes(b"\x1f\x8b\x08\x00not really gzip")
    with pytest.raises(InputError, match="cannot read file") as err:
        load_dataset(folder)
    assert "routes.csv.gz" in str(err.value) and "\n" not in str(err.value)
