"""The dataset contract: a folder of CSV files, loaded and validated once.

Files (names and columns are a public contract):

markets.csv  region, commodity, production, consumption, price, supply_elasticity, demand_elasticity
    Quantities in the commodity's unit (e.g. 1000 t), price in currency per unit (e.g. USD/t), > 0.
    supply_elasticity >= 0, demand_elasticity <= 0 (point elasticities at the observed point).
    trade_price (optional, written by calibration): the market's trade-point price, at which arbitrage
    happens (petra.model.nodes); empty or absent = price. The curves stay anchored at price.
routes.csv   exporter, importer, commodity, flow, transport_cost, tariff, expansion_elasticity,
             new_flow_slope [, cost_adjustment]
    One row per allowed route. flow: previous-period (base-year) quantity >= 0. transport_cost and
    tariff: currency per unit, >= 0 (tariff is specific; convert ad-valorem rates at base prices).
    expansion_elasticity: > 0, empty = infinitely elastic (constant marginal cost).
    new_flow_slope: currency per unit per unit of flow, >= 0, empty = 0.
    cost_adjustment (optional, written by calibration): an additive per-unit cost, any sign, not
    scaled by the expansion factor; empty or absent = 0.
    trade_elasticity (optional, written by calibration): epsilon > 0 puts a route with flow > 0 on the
    logit cost MC = cost_adjustment + tau - preference + (P_importer/epsilon)*ln(X/flow), P_importer
    the importer's trade-point price (petra.model.route_costs.Logit); empty or absent = the
    isoelastic form. preference (optional, currency per unit, any sign, empty = 0): the logit
    route's base-year price gap below its trade cost (what importers pay for the origin).
regions.csv (optional)      region, name
commodities.csv (optional)  commodity, name, unit
dataset.toml (optional)     title, base_year, units, sources, ...
observed_markets.csv (optional)  year, region, commodity, production, consumption, price [, price_basis]
    Observed years (any of them can be the base year; later ones serve validation, fitting and
    hindcasts), same units as markets.csv; price may be empty where not observed. price_basis: empty
    where the price is observed, else how it was filled (e.g. "FILLED: world average producer unit
    value"); filled prices are used to re-base but not scored.
observed_flows.csv (optional)    year, exporter, importer, commodity, flow
    Observed bilateral net flows of the same years. A route absent for a year means zero flow that year.
intensities.csv (optional)  region, commodity, period, indicator, value, unit [, source]
    Resource use per tonne of product of the producing region (e.g. land ha/t, water_blue m3/t,
    nitrogen kg/t, n2o kg/t, ch4 kg/t). An empty value marks a known-missing intensity (never 0).
ssp_drivers.csv (optional)  release, ssp, region, year, population, gdp_ppp, gdp_per_capita, gdp_unit
    Socio-economic drivers per region (petra.data.ssp): population (million, > 0), GDP PPP (billion
    per year in gdp_unit, e.g. "billion USD_2017/yr", >= 0), GDP per capita (thousand of the same
    currency per person and year, > 0). Every (release, ssp) has every region of markets.csv, each
    in at least two years. Scenario files select one with `ssp:`.
income_elasticities.csv (optional)  region, commodity, income_elasticity
    Income elasticity of demand per market (dimensionless): `petra run`'s default where no scenario
    `income_elasticity` rule matches (without the file: 0).
tariff_schedules.csv (optional)  schedule, exporter, importer, commodity, ad_valorem [, source]
    Named sets of additional ad valorem tariffs (fraction of the exporter's base-year price) that a
    scenario switches on by name (`drivers.tariff_schedules`).

Projection inputs (optional; petra.data.projection_inputs, data/PROVENANCE.md):

uses.csv  region, commodity, year, food, feed, other [, domestic_use, basis]
    Shares of domestic use (FAOSTAT food balances, primary equivalent) per market and observed year,
    each in [0, 1], summing to 1; domestic_use kt.
income_response.csv  commodity, slope, low, high [, basis, ...]
    Per commodity: d(food income elasticity) / d ln(GDP per capita) and the elasticity's bounds
    (low <= high); petra.income_response.food_income_elasticity.
food_income_elasticities.csv  region, commodity, food_income_elasticity [, basis, ...]
    Base-year income elasticity of food demand per market (dimensionless).
productivity_history.csv  region, commodity, year, production, input, value, unit [, segment]
    Crop yield (t/ha) or livestock output per animal (t/head) history: production t, input ha or head,
    value = production / input; segment: id of a run of years without a level break (integer >= 0).
feed_history.csv  region, feed, year, fbs_feed, implied_feed [, segment]
    FBS feed use and feed.csv requirements x livestock output (kt) per region, feed crop and year.
feed.csv (optional)  region, product, feed, value, unit
    Feed requirements: t of feed crop per t of livestock product (unit t/t) per region (the demand
    model's feed coupling, petra.demand; the embodied accounts' feed attribution).
feed_calibration.csv  region, feed, fbs_feed, implied_feed, factor, trend [, trend_basis, ...]
    Base year: FBS feed (kt), requirements x the dataset's livestock production (kt; empty where none),
    factor = fbs_feed / implied_feed (empty where none), feed-efficiency trend (%/yr, empty where none).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import tomli_w

from petra import bounds as b
from petra.errors import InputError, shown
from petra.tables import FULL_PRECISION, Column, read_table, source_line, table_path, validate_frame
from petra.textfiles import load_toml

Q = {"upper": b.QUANTITY_MAX}  # a quantity: <= QUANTITY_MAX
MQ = {"upper": b.QUANTITY_MAX, "min_positive": b.MARKET_QUANTITY_MIN}  # a market quantity
YEAR = {"lower": b.YEAR_MIN, "upper": b.YEAR_MAX, "integer": True}

MARKET_COLUMNS = [
    Column("region", "str"),
    Column("commodity", "str"),
    Column("production", lower=0.0, **MQ),
    Column("consumption", lower=0.0, **MQ),
    Column("price", lower=0.0, lower_open=True, min_positive=b.PRICE_MIN, upper=b.PRICE_MAX),
    Column("supply_elasticity", lower=0.0, upper=b.ELASTICITY_MAX),
    Column("demand_elasticity", lower=-b.ELASTICITY_MAX, upper=0.0),
    Column("trade_price", required=False, blank=math.nan, lower=0.0, lower_open=True,
           min_positive=b.PRICE_MIN, upper=b.PRICE_MAX),
]

ROUTE_COLUMNS = [
    Column("exporter", "str"),
    Column("importer", "str"),
    Column("commodity", "str"),
    Column("flow", lower=0.0, **Q),
    Column("transport_cost", lower=0.0, upper=b.PRICE_MAX),
    Column("tariff", lower=0.0, upper=b.PRICE_MAX),
    Column("expansion_elasticity", blank=math.inf, lower=0.0, lower_open=True, upper=b.ELASTICITY_MAX),
    Column("new_flow_slope", blank=0.0, lower=0.0, upper=b.PRICE_MAX),
    Column("cost_adjustment", required=False, blank=0.0, lower=-b.PRICE_MAX, upper=b.PRICE_MAX),
    Column("trade_elasticity", required=False, blank=math.nan, lower=0.0, lower_open=True,
           upper=b.ELASTICITY_MAX),
    Column("preference", required=False, blank=0.0, lower=-b.PRICE_MAX, upper=b.PRICE_MAX),
]

OBSERVED_MARKET_COLUMNS = [
    Column("year", **YEAR),
    Column("region", "str"),
    Column("commodity", "str"),
    Column("production", lower=0.0, **MQ),
    Column("consumption", lower=0.0, **MQ),
    Column("price", required=False, blank=math.nan, lower=0.0, lower_open=True,
           min_positive=b.PRICE_MIN, upper=b.PRICE_MAX),
    Column("price_basis", "str", required=False, blank=""),
]

OBSERVED_FLOW_COLUMNS = [
    Column("year", **YEAR),
    Column("exporter", "str"),
    Column("importer", "str"),
    Column("commodity", "str"),
    Column("flow", lower=0.0, **Q),
]

INTENSITY_COLUMNS = [
    Column("region", "str"),
    Column("commodity", "str"),
    Column("period", **YEAR),
    Column("indicator", "str"),
    Column("value", blank=math.nan, lower=0.0, upper=b.INTENSITY_MAX),
    Column("unit", "str"),
    Column("source", "str", required=False, blank=""),
]

SSP_NAMES = ("SSP1", "SSP2", "SSP3", "SSP4", "SSP5")  # the shared socio-economic pathways
SSP_RELEASES = ("v3", "v2")  # SSP database releases: v3 = 2024 update (the default), v2 = 2013 ("v9")
SSP_DRIVER_COLUMNS = [
    Column("release", "str"),
    Column("ssp", "str"),
    Column("region", "str"),
    Column("year", **YEAR),
    Column("population", lower=0.0, lower_open=True, upper=b.QUANTITY_MAX),
    Column("gdp_ppp", lower=0.0, upper=b.QUANTITY_MAX),
    Column("gdp_per_capita", lower=0.0, lower_open=True, upper=b.QUANTITY_MAX),
    Column("gdp_unit", "str"),
]

INCOME_COLUMNS = [
    Column("region", "str"),
    Column("commodity", "str"),
    Column("income_elasticity", lower=-b.INCOME_ELASTICITY_MAX, upper=b.INCOME_ELASTICITY_MAX),
]

SCHEDULE_COLUMNS = [
    Column("schedule", "str"),
    Column("exporter", "str"),
    Column("importer", "str"),
    Column("commodity", "str"),
    Column("ad_valorem", lower=0.0, upper=b.AD_VALOREM_MAX),
    Column("source", "str", required=False, blank=""),
]

SHARE = {"lower": 0.0, "upper": 1.0}
RATE = {"lower": -100.0, "upper": b.RATE_MAX}  # a growth rate, %/yr (above -100)
INCOME = {"lower": -b.INCOME_ELASTICITY_MAX, "upper": b.INCOME_ELASTICITY_MAX}
USES_COLUMNS = [
    Column("region", "str"), Column("commodity", "str"), Column("year", **YEAR),
    Column("food", **SHARE), Column("feed", **SHARE), Column("other", **SHARE),
    Column("domestic_use", required=False, blank=math.nan, lower=0.0, upper=b.QUANTITY_MAX),
    Column("basis", "str", required=False, blank=""),
]
SHARE_SUM_TOLERANCE = 1e-5
"""|food + feed + other - 1| accepted in uses.csv (shares written with 7 significant digits)."""
INCOME_RESPONSE_COLUMNS = [
    Column("commodity", "str"), Column("slope", **INCOME), Column("low", **INCOME), Column("high", **INCOME),
    Column("basis", "str", required=False, blank=""),
]
FOOD_INCOME_COLUMNS = [
    Column("region", "str"), Column("commodity", "str"), Column("food_income_elasticity", **INCOME),
    Column("basis", "str", required=False, blank=""),
]
PRODUCTIVITY_COLUMNS = [
    Column("region", "str"), Column("commodity", "str"), Column("year", **YEAR),
    Column("production", lower=0.0, upper=b.QUANTITY_MAX), Column("input", lower=0.0, upper=b.QUANTITY_MAX),
    Column("value", lower=0.0, upper=b.INTENSITY_MAX), Column("unit", "str"),
    Column("segment", required=False, blank=0.0, lower=0.0, upper=b.YEAR_MAX, integer=True),
]
FEED_HISTORY_COLUMNS = [
    Column("region", "str"), Column("feed", "str"), Column("year", **YEAR),
    Column("fbs_feed", lower=0.0, upper=b.QUANTITY_MAX),
    Column("implied_feed", lower=0.0, upper=b.QUANTITY_MAX),
    Column("segment", required=False, blank=0.0, lower=0.0, upper=b.YEAR_MAX, integer=True),
]
FEED_REQUIREMENT_COLUMNS = [
    Column("region", "str"), Column("product", "str"), Column("feed", "str"),
    Column("value", lower=0.0, upper=b.INTENSITY_MAX), Column("unit", "str"),
]
FEED_CALIBRATION_COLUMNS = [
    Column("region", "str"), Column("feed", "str"), Column("fbs_feed", lower=0.0, upper=b.QUANTITY_MAX),
    Column("implied_feed", blank=math.nan, lower=0.0, upper=b.QUANTITY_MAX),
    Column("factor", blank=math.nan, lower=0.0, upper=b.ELASTICITY_MAX),
    Column("trend", blank=math.nan, **RATE),
    Column("trend_basis", "str", required=False, blank=""),
]

REGION_COLUMNS = [Column("region", "str"), Column("name", "str", required=False, blank="")]
COMMODITY_COLUMNS = [Column("commodity", "str"), Column("name", "str", required=False, blank=""),
                     Column("unit", "str", required=False, blank="")]


AD_VALOREM_BASIS = "ad valorem x exporter price"
"""dataset.toml `tariff_basis` of a dataset whose routes.csv tariffs are ad valorem rates converted at the
base year's exporter prices (the shipped ones): re-basing the dataset on another observed year
(`petra calibrate --base-year`, hindcasts) converts them again at that year's exporter prices. Without
it, tariffs are specific (currency per unit) and kept."""


@dataclass(frozen=True)
class Dataset:
    """A validated dataset. Frames have exactly the contract's columns (optional ones filled).

    `expansion_elasticity` is +inf where the file left it empty; `new_flow_slope` and
    `cost_adjustment` are 0 where empty.
    """

    markets: pd.DataFrame
    routes: pd.DataFrame
    regions: pd.DataFrame | None = None
    commodities: pd.DataFrame | None = None
    metadata: dict = field(default_factory=dict)
    path: Path | None = None
    observed_markets: pd.DataFrame | None = None
    observed_flows: pd.DataFrame | None = None
    intensities: pd.DataFrame | None = None
    ssp_drivers: pd.DataFrame | None = None
    income_elasticities: pd.DataFrame | None = None
    tariff_schedules: pd.DataFrame | None = None
    uses: pd.DataFrame | None = None
    income_response: pd.DataFrame | None = None
    food_income_elasticities: pd.DataFrame | None = None
    productivity_history: pd.DataFrame | None = None
    feed_history: pd.DataFrame | None = None
    feed_calibration: pd.DataFrame | None = None
    feed: pd.DataFrame | None = None

    @property
    def market_keys(self) -> pd.MultiIndex:
        return pd.MultiIndex.from_frame(self.markets[["region", "commodity"]])

    def replace(self, **changes) -> Dataset:
        """A copy with some frames replaced (validated again; numbers kept bit for bit, see `from_frames`)."""
        kw = dict(markets=self.markets, routes=self.routes, regions=self.regions,
                  commodities=self.commodities, metadata=self.metadata, path=self.path)
        kw.update({attr: getattr(self, attr) for attr in _OPTIONAL_TABLES})
        kw.update(changes)
        return from_frames(**kw)


def zero_round_off(markets: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Production and consumption below ROUND_OFF x the largest of either in their `by` group (the
    commodity, and the year for observations) set to 0: round-off left by calculations, which would
    otherwise give the solver curves steeper than it can take (petra.bounds)."""
    cols = ["production", "consumption"]
    top = markets[cols].max(axis=1).groupby([markets[k] for k in by]).transform("max").to_numpy()
    tiny = (markets[cols].to_numpy() > 0) & (markets[cols].to_numpy() < b.ROUND_OFF * top[:, None])
    if not tiny.any():
        return markets
    out = markets.copy()
    out[cols] = np.where(tiny, 0.0, markets[cols].to_numpy())
    out.attrs = dict(markets.attrs)
    return out


