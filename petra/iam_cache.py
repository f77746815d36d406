"""A per-environment cache folder for iam_units (pyam's unit registry), set before pyam is imported.

iam_units keeps pint's disk cache in a folder shared by every environment of the user
(`~/.cache/iam-units/<python version>`), keyed on the paths of pint's definition files. A cache
written by a virtual environment that has since been deleted makes every later `import pyam` fail
(FileNotFoundError .../pint/default_en.txt/constants_en.txt; IAMconsortium/units#54, hgrecco/pint#1572),
and concurrent Dask workers race on it. petra therefore points `IAM_UNITS_CACHE` (honoured by
iam_units) at a folder of this environment, unless the user set it:

* `<sys.prefix>/var/cache/petra/iam-units` when the environment is writable (a virtual environment:
  the cache goes away with it), else
* `<user cache>/petra/iam-units-<hash of sys.prefix>-py<version>` (one folder per environment).

`configure()` runs when `petra` is imported, so before any petra module imports pyam.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

VARIABLE = "IAM_UNITS_CACHE"


def cache_folder() -> Path:
    """The folder petra gives iam_units in this environment (created if possible)."""
    version = f"py{sys.version_info.major}.{sys.version_info.minor}"
    inside = Path(sys.prefix) / "var" / "cache" / "petra" / f"iam-units-{version}"
    try:
        inside.mkdir(parents=True, exist_ok=True)
        if os.access(inside, os.W_OK):
            return inside
    except OSError:
        pass
    from platformdirs import user_cache_path

    key = hashlib.sha256(str(Path(sys.prefix).resolve()).encode()).hexdigest()[:12]
    return Path(user_cache_path("petra")) / f"iam-units-{key}-{version}"


def configure() -> None:
    """Set IAM_UNITS_CACHE to this environment's folder unless the user has set it."""
    if os.environ.get(VARIABLE):
        return
    try:
        os.environ[VARIABLE] = str(cache_folder())
    except Exception:  # noqa: BLE001 - never make `import petra` fail over a cache folder
        pass
