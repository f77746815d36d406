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


def bomb(folder, header: str, member_text: bytes, members: int) -> None:
    """routes.csv.gz: the header, then `members` gzip members of `member_text` each (a file of
    concatenated members is one gzip stream: a few kB of gzip per 10 MB of text)."""
    (folder / "routes.csv").unlink()
    member = gzip.compress(member_text, compresslevel=9)
    with open(folder / "routes.csv.gz", "wb") as g:
        g.write(gzip.compress((header + "\n").encode()))
        for _ in range(members):
            g.write(member)


MEASURE = """\
import resource, sys, time
from petra.dataset import load_dataset
from petra.errors import InputError
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
try:
    load_dataset(sys.argv[1])
    print("loaded")
except InputError as exc:
    print(exc)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024, time.perf_counter() - t0)
"""


def test_a_gzip_bomb_of_1_9_gb_of_newlines_is_refused_after_10_mb_without_eating_memory(tmp_path,
                                                                                        good_dataset_dir):
    # before: the 1.8 MB file was decompressed whole (1.9 GB, under the 2 GB bound) and split into lines:
    # MemoryError traceback at 5 GB resident. Now it is read in 1 MB pieces and refused at the line bound.
    import subprocess
    import sys

    folder = tmp_path / "copy"
    shutil.copytree(good_dataset_dir, folder)
    header = (folder / "routes.csv").read_text().splitlines()[0]
    bomb(folder, header, b"\n" * 10_000_000, 190)
    assert (folder / "routes.csv.gz").stat().st_size < 2_000_000
    res = subprocess.run([sys.executable, "-c", MEASURE, str(folder)], capture_output=True, text=True,
                         timeout=120)
    message, numbers = res.stdout.strip().splitlines()
    grown_mb, seconds = map(float, numbers.split())
    assert f"routes.csv.gz: more than {tables.MAX_TABLE_LINES:,} lines" in message
    assert grown_mb < 200 and seconds < 20   # measured: 55 MB over the imports, 0.3 s


def test_a_gzip_bomb_of_one_endless_line_is_refused_at_the_line_bound(tmp_path, good_dataset_dir):
    folder = tmp_path / "copy"
    shutil.copytree(good_dataset_dir, folder)
    header = (folder / "routes.csv").read_text().splitlines()[0]
    bomb(folder, header, b"A" * 10_000_000, 100)   # 1 GB without a line break
    with pytest.raises(InputError) as err:
        load_dataset(folder)
    assert str(err.value) == (f"{folder / 'routes.csv.gz'} line 2: longer than {tables.MAX_LINE_BYTES:,} "
                              "bytes; petra reads table lines up to that length")


@pytest.mark.parametrize("chunk", [7, 64, 1 << 20])
def test_lines_are_counted_across_the_pieces_a_table_is_read_in(tmp_path, monkeypatch, chunk):
    # the bounds are checked piece by piece: a line split between two pieces is one line, of its full length
    monkeypatch.setattr(tables, "READ_CHUNK_BYTES", chunk)
    monkeypatch.setattr(tables, "MAX_LINE_BYTES", 20)
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b\n" + b"1,2\n" * 30 + b"x" * 20 + b"\n" + b"y" * 21 + b"\n")
    with pytest.raises(InputError, match=r"t.csv line 33: longer than 20 bytes"):
        tables._read_bytes(path, str(path))
    monkeypatch.setattr(tables, "MAX_TABLE_LINES", 31)
    path.write_bytes(b"a,b\n" + b"1,2\n" * 30)   # 31 lines: read whole
    assert tables._read_bytes(path, str(path)) == path.read_bytes()
    path.write_bytes(b"a,b\n" + b"1,2\n" * 31)
    with pytest.raises(InputError, match="more than 31 lines"):
        tables._read_bytes(path, str(path))