def _check_routes(markets: pd.DataFrame, routes: pd.DataFrame, file: str) -> None:
    """Cross-file checks: self-routes, unknown regions, commodities and markets."""
    same = (routes["exporter"] == routes["importer"]).to_numpy()
    if same.any():
        i = int(np.argmax(same))
        raise InputError(f"self-route: exporter and importer are both '{routes['exporter'].iloc[i]}'",
                         file=file, row=source_line(routes, i), column="importer")
    _check_known_names(routes, ("commodity", "exporter", "importer"), markets, file)
    for col in ("exporter", "importer"):
        _check_known_markets(routes, col, markets, file)
    _check_logit_preferences(markets, routes, file)


def _check_logit_preferences(markets: pd.DataFrame, routes: pd.DataFrame, file: str) -> None:
    """InputError at the first logit route (flow > 0, a trade elasticity) whose |preference| exceeds
    `bounds.LOGIT_PREFERENCE_MAX` logit scales w = P_c / trade_elasticity, P_c the commodity's mean
    anchor price (trade_price where given, else price) over its markets."""
    if "trade_elasticity" not in routes.columns or "preference" not in routes.columns:
        return
    price = markets["price"].to_numpy(dtype=float)
    if "trade_price" in markets.columns:
        trade = markets["trade_price"].to_numpy(dtype=float)
        price = np.where(np.isfinite(trade) & (trade > 0), trade, price)
    mean = pd.Series(price).groupby(markets["commodity"].to_numpy()).mean()
    eps = routes["trade_elasticity"].to_numpy(dtype=float)
    scale = mean.reindex(routes["commodity"].to_numpy()).to_numpy() / eps
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.abs(routes["preference"].to_numpy(dtype=float)) / scale
    bad = (routes["flow"].to_numpy(dtype=float) > 0) & np.isfinite(scale) & (ratio > b.LOGIT_PREFERENCE_MAX)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(f"preference {float(routes['preference'].iloc[i]):g} is {ratio[i]:.3g} logit "
                         f"scales (the commodity's mean price / trade_elasticity); at most "
                         f"{b.LOGIT_PREFERENCE_MAX:g}, or the route's anchor flow overflows",
                         file=file, row=source_line(routes, i), column="preference")


