"""A scenario's policy rules (tariffs, bans, quotas) as the route terms of a hindcast's years.

`petra hindcast --policy FILE --scenario NAME` applies the named scenario's tariff (and tariff
schedule), ban and quota rules on top of the observed drivers; its growth rules (population, income,
yield, transport cost) and elasticity sets are not used (the observed production and consumption
are the drivers). Rules are matched per projected year exactly as in `petra run`
(`petra.projection.drivers`): a rule with `from: 2018` applies in 2018 and later, ad valorem tariffs
are converted at the exporter's base-year price of the re-based, calibrated dataset.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from petra.calibration.hindcast import RouteTerms
from petra.dataset import Dataset
from petra.errors import InputError
from petra.model.problem import Problem, build_problem, reported_prices
from petra.projection.drivers import check_names, check_schedules, driver_arrays, schedule_rates
from petra.projection.run import names_of
from petra.projection.scenario_config import (
    Drivers,
    Elasticities,
    ScenarioFile,
    ScenarioSpec,
    resolve,
    scenario_file_and_sources,
)


def policy_spec(sf: ScenarioFile, path: str | Path, scenario: str | None) -> ScenarioSpec:
    """The named scenario of the policy file `sf` (read from `path`) with only its tariff, ban and quota
    rules (the only scenario if the file has one and `scenario` is None); InputError naming the key
    otherwise."""
    if scenario is None:
        if len(sf.scenarios) != 1:
            raise InputError(f"--scenario: the policy file defines {len(sf.scenarios)} scenarios "
                             f"({', '.join(sf.scenarios)}); name one", file=str(path))
        scenario = next(iter(sf.scenarios))
    spec = resolve(sf, scenario, file=str(path))
    d = spec.drivers
    return spec.model_copy(update={"drivers": Drivers(tariffs=d.tariffs, tariff_schedules=d.tariff_schedules,
                                                      bans=d.bans, quotas=d.quotas),
                                   "elasticities": Elasticities()})


@dataclass(frozen=True)
class ScenarioPolicy:
    """A hindcast policy (`petra.calibration.hindcast.Policy`) from a scenario's rules."""

    spec: ScenarioSpec
    file: str
    files: tuple[Path, ...] = ()  # the policy file and the files it extends (inputs of the command)

    def check(self, dataset: Dataset) -> None:
        """InputError naming the rule's key if it names a region or commodity `dataset` lacks."""
        names = names_of(build_problem(dataset))
        check_names(self.spec, names, file=self.file)
        check_schedules(self.spec, list(schedule_rates(dataset.tariff_schedules, names)), file=self.file)

    def __call__(self, calibrated: Dataset, p: Problem, years: list[int]) -> dict[int, RouteTerms]:
        names = names_of(p)
        check_names(self.spec, names, file=self.file)
        r = calibrated.routes
        schedules = schedule_rates(calibrated.tariff_schedules, names)
        check_schedules(self.spec, list(schedules), file=self.file)
        arrays = driver_arrays(self.spec.drivers, names, years,
                               base_transport=r["transport_cost"].to_numpy(float),
                               base_tariff=r["tariff"].to_numpy(float),
                               exporter_price=reported_prices(p, p.P0)[p.exporter],
                               schedules=schedules)
        out = {}
        for k, y in enumerate(years):
            quota = arrays.quota[k] if np.isfinite(arrays.quota[k]).any() else None
            out[int(y)] = RouteTerms(tau=arrays.transport_cost[k] + arrays.tariff[k], quota=quota,
                                     banned=arrays.banned[k] if arrays.banned[k].any() else None)
        return out


def scenario_policy(path: str | Path, scenario: str | None = None) -> ScenarioPolicy:
    """The hindcast policy of scenario `scenario` of the file at `path` (see module docstring)."""
    sf, files = scenario_file_and_sources(path)
    return ScenarioPolicy(spec=policy_spec(sf, path, scenario), file=str(path), files=files)
