"""Scenario files: a YAML document with a base block and named scenarios, validated with pydantic.

Layout (every key optional except `scenarios`; see runs/default.yaml for a commented example)::

    extends: other.yaml        # optional: start from another file (its scenarios merged by name)
    dataset: china9            # an embedded dataset name (petra.data) or a folder, relative to the file
    model: petra               # IAMC `model` column
    periods: [2010, 2020, 2030, 2040, 2050]   # the first is the calibrated base year
    calibration: {...}         # petra.calibration settings (CalibrationConfig keys)
    base:                      # drivers and elasticities shared by all scenarios
      ssp: SSP2                # population and per-capita GDP growth of an SSP (see below)
      drivers: {...}
      elasticities: {...}
    scenarios:
      NAME:
        description: text
        ssp: {name: SSP3, release: v2}   # replaces the base block's SSP
        drivers: {...}         # rules appended after the base block's
        elasticities: {...}
    focus_region: CHN          # region of the focus plots, coverage table and bilateral values
    embodied:                  # embodied-resource accounts of `petra run`
      partners: false          # IAMC values of the focus region's imports per partner (BRA>CHN)
      pressure_thresholds: [0.333, 0.667]   # grades of the water-pressure index (low/medium/high)
      water_cap: {CHN: 700}    # national water-use caps, km3/yr (water-stress indices MWSI)
    uncertainty: [...]         # distributions for `petra ensemble` (petra.projection.uncertainty_rules);
                               # `petra run` solves the central case and ignores them

Drivers are lists of rules; each rule selects entities (missing selector = all) and periods
(`from`/`until`, inclusive; a growth rule for period t acts on the growth from the previous period
to t) and sets a value. For each entity and period the *last* matching rule wins, base rules first,
then the scenario's: a scenario overrides the base by adding a rule. Rates are % per year.

    population_growth:     [{region, from, until, value}]            % per year
    income_growth:         [{region, from, until, value}]            per-capita income, % per year
    income_elasticity:     [{region, commodity, value}]              of demand (dimensionless; default:
                           the dataset's income_elasticities.csv, else 0)
    yield_growth:          [{region, commodity, from, until, value}] % per year (supply shift)
    transport_cost_growth: [{exporter, importer, commodity, from, until, value}]  % per year
    tariffs:  [{exporter, importer, commodity, from, until, specific | ad_valorem | scale}]
              specific: USD/t; ad_valorem: share of the exporter's base-year price;
              scale: factor on the dataset's tariff (0 removes it)
    tariff_schedules: [{name, exporter, importer, commodity, from, until}]  adds a named schedule of the
              dataset (tariff_schedules.csv, e.g. china_retaliation_2018) on top of the tariff: its ad
              valorem x the exporter's base-year price, on the schedule's routes the selectors keep
    bans:     [{exporter, importer, commodity, from, until}]         the route carries no trade
    quotas:   [{exporter, importer, commodity, from, until, max_flow}]  flow <= max_flow (commodity
              unit, per route); a binding quota leaves a rent between the price gap and the cost

`ssp:` names a shared socio-economic pathway (SSP1-SSP5) of the dataset's `ssp_drivers.csv`
(`release: v3`, the 2024 SSP database, by default; `v2`, the 2013 one, selectable): population and
per-capita GDP growth per region and period come from its series (compound annual rates between the
period years; petra.projection.ssp_drivers). They are the bottom layer: every explicit
`population_growth` or `income_growth` rule (base or scenario) overrides them for what it matches.
A scenario's `ssp` replaces the base block's.

Elasticity sets (applied to the dataset before calibration, so the base year is still reproduced):

    elasticities:
      supply:    [{region, commodity, value}]    >= 0
      demand:    [{region, commodity, value}]    <= 0
      expansion: [{exporter, importer, commodity, value}]   > 0 (trade-expansion elasticity)

Unknown keys, wrong types and values out of range are InputError (exit 2) naming the key; unknown
regions and commodities are checked against the dataset by `petra.projection.drivers`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from petra import bounds
from petra.dataset import SSP_NAMES, SSP_RELEASES
from petra.errors import InputError, shown
from petra.projection.uncertainty_rules import UncertaintyRule
from petra.selectors import Names
from petra.strict_fields import Label, Text, no_yes_no_numbers
from petra.textfiles import MAX_TEXT_BYTES, load_yaml

MAX_EXTENDS = 32  # longest chain of scenario files extending one another


class _Strict(BaseModel):
    # NaN and infinity are bad input everywhere in a scenario file (a NaN rule value would read as
    # "no rule", an infinite tariff or cost never solves)
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_yes_no(cls, value, info):
        return no_yes_no_numbers(cls, value, info)


class _Periods(_Strict):
    from_: int | None = Field(None, alias="from", description="first period the rule applies to")
    until: int | None = Field(None, description="last period the rule applies to")

    @model_validator(mode="after")
    def _ordered(self):
        if self.from_ is not None and self.until is not None and self.until < self.from_:
            raise ValueError(f"until ({self.until}) is before from ({self.from_}): the rule would never "
                             "apply")
        return self

    def applies(self, period: int) -> bool:
        return (self.from_ is None or period >= self.from_) and (self.until is None or period <= self.until)


class _OnMarkets(_Strict):
    """Selects markets: a region, commodity or both (a missing selector selects all)."""

    region: Names = None
    commodity: Names = None


class _OnRoutes(_Strict):
    """Selects routes: exporter, importer, commodity (a missing selector selects all)."""

    exporter: Names = None
    importer: Names = None
    commodity: Names = None


class _Rules(_Strict):
    """A set of rule lists (each field a tuple of rules)."""

    def then(self, other):
        """These rules followed by `other`'s (later rules win)."""
        return type(self)(**{k: getattr(self, k) + getattr(other, k) for k in type(self).model_fields})


