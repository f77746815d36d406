"""Orchestration of the embodied-resource post-processor: read a SOURCE, compute, write DIR.

SOURCE is a dataset folder (uses its observed base-year ``flow`` in routes.csv and ``production`` in
markets.csv; with ``observed_years`` also observed_flows.csv / observed_markets.csv), a ``petra run``
output folder (`petra.embodied.run_folder`: every scenario and period, as the run computed them) or a run
directory written by ``petra solve`` (flows.csv, markets.csv, solve.json naming the dataset, whose
intensities and units are used). A ``period`` column in a run's flows.csv / markets.csv is honoured;
without it the period is the dataset's ``base_year`` (dataset.toml), else the intensities' single period.

Files written to DIR (all-or-nothing), every value with its unit, an empty cell where a value is missing:

embodied.csv          exporter, importer, commodity, period, indicator, value, unit   (direct, per route;
                      plus deforestation_co2 and feed_* indicators when their inputs are given)
embodied_detail.csv   the same with flow, flow_unit, intensity, intensity_unit, intensity_period, status
routes.csv            one row per route, one column per indicator ("land [ha]", ...)
missing.csv           region, commodity, period, indicator, reason, flow, flow_unit
accounts.csv          production- vs consumption-based accounts (`embodied_math.accounts`)
traced.csv            origin, consumer, commodity, period, quantity, unit (re-export tracing)
reexport.csv          direct vs traced embodied imports per partner (`embodied_math.reexport_comparison`)
water.csv             virtual water indicators (`water_indicators`)
deforestation.csv     per route and land type (only with a deforestation input)
feed.csv              feed embodied per route and feed commodity (only with a feed input)
deficit.csv           ecological-deficit compensation (only with a footprint input)
iamc.csv              IAMC long table (model, scenario, region, variable, unit, year, value)
plots/                bar_<indicator>_<region>_<period>.png, flows_<indicator>_<period>.png
summary.json          what was computed, from what, with which options
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from petra.atomic import atomic_output_dir, guard_output_dir
from petra.dataset import Dataset, load_dataset
from petra.embodied import deficit as deficit_mod
from petra.embodied import embodied_math as em
from petra.embodied import feed as feed_mod
from petra.embodied import iamc as iamc_mod
from petra.embodied import inputs, units
from petra.embodied import water_indicators as water_mod
from petra.embodied.deforestation import allocate_deforestation
from petra.errors import InputError
from petra.tables import Column, read_table, source_line

RUN_FLOW_COLUMNS = [Column("exporter", "str"), Column("importer", "str"), Column("commodity", "str"),
                    Column("flow", lower=0.0), Column("period", required=False, blank=math.nan)]
RUN_MARKET_COLUMNS = [Column("region", "str"), Column("commodity", "str"), Column("production", lower=0.0),
                      Column("period", required=False, blank=math.nan)]
PLOT_INDICATORS = ("land", "pasture", "water_blue", "water_green", "nitrogen", "n2o", "ch4",
                   "deforestation_co2")
LAND_TYPES = {"land": "cropland", "pasture": "pasture"}
FLOW_ZERO_TOL = 1e-9  # flows below this fraction of the commodity's largest flow are zero


@dataclass
class Source:
    """Flows and production to account for, with the dataset that gives intensities and units."""

    kind: str                     # "dataset" or "run"
    path: Path
    dataset: Dataset
    flows: pd.DataFrame           # exporter, importer, commodity, period, flow
    production: pd.DataFrame      # region, commodity, period, production
    flow_units: dict[str, str]
    history: pd.DataFrame = field(default_factory=pd.DataFrame)  # production of other periods (areas)


@dataclass
class Options:
    deforestation: Path | None = None
    areas: Path | None = None
    feed: Path | None = None
    joint: Path | None = None
    joint_key: str = "protein"
    feed_origin: str = "domestic"
    water_cap: Path | None = None
    footprint: Path | None = None
    carry_forward: bool = True
    observed_years: bool = False
    flow_unit: str | None = None
    n2o_indirect: bool = False
    rice_season_days: float | None = None
    plots: bool = True
    thresholds: tuple[float, float] = (1 / 3, 2 / 3)
    dataset_defaults: bool = True  # a dataset SOURCE's own feed.csv / deforestation.csv where none is given


DEFAULT_FILES = {"feed": "feed.csv", "deforestation": "deforestation.csv"}
"""Inputs a dataset folder may ship for the post-processor (`petra.data` builds both for the shipped ones)."""


def with_dataset_defaults(src: Source, opts: Options) -> Options:
    """`opts` with the dataset's own DEFAULT_FILES where the user gave none (dataset sources only: a run
    folder's accounts already used them, `petra.embodied.run_folder`)."""
    if not opts.dataset_defaults or src.kind != "dataset" or src.dataset.path is None:
        return opts
    given = {}
    for name, file in DEFAULT_FILES.items():
        path = Path(src.dataset.path) / file
        if getattr(opts, name) is None and path.is_file():
            given[name] = path
    return dataclasses.replace(opts, **given) if given else opts


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """A copy without read_table's attrs (line-number arrays break pandas' attrs comparison in concat)."""
    df = df.copy()
    df.attrs = {}
    return df


