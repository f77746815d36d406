"""How the income elasticity of food demand falls with income: estimation across countries and the
per-region base-year food elasticities (`income_response.csv`, `food_income_elasticities.csv`).

Two estimates of the slope s = d e / d ln(GDP per capita) per commodity (petra.income_response gives
the elasticity e(y) = e0 + s ln(y / y0) and its Engel curve):

* **Engel panel** (the one used): ln q[i,t] = a[i, FBS method segment] + d[t] + b ln y + c (ln y)^2 over
  countries i and years 1990..up_to_year, q = FBS food use per capita (kg, primary equivalent, as
  petra.data.uses counts food: oilseeds include their oil's food in seed equivalent), y = GDP PPP per
  capita (SSP v3 history, every 5 years, log-linearly interpolated). Country fixed effects per FBS
  methodology segment and year effects d[t] (common prices, tastes, reporting), so the slope s = 2c comes
  from how consumption moved with income within countries relative to the world's year. Standard error
  by OLS on the within-transformed data.
* **IMPACT cross-section** (reported beside it): IMPACT 3's food income elasticities of 151 IMPACT
  regions (IncDmdElasH, base ~2005) regressed on ln GDP per capita 2005.

Rule (SLOPE_RULE): the Engel slope where it is negative with |t| >= T_MIN; else the inverse-variance
weighted mean of the negative, significant Engel slopes of the commodity's group (GROUPS); else 0 (a
constant elasticity). A positive Engel slope is never used: an elasticity that rises with income
contradicts Bennett's law and in these data reflects falling relative prices (poultry) rather than income.
Bounds (low, high) are the 5th and 95th percentiles of IMPACT's regional values of the commodity.

Base-year food elasticity per region: IMPACT's country value (oilseeds: seed and oil elasticities
weighted by the country's base-year food use of each, seed equivalent) moved from 2005 to the base year
along the slope (food_income_elasticity), then the base-year food-use weighted mean over the region's
countries (unweighted where no country has food use; 0 where no country has a value).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from petra.income_response import food_income_elasticity

ENGEL_FIRST_YEAR = 1990
"""First year with SSP v3 GDP history (1990-2020 every 5 years)."""
IMPACT_YEAR = 2005
"""IMPACT 3's base year: the income at which its elasticities hold."""
T_MIN = 2.0
"""|t| of a slope that counts as significant."""
MIN_PER_CAPITA_KG = 0.1
"""Country-years with less food use per capita (kg/yr) are left out of the Engel panel (log of ~0)."""
GROUPS = {"wheat": "cereals", "maize": "cereals", "rice": "cereals", "barley": "cereals",
          "sorghum": "cereals", "soybeans": "oilseeds", "rapeseed": "oilseeds", "sugar": "sugar",
          "bovine_meat": "meat", "pig_meat": "meat", "poultry_meat": "meat", "sheep_meat": "meat",
          "dairy": "dairy"}
"""Commodity groups whose pooled slope stands in for an insignificant commodity slope."""
OIL_FOOD_CODES = {"soybeans": "csbol", "rapeseed": "crpol"}
"""IMPACT food commodity of an oilseed's oil (weighted with the seed's own code by food use)."""
BOUND_PERCENTILES = (5.0, 95.0)
SLOPE_RULE = ("Engel panel slope if < 0 with |t| >= 2; else the inverse-variance mean of the group's "
              "negative significant Engel slopes; else 0")
WITHIN_ITERATIONS = 200
WITHIN_TOLERANCE = 1e-10


# ------------------------------------------------------------------------------------ GDP per capita
HISTORY_YEARS = tuple(range(ENGEL_FIRST_YEAR, 2021, 5))
"""The SSP v3 file's historical 5-year points (the same in every SSP)."""


def read_gdp_history(path) -> pd.DataFrame:
    """iso3, year, population (million), gdp_ppp (billion US$2017/yr) of the SSP v3 file's SSP2 rows in
    HISTORY_YEARS (petra.data.ssp.read_v3 reads the projection years only)."""
    from petra.data.ssp import V3_GDP_UNIT

    raw = pd.read_csv(path)
    raw = raw[raw["SSP"] == "SSP2"]
    cols = [str(y) for y in HISTORY_YEARS]
    parts = {}
    for name, sel in (("population", raw["Variable"] == "Population"),
                      ("gdp_ppp", (raw["Variable"] == "GDP|PPP") & (raw["Unit"] == V3_GDP_UNIT))):
        w = raw[sel].set_index("ISO")[cols]
        parts[name] = w.stack().rename(name)
    out = pd.concat(parts.values(), axis=1).reset_index()
    out.columns = ["iso3", "year", "population", "gdp_ppp"]
    out["year"] = out["year"].astype(int)
    return out