RATE = Field(..., gt=-100.0, le=bounds.RATE_MAX, description="% per year, > -100")


class RegionRate(_Periods):
    region: Names = None
    value: float = RATE


class MarketRate(_OnMarkets, _Periods):
    value: float = RATE


class MarketValue(_OnMarkets):
    value: float = Field(..., ge=-bounds.ELASTICITY_MAX, le=bounds.ELASTICITY_MAX)


class IncomeElasticity(_OnMarkets):
    value: float = Field(..., ge=-bounds.INCOME_ELASTICITY_MAX, le=bounds.INCOME_ELASTICITY_MAX,
                         description="income elasticity of demand (dimensionless)")


class RouteRate(_OnRoutes, _Periods):
    value: float = RATE


class TariffRule(_OnRoutes, _Periods):
    specific: float | None = Field(None, ge=0.0, le=bounds.PRICE_MAX, description="USD/t")
    ad_valorem: float | None = Field(None, ge=0.0, description="share of the exporter's base-year price "
                                     "(0.25, or the string '25%')")
    scale: float | None = Field(None, ge=0.0, le=bounds.SCALE_MAX,
                                description="factor on the dataset's tariff")

    @field_validator("ad_valorem", mode="before")
    @classmethod
    def _percent(cls, v):
        if isinstance(v, str) and v.strip().endswith("%"):
            try:
                return float(v.strip()[:-1]) / 100.0
            except ValueError:
                raise ValueError(f"'{v}' is not a percentage (write e.g. '25%' or 0.25)") from None
        return v

    @field_validator("ad_valorem")
    @classmethod
    def _fraction(cls, v):
        if v is not None and v > bounds.AD_VALOREM_MAX:
            top = bounds.AD_VALOREM_MAX
            raise ValueError(f"{v:g} is a fraction of the exporter's base-year price, i.e. {100 * v:g} %; "
                             f"ad_valorem is at most {top:g} ({100 * top:g} %) (for {v:g} %, write "
                             f"'{v:g}%' or {v / 100:g})")
        return v

    @model_validator(mode="after")
    def _one_value(self):
        given = [k for k in ("specific", "ad_valorem", "scale") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of specific, ad_valorem, scale")
        return self


class BanRule(_OnRoutes, _Periods):
    pass


class ScheduleRule(_OnRoutes, _Periods):
    name: str = Field(..., min_length=1, description="a schedule of the dataset's tariff_schedules.csv")


class QuotaRule(_OnRoutes, _Periods):
    max_flow: float = Field(..., ge=0.0, le=bounds.QUANTITY_MAX,
                            description="upper bound on the route's flow, commodity unit")


class RouteValue(_OnRoutes):
    value: float = Field(..., gt=0.0, le=bounds.ELASTICITY_MAX)


class Drivers(_Rules):
    population_growth: tuple[RegionRate, ...] = ()
    income_growth: tuple[RegionRate, ...] = ()
    income_elasticity: tuple[IncomeElasticity, ...] = ()
    yield_growth: tuple[MarketRate, ...] = ()
    transport_cost_growth: tuple[RouteRate, ...] = ()
    tariffs: tuple[TariffRule, ...] = ()
    tariff_schedules: tuple[ScheduleRule, ...] = ()
    bans: tuple[BanRule, ...] = ()
    quotas: tuple[QuotaRule, ...] = ()


class Elasticities(_Rules):
    supply: tuple[MarketValue, ...] = ()
    demand: tuple[MarketValue, ...] = ()
    expansion: tuple[RouteValue, ...] = ()

    @model_validator(mode="after")
    def _signs(self):
        for i, r in enumerate(self.supply):
            if r.value < 0:
                raise ValueError(f"supply[{i}].value must be >= 0")
        for i, r in enumerate(self.demand):
            if r.value > 0:
                raise ValueError(f"demand[{i}].value must be <= 0")
        return self

    @property
    def empty(self) -> bool:
        return not (self.supply or self.demand or self.expansion)


class SspChoice(_Strict):
    """`ssp: SSP2` or `ssp: {name: SSP2, release: v2}`: the series of the dataset's ssp_drivers.csv."""

    name: Literal[SSP_NAMES] = Field(..., description="shared socio-economic pathway")
    release: Literal[SSP_RELEASES] = Field("v3", description="SSP database release: v3 (2024) or v2 (2013)")

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, v):
        return {"name": v} if isinstance(v, str) else v


