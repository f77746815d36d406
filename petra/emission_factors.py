"""One home for every emission factor petra uses (IPCC Tier 1 defaults), shared by the data build
(`petra.data.intensities`) and the embodied post-processor (`petra.embodied.embodied_math`).

IPCC 2006 Guidelines Vol. 4 Ch. 11, Table 11.1 (direct N2O from managed soils) and Table 11.3
(indirect); Ch. 10 Tables 10.10 and 10.11 (enteric CH4) and Tables 10.14 and 10.15 (manure management
CH4: in petra.data `mappings/ipcc_manure_ch4.csv`, read by `manure_ch4_factors`, its only reader). Rice
follows the 2019 Refinement: Ch. 5 Table 5.11 (CH4 baseline factor) and Ch. 11 Table 11.1 (EF1 of
flooded rice), so both rice gases come from one edition.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

from petra.errors import InputError

EF1 = 0.01
"""kg N2O-N per kg N applied (synthetic and organic fertiliser, crop residues), IPCC 2006 Table 11.1."""
EF1_FLOODED_RICE = 0.004
"""kg N2O-N per kg N applied to flooded rice, IPCC 2019 Refinement Vol. 4 Table 11.1 (aggregated default;
the 2006 value was 0.003). Chosen to match the 2019 rice CH4 factor below: one edition for rice."""
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
RICE_CH4_EF_BASELINE = 1.19
"""kg CH4 per ha per day, continuously flooded rice without organic amendments, global default of the
IPCC 2019 Refinement Vol. 4 Table 5.11 (2006: 1.30). Scaling factors for water regime, pre-season and
organic amendments are 1 (continuously flooded, the Tier 1 reference): an upper estimate for rainfed
and intermittently irrigated rice."""
RICE_SEASON_DAYS = 120
"""Days of a rice cultivation period (petra's assumption: a typical single season; IPCC Tier 1 asks for
national crop calendars, which the sources do not hold). Harvested area already counts each season."""
NON_RICE_CROP_CH4 = 0.0
"""kg CH4 per t of a crop that is not flooded rice: the IPCC Guidelines have no CH4 source for it
(crop CH4 is rice cultivation only, Vol. 4 Ch. 5.5; residue burning is out of scope)."""


def is_flooded_rice(commodity: str) -> bool:
    """Whether a commodity id is (flooded) rice, for the rice emission factors."""
    return "rice" in str(commodity).lower()


# IPCC 2006 Vol. 4 Ch. 10, Table 10.11: Tier 1 enteric fermentation CH4 of cattle, kg CH4 per head
# per year, (dairy cows, other cattle) by IPCC region.
ENTERIC_CATTLE = {
    "North America": (128.0, 53.0),
    "Western Europe": (117.0, 57.0),
    "Eastern Europe": (99.0, 58.0),
    "Oceania": (90.0, 60.0),
    "Latin America": (72.0, 56.0),
    "Asia": (68.0, 47.0),
    "Africa and Middle East": (46.0, 31.0),
    "Indian Subcontinent": (58.0, 27.0),
}
# IPCC 2006 Vol. 4 Ch. 10, Table 10.10: Tier 1 enteric CH4 of other livestock, kg CH4 per head per
# year, (developed, developing countries). Poultry: no factor (insufficient data), i.e. no source.
ENTERIC_OTHER = {"buffalo": (55.0, 55.0), "sheep": (8.0, 5.0), "goats": (5.0, 5.0), "swine": (1.5, 1.0),
                 "poultry": (0.0, 0.0)}
DEVELOPED_IPCC_REGIONS = ("North America", "Western Europe", "Eastern Europe", "Oceania")
"""IPCC regions whose countries take the 'developed' factors of Table 10.10 (Japan too, by country)."""

# IPCC 2006 Vol. 4 Ch. 10, Tables 10.14 (cattle, buffalo, swine by IPCC region and temperature) and 10.15
# (sheep, goats, poultry by developed / developing and temperature class): Tier 1 manure management CH4,
# kg CH4 per head per year. The factors live in one file, petra.data `mappings/ipcc_manure_ch4.csv`,
# written by `python -m petra.data.ipcc_manure` from the AMEE transcription (see data/PROVENANCE.md).
MANURE_CH4_FILE = "mappings/ipcc_manure_ch4.csv"
MANURE_TEMPERATURE_CLASS = "temperate"
"""Temperature class of the manure CH4 factors petra uses everywhere: the sources hold no country
temperatures, so every region takes IPCC's 'temperate' class (annual mean 15-25 degC; a Table 10.14
factor is the mean of its 15-25 degC columns). 'cool' and 'warm' bound the uncertainty (PROVENANCE)."""
MANURE_TEMPERATURE_CLASSES = ("cool", "temperate", "warm")


@functools.cache
def _manure_ch4_table() -> pd.DataFrame:
    from importlib.resources import files

    path = Path(str(files("petra.data").joinpath(MANURE_CH4_FILE)))
    t = pd.read_csv(path, keep_default_na=False, dtype={"ipcc_table": str})
    t["kg_ch4_per_head"] = pd.to_numeric(t["kg_ch4_per_head"], errors="coerce")
    return t


def manure_ch4_factors(temperature_class: str = MANURE_TEMPERATURE_CLASS) -> pd.DataFrame:
    """Manure management CH4 factors of one temperature class (kg CH4/head/yr): animal, ipcc_region
    (Table 10.14 rows) or development ('developed' / 'developing', Table 10.15 rows), kg_ch4_per_head."""
    if temperature_class not in MANURE_TEMPERATURE_CLASSES:
        raise InputError(f"manure temperature class {temperature_class!r} is not one of "
                         f"{', '.join(MANURE_TEMPERATURE_CLASSES)}")
    t = _manure_ch4_table()
    t = t[t["temperature_class"] == temperature_class]
    return t[["animal", "ipcc_region", "development", "kg_ch4_per_head"]].reset_index(drop=True)
