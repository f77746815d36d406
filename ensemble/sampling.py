"""Reproducible draws and their application to a dataset (pure functions).

Draw i of rule r uses its own random stream `SeedSequence(seed, spawn_key=(i, r))`, so its numbers
depend only on (seed, i, r): never on how draws are partitioned among workers, on their order, on the
number of draws, or on the other rules.

Entities a rule acts on (`entities`): markets (region, commodity) for supply and demand elasticities,
routes (exporter, importer, commodity) for expansion elasticities, and (region, commodity, indicator)
groups of intensities.csv rows (all periods of a group share the draw).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from petra.dataset import Dataset
from petra.ensemble.distributions import clip_to_target, sample
from petra.errors import InputError
from petra.projection.uncertainty_rules import INTENSITY_TARGETS, SELECTORS, UncertaintyRule

TABLE = {"supply_elasticity": "markets", "demand_elasticity": "markets",
         "expansion_elasticity": "routes", "intensity": "intensities"}
ENTITY_COLUMNS = {"markets": ("region", "commodity"), "routes": ("exporter", "importer", "commodity"),
                  "intensities": ("region", "commodity", "indicator")}


def rule_rng(seed: int, draw: int, rule: int) -> np.random.Generator:
    """The random stream of (seed, draw, rule)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(draw, rule)))


@dataclass(frozen=True)
class Selection:
    """Rows of the target table a rule selects, and the entity (0..n_entities-1) of each row."""

    rows: np.ndarray          # row positions in the table
    entity: np.ndarray        # per selected row, index into labels
    labels: tuple[str, ...]   # entity labels, e.g. "BRA/soybeans"


def _table(dataset: Dataset, target: str) -> pd.DataFrame:
    return getattr(dataset, TABLE[target])


def select(dataset: Dataset, rule: UncertaintyRule) -> Selection:
    """The rows and entities of `dataset` that `rule` selects (see module docstring)."""
    t = _table(dataset, rule.target)
    mask = np.ones(len(t), dtype=bool)
    for s, names in rule.selectors().items():
        mask &= t[s].astype(str).isin(names).to_numpy()  # selectors are named after their columns
    rows = np.flatnonzero(mask)
    keys = t.iloc[rows][list(ENTITY_COLUMNS[TABLE[rule.target]])].astype(str).agg("/".join, axis=1)
    codes, uniques = pd.factorize(keys, sort=False)
    return Selection(rows=rows, entity=codes.astype(np.int64), labels=tuple(uniques))


def check_rules(dataset: Dataset, rules: Sequence[UncertaintyRule], *, file: str | None = None) -> None:
    """InputError naming the key of the first rule that names an unknown entity or selects nothing."""
    for i, rule in enumerate(rules):
        t = _table(dataset, rule.target)
        if t is None:
            raise InputError(f"key 'uncertainty[{i}].target': the dataset has no {TABLE[rule.target]}.csv",
                             file=file)
        for s, names in rule.selectors().items():
            known = set(t[s].astype(str))
            bad = [n for n in names if n not in known]
            if bad:
                raise InputError(f"key 'uncertainty[{i}].{s}': unknown {s} '{bad[0]}' "
                                 f"(known: {', '.join(sorted(known))})", file=file)
        if len(select(dataset, rule).rows) == 0:
            raise InputError(f"key 'uncertainty[{i}]': the selectors "
                             f"({', '.join(SELECTORS[rule.target])}) match no {TABLE[rule.target]} row",
                             file=file)


def entity_counts(dataset: Dataset, rules: Sequence[UncertaintyRule]) -> list[int]:
    """Draws each rule needs: 1, or its number of selected entities if `independent`."""
    return [len(select(dataset, r).labels) if r.independent else 1 for r in rules]


def sample_draw(rules: Sequence[UncertaintyRule], counts: Sequence[int], seed: int, draw: int
                ) -> list[np.ndarray]:
    """Draw `draw`'s numbers: per rule, `counts[r]` draws (factors or values, before clipping)."""
    return [sample(rule, rule_rng(seed, draw, r), n) for r, (rule, n) in enumerate(zip(rules, counts,
                                                                                          strict=True))]


def parameter_rows(rules: Sequence[UncertaintyRule], labels: Sequence[tuple[str, ...]], draw: int,
                   samples: Sequence[np.ndarray]) -> pd.DataFrame:
    """Long table of a draw's numbers: draw, rule, target, apply, entity ('all' when shared), value."""
    rows = []
    for r, (rule, vals) in enumerate(zip(rules, samples, strict=True)):
        ents = labels[r] if rule.independent else ("all",)
        rows += [{"draw": draw, "rule": r, "target": rule.target, "apply": rule.apply, "entity": e,
                  "value": float(v)} for e, v in zip(ents, vals, strict=True)]
    return pd.DataFrame(rows, columns=["draw", "rule", "target", "apply", "entity", "value"])


def fill_expansion(dataset: Dataset, default: float | None) -> Dataset:
    """Empty (infinite) expansion elasticities set to the calibration default, so a factor acts on the
    value calibration would use (no change if `default` is None or none is infinite)."""
    e = dataset.routes["expansion_elasticity"].to_numpy(float)
    if default is None or np.isfinite(e).all():
        return dataset
    r = dataset.routes.copy()
    r["expansion_elasticity"] = np.where(np.isfinite(e), e, default)
    return dataset.replace(routes=r)


def perturb(dataset: Dataset, rules: Sequence[UncertaintyRule], samples: Sequence[np.ndarray],
            selections: Sequence[Selection] | None = None) -> Dataset:
    """The dataset with a draw's numbers applied, rule after rule (see petra.projection.uncertainty_rules).

    Factors are clipped at 0 before multiplying, results to the target's domain; missing (NaN)
    intensities stay missing. `selections` (per rule, `select` on a dataset with the same rows in
    the same order) saves recomputing them for every draw.
    """
    frames = {name: getattr(dataset, name) for name in ("markets", "routes", "intensities")}
    changed: set[str] = set()
    for r, (rule, vals) in enumerate(zip(rules, samples, strict=True)):
        table = TABLE[rule.target]
        column = "value" if rule.target in INTENSITY_TARGETS else rule.target
        if table not in changed:
            frames[table] = frames[table].copy()
            changed.add(table)
        sel = selections[r] if selections is not None else select(dataset, rule)
        draw = np.asarray(vals, dtype=float)[sel.entity if rule.independent else np.zeros(len(sel.rows), int)]
        col = frames[table][column].to_numpy(float).copy()
        if rule.apply == "factor":
            new = col[sel.rows] * np.maximum(draw, 0.0)
        else:
            new = np.where(np.isnan(col[sel.rows]), np.nan, draw)
        col[sel.rows] = clip_to_target(rule.target, new)
        frames[table][column] = col
    return dataset.replace(**{k: frames[k] for k in changed}) if changed else dataset