class Block(_Strict):
    description: Text = ""
    ssp: SspChoice | None = None
    drivers: Drivers = Drivers()
    elasticities: Elasticities = Elasticities()


class EmbodiedSettings(_Strict):
    """The `embodied:` block: options of the embodied-resource accounts of `petra run`."""

    partners: bool = Field(False, description="also write the focus region's embodied imports from each "
                           "partner to the IAMC output, as directional regions PARTNER>FOCUS")
    pressure_thresholds: tuple[float, float] = Field(
        (1 / 3, 2 / 3), description="grades of the normalised water-pressure index: below the first "
        "'low', from it to the second 'medium', above 'high'")
    water_cap: dict[str, float] = Field(
        default_factory=dict, description="national water-use cap LQ per region, km3 per year (e.g. CHN: "
        "700), for the water-stress indices MWSI = V / LQ x 100")

    @field_validator("water_cap")
    @classmethod
    def _cap(cls, c):
        if any(not v > 0 for v in c.values()):
            raise ValueError("caps must be positive volumes in km3 per year")
        return c

    @field_validator("pressure_thresholds")
    @classmethod
    def _thresholds(cls, t):
        if not 0.0 <= t[0] <= t[1] <= 1.0:
            raise ValueError("two increasing numbers between 0 and 1")
        return t


class ScenarioFile(_Strict):
    dataset: str = "china9"
    base_year: int | None = Field(None, description="observed year the dataset is re-based on and "
                                  "calibrated at (default: the dataset's base year); the first period")
    model: Label = "petra"
    periods: tuple[int, ...] = (2010, 2020, 2030, 2040, 2050)
    calibration: dict = Field(default_factory=dict)
    focus_region: Label = Field("CHN", description="region of the imports-by-partner plot, the coverage "
                                "table and the bilateral embodied values (a region of the dataset; the "
                                "default applies only to datasets that have CHN)")
    embodied: EmbodiedSettings = EmbodiedSettings()
    base: Block = Block()
    scenarios: dict[Label, Block]
    uncertainty: tuple[UncertaintyRule, ...] = Field(
        (), description="distributions of `petra ensemble` draws (petra.projection.uncertainty_rules)")

    @field_validator("periods")
    @classmethod
    def _periods(cls, p):
        if len(p) < 1 or any(b <= a for a, b in zip(p, p[1:], strict=False)):
            raise ValueError("periods must be a non-empty, strictly increasing list of years")
        if len(p) > bounds.MAX_PERIODS:
            raise ValueError(f"at most {bounds.MAX_PERIODS} periods, not {len(p)}")
        _check_years(p)
        return p

    @field_validator("base_year")
    @classmethod
    def _base_year(cls, y):
        if y is not None:
            _check_years((y,))
        return y

    @field_validator("focus_region")
    @classmethod
    def _focus_region(cls, r):
        if not r or any(ch in r for ch in "/\\\x00"):
            raise ValueError("must be a region name (no path separators)")
        return r

    @field_validator("scenarios")
    @classmethod
    def _scenarios(cls, s):
        if not s:
            raise ValueError("scenarios must name at least one scenario")
        return s