def gdp_per_capita_history(history: pd.DataFrame) -> pd.DataFrame:
    """iso3, year, ln_gdp_pc: every year between the first and last 5-year point of each country
    (read_gdp_history), ln of GDP PPP per capita (thousand US$2017 per person) interpolated linearly
    between the points."""
    c = history.dropna(subset=["population", "gdp_ppp"])
    c = c[(c["population"] > 0) & (c["gdp_ppp"] > 0)]
    rows = []
    for iso3, g in c.groupby("iso3"):
        g = g.sort_values("year")
        years = np.arange(g["year"].min(), g["year"].max() + 1)
        lny = np.interp(years, g["year"], np.log(g["gdp_ppp"] / g["population"]))
        rows.append(pd.DataFrame({"iso3": iso3, "year": years, "ln_gdp_pc": lny}))
    return pd.concat(rows, ignore_index=True)


# ---------------------------------------------------------------------------------- Engel panel
def within(frame: pd.DataFrame, cols: list[str], groups: list[pd.Series]) -> pd.DataFrame:
    """`cols` of frame with the means of every grouping in `groups` removed (alternating projections:
    the two-way fixed-effects transform)."""
    x = frame[cols].astype(float)
    for _ in range(WITHIN_ITERATIONS):
        before = x.to_numpy().copy()
        for g in groups:
            x = x - x.groupby(g.to_numpy()).transform("mean")
        if np.max(np.abs(x.to_numpy() - before)) < WITHIN_TOLERANCE:
            break
    return x


def ols(y: np.ndarray, X: np.ndarray, dof_lost: int = 0) -> tuple[np.ndarray, np.ndarray, float]:
    """Coefficients, standard errors and R^2 of y on X (no intercept added); dof_lost: parameters
    absorbed before (fixed effects) counted in the residual degrees of freedom."""
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    r = y - X @ beta
    dof = len(y) - X.shape[1] - dof_lost
    s2 = float(r @ r) / dof if dof > 0 else math.nan
    se = np.sqrt(np.diag(s2 * np.linalg.pinv(X.T @ X)))
    tss = float(((y - y.mean()) ** 2).sum())
    return beta, se, 1.0 - float(r @ r) / tss if tss > 0 else math.nan


def engel_panel(food_pc: pd.DataFrame, up_to_year: int, first_year: int = ENGEL_FIRST_YEAR) -> dict:
    """Two-way fixed-effects log-quadratic Engel curve of one commodity from years first_year..up_to_year.

    food_pc: area, year, q (kg per person), ln_gdp_pc, segment. Returns b, c, slope (= 2c), se (of the
    slope), t, n (country-years), countries, r2 (within)."""
    d = food_pc[(food_pc["year"] >= first_year) & (food_pc["year"] <= up_to_year)]
    d = d[d["q"] >= MIN_PER_CAPITA_KG].copy()
    d["lnq"] = np.log(d["q"])
    d["l2"] = d["ln_gdp_pc"] ** 2
    fe = d["area"].astype(str) + "_" + d["segment"].astype(str)
    size = fe.map(fe.value_counts())
    d, fe = d[size >= 2], fe[size >= 2]
    x = within(d, ["lnq", "ln_gdp_pc", "l2"], [fe, d["year"]])
    absorbed = fe.nunique() + d["year"].nunique() - 1
    beta, se, r2 = ols(x["lnq"].to_numpy(), x[["ln_gdp_pc", "l2"]].to_numpy(), absorbed)
    return {"b": float(beta[0]), "c": float(beta[1]), "slope": 2.0 * float(beta[1]),
            "se": 2.0 * float(se[1]), "t": float(beta[1] / se[1]), "n": int(len(d)),
            "countries": int(d["area"].nunique()), "r2": r2}


def impact_cross_section(elasticity: pd.Series, ln_gdp_pc: pd.Series) -> dict:
    """OLS of IMPACT regional elasticities on ln GDP per capita (both indexed by IMPACT region):
    intercept, slope, se, t, n, r2."""
    j = pd.concat([elasticity.rename("e"), ln_gdp_pc.rename("x")], axis=1, join="inner").dropna()
    X = np.column_stack([np.ones(len(j)), j["x"].to_numpy()])
    beta, se, r2 = ols(j["e"].to_numpy(), X)
    return {"intercept": float(beta[0]), "slope": float(beta[1]), "se": float(se[1]),
            "t": float(beta[1] / se[1]), "n": int(len(j)), "r2": r2}


