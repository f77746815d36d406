"""Field checks shared by the pydantic models of petra's text inputs (scenario files, their
uncertainty rules, calibration settings), for values YAML and TOML would let through silently:

* `no_yes_no_numbers`: YAML reads `true`, `yes` and `on` as a boolean, and pydantic would take it
  for the number 1 (`ad_valorem: yes` was a 100 % tariff); a boolean is refused wherever a number or
  a year is expected;
* `Label` / `Text`: a name (scenario, model) is non-empty and has no control character, a
  description may be left out but not given empty and has none except tab and line breaks: a NUL or
  a terminal escape (`"\\e[31m"`) written as a YAML escape would reach iamc.csv and summary.json.
"""

from __future__ import annotations

import re
from typing import Annotated, get_args

from pydantic import AfterValidator

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # tab and line feed allowed


def no_yes_no_numbers(model_cls, value, info):
    """A `field_validator("*", mode="before")` body: ValueError for a boolean given to a field that
    does not take one (a number, a year, a name)."""
    if isinstance(value, bool) and not _takes_bool(model_cls.model_fields[info.field_name].annotation):
        word = "true" if value else "false"
        raise ValueError(f"{word} (YAML reads yes/no/on/off as true/false) is not a number or name here")
    return value


def _takes_bool(annotation) -> bool:
    """Whether `annotation` (a field's type: bool, bool | None, Annotated[...], ...) admits a boolean."""
    return annotation is bool or any(_takes_bool(a) for a in get_args(annotation))


def _label(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be empty")
    bad = _CONTROL.search(text)
    if bad:
        raise ValueError(f"contains the control character {bad.group()!r} at position {bad.start()}")
    return text


def _text(text: str) -> str:
    if text == "":
        raise ValueError("is empty: write a description or leave the key out")
    bad = _CONTROL_IN_TEXT.search(text)
    if bad:
        raise ValueError(f"contains the control character {bad.group()!r} at position {bad.start()}")
    return text


Label = Annotated[str, AfterValidator(_label)]
"""A name: non-empty (not only spaces), no control character."""
Text = Annotated[str, AfterValidator(_text)]
"""A description: not empty when given, no control character but tab and line feed."""