def _check_known_names(frame: pd.DataFrame, cols, markets: pd.DataFrame, file: str) -> None:
    """InputError at the first row of `frame` naming a region (or, in column 'commodity', a commodity)
    that markets.csv does not have."""
    regions, commodities = set(markets["region"]), set(markets["commodity"])
    for col in cols:
        unknown = ~frame[col].isin(commodities if col == "commodity" else regions).to_numpy()
        if unknown.any():
            i = int(np.argmax(unknown))
            what = "commodity" if col == "commodity" else "region"
            raise InputError(f"{what} '{shown(frame[col].iloc[i])}' is not in markets.csv", file=file,
                             row=source_line(frame, i), column=col)


def _check_known_markets(frame: pd.DataFrame, col: str, markets: pd.DataFrame, file: str) -> None:
    """InputError at the first row of `frame` whose (region in `col`, commodity) is not a market."""
    regions, commodities = pd.Index(pd.unique(markets["region"])), pd.Index(pd.unique(markets["commodity"]))
    known = np.zeros((len(regions) + 1, len(commodities) + 1), dtype=bool)  # last row, column: unknown
    known[regions.get_indexer(markets["region"]), commodities.get_indexer(markets["commodity"])] = True
    missing = ~known[regions.get_indexer(frame[col]), commodities.get_indexer(frame["commodity"])]
    if missing.any():
        i = int(np.argmax(missing))
        key = (frame[col].iloc[i], frame["commodity"].iloc[i])
        raise InputError(f"market ({shown(key[0])}, {shown(key[1])}) is not in markets.csv",
                         file=file, row=source_line(frame, i), column=col)


