"""Transport cost fitted to observed USDA ocean freight (USD(2010)/t).

Model: cost = fixed + rate x distance_km, where distance_km is the sea distance between the two regions'
main ports (mappings/region_ports.csv, ports.csv; a region no scheme lists: the port nearest its
centroid; `searoute` shortest sea route, Panama and Suez open) or, for regions whose production-weighted
centroids are less than OVERLAND_MAX_KM apart and if shorter, the overland alternative OVERLAND_DETOUR x
the great-circle distance between the centroids (neighbours such as USA-Canada or the EU regions trade by
land, not round the continent). `fixed` (USD/t: loading, discharge, port charges) and `rate` (USD/t-km)
are the least-squares line through the base year's annual mean ocean rates of every USDA port pair,
deflated to USD(2010) by the build's US GDP deflator. Ocean leg only: no inland leg (the USDA inland
costs to the port differ fourfold by mode, barge vs truck, and aggregate regions' centroids are no origin
of it).

Sources (/work/shared/data-sources/usda-grain-ocean-freight): monthly heavy-grain vessel rates US Gulf and
PNW -> Japan, quarterly soybean ocean freight US Gulf, Santos, Paranagua -> Shanghai and Hamburg.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from petra.data.transport import great_circle_km
from petra.errors import InputError

MAPPINGS = Path(__file__).resolve().parent / "mappings"
USDA_DIR = "usda-grain-ocean-freight"
JAPAN_FILE = "usda_grain_vessel_rates_japan_2008-2021.csv"
SOY_FILE = "usda_soybean_landed_costs_us_vs_brazil_2010-2020.csv"
JAPAN_ROUTES = {"Gulf_To_Japan": "US Gulf", "PNW_To_Japan": "US PNW"}
JAPAN_PORT = "Yokohama"
SOY_ORIGINS = {"Davenport": "US Gulf", "Minneapolis": "US Gulf", "North MT-Santos": "Santos",
               "South GO - Paranagua": "Paranagua"}
SOY_DESTINATIONS = {"Shanghai, China": "Shanghai", "Hamburg": "Hamburg"}
SPREAD_TOLERANCE = 0.01
"""USD/t: a Gulf->Japan rate differing from PNW + spread by more than this is a source error (SOURCE.md:
decimal point shifted, Feb-Aug 2008) and is replaced by PNW + spread."""
OVERLAND_DETOUR = 1.3
"""Road/rail distance per great-circle km for the overland alternative (circuity factors of road
networks are about 1.2-1.4; Ballou, Rahardja & Sakai 2002, Transp. Res. A 36(9))."""
OVERLAND_MAX_KM = 3000.0
"""Great-circle km between centroids beyond which a route is by sea only: bulk grain rarely moves more
than a few thousand km by land (US Midwest -> PNW by rail is about 2,500 km), and a longer straight line
between aggregate regions' centroids crosses an ocean more often than not (USA-China, EU-Canada)."""


# ------------------------------------------------------------------------------------------ reading
def read_usda_rates(src: Path) -> pd.DataFrame:
    """Annual mean observed ocean freight per port pair, current USD/t.

    Columns: origin, destination, year, usd_per_t, n (months or quarters averaged), series, corrected
    (months whose Gulf rate was replaced by PNW + spread). US soybean rows of both inland origins
    (Davenport, Minneapolis: both via the US Gulf) are averaged together."""
    d = Path(src) / USDA_DIR
    jp = pd.read_csv(d / JAPAN_FILE)
    bad = (jp["Gulf_To_Japan"] - jp["PNW_To_Japan"] - jp["Gulf_PNW_Spread"]).abs() > SPREAD_TOLERANCE
    jp["Gulf_To_Japan"] = jp["Gulf_To_Japan"].where(~bad, jp["PNW_To_Japan"] + jp["Gulf_PNW_Spread"])
    jp["corrected"] = bad.astype(int)
    long = jp.melt(id_vars=["Year", "corrected"], value_vars=list(JAPAN_ROUTES),
                   var_name="col", value_name="usd_per_t")
    long.loc[long["col"] != "Gulf_To_Japan", "corrected"] = 0
    long = long.assign(origin=long["col"].map(JAPAN_ROUTES), destination=JAPAN_PORT,
                       series="grain vessel rate (monthly)")
    soy = pd.read_csv(d / SOY_FILE)
    soy = soy.assign(origin=soy["Origin"].map(SOY_ORIGINS),
                     destination=soy["Destination"].map(SOY_DESTINATIONS), usd_per_t=soy["Ocean"],
                     corrected=0, series="soybean ocean freight (quarterly)")
    for col, key, known in (("Origin", "origin", SOY_ORIGINS),
                            ("Destination", "destination", SOY_DESTINATIONS)):
        bad_rows = np.flatnonzero(soy[key].isna().to_numpy())
        if len(bad_rows):
            i = bad_rows[0]
            raise InputError(f"{SOY_FILE}: line {i + 2}, column {col}: unknown {soy[col].iloc[i]!r} "
                             f"(expected one of {sorted(known)})")
    soy = soy.groupby(["origin", "destination", "Year", "Date", "series"], as_index=False)["usd_per_t"].mean()
    soy["corrected"] = 0
    both = pd.concat([long, soy], ignore_index=True).rename(columns={"Year": "year"})
    both = both.dropna(subset=["usd_per_t"])
    out = both.groupby(["series", "origin", "destination", "year"], as_index=False).agg(
        usd_per_t=("usd_per_t", "mean"), n=("usd_per_t", "size"), corrected=("corrected", "sum"))
    out["year"] = out["year"].astype(int)
    return out