def _other_periods(df: pd.DataFrame, base_period: int) -> pd.DataFrame:
    """Rows of observed years other than `base_period` (the base year comes from routes/markets.csv)."""
    return df[df["period"].astype(np.int64) != int(base_period)]


def _default_period(dataset: Dataset) -> int:
    by = dataset.metadata.get("base_year")
    if by is not None:
        return int(by)
    if dataset.intensities is not None and dataset.intensities["period"].nunique() == 1:
        return int(dataset.intensities["period"].iloc[0])
    raise InputError("cannot tell the period of the flows: give base_year in dataset.toml or a period column",
                     file=str(dataset.path))


def _unit_location(dataset: Dataset, commodity: str) -> dict:
    """Where a commodity's unit was given: commodities.csv and its line, else dataset.toml."""
    cu = dataset.commodities
    folder = Path(dataset.path) if dataset.path is not None else Path(".")
    if cu is not None and "unit" in cu.columns and commodity in set(cu["commodity"]):
        i = int(np.flatnonzero((cu["commodity"] == commodity).to_numpy())[0])
        u = cu["unit"].iloc[i]
        if isinstance(u, str) and u.strip():
            return {"file": str(folder / "commodities.csv"), "row": source_line(cu, i), "column": "unit"}
    return {"file": str(folder / "dataset.toml")}


def flow_units_of(dataset: Dataset, default: str | None = None) -> dict[str, str]:
    """Unit of each commodity's quantities: commodities.csv ``unit``, else dataset.toml ``units.quantity`` (or
    a string ``units``), else `default`. InputError if a commodity's unit is unknown or not a mass."""
    com = sorted(set(dataset.markets["commodity"]))
    given = {}
    if dataset.commodities is not None and "unit" in dataset.commodities.columns:
        cu = dataset.commodities
        given = {c: u for c, u in zip(cu["commodity"], cu["unit"], strict=True)
                 if isinstance(u, str) and u.strip()}
    meta = dataset.metadata.get("units")
    fallback = default
    if fallback is None:
        if isinstance(meta, str):
            fallback = meta
        elif isinstance(meta, dict):
            fallback = meta.get("quantity") or meta.get("quantities")
    if isinstance(fallback, str) and not units.is_mass(fallback) and fallback.split():
        fallback = fallback.split()[0]  # "kt (1000 t, primary equivalent)" -> "kt"
    out = {}
    for c in com:
        u = given.get(c, fallback)
        if u is not None:
            try:
                units.parse(u)
            except InputError as exc:
                raise InputError(f"commodity '{c}': {exc}", **_unit_location(dataset, c)) from None
        if u is None:
            raise InputError(f"unit of commodity '{c}' is unknown: add a unit column to commodities.csv "
                             f"(e.g. kt) or pass --flow-unit", file=str(dataset.path))
        if not units.is_mass(u):
            raise InputError(f"unit '{u}' of commodity '{c}' is not a mass; intensities are per tonne",
                             file=str(dataset.path))
        out[c] = u
    return out