def _check_observed(markets: pd.DataFrame, optional: dict, folder: Path | None) -> None:
    """Observed rows and income elasticities must name markets of markets.csv (rows for unknown
    regions or commodities would otherwise be ignored silently); observed flows and tariff schedules
    must name known regions and commodities."""
    om = optional.get("observed_markets")
    if om is not None and len(om):
        _check_known_markets(om, "region", markets, _label(om, folder, "observed_markets.csv"))
    of = optional.get("observed_flows")
    if of is not None and len(of):
        _check_known_names(of, ("exporter", "importer", "commodity"), markets,
                           _label(of, folder, "observed_flows.csv"))
    ie = optional.get("income_elasticities")
    if ie is not None and len(ie):
        _check_known_markets(ie, "region", markets, _label(ie, folder, "income_elasticities.csv"))
    ts = optional.get("tariff_schedules")
    if ts is not None and len(ts):
        _check_known_names(ts, ("exporter", "importer", "commodity"), markets,
                           _label(ts, folder, "tariff_schedules.csv"))
    sd = optional.get("ssp_drivers")
    if sd is not None:
        _check_ssp_drivers(sd, markets, _label(sd, folder, "ssp_drivers.csv"))
    _check_projection_inputs(markets, optional, folder)


def _check_projection_inputs(markets: pd.DataFrame, optional: dict, folder: Path | None) -> None:
    """The projection inputs name known markets (per-market tables), commodities (income_response) or
    regions and commodities (feed tables); uses.csv shares sum to 1; income_response low <= high."""
    for attr in ("uses", "food_income_elasticities", "productivity_history"):
        t = optional.get(attr)
        if t is not None and len(t):
            _check_known_markets(t, "region", markets, _label(t, folder, PROJECTION_TABLES[attr][2]))
    for attr in ("feed_history", "feed_calibration"):
        t = optional.get(attr)
        if t is not None and len(t):
            _check_known_names(t.rename(columns={"feed": "commodity"}), ("region", "commodity"), markets,
                               _label(t, folder, PROJECTION_TABLES[attr][2]))
    ir = optional.get("income_response")
    if ir is not None and len(ir):
        file = _label(ir, folder, "income_response.csv")
        _check_known_names(ir, ("commodity",), markets, file)
        bad = (ir["low"] > ir["high"]).to_numpy()
        if bad.any():
            i = int(np.argmax(bad))
            raise InputError(f"low {ir['low'].iloc[i]!r} is above high {ir['high'].iloc[i]!r}", file=file,
                             row=source_line(ir, i), column="low")
    u = optional.get("uses")
    if u is not None and len(u):
        total = (u["food"] + u["feed"] + u["other"]).to_numpy()
        bad = np.abs(total - 1.0) > SHARE_SUM_TOLERANCE
        if bad.any():
            i = int(np.argmax(bad))
            raise InputError(f"food + feed + other is {total[i]!r}, not 1 (within {SHARE_SUM_TOLERANCE:g})",
                             file=_label(u, folder, "uses.csv"), row=source_line(u, i), column="food")


