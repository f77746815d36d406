"""The stages depend on each other in one direction only (README, Architecture).

Every `import petra.X` / `from petra.X import ...` in a stage's modules, including imports inside
functions, must name the stage itself, the shared core, or a stage before it. The facade
(`petra/__init__.py`, `petra/cli.py`) may import anything."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = {"atomic", "bounds", "dataset", "errors", "exits", "iam_cache", "palette", "selectors", "tables",
        "textfiles", "synthetic"}
FACADE = {"__init__", "cli"}
# stage -> (its folder, the stages it may import besides itself and the core)
STAGES = {
    "data": ("data", set()),
    "model": ("model", set()),
    "calibration": ("calibration", {"model"}),
    "embodied": ("embodied", set()),
    "projection": ("projection", {"model", "calibration", "embodied"}),
    "ensemble": ("ensemble", {"model", "calibration", "embodied", "projection"}),
    "runs": ("runs", set()),
}


def petra_imports(path: Path) -> set[str]:
    """The petra subpackages or core modules a file imports (`petra.model.solve` -> 'model')."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            mods = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            mods = [node.module] + ([f"{node.module}.{a.name}" for a in node.names]
                                    if node.module == "petra" else [])
        else:
            continue
        names |= {m.split(".")[1] for m in mods if m.startswith("petra.")}
    return names


def test_the_import_scanner_sees_function_level_and_from_imports(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("from petra.model.solve import x\nimport petra.errors\n"
                 "def g():\n    from petra import calibration\n    import numpy\n")
    assert petra_imports(f) == {"model", "errors", "calibration"}


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_stage_imports_only_earlier_stages(stage):
    folder, allowed = STAGES[stage]
    files = sorted((ROOT / folder).glob("*.py"))
    assert files, f"no modules in {folder}/"
    ok = CORE | allowed | {stage}
    bad = {f"{f.relative_to(ROOT)} imports petra.{m}" for f in files for m in petra_imports(f) - ok}
    assert not bad, sorted(bad)


def test_core_imports_only_core():
    files = [f for f in (ROOT / "petra").glob("*.py") if f.stem not in FACADE]
    bad = {f"{f.relative_to(ROOT)} imports petra.{m}" for f in files for m in petra_imports(f) - CORE}
    assert not bad, sorted(bad)