def load_source(source: str | Path, *, observed_years: bool = False, flow_unit: str | None = None) -> Source:
    """Read a dataset folder or a run directory (see module docstring)."""
    source = Path(source)
    if (source / "solve.json").is_file():
        try:
            meta = json.loads((source / "solve.json").read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON ({exc})", file=str(source / "solve.json")) from exc
        if not isinstance(meta, dict) or not meta.get("dataset"):
            raise InputError("no 'dataset' key naming the solved dataset", file=str(source / "solve.json"))
        ds_path = Path(meta["dataset"])
        if not ds_path.is_absolute():
            ds_path = (source / ds_path).resolve()
        dataset = load_dataset(ds_path)
        flows = _plain(read_table(source / "flows.csv", RUN_FLOW_COLUMNS))
        markets = _plain(read_table(source / "markets.csv", RUN_MARKET_COLUMNS))
        has_period = not flows["period"].isna().all()
        if not has_period:
            per = _default_period(dataset)
            flows["period"] = per
            markets["period"] = per
        flows = flows[["exporter", "importer", "commodity", "period", "flow"]]
        production = markets[["region", "commodity", "period", "production"]]
        history = _dataset_production(dataset)
        kind = "run"
    elif source.is_dir():
        dataset = load_dataset(source)
        per = _default_period(dataset)
        flows = _plain(dataset.routes[["exporter", "importer", "commodity", "flow"]]).assign(period=per)
        production = _plain(dataset.markets[["region", "commodity", "production"]]).assign(period=per)
        if observed_years:
            # observed years other than the base year: the observed files may repeat the base year
            # (routes.csv and markets.csv already give it), which must not be counted twice
            if dataset.observed_flows is not None:
                of = _other_periods(_plain(dataset.observed_flows).rename(columns={"year": "period"}), per)
                flows = pd.concat([flows, of[flows.columns]], ignore_index=True)
            if dataset.observed_markets is not None:
                om = _other_periods(_plain(dataset.observed_markets).rename(columns={"year": "period"}), per)
                production = pd.concat([production, om[production.columns]], ignore_index=True)
        history = _dataset_production(dataset)
        kind = "dataset"
    else:
        raise InputError("not a dataset folder nor a run directory", file=str(source))
    flows = em.check_flows(flows[["exporter", "importer", "commodity", "period", "flow"]], str(source))
    flows = zero_round_off(flows)
    production = production.assign(period=production["period"].astype(np.int64))
    production.attrs = {}
    fu = flow_units_of(dataset, flow_unit)
    return Source(kind=kind, path=source, dataset=dataset, flows=flows.reset_index(drop=True),
                  production=production.reset_index(drop=True), flow_units=fu, history=history)


def zero_round_off(flows: pd.DataFrame) -> pd.DataFrame:
    """Flows at most FLOW_ZERO_TOL x the commodity's largest flow that period set to 0: solver
    round-off (e.g. 2e-10 kt on an unused route) is not trade to account for."""
    flows = flows.copy()
    biggest = flows.groupby(["commodity", "period"])["flow"].transform("max")
    flows.loc[flows["flow"] <= FLOW_ZERO_TOL * biggest, "flow"] = 0.0
    return flows


def _dataset_production(dataset: Dataset) -> pd.DataFrame:
    """Production in every period the dataset knows (base year + observed years), for area histories."""
    parts = []
    by = dataset.metadata.get("base_year")
    if by is not None:
        parts.append(_plain(dataset.markets[["region", "commodity", "production"]]).assign(period=int(by)))
    if dataset.observed_markets is not None:
        parts.append(_plain(dataset.observed_markets).rename(columns={"year": "period"})[
            ["region", "commodity", "production", "period"]])
    if not parts:
        return pd.DataFrame(columns=["region", "commodity", "production", "period"])
    df = pd.concat(parts, ignore_index=True)
    df["period"] = df["period"].astype(np.int64)
    return df.drop_duplicates(["region", "commodity", "period"], keep="first")


def areas_from_intensities(production: pd.DataFrame, intensities: pd.DataFrame, flow_units: dict[str, str],
                           carry_forward: bool = True) -> pd.DataFrame:
    """region, commodity, period, land_type, area (ha) = production x land (cropland) / pasture intensity."""
    p = production.rename(columns={"region": "exporter"}).assign(importer=lambda d: d["exporter"],
                                                                 flow=lambda d: d["production"])
    ints = intensities[intensities["indicator"].isin(list(LAND_TYPES))]
    if ints.empty:
        return pd.DataFrame(columns=["region", "commodity", "period", "land_type", "area"])
    e, _ = em.embodied_flows(p, ints, flow_units, carry_forward=carry_forward)
    return pd.DataFrame({"region": e["exporter"], "commodity": e["commodity"], "period": e["period"],
                         "land_type": e["indicator"].map(LAND_TYPES), "area": e["value"]})


def _wide_routes(embodied: pd.DataFrame, flows: pd.DataFrame, flow_units: dict[str, str]) -> pd.DataFrame:
    f = flows[flows["flow"] > 0].copy()
    f["flow_unit"] = f["commodity"].map(flow_units)
    if embodied.empty:
        return f
    e = embodied.assign(col=embodied["indicator"] + " [" + embodied["unit"].astype(str) + "]")
    w = e.pivot_table(index=em.ROUTE_KEY, columns="col", values="value", aggfunc="first", dropna=False)
    w.columns.name = None
    return f.merge(w.reset_index(), on=em.ROUTE_KEY, how="left").sort_values(em.ROUTE_KEY)


def _csv(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False, float_format="%.10g", na_rep="")


def check_intensity_units(dataset: Dataset, flow_units: dict[str, str]) -> None:
    """InputError naming intensities.csv, the line and column 'unit' of the first intensity whose unit
    is not understood or cannot multiply its commodity's quantity unit (e.g. kg/head on kt)."""
    ints = dataset.intensities
    if ints is None or not len(ints):
        return
    file = ints.attrs.get("file") or str(Path(dataset.path or ".") / "intensities.csv")
    seen = set()
    for i, (c, u) in enumerate(zip(ints["commodity"], ints["unit"], strict=True)):
        if (c, u) in seen:
            continue
        seen.add((c, u))
        try:
            units.parse(u)
            if c in flow_units:
                units.product_factor(flow_units[c], u)
        except InputError as exc:
            raise InputError(str(exc), file=file, row=source_line(ints, i), column="unit") from None


def compute(src: Source, opts: Options) -> dict[str, pd.DataFrame]:
    """Every output table, in memory."""
    ds = src.dataset
    opts = with_dataset_defaults(src, opts)
    if ds.intensities is None:
        raise InputError("the dataset has no intensities.csv (resource use per tonne of product); "
                         "the embodied post-processor needs it", file=str(ds.path))
    check_intensity_units(ds, src.flow_units)
    ints = em.derive_ghg(ds.intensities, n2o_indirect=opts.n2o_indirect,
                         rice_season_days=opts.rice_season_days)
    fu, cf = src.flow_units, opts.carry_forward
    direct, missing = em.embodied_flows(src.flows, ints, fu, carry_forward=cf)
    out: dict[str, pd.DataFrame] = {}
    parts = [direct]
    if opts.deforestation is not None:
        emis = inputs.read_deforestation(opts.deforestation)
        if opts.areas is not None:
            area = inputs.read_areas(opts.areas)
        else:
            prod_all = pd.concat([src.history, src.production], ignore_index=True).drop_duplicates(
                ["region", "commodity", "period"], keep="last")
            area = areas_from_intensities(prod_all, ints, fu, cf)
        va = direct[direct["indicator"].isin(list(LAND_TYPES))]
        va = va.assign(land_type=va["indicator"].map(LAND_TYPES))[
            ["exporter", "importer", "commodity", "period", "land_type", "value"]]
        defor = allocate_deforestation(area, emis, va)
        out["deforestation"] = defor.assign(unit="t")
        d = em.strict_sum(defor, em.ROUTE_KEY)
        parts.append(d.assign(indicator="deforestation_co2", unit="t"))
    if opts.feed is not None:
        req = feed_mod.feed_requirements(inputs.read_feed(opts.feed),
                                         inputs.read_joint(opts.joint) if opts.joint else None,
                                         opts.joint_key)
        per_feed, per_route, fmiss = feed_mod.embodied_feed(
            src.flows, req, ints, fu, production=src.production, all_flows=src.flows, origin=opts.feed_origin,
            carry_forward=cf)
        out["feed"] = per_feed
        parts.append(per_route)
        fmiss = fmiss.assign(indicator="feed_" + fmiss["indicator"])
        missing = pd.concat([missing, fmiss], ignore_index=True)
    embodied = pd.concat([p[em.EMBODIED_COLUMNS] for p in parts], ignore_index=True)
    embodied = embodied.sort_values([*em.ROUTE_KEY, "indicator"], kind="stable").reset_index(drop=True)
    out["embodied"] = embodied
    out["embodied_detail"] = direct
    out["missing"] = missing
    out["routes"] = _wide_routes(embodied, src.flows, fu)
    traced = em.trace_origins(src.production, src.flows)
    out["traced"] = traced.assign(unit=traced["commodity"].map(fu))
    out["traced_adjusted"] = traced.attrs["adjusted"]
    acc = em.accounts(src.production, src.flows, ints, fu, traced=traced, carry_forward=cf)
    if len(parts) > 1:  # deforestation and feed: exports / imports only (no production account for them)
        e = pd.concat(parts[1:], ignore_index=True)
        k = ["region", "commodity", "period", "indicator", "unit"]
        ex = em.strict_sum(e.rename(columns={"exporter": "region"}), k).rename(columns={"value": "exports"})
        im = em.strict_sum(e.rename(columns={"importer": "region"}), k).rename(columns={"value": "imports"})
        pres = ex.merge(im, on=k, how="outer", indicator=True)
        pres.loc[pres["_merge"] == "right_only", "exports"] = 0.0
        pres.loc[pres["_merge"] == "left_only", "imports"] = 0.0
        pres = pres.drop(columns="_merge")
        pres["net_exports"] = pres["exports"] - pres["imports"]
        acc = pd.concat([acc, pres], ignore_index=True)
    out["accounts"] = acc
    traced_e, _ = em.traced_embodied(traced, ints, fu, carry_forward=cf)
    out["reexport"] = em.reexport_comparison(direct, traced_e)
    cap = inputs.read_water_cap(opts.water_cap) if opts.water_cap else None
    if (ints["indicator"].str.startswith("water")).any():
        out["water"] = water_mod.water_indicators(src.flows, src.production, ints, fu, cap=cap,
                                                  thresholds=opts.thresholds, carry_forward=cf)
    if opts.footprint is not None:
        fp = inputs.read_footprint(opts.footprint)
        out["deficit"] = deficit_mod.deficit_compensation(deficit_mod.net_virtual_land_imports(acc), fp)
    scenario = "observed" if src.kind == "dataset" else src.path.name
    out["iamc"] = iamc_mod.iamc_table(acc, scenario=scenario)
    return out


def write_plots(tables: dict[str, pd.DataFrame], folder: Path) -> list[str]:
    from petra.embodied import plots

    folder.mkdir(parents=True, exist_ok=True)
    e = tables["embodied"]
    written = []
    for ind in PLOT_INDICATORS:
        d = e[e["indicator"] == ind]
        if d.empty or d["value"].fillna(0).sum() <= 0:
            continue
        for per in sorted(d["period"].unique()):
            dp = d[d["period"] == per]
            top_region = dp.groupby("importer")["value"].sum().idxmax()
            for p in (plots.bar_by_partner(dp, ind, top_region, int(per),
                                           folder / f"bar_{ind}_{safe_name(top_region)}_{per}.png"),
                      plots.flow_diagram(dp, ind, int(per), folder / f"flows_{ind}_{per}.png")):
                if p is not None:
                    written.append(p.name)
    return written


def safe_name(name: str) -> str:
    """`name` with every character but letters, digits, - and _ replaced by _ (for file names)."""
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in str(name))