def _check_ssp_drivers(frame: pd.DataFrame, markets: pd.DataFrame, file: str) -> None:
    """ssp_drivers.csv: known regions; every (release, ssp) has every region in >= 2 years and one
    gdp_unit."""
    if frame.empty:
        raise InputError("no rows", file=file)
    _check_known_names(frame, ("region",), markets, file)
    regions = sorted(set(markets["region"]))
    for (release, ssp), g in frame.groupby(["release", "ssp"], sort=False):
        years = g.groupby("region")["year"].nunique()
        short = [r for r in regions if years.get(r, 0) < 2]
        if short:
            raise InputError(f"release '{shown(release)}', ssp '{shown(ssp)}': region '{short[0]}' has "
                             f"{years.get(short[0], 0)} year(s); every region needs at least two", file=file)
        units = g["gdp_unit"].unique()
        if len(units) > 1:
            i = int(np.argmax((g["gdp_unit"] != units[0]).to_numpy()))
            raise InputError(f"release '{shown(release)}', ssp '{shown(ssp)}' mixes gdp_unit "
                             f"'{shown(units[0])}' and '{shown(units[1])}'", file=file,
                             row=source_line(frame, frame.index.get_loc(g.index[i])),
                             column="gdp_unit")


def _label(frame: pd.DataFrame, folder: Path | None, name: str) -> str:
    return frame.attrs.get("file") or (str(Path(folder) / name) if folder is not None else name)