def _check_years(years) -> None:
    bad = [y for y in years if not bounds.YEAR_MIN <= y <= bounds.YEAR_MAX]
    if bad:
        raise ValueError(f"year {bad[0]} is out of range ({bounds.YEAR_MIN}-{bounds.YEAR_MAX})")


class ScenarioSpec(BaseModel):
    """One resolved scenario: base rules followed by the scenario's."""

    model_config = ConfigDict(frozen=True)
    name: str
    description: str
    model: str
    periods: tuple[int, ...]
    drivers: Drivers
    elasticities: Elasticities
    ssp: SspChoice | None = None
    ssp_key: str = Field("", description="the YAML key the SSP comes from (base.ssp, scenarios.NAME.ssp)")
    focus_region: str = "CHN"
    embodied: EmbodiedSettings = EmbodiedSettings()


def _location(loc: tuple) -> str:
    parts: list[str] = []
    for x in loc:
        if isinstance(x, int):
            parts[-1] = f"{parts[-1]}[{x}]" if parts else f"[{x}]"
        elif x in ("function-after", "function-before") or str(x).startswith(("function-", "tuple[")):
            continue
        else:
            parts.append("from" if x == "from_" else str(x))
    return ".".join(parts)


def first_error(exc: ValidationError) -> dict:
    """The error to report: an unknown key first (a typo such as `valeu:` also makes `value` missing,
    and the typo is the cause), else the first."""
    errors = exc.errors()
    return next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])


def parse_scenario_file(raw: object, file: str) -> ScenarioFile:
    """Validate a parsed YAML document; InputError naming the key on failure."""
    if not isinstance(raw, dict):
        raise InputError("a scenario file must be a mapping with a 'scenarios' key", file=file)
    try:
        return ScenarioFile.model_validate(raw)
    except ValidationError as exc:
        err = first_error(exc)
        loc = err["loc"]
        msg = err["msg"].removeprefix("Value error, ")
        if loc and loc[-1] == "[key]":  # a scenario name (a key of `scenarios`) that is no name
            loc, msg = loc[:-2], f"the name '{shown(loc[-2])}' {msg}"
        key = _location(loc)
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        raise InputError(f"key '{key}': {msg}", file=file) from None


def _read_yaml(path: Path) -> object:
    return load_yaml(path, what="scenario file")


def _scenarios_of(doc: dict, path: Path) -> dict:
    s = doc.get("scenarios")
    if s is None:
        return {}
    if not isinstance(s, dict):
        raise InputError("key 'scenarios': must be a mapping of scenario names to blocks, not a "
                         f"{type(s).__name__}", file=str(path))
    return s


def read_scenario_document(path: Path) -> object:
    """The YAML document of a scenario file with `extends: OTHER.yaml` resolved: the other file
    (relative to this one) is read first; this file's top-level keys replace its keys, except
    `scenarios`, which are merged by name (this file's win). Chains are at most MAX_EXTENDS files."""
    return read_scenario_sources(path)[0]


def read_scenario_sources(path: Path, _seen: tuple[Path, ...] = (), _bytes: int = 0
                          ) -> tuple[object, tuple[Path, ...]]:
    """`read_scenario_document(path)` and the files it was read from: `path`, then the file it
    extends, and so on (resolved paths; what an output folder must not contain). Together the files
    hold at most MAX_TEXT_BYTES, as one file does."""
    path = Path(path)
    raw = _read_yaml(path)
    _bytes += path.stat().st_size
    if _bytes > MAX_TEXT_BYTES:
        raise InputError(f"key 'extends': the scenario files extending one another hold more than "
                         f"{MAX_TEXT_BYTES:,} bytes together; petra reads at most that", file=str(path))
    if not isinstance(raw, dict) or "extends" not in raw:
        return raw, (path.resolve(),)
    parent_name = raw.pop("extends")
    if not isinstance(parent_name, str) or not parent_name or "\x00" in parent_name:
        raise InputError("key 'extends': must be the name of another scenario file", file=str(path))
    if len(_seen) >= MAX_EXTENDS:
        raise InputError(f"key 'extends': more than {MAX_EXTENDS} files extend one another", file=str(path))
    parent_path = (path.parent / parent_name).resolve()
    if parent_path in _seen or parent_path == path.resolve():
        raise InputError(f"key 'extends': '{parent_name}' extends this file again (a cycle)", file=str(path))
    parent, files = read_scenario_sources(parent_path, (*_seen, path.resolve()), _bytes)
    return _extended(parent, parent_path, raw, path), (path.resolve(), *files)


