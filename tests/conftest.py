"""pytest fixtures shared by the feature tests."""

from pathlib import Path

import pytest
from builders import GOOD_MARKETS, GOOD_ROUTES, write_csvs


@pytest.fixture
def good_dataset_dir(tmp_path: Path) -> Path:
    return write_csvs(tmp_path / "ds", GOOD_MARKETS, GOOD_ROUTES)
