"""One home for every emission factor petra uses (IPCC Tier 1 defaults), shared by the data build
(`petra.data.intensities`) and the embodied post-processor (`petra.embodied.embodied_math`).

IPCC 2006 Guidelines Vol. 4 Ch. 11, Table 11.1 (direct N2O from managed soils) and Table 11.3
(indirect); Ch. 5 Table 5.11 (rice CH4, 2006 edition).
"""

from __future__ import annotations

EF1 = 0.01
"""kg N2O-N per kg N applied (synthetic and organic fertiliser, crop residues), IPCC 2006 Table 11.1."""
EF1_FLOODED_RICE = 0.003
"""kg N2O-N per kg N applied to flooded rice, IPCC 2006 Table 11.1."""
FRAC_GASF = 0.10
"""Fraction of synthetic N volatilised as NH3 and NOx, IPCC 2006 Table 11.3."""
EF4 = 0.010
"""kg N2O-N per kg NH3-N + NOx-N volatilised, IPCC 2006 Table 11.3."""
FRAC_LEACH = 0.30
"""Fraction of N lost by leaching and runoff, IPCC 2006 Table 11.3."""
EF5 = 0.0075
"""kg N2O-N per kg N leached, IPCC 2006 Table 11.3."""
N2O_PER_N2O_N = 44.0 / 28.0
"""kg N2O per kg N2O-N (molar masses)."""
RICE_CH4_EF_BASELINE = 1.30
"""kg CH4 per ha per day, continuously flooded rice without organic amendments, IPCC 2006 Table 5.11."""
NON_RICE_CROP_CH4 = 0.0
"""kg CH4 per t of a crop that is not flooded rice: the IPCC Guidelines have no CH4 source for it
(crop CH4 is rice cultivation only, Vol. 4 Ch. 5.5; residue burning is out of scope)."""


def is_flooded_rice(commodity: str) -> bool:
    """Whether a commodity id is (flooded) rice, for the rice emission factors."""
    return "rice" in str(commodity).lower()