def choose_slopes(engel: pd.DataFrame) -> pd.DataFrame:
    """engel: commodity-indexed frame with slope, se, t. Returns commodity, slope, basis per SLOPE_RULE."""
    ok = (engel["slope"] < 0) & (engel["t"].abs() >= T_MIN)
    group = engel.index.map(GROUPS)
    rows = []
    for com in engel.index:
        if ok[com]:
            rows.append((com, float(engel.loc[com, "slope"]), "engel"))
            continue
        mates = engel[ok & (group == GROUPS[com])]
        if len(mates):
            w = 1.0 / mates["se"] ** 2
            rows.append((com, float((w * mates["slope"]).sum() / w.sum()), f"engel group {GROUPS[com]}"))
        else:
            rows.append((com, 0.0, "constant"))
    return pd.DataFrame(rows, columns=["commodity", "slope", "basis"])


# ------------------------------------------------------------------------------- out of sample
def integrated_change(e0, slope, x0, xa, xb):
    """ln q(xb) - ln q(xa) for e(x) = e0 + slope (x - x0) in ln income x (unbounded)."""
    return e0 * (xb - xa) + slope / 2.0 * ((xb - x0) ** 2 - (xa - x0) ** 2)


def out_of_sample(food_pc: pd.DataFrame, e_country: pd.Series, slopes: dict[str, float], anchor: int,
                  last: int) -> dict:
    """Predict ln per-capita food use of years anchor+1..last from the anchor year's, scored as the
    anchor-year food-use weighted mean absolute error (log points) over countries with an IMPACT value.

    food_pc: area, year, q, ln_gdp_pc, food (t), x05 (ln GDP per capita in IMPACT_YEAR); e_country:
    IMPACT elasticity per area. Methods: persistence (no change), impact_constant (e0), and for each
    name of `slopes` (a slope per method) e0 + slope ln(y / y2005). Returns n, mae_<method> and
    bias_<method> (prediction - observed, weighted mean)."""
    d = food_pc[(food_pc["q"] >= MIN_PER_CAPITA_KG)]
    base = d[d["year"] == anchor].set_index("area")
    ev = d[(d["year"] > anchor) & (d["year"] <= last) & d["area"].isin(base.index)
           & d["area"].isin(e_country.index)].copy()
    ev = ev[ev["area"].map(base["x05"]).notna()]
    dq = np.log(ev["q"].to_numpy()) - np.log(ev["area"].map(base["q"]).to_numpy())
    xa = ev["area"].map(base["ln_gdp_pc"]).to_numpy()
    xb = ev["ln_gdp_pc"].to_numpy()
    e0 = ev["area"].map(e_country).to_numpy()
    x05 = ev["area"].map(base["x05"]).to_numpy()
    w = ev["area"].map(base["food"]).to_numpy()
    preds = {"persistence": np.zeros(len(ev)), "impact_constant": e0 * (xb - xa)}
    preds.update({name: integrated_change(e0, s, x05, xa, xb) for name, s in slopes.items()})
    out = {"n": int(len(ev))}
    for k, p in preds.items():
        out[f"mae_{k}"] = float((np.abs(p - dq) * w).sum() / w.sum()) if len(ev) else math.nan
        out[f"bias_{k}"] = float(((p - dq) * w).sum() / w.sum()) if len(ev) else math.nan
    return out


# ------------------------------------------------------------------------------- base-year values
def base_year_elasticity(e2005: pd.Series, x2005: pd.Series, x_base: pd.Series, slope: float,
                         bounds: tuple[float, float]) -> pd.Series:
    """Per area: IMPACT's 2005 elasticity moved to base-year income along `slope` (within `bounds`)."""
    j = pd.concat([e2005.rename("e"), x2005.rename("x0"), x_base.rename("x1")], axis=1, join="inner").dropna()
    return pd.Series(food_income_elasticity(j["e"], np.exp(j["x0"]), np.exp(j["x1"]), slope, bounds),
                     index=j.index)


def weighted_region_mean(values: pd.Series, weights: pd.Series, region_of: pd.Series,
                         regions: list[str]) -> pd.DataFrame:
    """region, value, basis: weights-weighted mean of area values per region ('weighted'), the plain
    mean where the region's areas with a value have no weight ('unweighted'), 0 where none has a value
    ('none')."""
    v = pd.DataFrame({"value": values})
    v["w"] = weights.reindex(v.index).fillna(0.0).clip(lower=0.0)
    v["region"] = region_of.reindex(v.index)
    v = v.dropna(subset=["region"])
    rows = []
    for r in regions:
        g = v[v["region"] == r]
        if len(g) and g["w"].sum() > 0:
            rows.append((r, float((g["value"] * g["w"]).sum() / g["w"].sum()), "weighted"))
        elif len(g):
            rows.append((r, float(g["value"].mean()), "unweighted"))
        else:
            rows.append((r, 0.0, "none"))
    return pd.DataFrame(rows, columns=["region", "value", "basis"])