def _extended(parent: object, parent_path: Path, raw: dict, path: Path | str) -> dict:
    """`raw` (extends removed) on top of its parent document: keys replaced, scenarios merged by name."""
    if not isinstance(parent, dict):
        raise InputError("a scenario file must be a mapping with a 'scenarios' key", file=str(parent_path))
    merged = {**parent, **{k: v for k, v in raw.items() if k != "scenarios"}}
    merged["scenarios"] = {**_scenarios_of(parent, parent_path), **_scenarios_of(raw, Path(path))}
    return merged


def load_scenario_file(path: str | Path) -> ScenarioFile:
    """Read and validate a scenario YAML file (InputError on any problem)."""
    return scenario_file_and_sources(path)[0]


def scenario_file_and_sources(path: str | Path) -> tuple[ScenarioFile, tuple[Path, ...]]:
    """`load_scenario_file(path)` and the files read (`read_scenario_sources`)."""
    doc, files = read_scenario_sources(Path(path))
    return parse_scenario_file(doc, str(path)), files


SPEC_LABEL = "scenario spec"
"""How errors name a scenario spec given as a Python mapping (where a file's name would stand)."""


def load_scenario_spec(spec: Mapping, *, base_dir: str | Path | None = None) -> ScenarioFile:
    """Validate a scenario spec given as a mapping, the parsed form of a scenario file (same keys,
    same checks and one-line InputError naming the key, with SPEC_LABEL for the file). `extends:` and
    a relative `dataset:` folder are relative to `base_dir` (default: the working directory)."""
    return scenario_spec_and_sources(spec, base_dir=base_dir)[0]


def scenario_spec_and_sources(spec: Mapping, *, base_dir: str | Path | None = None
                              ) -> tuple[ScenarioFile, tuple[Path, ...]]:
    """`load_scenario_spec(spec)` and the files read (the file it extends, and so on)."""
    if not isinstance(spec, Mapping):
        raise InputError(f"a scenario spec must be a mapping with a 'scenarios' key, not a "
                         f"{type(spec).__name__}", file=SPEC_LABEL)
    raw = copy.deepcopy(dict(spec))
    files: tuple[Path, ...] = ()
    if "extends" in raw:
        parent_name = raw.pop("extends")
        if not isinstance(parent_name, str) or not parent_name or "\x00" in parent_name:
            raise InputError("key 'extends': must be the name of another scenario file", file=SPEC_LABEL)
        parent_path = (Path(base_dir) if base_dir is not None else Path.cwd()) / parent_name
        parent, files = read_scenario_sources(parent_path)
        raw = _extended(parent, parent_path, raw, SPEC_LABEL)
    return parse_scenario_file(raw, SPEC_LABEL), files


def resolve(sf: ScenarioFile, name: str, *, file: str = "") -> ScenarioSpec:
    """The scenario `name` with the base block's rules first; InputError if it does not exist."""
    if name not in sf.scenarios:
        raise InputError(f"no scenario named '{name}' (defined: {', '.join(sf.scenarios)})",
                         file=file or None)
    s = sf.scenarios[name]
    ssp, key = (s.ssp, f"scenarios.{name}.ssp") if s.ssp is not None else (sf.base.ssp, "base.ssp")
    return ScenarioSpec(name=name, description=s.description or sf.base.description, model=sf.model,
                        periods=sf.periods, drivers=sf.base.drivers.then(s.drivers),
                        ssp=ssp, ssp_key=key if ssp is not None else "",
                        elasticities=sf.base.elasticities.then(s.elasticities),
                        focus_region=sf.focus_region, embodied=sf.embodied)