def run_embodied(source: str | Path, out: str | Path, opts: Options | None = None) -> dict:
    """Compute everything for `source` and write `out` (all-or-nothing). Returns the summary dict."""
    opts = opts or Options()
    from petra.embodied.run_folder import is_run_folder, write_run_folder

    if is_run_folder(source):
        return write_run_folder(source, out)
    inputs = [source, opts.deforestation, opts.areas, opts.feed, opts.joint, opts.water_cap, opts.footprint]
    guard_output_dir(out, "embodied", inputs)
    src = load_source(source, observed_years=opts.observed_years, flow_unit=opts.flow_unit)
    inputs.append(src.dataset.path)  # a `petra solve` folder's dataset (named in its solve.json)
    guard_output_dir(out, "embodied", inputs)
    tables = compute(src, opts)
    with atomic_output_dir(out, "embodied", inputs) as tmp:
        _csv(tables["embodied"], tmp / "embodied.csv")
        names = ["embodied_detail", "routes", "missing", "accounts", "reexport", "water", "deforestation",
                 "feed", "deficit", "iamc"]
        for name in names:
            if name in tables:
                _csv(tables[name], tmp / f"{name}.csv")
        _csv(tables["traced"], tmp / "traced.csv")
        plots_written = write_plots(tables, tmp / "plots") if opts.plots else []
        summary = {
            "source": str(Path(source).resolve()), "kind": src.kind,
            "dataset": str(src.dataset.path.resolve()) if src.dataset.path else None,
            "periods": sorted(int(p) for p in src.flows["period"].unique()),
            "flow_units": src.flow_units,
            "indicators": sorted(tables["embodied"]["indicator"].unique().tolist()),
            "embodied_units": dict(tables["embodied"][["indicator", "unit"]].drop_duplicates().itertuples(
                index=False, name=None)),
            "missing_intensities": int(len(tables["missing"])),
            "traced_supply_adjustments": tables["traced_adjusted"].to_dict(orient="records"),
            "gwp": {"set": iamc_mod.GWP_NAME, **iamc_mod.GWP_AR6_100,
                    "source": "IPCC AR6 WG1 Table 7.15 (CH4 non-fossil)"},
            "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(opts).items()},
            "plots": plots_written,
        }
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    return summary