def from_frames(markets: pd.DataFrame, routes: pd.DataFrame, regions: pd.DataFrame | None = None,
                commodities: pd.DataFrame | None = None, metadata: dict | None = None,
                path: Path | None = None, observed_markets: pd.DataFrame | None = None,
                observed_flows: pd.DataFrame | None = None,
                intensities: pd.DataFrame | None = None,
                ssp_drivers: pd.DataFrame | None = None, income_elasticities: pd.DataFrame | None = None,
                tariff_schedules: pd.DataFrame | None = None, **projection_inputs: pd.DataFrame | None
                ) -> Dataset:
    """Build a Dataset from in-memory frames with the same checks (and messages) as `load_dataset`.

    Frames are validated as they are (`petra.tables.validate_frame`), not rendered as CSV text and read
    back: a number is kept bit for bit (pandas' reader would round some, e.g. 0.00011251961346749989 to
    0.0001125196134674); a cell in a message is shown as its text would be (`repr(float)`).
    `projection_inputs`: the optional tables of PROJECTION_TABLES by attribute name (uses, ...)."""
    unknown = sorted(set(projection_inputs) - set(PROJECTION_TABLES))
    if unknown:
        raise TypeError(f"from_frames() got an unexpected keyword argument '{unknown[0]}'")
    m = zero_round_off(validate_frame(markets, MARKET_COLUMNS, key=["region", "commodity"],
                                      label="markets.csv"), ["commodity"])
    r = validate_frame(routes, ROUTE_COLUMNS, key=["exporter", "importer", "commodity"], label="routes.csv")
    _check_routes(m, r, "routes.csv")
    optional = {}
    for attr, frame in (("observed_markets", observed_markets), ("observed_flows", observed_flows),
                        ("intensities", intensities), ("ssp_drivers", ssp_drivers),
                        ("income_elasticities", income_elasticities), ("tariff_schedules", tariff_schedules),
                        *projection_inputs.items()):
        if frame is not None:
            cols, key, name = _OPTIONAL_TABLES[attr]
            optional[attr] = _round_off(attr, validate_frame(frame, cols, key=key, label=name))
    _check_observed(m, optional, path)
    return Dataset(markets=m, routes=r, regions=regions, commodities=commodities,
                   metadata=dict(metadata or {}), path=path, **optional)


