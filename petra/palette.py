"""One colour per region, the same in every figure, run and dataset (pure functions, no state).

`region_colour(name)` looks the region up in a fixed map of the common trading regions, under both
naming schemes of the shipped datasets (china9's ISO3-like codes and globiom37's names: "CHN" and
"ChinaReg" are the same red), and otherwise hashes the name (BLAKE2, not Python's salted `hash`)
into a palette of distinguishable colours. `region_marker(name)` gives a marker shape the same way (a
circle for the large traders, another shape for the rest), a second cue where two colours are alike.
Aggregates drawn as "other" are grey (`OTHER_COLOUR`), never a region's colour. Scenarios
(`scenario_colour`) and commodities (`commodity_colour`) have fixed colours of their own the same way.
"""

from __future__ import annotations

import hashlib
import re

OTHER = "other"
OTHER_COLOUR = "#b0b0b0"

# canonical key -> colour: the large traders get the most distinct hues and a circle; smaller regions
# of the shipped datasets share hue families but have their own marker (FIXED_MARKERS)
FIXED = {
    "china": "#d62728", "usa": "#1f77b4", "brazil": "#2ca02c", "argentina": "#17becf",
    "canada": "#9467bd", "australia": "#ff7f0e", "newzealand": "#8c564b", "eu": "#c51b7d",
    "eumidwest": "#c51b7d", "row": "#6b6b6b", "russia": "#e377c2", "ukraine": "#bcbd22",
    "india": "#a6761d",
    "eusouth": "#e7298a", "eunorth": "#7a0177", "eucentraleast": "#f768a1", "eubaltic": "#ae017e",
    "rseaopa": "#000080", "rseapac": "#54278f", "rsas": "#b35806", "rsam": "#252525",
    "indonesia": "#66a61e", "malaysia": "#1b9e77", "japan": "#b15928", "southkorea": "#7570b3",
    "mexico": "#d95f02", "turkey": "#8c6d31", "southafrica": "#637939", "formerussr": "#c49c94",
    "middleeast": "#ad494a",
}
FIXED_MARKERS = {
    "eusouth": "s", "eunorth": "^", "eucentraleast": "D", "eubaltic": "v", "rseaopa": "s",
    "rseapac": "s", "rsas": "s", "rsam": "s", "indonesia": "s", "malaysia": "D", "japan": "s",
    "southkorea": "D", "mexico": "s", "turkey": "D", "southafrica": "s", "formerussr": "s",
    "middleeast": "s",
}

# other names and codes of the same regions -> canonical key
ALIASES = {
    "chn": "china", "us": "usa", "bra": "brazil", "arg": "argentina", "can": "canada", "aus": "australia",
    "nzl": "newzealand", "eu27": "eu", "restofworld": "row", "rus": "russia", "ukr": "ukraine",
    "ind": "india", "idn": "indonesia", "mys": "malaysia", "jpn": "japan", "kor": "southkorea",
    "mex": "mexico", "tur": "turkey", "zaf": "southafrica", "southafr": "southafrica",
}

# hashed regions: mid-tone colours readable as thin lines on white (no greys); two regions with alike
# colours are told apart by their marker (hashed regions never get the large traders' circle)
PALETTE = (
    "#b8860b", "#008080", "#800000", "#808000", "#4682b4", "#d2691e", "#9932cc", "#2e8b57",
    "#ff6347", "#6a5acd", "#c71585", "#20b2aa", "#cd853f", "#556b2f", "#db7093", "#1e90ff",
)
FIXED_MARKER = "o"
MARKERS = ("s", "^", "D", "v", "P", "X", "<", ">", "h")


def canonical(region: str) -> str:
    """Lower-case letters and digits only, a trailing 'reg' dropped, aliases resolved."""
    key = re.sub(r"[^a-z0-9]", "", str(region).lower())
    if key.endswith("reg") and len(key) > 3:
        key = key[:-3]
    return ALIASES.get(key, key)


def _digest(region: str) -> int:
    return int.from_bytes(hashlib.blake2s(str(region).encode("utf-8"), digest_size=8).digest(), "big")


def region_colour(region: str) -> str:
    """The region's colour (hex): fixed for the common regions, else a stable hash into PALETTE."""
    key = canonical(region)
    if key == OTHER:
        return OTHER_COLOUR
    if key in FIXED:
        return FIXED[key]
    return PALETTE[_digest(key) % len(PALETTE)]


def region_marker(region: str) -> str:
    """The region's matplotlib marker: fixed for the regions of FIXED (a circle unless FIXED_MARKERS
    says otherwise) and other, else a stable hash of the canonical name into MARKERS."""
    key = canonical(region)
    if key == OTHER:
        return FIXED_MARKER
    if key in FIXED:
        return FIXED_MARKERS.get(key, FIXED_MARKER)
    return MARKERS[_digest("marker:" + key) % len(MARKERS)]


# scenarios: a baseline family in black, common policy words in fixed colours, others hashed; a
# scenario keeps its colour in every figure and run (regions use colour for partners, so scenarios
# are drawn with a dark, separate set)
SCENARIO_FIXED = {"ssp2": "#000000", "baseline": "#000000", "reference": "#000000", "ref": "#000000",
                  "ssp1": "#1b9e77", "ssp3": "#d95f02", "ssp4": "#7570b3", "ssp5": "#e7298a"}
SCENARIO_PALETTE = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d",
                    "#1f78b4")


def scenario_colour(name: str) -> str:
    """The scenario's colour (hex): black for SSP2/baseline/reference, fixed for the other SSPs, else
    a stable hash of its name into SCENARIO_PALETTE (the same in every figure and run)."""
    key = re.sub(r"[^a-z0-9]", "", str(name).lower())
    if key in SCENARIO_FIXED:
        return SCENARIO_FIXED[key]
    return SCENARIO_PALETTE[_digest("scenario:" + key) % len(SCENARIO_PALETTE)]


# commodities: the 13 of the shipped datasets get 13 fixed colours, every pair more than 60 apart in some
# RGB channel (tested); others are hashed into COMMODITY_PALETTE
COMMODITY_FIXED = {
    "wheat": "#e6ab02", "maize": "#d95f02", "rice": "#80b1d3", "barley": "#b2df8a", "sorghum": "#6a3d9a",
    "soybeans": "#33a02c", "rapeseed": "#1b9e77", "sugar": "#e7298a", "bovine_meat": "#a50f15",
    "pig_meat": "#f781bf", "poultry_meat": "#fdbf6f", "sheep_meat": "#4d004b", "dairy": "#1f78b4",
}
COMMODITY_PALETTE = ("#4d4d4d", "#8c510a", "#01665e", "#762a83", "#c51b7d", "#4393c3", "#b35806",
                     "#542788")


def commodity_colour(name: str) -> str:
    """The commodity's colour (hex): fixed for the shipped datasets' 13 commodities, else a stable hash
    of its lower-case name into COMMODITY_PALETTE (the same in every figure, run and dataset)."""
    key = re.sub(r"[^a-z0-9_]", "", str(name).lower().replace(" ", "_"))
    if key in COMMODITY_FIXED:
        return COMMODITY_FIXED[key]
    return COMMODITY_PALETTE[_digest("commodity:" + key) % len(COMMODITY_PALETTE)]


__all__ = ["OTHER", "OTHER_COLOUR", "region_colour", "region_marker", "scenario_colour", "commodity_colour",
           "canonical"]
