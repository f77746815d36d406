"""IAMC-format output of embodied-resource accounts (long pandas frame; pyam can read it as is).

Columns: model, scenario, region, variable, unit, year, value. Variables are
``<base>|<account>``, summed over commodities, with

* base per indicator: ``land`` -> ``Embodied Land|Cropland``, ``pasture`` -> ``Embodied Land|Pasture``,
  ``water_blue`` -> ``Embodied Water|Blue``, ``water_green`` -> ``Embodied Water|Green``,
  ``nitrogen`` -> ``Embodied Nitrogen``, ``ch4`` -> ``Embodied Emissions|CH4``, ``n2o`` ->
  ``Embodied Emissions|N2O``, ``deforestation_co2`` -> ``Embodied Emissions|CO2|Deforestation``; gas sources
  (``ch4_enteric``) -> ``Embodied Emissions|CH4|Enteric``; feed (``feed_land``) -> base + ``|Feed``;
* account: ``Imports``, ``Exports``, ``Net Exports`` (direct, exporter-average intensities),
  ``Production`` (territorial), ``Consumption`` (footprint: traced through re-exports where computed, else
  direct), ``Imports|Traced`` (consumption from other origins, traced);
* per commodity, the same variables suffixed ``|<commodity>``.

Gases stay separate; ``Embodied Emissions|Kyoto Gases (AR6-GWP100)`` adds CH4, N2O and deforestation CO2
with IPCC AR6 WG1 Table 7.15 GWP100: CH4 non-fossil (biogenic, agricultural) 27.0, N2O 273, CO2 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from petra.embodied import units

# IPCC AR6 WG1 Chapter 7, Table 7.15 (GWP100): CH4 non-fossil 27.0 (fossil 29.8), N2O 273.
GWP_AR6_100 = {"co2": 1.0, "ch4": 27.0, "n2o": 273.0}
GWP_NAME = "AR6-GWP100"

BASES = {
    "land": "Embodied Land|Cropland",
    "pasture": "Embodied Land|Pasture",
    "water_blue": "Embodied Water|Blue",
    "water_green": "Embodied Water|Green",
    "nitrogen": "Embodied Nitrogen",
    "ch4": "Embodied Emissions|CH4",
    "n2o": "Embodied Emissions|N2O",
    "deforestation_co2": "Embodied Emissions|CO2|Deforestation",
}
# (output magnitude unit for pint, IAMC unit label) per indicator family
IAMC_UNITS = {
    "land": ("Mha", "million ha/yr"),
    "pasture": ("Mha", "million ha/yr"),
    "water": ("km3", "km3/yr"),
    "nitrogen": ("kt", "kt N/yr"),
    "ch4": ("Mt", "Mt CH4/yr"),
    "n2o": ("kt", "kt N2O/yr"),
    "deforestation_co2": ("Mt", "Mt CO2/yr"),
}
ACCOUNTS = {"imports": "Imports", "exports": "Exports", "net_exports": "Net Exports",
            "production_based": "Production", "imports_traced": "Imports|Traced"}
IAMC_COLUMNS = ["model", "scenario", "region", "variable", "unit", "year", "value"]


def _family(indicator: str) -> str:
    base = indicator.removeprefix("feed_")
    for fam in ("water", "ch4", "n2o"):
        if base.startswith(fam):
            return fam
    return base


def variable_name(indicator: str) -> str:
    """IAMC variable base of an indicator (see module docstring)."""
    feed = indicator.startswith("feed_")
    ind = indicator.removeprefix("feed_")
    if ind in BASES:
        base = BASES[ind]
    elif ind.startswith(("ch4_", "n2o_")):
        gas, source = ind.split("_", 1)
        base = f"{BASES[gas]}|{source.replace('_', ' ').title()}"
    else:
        base = f"Embodied|{ind.replace('_', ' ').title()}"
    return f"{base}|Feed" if feed else base


def iamc_unit(indicator: str, unit: str) -> tuple[float, str]:
    """(factor from the accounts' unit, IAMC unit label) of an indicator."""
    fam = _family(indicator)
    if fam in IAMC_UNITS:
        target, label = IAMC_UNITS[fam]
        return units.factor(unit, target), label
    return 1.0, f"{unit}/yr"


def iamc_table(accounts: pd.DataFrame, *, model: str = "petra", scenario: str = "observed",
               gwp: dict[str, float] | None = None, by_commodity: bool = True) -> pd.DataFrame:
    """Long IAMC frame from `embodied_math.accounts` output (summed over commodities; NaN if any part is
    missing). Adds the CO2-equivalent total of the direct gases with `gwp` (default AR6 GWP100). With
    `by_commodity`, also each commodity's variables, suffixed ``|<commodity>`` (e.g.
    ``Embodied Land|Cropland|Imports|soybeans``), so a total made missing by one product still has its
    known parts."""
    gwp = GWP_AR6_100 if gwp is None else gwp
    parts = [accounts.assign(_part="")]
    if by_commodity:  # one pass over totals and per-commodity parts: the part is one more group key
        parts.append(accounts.assign(_part="|" + accounts["commodity"].astype(str)))
    acc = pd.concat(parts, ignore_index=True)
    cons = "consumption_traced" if "consumption_traced" in acc.columns else "consumption_direct"
    cols = {**{k: v for k, v in ACCOUNTS.items() if k in acc.columns}, cons: "Consumption"}
    long = acc.melt(id_vars=["region", "commodity", "period", "indicator", "unit", "_part"],
                    value_vars=list(cols), var_name="account", value_name="value")
    keys = ["region", "period", "indicator", "unit", "account", "_part"]
    g = long.assign(_nan=long["value"].isna()).groupby(keys, sort=True)
    agg = g.agg(value=("value", "sum"), _nan=("_nan", "any")).reset_index()
    agg.loc[agg["_nan"], "value"] = np.nan
    rows = []
    for (ind, unit), part in agg.groupby(["indicator", "unit"], sort=True):
        f, label = iamc_unit(ind, unit)
        rows.append(pd.DataFrame({"region": part["region"], "year": part["period"].astype(int),
                                  "variable": variable_name(ind) + "|" + part["account"].map(cols)
                                  + part["_part"],
                                  "unit": label, "value": part["value"] * f}))
    gases = {"ch4": "ch4", "n2o": "n2o", "deforestation_co2": "co2"}
    ghg = agg[agg["indicator"].isin(gases)]
    if len(ghg):
        fac = np.array([units.factor(u, "Mt") * gwp[gases[i]] for i, u in zip(ghg["indicator"], ghg["unit"],
                                                                             strict=True)])
        co2e = ghg.assign(value=ghg["value"] * fac, _nan=ghg["value"].isna())
        c = co2e.groupby(["region", "period", "account", "_part"]).agg(
            value=("value", "sum"), _nan=("_nan", "any")).reset_index()
        c.loc[c["_nan"], "value"] = np.nan
        rows.append(pd.DataFrame({"region": c["region"], "year": c["period"].astype(int),
                                  "variable": f"Embodied Emissions|Kyoto Gases ({GWP_NAME})|"
                                              + c["account"].map(cols) + c["_part"],
                                  "unit": "Mt CO2-equiv/yr", "value": c["value"]}))
    out = (pd.concat(rows, ignore_index=True) if rows else
           pd.DataFrame(columns=["region", "year", "variable", "unit", "value"]))
    out.insert(0, "scenario", scenario)
    out.insert(0, "model", model)
    return out[IAMC_COLUMNS].sort_values(["region", "variable", "year"]).reset_index(drop=True)


def co2e(values: pd.DataFrame, gwp: dict[str, float] | None = None) -> pd.Series:
    """CO2-equivalent (t CO2e) of rows with indicator ch4 / n2o / deforestation_co2 and a mass ``unit``;
    other indicators give NaN. For tables of `embodied.csv` shape."""
    gwp = GWP_AR6_100 if gwp is None else gwp
    g = values["indicator"].map({"ch4": gwp["ch4"], "n2o": gwp["n2o"], "deforestation_co2": gwp["co2"]})
    f = np.array([units.factor(u, "t") if isinstance(u, str) and units.is_mass(u) else np.nan
                  for u in values["unit"]])
    return values["value"] * f * g