def load_ports(path: Path = MAPPINGS / "ports.csv") -> pd.DataFrame:
    """mappings/ports.csv indexed by port: lat, lon (degrees), country, note. A missing, non-numeric or
    out-of-range coordinate, or a repeated port, is an InputError naming the line and column."""
    ports = pd.read_csv(path, dtype=str, keep_default_na=False)
    for col, lim in (("lat", 90.0), ("lon", 180.0)):
        val = pd.to_numeric(ports[col], errors="coerce")
        bad = np.flatnonzero(~(val.abs() <= lim).to_numpy())
        if len(bad):
            i = bad[0]
            raise InputError(f"{path.name}: line {i + 2}, column {col}: {ports[col].iloc[i]!r} is not a "
                             f"number in [-{lim:g}, {lim:g}]")
        ports[col] = val
    dup = np.flatnonzero(ports["port"].duplicated().to_numpy())
    if len(dup):
        i = dup[0]
        raise InputError(f"{path.name}: line {i + 2}, column port: {ports['port'].iloc[i]!r} repeated")
    return ports.set_index("port")


def region_ports(scheme: str, centroids: pd.DataFrame) -> pd.DataFrame:
    """region -> main port for every region of `centroids` (region, lat, lon): the port that
    mappings/region_ports.csv lists for (scheme, region), else (a region map of one's own) the port of
    ports.csv nearest the region's production-weighted centroid. Columns region, port, basis."""
    rp = pd.read_csv(MAPPINGS / "region_ports.csv")
    rp = rp[rp["scheme"] == scheme].set_index("region")["port"]
    ports = load_ports()
    unknown = sorted(set(rp) - set(ports.index))
    if unknown:
        raise InputError(f"mappings/region_ports.csv: port {unknown[0]!r} of scheme {scheme} not in "
                         "mappings/ports.csv")
    rows = []
    for r in centroids.itertuples():
        if r.region in rp.index:
            rows.append((r.region, rp[r.region], "listed"))
            continue
        d = great_circle_km(r.lat, r.lon, ports["lat"].to_numpy(), ports["lon"].to_numpy())
        rows.append((r.region, ports.index[int(np.argmin(d))], "nearest to the centroid"))
    return pd.DataFrame(rows, columns=["region", "port", "basis"])


# --------------------------------------------------------------------------------------- distances
def sea_km(ports: pd.DataFrame, pairs: list[tuple[str, str]]) -> pd.Series:
    """Shortest sea route (km, searoute's maritime network, both canals open) for each (port, port)
    pair; 0 for a port with itself. Indexed by (origin, destination)."""
    import searoute  # optional dependency of the build only (the `data` extra)

    out = {}
    for a, b in pairs:
        if a == b:
            out[(a, b)] = 0.0
            continue
        if (b, a) in out:
            out[(a, b)] = out[(b, a)]
            continue
        pa, pb = ports.loc[a], ports.loc[b]
        r = searoute.searoute([pa["lon"], pa["lat"]], [pb["lon"], pb["lat"]], units="km")
        out[(a, b)] = float(r["properties"]["length"])
    return pd.Series(out, name="sea_km").rename_axis(["origin", "destination"])


def snap_km(ports: pd.DataFrame) -> pd.Series:
    """Great-circle km from each port to the node of searoute's network its routes start from."""
    import searoute

    ref = ports.index[0]
    out = {}
    for p in ports.index:
        other = ref if p != ref else ports.index[1]
        r = searoute.searoute([ports.at[p, "lon"], ports.at[p, "lat"]],
                              [ports.at[other, "lon"], ports.at[other, "lat"]], units="km")
        lon, lat = r["geometry"]["coordinates"][0]
        out[p] = float(great_circle_km(ports.at[p, "lat"], ports.at[p, "lon"], lat, lon))
    return pd.Series(out, name="snap_km")


