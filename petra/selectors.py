"""Name selectors of scenario-file rules: one name or a list of names, validated by pydantic.

`Names` is the field type (None = every entity) of the scenario file's driver, elasticity and
uncertainty rules (petra.projection.scenario_config, petra.projection.uncertainty_rules).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator


def as_names(v):
    """A selector given as one name or a list of names -> tuple of names (None stays None)."""
    if v is None:
        return None
    if isinstance(v, str | int | float):
        return (str(v),)
    return tuple(str(x) for x in v)


Names = Annotated[tuple[str, ...] | None, BeforeValidator(as_names)]
