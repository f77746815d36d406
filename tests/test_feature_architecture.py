"""The stages depend on each other in one direction only (README, Architecture).

Every `import petra.X` / `from petra.X import ...` in a stage's modules, including imports inside
functions, must name the stage itself, the shared core, or a stage before it. The facade
(`petra/__init__.py`, `petra/cli.py`) may import anything."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = {"atomic", "bounds", "dataset", "demand", "productivity", "emission_factors", "errors", "exits",
        "iam_cache", "palette", "selectors", "strict_fields", "tables", "textfiles", "synthetic",
        "embedded", "progress", "income_response", "trends"}
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


COST_FORM_METHODS = {"marginal_cost", "marginal_cost_derivative", "total_cost", "flat", "response",
                     "quadratic_model"}
# the model's entry points to route costs: each must dispatch to the forms (call `by_kind`, directly
# or through another entry point) instead of writing a form
COST_DISPATCHERS = {"route_marginal_cost", "route_marginal_cost_derivative", "route_total_cost",
                    "route_response", "quadratic_route_model", "flat_cost_routes"}


def cost_form_violations(root: Path) -> list[str]:
    forms = root / "model" / "route_costs.py"
    bad = []
    files = [f for folder in ("petra", "data", "model", "calibration", "projection", "embodied", "ensemble")
             for f in sorted((root / folder).glob("*.py"))]
    for f in files:
        tree = ast.parse(f.read_text(), filename=str(f))
        for node in ast.walk(tree):
            # the route kinds are numbered in route_costs.py only
            if f != forms and isinstance(node, ast.Assign):
                targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
                targets += [e.id for t in node.targets if isinstance(t, ast.Tuple) for e in t.elts
                            if isinstance(e, ast.Name)]
                if {"ISOELASTIC", "CONSTANT", "NEW"} & set(targets):
                    bad.append(f"{f.relative_to(root)} numbers route kinds")
            # no other module defines a cost-form method
            if f != forms and isinstance(node, ast.FunctionDef) and node.name in COST_FORM_METHODS:
                bad.append(f"{f.relative_to(root)} defines {node.name}")
            if isinstance(node, ast.FunctionDef) and node.name in COST_DISPATCHERS:
                calls = {c.func.id for c in ast.walk(node) if isinstance(c, ast.Call)
                         and isinstance(c.func, ast.Name)}
                if not calls & ({"by_kind"} | COST_DISPATCHERS):
                    bad.append(f"{f.relative_to(root)}: {node.name} does not dispatch to the forms")
    return bad


def test_route_cost_forms_are_defined_in_one_module_only():
    assert not cost_form_violations(ROOT)


def test_the_cost_form_check_fails_on_a_form_written_elsewhere(tmp_path):
    # the check must be able to fail: a dispatcher that computes a form itself is caught
    fake = tmp_path / "model"
    fake.mkdir()
    (fake / "route_costs.py").write_text("")
    (fake / "x.py").write_text("def route_marginal_cost(p, X):\n    return p.adjustment + p.tau\n"
                               "NEW = 2\n")
    assert cost_form_violations(tmp_path) == [
        "model/x.py: route_marginal_cost does not dispatch to the forms", "model/x.py numbers route kinds"]