# ------------------------------------------------------------------------------------------- maths
def fit_line(distance_km, usd_per_t) -> tuple[float, float]:
    """Least-squares (fixed USD/t, rate USD/t-km) of cost = fixed + rate x distance; needs two or more
    distinct distances."""
    d = np.asarray(distance_km, dtype=float)
    c = np.asarray(usd_per_t, dtype=float)
    if len(np.unique(d)) < 2:
        raise ValueError("fit_line: need observations at two or more distinct distances")
    (fixed, rate), *_ = np.linalg.lstsq(np.column_stack([np.ones_like(d), d]), c, rcond=None)
    return float(fixed), float(rate)


def freight_cost(distance_km, fixed: float, rate: float):
    """USD/t = fixed + rate x distance_km (arrays or scalars)."""
    return fixed + rate * np.asarray(distance_km, dtype=float)


def route_distance(sea, overland_gc, detour: float = OVERLAND_DETOUR, max_km: float = OVERLAND_MAX_KM):
    """km charged on a route: the sea distance between the ports, or detour x great-circle km between
    the centroids (overland) where that is shorter and the centroids are less than max_km apart."""
    sea, gc = np.asarray(sea, dtype=float), np.asarray(overland_gc, dtype=float)
    return np.where(gc < max_km, np.minimum(sea, detour * gc), sea)


def fit_stats(table: pd.DataFrame) -> pd.DataFrame:
    """Error statistics of observed vs modelled (USD/t) per group of `table['group']`: n, mean observed,
    bias (mean modelled - observed), MAE, RMSE, MAPE (%)."""
    e = table["modelled"] - table["observed"]
    t = table.assign(err=e, abs=e.abs(), sq=e ** 2, ape=e.abs() / table["observed"] * 100)
    g = t.groupby("group", sort=False)
    return pd.DataFrame({"n": g.size(), "observed": g["observed"].mean(), "bias": g["err"].mean(),
                         "mae": g["abs"].mean(), "rmse": np.sqrt(g["sq"].mean()),
                         "mape_pct": g["ape"].mean()}).reset_index()


# ----------------------------------------------------------------------------------------- calibration
class FreightModel:
    """The fitted cost line with the observations it was fitted to and judged against."""

    def __init__(self, obs: pd.DataFrame, ports: pd.DataFrame, deflator: pd.Series, base_year: int):
        self.ports = ports
        self.base_year = base_year
        pairs = sorted(set(zip(obs["origin"], obs["destination"], strict=True)))
        dist = sea_km(ports, pairs)
        obs = obs.merge(dist.reset_index(), on=["origin", "destination"])
        to_base = deflator[base_year] / deflator.reindex(obs["year"]).to_numpy()
        if np.isnan(to_base).any():
            missing = sorted(set(obs.loc[np.isnan(to_base), "year"]))
            raise InputError(f"US GDP deflator lacks freight years {missing}")
        obs["usd_base"] = obs["usd_per_t"] * to_base
        base = obs[obs["year"] == base_year]
        self.fixed, self.rate = fit_line(base["sea_km"], base["usd_base"])
        obs["modelled"] = freight_cost(obs["sea_km"], self.fixed, self.rate)
        self.obs = obs.sort_values(["series", "origin", "destination", "year"]).reset_index(drop=True)

    def table(self) -> pd.DataFrame:
        """Observed (USD(base)/t) vs modelled per USDA route and year, with the error."""
        t = self.obs.rename(columns={"usd_base": "observed"})
        t["error"] = t["modelled"] - t["observed"]
        return t[["series", "origin", "destination", "year", "n", "corrected", "sea_km", "usd_per_t",
                  "observed", "modelled", "error"]]

    def stats(self) -> pd.DataFrame:
        """fit_stats for the base year (the fit), each other year, the other years pooled, all years."""
        t = self.table()
        by_year = t.assign(group=[f"{y} (fitted)" if y == self.base_year else str(y) for y in t["year"]])
        other = t[t["year"] != self.base_year].assign(group="other years (out of sample)")
        return fit_stats(pd.concat([by_year, other, t.assign(group="all years")]))

    def route_costs(self, centroids: pd.DataFrame, region_port: pd.DataFrame) -> pd.DataFrame:
        """All ordered region pairs: exporter, importer, port_from, port_to, sea_km, overland_km
        (great circle between centroids), distance_km (charged), mode, transport_cost (USD(base)/t)."""
        c = centroids.set_index("region")
        ports_of = region_port.set_index("region")["port"]
        regions = list(ports_of.index)
        pairs = [(a, b) for a in regions for b in regions if a != b]
        ex, im = [p[0] for p in pairs], [p[1] for p in pairs]
        pf, pt = ports_of.loc[ex].to_numpy(), ports_of.loc[im].to_numpy()
        pp = list(zip(pf, pt, strict=True))
        sea = sea_km(self.ports, pp).reindex(pp).to_numpy()
        gc = great_circle_km(c.loc[ex, "lat"].to_numpy(), c.loc[ex, "lon"].to_numpy(),
                             c.loc[im, "lat"].to_numpy(), c.loc[im, "lon"].to_numpy())
        dist = route_distance(sea, gc)
        return pd.DataFrame({"exporter": ex, "importer": im, "port_from": pf, "port_to": pt, "sea_km": sea,
                             "overland_km": gc, "distance_km": dist,
                             "mode": np.where(dist < sea, "overland", "sea"),
                             "transport_cost": freight_cost(dist, self.fixed, self.rate)})

    def metadata(self) -> dict:
        """dataset.toml [transport] table."""
        return {"model": "fixed + rate x distance (sea between main ports, or overland if shorter)",
                "fixed_usd_per_t": self.fixed, "rate_usd_per_t_km": self.rate,
                "overland_detour": OVERLAND_DETOUR,
                "overland_max_km": OVERLAND_MAX_KM, "fitted_to": f"USDA AMS ocean freight {self.base_year}, "
                f"{int((self.obs['year'] == self.base_year).sum())} port pairs"}


