"""IAMC-format output of embodied-resource accounts (long pandas frame; pyam can read it as is).

Columns: model, scenario, region, variable, unit, year, value. Variables are
``<base>|<account>``, summed over commodities, with

* base per indicator: ``land`` -> ``Embodied Land|Cropland``, ``pasture`` -> ``Embodied Land|Pasture``,
  ``water_blue`` -> ``Embodied Water|Blue``, ``water_green`` -> ``Embodied Water|Green``,
  ``nitrogen`` -> ``Embodied Nitrogen``, ``ch4`` -> ``Embodied Emissions|CH4``, ``n2o`` ->
  ``Embodied Emissions|N2O``, ``deforestation_co2`` -> ``Embodied Emissions|CO2|Deforestation``; gas sources
  (``ch4_enteric``, ``ch4_manure``) -> ``Embodied Emissions|CH4|Enteric``, ``...|CH4|Manure``; feed
  (``feed_land``) -> base + ``|Feed``;
* account: ``Imports``, ``Exports``, ``Net Exports`` (direct, exporter-average intensities),
  ``Production`` (territorial), ``Consumption`` (footprint: traced through re-exports where computed, else
  direct), ``Imports|Traced`` (consumption from other origins, traced);
* per commodity, the same variables suffixed ``|<commodity>``.

A total is the sum over the commodities with a known value; `petra.embodied.coverage` says which share
of the volume that is (a total is never silently partial).

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
CO2E_INDICATOR = "co2e"

BASES = {
    "land": "Embodied Land|Cropland",
    "pasture": "Embodied Land|Pasture",
    "water_blue": "Embodied Water|Blue",
    "water_green": "Embodied Water|Green",
    "water_total": "Embodied Water|Total",
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
    """Long IAMC frame from `embodied_math.accounts` output. Adds the CO2-equivalent total of the direct
    gases with `gwp` (default AR6 GWP100); a commodity's CO2e is missing if any of its gases is.

    A total is the sum over the commodities with a known value (missing only when none is known); how
    much of the volume it covers is `petra.embodied.coverage.coverage`, reported beside it. With
    `by_commodity`, also each commodity's variables, suffixed ``|<commodity>`` (e.g.
    ``Embodied Land|Cropland|Imports|soybeans``), missing where that commodity's value is."""
    gwp = GWP_AR6_100 if gwp is None else gwp
    cons = "consumption_traced" if "consumption_traced" in accounts.columns else "consumption_direct"
    cols = {k: v for k, v in {**ACCOUNTS, cons: "Consumption"}.items() if k in accounts.columns}
    long = accounts.melt(id_vars=["region", "commodity", "period", "indicator", "unit"],
                         value_vars=list(cols), var_name="account", value_name="value")
    gases = {"ch4": "ch4", "n2o": "n2o", "deforestation_co2": "co2"}
    ghg = long[long["indicator"].isin(gases)]
    if len(ghg):  # per commodity: CO2e of its gases, missing if any gas is
        fac = ghg["indicator"].map(gases).map(gwp).to_numpy(dtype=float) * np.array(
            [units.factor(u, "Mt") for u in ghg["unit"]])
        g = ghg.assign(value=ghg["value"] * fac, _nan=ghg["value"].isna()).groupby(
            ["region", "commodity", "period", "account"], sort=True).agg(
            value=("value", "sum"), _nan=("_nan", "any")).reset_index()
        g.loc[g["_nan"], "value"] = np.nan
        long = pd.concat([long, g.drop(columns="_nan").assign(indicator=CO2E_INDICATOR, unit="Mt")],
                         ignore_index=True)
    keys = ["region", "period", "indicator", "unit", "account"]
    total = long.groupby(keys, sort=True)["value"].sum(min_count=1).reset_index().assign(_part="")
    parts = [total]
    if by_commodity:
        parts.append(long.assign(_part="|" + long["commodity"].astype(str))[keys + ["value", "_part"]])
    agg = pd.concat(parts, ignore_index=True)
    rows = []
    for (ind, unit), part in agg.groupby(["indicator", "unit"], sort=True):
        if ind == CO2E_INDICATOR:
            name, f, label = f"Embodied Emissions|Kyoto Gases ({GWP_NAME})", 1.0, "Mt CO2-equiv/yr"
        else:
            (f, label), name = iamc_unit(ind, unit), variable_name(ind)
        rows.append(pd.DataFrame({"region": part["region"], "year": part["period"].astype(int),
                                  "variable": name + "|" + part["account"].map(cols) + part["_part"],
                                  "unit": label, "value": part["value"] * f}))
    out = (pd.concat(rows, ignore_index=True) if rows else
           pd.DataFrame(columns=["region", "year", "variable", "unit", "value"]))
    out.insert(0, "scenario", scenario)
    out.insert(0, "model", model)
    return out[IAMC_COLUMNS].sort_values(["region", "variable", "year"]).reset_index(drop=True)


def partner_iamc(direct: pd.DataFrame, importer: str, *, model: str = "petra",
                 scenario: str = "observed") -> pd.DataFrame:
    """`importer`'s embodied imports from each partner, summed over the commodities with a known value,
    as IAMC rows of directional regions ``PARTNER>IMPORTER`` (nomenclature's convention: origin >
    destination) and the account ``Imports``, e.g. region ``BRA>CHN``, variable
    ``Embodied Land|Cropland|Imports``. Includes the Kyoto-gas total. `direct`: `embodied_math.
    embodied_flows` rows (exporter, importer, commodity, period, indicator, value, unit)."""
    d = direct[direct["importer"] == importer]
    acc = d.rename(columns={"exporter": "region", "value": "imports"})[
        ["region", "commodity", "period", "indicator", "unit", "imports"]]
    acc = acc.groupby(["region", "commodity", "period", "indicator", "unit"], sort=True)["imports"].sum(
        min_count=1).reset_index()
    out = iamc_table(acc, model=model, scenario=scenario, by_commodity=False)
    out["region"] = out["region"] + ">" + importer
    return out


def co2e(values: pd.DataFrame, gwp: dict[str, float] | None = None) -> pd.Series:
    """CO2-equivalent (t CO2e) of rows with indicator ch4 / n2o / deforestation_co2 and a mass ``unit``;
    other indicators give NaN. For tables of `embodied.csv` shape."""
    gwp = GWP_AR6_100 if gwp is None else gwp
    g = values["indicator"].map({"ch4": gwp["ch4"], "n2o": gwp["n2o"], "deforestation_co2": gwp["co2"]})
    f = np.array([units.factor(u, "t") if isinstance(u, str) and units.is_mass(u) else np.nan
                  for u in values["unit"]])
    return values["value"] * f * g
