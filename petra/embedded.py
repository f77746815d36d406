"""The datasets shipped with petra (`petra.data`: china9, globiom37, world) by name.

An embedded name always means the shipped data, even where a folder of that name exists in the
working directory; write a path (`./china9`) for such a folder. Every command's DATASET argument
and a scenario file's `dataset:` key follow this rule.
"""

from __future__ import annotations

import os
from pathlib import Path

from petra.errors import InputError

EMBEDDED = ("china9", "globiom37", "world")
"""Names of the shipped datasets (folders of petra.data)."""


def embedded_dataset(name: str) -> Path | None:
    """The shipped dataset called `name` (a bare name such as china9, no path separator), else None."""
    from importlib.resources import files

    if not name or "/" in name or "\\" in name or name in (".", "..") or "\x00" in name:
        return None
    path = Path(str(files("petra.data").joinpath(name)))
    return path if (path / "markets.csv").is_file() else None


def dataset_path(name: str, scenario_file: Path | None = None) -> Path:
    """A scenario file's `dataset` (or a command's DATASET argument): an embedded dataset name or a folder.

    An embedded name (china9, globiom37, world) always means the shipped data, even if a folder of that name
    exists in the working directory or beside the scenario file; write a path (`./china9`) for the
    folder. Other names are folders, relative to the scenario file, then to the working directory.
    """
    if "\x00" in name:
        raise InputError("key 'dataset': the name contains a NUL byte",
                         file=str(scenario_file) if scenario_file else None)
    embedded = embedded_dataset(name)
    if embedded is not None:
        return embedded
    candidates = []
    p = Path(name)
    if p.is_absolute():
        candidates.append(p)
    else:
        if scenario_file is not None:
            candidates.append(scenario_file.parent / p)
        candidates.append(Path.cwd() / p)
    for c in candidates:
        if (c / "markets.csv").is_file():
            return c
    raise InputError(f"key 'dataset': '{name}' is neither a dataset folder nor an embedded dataset "
                     f"({', '.join(EMBEDDED)})", file=str(scenario_file) if scenario_file else None)


def embedded_or_path(arg: str | os.PathLike) -> Path:
    """A command's DATASET (or SOURCE) argument: the shipped dataset if `arg` is an embedded name,
    else `arg` as given (a folder, checked by whoever reads it)."""
    return embedded_dataset(str(arg)) or Path(arg)