_OPTIONAL_TABLES = {
    "observed_markets": (OBSERVED_MARKET_COLUMNS, ["year", "region", "commodity"], "observed_markets.csv"),
    "observed_flows": (OBSERVED_FLOW_COLUMNS, ["year", "exporter", "importer", "commodity"],
                       "observed_flows.csv"),
    "intensities": (INTENSITY_COLUMNS, ["region", "commodity", "period", "indicator"], "intensities.csv"),
    "ssp_drivers": (SSP_DRIVER_COLUMNS, ["release", "ssp", "region", "year"], "ssp_drivers.csv"),
    "income_elasticities": (INCOME_COLUMNS, ["region", "commodity"], "income_elasticities.csv"),
    "tariff_schedules": (SCHEDULE_COLUMNS, ["schedule", "exporter", "importer", "commodity"],
                         "tariff_schedules.csv"),
}
PROJECTION_TABLES = {
    "uses": (USES_COLUMNS, ["region", "commodity", "year"], "uses.csv"),
    "income_response": (INCOME_RESPONSE_COLUMNS, ["commodity"], "income_response.csv"),
    "food_income_elasticities": (FOOD_INCOME_COLUMNS, ["region", "commodity"],
                                 "food_income_elasticities.csv"),
    "productivity_history": (PRODUCTIVITY_COLUMNS, ["region", "commodity", "year"],
                             "productivity_history.csv"),
    "feed_history": (FEED_HISTORY_COLUMNS, ["region", "feed", "year"], "feed_history.csv"),
    "feed_calibration": (FEED_CALIBRATION_COLUMNS, ["region", "feed"], "feed_calibration.csv"),
    "feed": (FEED_REQUIREMENT_COLUMNS, ["region", "product", "feed"], "feed.csv"),
}
_OPTIONAL_TABLES.update(PROJECTION_TABLES)


