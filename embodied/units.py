"""Unit handling for embodied-resource accounting (pint).

Flows are in each commodity's unit (e.g. ``kt`` = 1000 t for the shipped data) and intensities are per
tonne (``ha/t``, ``m3/t``, ``kg/t``). Every conversion goes through one pint registry, never a
hand-written factor. Two spellings common in agricultural data are accepted on top of pint's own:

* ``kt`` means kilotonne (pint would read it as knot), ``Mt`` megatonne, ``t`` tonne;
* a digit glued to a unit is a power: ``m3`` = ``m**3``, ``km3`` = ``km**3`` (1e9 m3), ``hm3``.

A unit with a scaling factor (``1000 t``) is accepted where a quantity is converted.
"""

from __future__ import annotations

import functools
import math
import re

import pint

from petra.errors import InputError

_PREPROCESSORS = [
    lambda s: re.sub(r"\bkt\b", "kilometric_ton", s),
    lambda s: re.sub(r"(?<=[A-Za-z])([23])\b", r"**\1", s),
]

ureg = pint.UnitRegistry(preprocessors=_PREPROCESSORS)

# Output units of the direct embodied flows, chosen by the dimensionality of flow x intensity.
_OUTPUT_BY_DIMENSION = {
    "[length] ** 2": "ha",
    "[length] ** 3": "m3",
    "[mass]": "t",
    "": "dimensionless",
}


@functools.lru_cache(maxsize=1024)
def parse(unit: str) -> pint.Quantity:
    """The quantity one `unit` stands for (``1000 t`` -> 1000 tonne). InputError if unparseable."""
    try:
        q = ureg.Quantity(1.0, "dimensionless") * ureg.parse_expression(str(unit).strip())
    except (pint.errors.PintError, AttributeError, TypeError, ValueError, SyntaxError) as exc:
        raise InputError(f"unit '{unit}' is not understood ({exc})") from exc
    if not (math.isfinite(q.magnitude) and q.magnitude > 0):
        raise InputError(f"unit '{unit}' has a scaling factor of {q.magnitude:g}; it must be a positive "
                         "finite number")
    return q


@functools.lru_cache(maxsize=1024)
def factor(from_unit: str, to_unit: str) -> float:
    """Magnitude of 1 `from_unit` expressed in `to_unit` (both may carry a scaling factor)."""
    try:
        return float((parse(from_unit) / parse(to_unit)).to("dimensionless").magnitude)
    except pint.errors.DimensionalityError as exc:
        raise InputError(f"cannot convert '{from_unit}' to '{to_unit}' (different dimensions)") from exc


@functools.lru_cache(maxsize=1024)
def product_factor(flow_unit: str, intensity_unit: str) -> tuple[float, str]:
    """(factor, output unit) such that ``flow [flow_unit] * intensity [intensity_unit] * factor`` is in
    the output unit: ``ha`` for an area, ``m3`` for a volume, ``t`` for a mass.

    Raises InputError if the product is of another dimension (e.g. a flow in heads and an intensity per
    tonne).
    """
    q = parse(flow_unit) * parse(intensity_unit)
    dim = str(q.dimensionality) if not q.dimensionless else ""
    out = _OUTPUT_BY_DIMENSION.get(dim)
    if out is None:
        raise InputError(f"a flow in '{flow_unit}' times an intensity in '{intensity_unit}' is neither an "
                         f"area, a volume nor a mass (dimension {dim}); intensities must be per unit of mass "
                         f"and flows a mass")
    return float(q.to(out).magnitude), out


def is_mass(unit: str) -> bool:
    try:
        return str(parse(unit).dimensionality) == "[mass]"
    except InputError:
        return False