def report_lines(fm: FreightModel, costs: pd.DataFrame, region_port: pd.DataFrame) -> list[str]:
    """BUILD_REPORT.md section: the fitted model, its fit to every USDA route and year, the main ports
    (with searoute's snap distance) and the routes charged overland."""
    used = list(costs["port_from"]) + list(fm.obs["origin"]) + list(fm.obs["destination"])
    used = list(dict.fromkeys(used))
    snap = snap_km(fm.ports.loc[used])
    over = costs[costs["mode"] == "overland"]
    by = fm.base_year
    lines = ["", f"## Transport cost (fitted to USDA ocean freight, USD({by})/t)", "",
             f"cost = {fm.fixed:.2f} USD/t + {fm.rate * 1000:.4f} USD/t per 1000 km x distance; "
             f"distance = sea route between the regions' main ports (searoute), or {OVERLAND_DETOUR:g} x the "
             "great-circle distance between the production-weighted centroids where that is shorter and "
             f"they are less than {OVERLAND_MAX_KM:,.0f} km apart (overland). Fitted by "
             f"least squares to the {by} annual mean ocean rate of every USDA port pair (US GDP deflator); "
             "other years are out of sample: freight rates move with the dry-bulk cycle, the model is one "
             f"level in USD({by}). Ocean leg only (no inland leg to the port). "
             f"{len(over)} of {len(costs)} ordered region pairs are charged overland.", "",
             "### Fit statistics (USD/t; error = modelled - observed)", "",
             "| years | n | mean observed | bias | MAE | RMSE | MAPE % |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {r.group} | {r.n} | {r.observed:.2f} | {r.bias:+.2f} | {r.mae:.2f} | {r.rmse:.2f} | "
              f"{r.mape_pct:.1f} |" for r in fm.stats().itertuples()]
    lines += ["", f"### Observed vs modelled, every USDA route and year (USD({by})/t)", "",
              f"Observed: annual mean of months (grain vessel rates) or quarters (soybeans), deflated to "
              f"USD({by}); 'corr.': Gulf->Japan months replaced by PNW + spread (source decimal error).",
              "", "| series | from | to | year | n | corr. | sea km | observed (current USD) | observed "
              "| modelled | error |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r.series} | {r.origin} | {r.destination} | {r.year} | {r.n} | {r.corrected} | "
              f"{r.sea_km:,.0f} | {r.usd_per_t:.2f} | {r.observed:.2f} | {r.modelled:.2f} | {r.error:+.2f} |"
              for r in fm.table().itertuples()]
    lines += ["", "### Main ports (mappings/region_ports.csv, ports.csv)", "",
              "| region | port | basis | lat | lon | km to searoute's network |", "|---|---|---|---|---|---|"]
    lines += [f"| {r.region} | {r.port} | {r.basis} | {fm.ports.at[r.port, 'lat']:.2f} | "
              f"{fm.ports.at[r.port, 'lon']:.2f} | {snap[r.port]:.0f} |" for r in region_port.itertuples()]
    lines += ["", "### Region pairs charged overland (both directions; distance km, cost USD/t)", ""]
    pairs = over[over["exporter"] < over["importer"]]
    lines += [f"- {r.exporter}-{r.importer}: {r.distance_km:,.0f} km overland vs {r.sea_km:,.0f} km by sea "
              f"({r.port_from}-{r.port_to}), {r.transport_cost:.2f}"
              for r in pairs.itertuples()] or ["- none"]
    return lines