def check_metadata(metadata: dict, file: str) -> None:
    """dataset.toml: `base_year`, if given, is a whole year within [YEAR_MIN, YEAR_MAX] (TOML integer)."""
    by = metadata.get("base_year")
    if by is None:
        return
    if isinstance(by, bool) or not isinstance(by, int):
        raise InputError(f"key 'base_year': {shown(by)} is not a year (write a whole number, e.g. 2020)",
                         file=file)
    if not b.YEAR_MIN <= by <= b.YEAR_MAX:
        raise InputError(f"key 'base_year': {by} is out of range ({b.YEAR_MIN}-{b.YEAR_MAX})", file=file)


def _round_off(attr: str, frame: pd.DataFrame) -> pd.DataFrame:
    return zero_round_off(frame, ["year", "commodity"]) if attr == "observed_markets" else frame


def load_dataset(folder: str | Path) -> Dataset:
    """Load and validate a dataset folder. Raises InputError (one line, file/line/column) on bad input."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("dataset folder not found", file=str(folder))
    markets_file = table_path(folder, "markets.csv") or folder / "markets.csv"
    markets = zero_round_off(read_table(markets_file, MARKET_COLUMNS, key=["region", "commodity"]),
                             ["commodity"])
    routes_file = table_path(folder, "routes.csv") or folder / "routes.csv"
    routes = read_table(routes_file, ROUTE_COLUMNS, key=["exporter", "importer", "commodity"])
    _check_routes(markets, routes, str(routes_file))
    regions = commodities = None
    if (path := table_path(folder, "regions.csv")) is not None:
        regions = read_table(path, REGION_COLUMNS, key=["region"])
    if (path := table_path(folder, "commodities.csv")) is not None:
        commodities = read_table(path, COMMODITY_COLUMNS, key=["commodity"])
    optional = {}
    for attr, (cols, key, name) in _OPTIONAL_TABLES.items():
        if (path := table_path(folder, name)) is not None:
            optional[attr] = _round_off(attr, read_table(path, cols, key=key))
    metadata = {}
    if (folder / "dataset.toml").is_file():
        metadata = load_toml(folder / "dataset.toml", what="dataset.toml")
        check_metadata(metadata, str(folder / "dataset.toml"))
    _check_observed(markets, optional, folder)
    return Dataset(markets=markets, routes=routes, regions=regions, commodities=commodities,
                   metadata=metadata, path=folder, **optional)


def write_dataset(dataset: Dataset, folder: str | Path) -> None:
    """Write a dataset in the contract's format (empty cells for infinite elasticities).

    Writes into `folder` directly; callers wanting all-or-nothing wrap it in `atomic_output_dir`.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    m = dataset.markets[[c.name for c in MARKET_COLUMNS]]
    m.to_csv(folder / "markets.csv", index=False, float_format=FULL_PRECISION)
    r = dataset.routes[[c.name for c in ROUTE_COLUMNS]].copy().astype(object)
    e = dataset.routes["expansion_elasticity"].to_numpy(dtype=float)
    r["expansion_elasticity"] = [None if math.isinf(x) else x for x in e]
    r.to_csv(folder / "routes.csv", index=False, float_format=FULL_PRECISION)
    if dataset.regions is not None:
        dataset.regions.to_csv(folder / "regions.csv", index=False)
    if dataset.commodities is not None:
        dataset.commodities.to_csv(folder / "commodities.csv", index=False)
    for attr, (cols, _key, name) in _OPTIONAL_TABLES.items():
        frame = getattr(dataset, attr)
        if frame is not None:
            frame[[c.name for c in cols]].to_csv(folder / name, index=False, float_format=FULL_PRECISION)
    if dataset.metadata:
        (folder / "dataset.toml").write_text(tomli_w.dumps(dataset.metadata), encoding="utf-8")
