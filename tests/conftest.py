"""pytest fixtures shared by the feature tests."""

from pathlib import Path

import pytest
from builders import GOOD_MARKETS, GOOD_ROUTES, write_csvs


@pytest.fixture
def good_dataset_dir(tmp_path: Path) -> Path:
    return write_csvs(tmp_path / "ds", GOOD_MARKETS, GOOD_ROUTES)


@pytest.fixture(scope="session")
def shipped():
    """Loader of the shipped datasets (data/<name>), each loaded once per test session (world takes ~3 s)."""
    from functools import cache

    import petra.data
    from petra.dataset import load_dataset

    root = Path(petra.data.__file__).resolve().parent
    return cache(lambda name: load_dataset(root / name))
