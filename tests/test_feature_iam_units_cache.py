"""iam_units cache (issue 11): a stale or broken `~/.cache/iam-units` of another environment must not
break pyam through petra. petra points IAM_UNITS_CACHE at a per-environment folder before pyam is
imported, unless the user set it. Subprocess tests: HOME points at a folder whose iam-units cache is
poisoned (a file where iam_units expects its folder)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture
def poisoned_home(tmp_path) -> dict:
    home = tmp_path / "home"
    (home / ".cache").mkdir(parents=True)
    (home / ".cache" / "iam-units").write_text("not a cache folder\n")
    env = {k: v for k, v in os.environ.items() if k not in ("IAM_UNITS_CACHE", "XDG_CACHE_HOME")}
    env["HOME"] = str(home)
    return env


def _python(code: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)


def test_poisoned_user_cache_does_not_break_pyam_through_petra(poisoned_home):
    control = _python("import pyam", poisoned_home)   # the poison works without petra
    assert control.returncode != 0 and "iam-units" in control.stderr
    res = _python("import os, petra.projection.iamc, pyam; print(os.environ['IAM_UNITS_CACHE'])",
                  poisoned_home)
    assert res.returncode == 0, res.stderr[-1000:]
    folder = Path(res.stdout.strip().splitlines()[-1])
    assert not str(folder).startswith(poisoned_home["HOME"])
    assert str(folder).startswith(sys.prefix) or "petra" in folder.parts


def test_a_cache_folder_set_by_the_user_is_kept(poisoned_home, tmp_path):
    env = {**poisoned_home, "IAM_UNITS_CACHE": str(tmp_path / "mine")}
    res = _python("import os, petra; print(os.environ['IAM_UNITS_CACHE'])", env)
    assert res.returncode == 0 and res.stdout.strip() == str(tmp_path / "mine")
