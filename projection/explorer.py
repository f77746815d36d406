"""`petra explore RUN_DIR`: one self-contained HTML file to browse a `petra run` output offline.

`explorer_data(run_dir)` reads the run's files into compact, JSON-ready tables (names listed once,
rows as flat lists of indices and values rounded to `SIGNIFICANT_DIGITS`); `render_explorer(data)`
inlines them with the explorer's own JavaScript and CSS (`explorer.js`, `explorer.css` beside this
module: vanilla JS drawing inline SVG, no library, nothing fetched when the file is opened);
`write_explorer(run_dir, out)` writes the file atomically (`petra.atomic`). Tables embedded:

    iamc       every IAMC variable x scenario x region (iamc.csv), one value per year (IAMC units)
    flows      bilateral flows > 0 per scenario, period and commodity (flows.parquet, data quantity
               unit; solver round-off zeroed as in the embodied accounts)
    embodied   resources embodied in each importer's imports per partner, summed over commodities
               (embodied.parquet, indicator units; routes whose intensity is missing are left out)
    prices     market prices (markets.parquet, USD/t), for the tooltips of the flow matrix

Colours are petra.palette's (region_colour, scenario_colour), the same as the run's plots.
"""

from __future__ import annotations

import html
import json
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd

from petra.atomic import OUTPUT_MARKER, guard_output_file, html_output_marker, output_command
from petra.errors import InputError
from petra.palette import OTHER_COLOUR, region_colour, scenario_colour
from petra.projection.outputs import MAX_PARTNERS_SHOWN
from petra.projection.run_files import read_file
from petra.textfiles import load_yaml

SIGNIFICANT_DIGITS = 5
"""Digits kept for every embedded value (a relative rounding error below 5e-5)."""

COMMAND = "explore"
RUN_FILES = ("summary.json", "scenarios.yaml", "iamc.csv", "markets.parquet", "flows.parquet")
"""Files of a `petra run` output the explorer needs (embodied.parquet is optional)."""

ROUND_OFF = 1e-9
"""Flows at most this share of the commodity's largest flow in the period are solver round-off (0)."""


def rounded(values) -> list:
    """Floats rounded to SIGNIFICANT_DIGITS (shortest JSON text); NaN and infinity -> None."""
    out = []
    for v in np.asarray(values, dtype=float):
        out.append(float(f"{v:.{SIGNIFICANT_DIGITS}g}") if np.isfinite(v) else None)
    return out


def _codes(column: pd.Series, names: list[str]) -> np.ndarray:
    """Positions of `column`'s values in `names` (all must be there)."""
    idx = pd.Index(names).get_indexer(column.astype(str))
    if (idx < 0).any():
        raise ValueError(f"{column.name} {column[idx < 0].iloc[0]!r} is not in markets.parquet")
    return idx


def _period_codes(column: pd.Series, periods: list[int]) -> np.ndarray:
    return _codes(column.astype(int).astype(str), [str(p) for p in periods])


def _interleave(int_columns: list[np.ndarray], values) -> list:
    """Rows [i0, i1, ..., value] flattened into one list (the compact embedded layout)."""
    vals = rounded(values)
    ints = np.column_stack(int_columns).tolist() if int_columns else [[] for _ in vals]
    flat: list = []
    for row, v in zip(ints, vals, strict=True):
        flat.extend(row)
        flat.append(v)
    return flat


MARKET_COLUMNS = ("scenario", "period", "region", "commodity", "price")
FLOW_COLUMNS = ("scenario", "period", "exporter", "importer", "commodity", "flow")


def check_run_dir(run_dir: Path) -> None:
    """InputError unless `run_dir` is a `petra run` output folder with the files the explorer reads."""
    if not run_dir.is_dir():
        raise InputError("not a folder (give a `petra run` output folder such as runs/default)",
                         file=str(run_dir))
    owner = output_command(run_dir)
    if owner != "run":
        what = f"the output of `petra {owner}`" if owner else f"not a petra output (no {OUTPUT_MARKER})"
        raise InputError(f"is {what}; `petra explore` reads a `petra run` output folder", file=str(run_dir))
    for name in RUN_FILES:
        if not (run_dir / name).is_file():
            raise InputError(f"{name} is missing (an incomplete or older `petra run` output)",
                             file=str(run_dir))


def iamc_table(path: Path, scenarios: list[str]) -> dict:
    """The IAMC results (wide iamc.csv) as names plus rows [variable, scenario, region, v_year...]."""
    wide = read_file(path, pd.read_csv, pd.DataFrame)
    wide.columns = [str(c) for c in wide.columns]
    lower = {c.lower(): c for c in wide.columns}
    try:
        key = {k: lower[k] for k in ("scenario", "region", "variable", "unit")}
    except KeyError as exc:
        raise InputError(f"column {exc} is missing", file=str(path)) from None
    years = sorted((c for c in wide.columns if c.isdigit()), key=int)
    wide = wide.sort_values([key["variable"], key["scenario"], key["region"]], kind="stable")
    variables = list(dict.fromkeys(wide[key["variable"]].astype(str)))
    units = wide.groupby(key["variable"], sort=False)[key["unit"]].first().reindex(variables).astype(str)
    regions = sorted(set(wide[key["region"]].astype(str)))
    scen_order = scenarios + sorted(set(wide[key["scenario"]].astype(str)) - set(scenarios))
    ints = [_codes(wide[key["variable"]], variables), _codes(wide[key["scenario"]], scen_order),
            _codes(wide[key["region"]], regions)]
    vals = wide[years].to_numpy(float)
    flat: list = []
    body = rounded(vals.ravel())
    n = len(years)
    for k, row in enumerate(np.column_stack(ints).tolist()):
        flat.extend(row)
        flat.extend(body[k * n:(k + 1) * n])
    return {"years": [int(y) for y in years], "variables": variables, "units": units.tolist(),
            "regions": regions, "scenarios": scen_order, "rows": flat}


def flow_table(flows: pd.DataFrame, scenarios: list[str], periods: list[int], regions: list[str],
               commodities: list[str]) -> list:
    """Flows > 0 (round-off zeroed) as flat rows [scenario, period, commodity, exporter, importer, flow]."""
    f = flows[["scenario", "period", "exporter", "importer", "commodity", "flow"]].copy()
    biggest = f.groupby(["scenario", "commodity", "period"])["flow"].transform("max")
    f = f[(f["flow"] > ROUND_OFF * biggest) & (f["flow"] > 0)]
    return _interleave([_codes(f["scenario"], scenarios), _period_codes(f["period"], periods),
                        _codes(f["commodity"], commodities), _codes(f["exporter"], regions),
                        _codes(f["importer"], regions)], f["flow"])


def embodied_table(path: Path, scenarios: list[str], periods: list[int], regions: list[str]) -> dict | None:
    """Embodied resources per importer and partner, summed over commodities (routes with a missing
    intensity left out), as flat rows [scenario, period, indicator, exporter, importer, value]."""
    if not path.is_file():
        return None
    e = read_file(path, lambda p: pd.read_parquet(p, columns=["scenario", "period", "exporter", "importer",
                                                          "indicator", "value", "unit"]), pd.DataFrame)
    e = e[e["value"].notna() & (e["value"] > 0)]
    if e.empty:
        return None
    units = e.groupby("indicator")["unit"].first()
    indicators = sorted(units.index)
    g = e.groupby(["scenario", "period", "indicator", "exporter", "importer"], as_index=False,
                  sort=True)["value"].sum()
    rows = _interleave([_codes(g["scenario"], scenarios), _period_codes(g["period"], periods),
                        _codes(g["indicator"], indicators), _codes(g["exporter"], regions),
                        _codes(g["importer"], regions)], g["value"])
    return {"indicators": indicators, "units": [str(units[i]) for i in indicators], "rows": rows}


def explorer_data(run_dir: str | Path) -> dict:
    """Everything the explorer shows, read from a `petra run` output folder (InputError if it is not
    one). Names are listed once; tables are flat lists of indices and rounded values."""
    run_dir = Path(run_dir)
    check_run_dir(run_dir)
    try:
        return _explorer_data(run_dir)
    except ValueError as exc:  # a name in one file that markets.parquet does not have
        raise InputError(f"the run's files disagree: {exc}", file=str(run_dir)) from None


def _explorer_data(run_dir: Path) -> dict:
    summary = read_file(run_dir / "summary.json", lambda p: json.loads(p.read_text(encoding="utf-8")), dict)
    resolved = read_file(run_dir / "scenarios.yaml", lambda p: load_yaml(p, what="scenarios.yaml"), dict)
    markets = read_file(run_dir / "markets.parquet", pd.read_parquet, pd.DataFrame)
    flows = read_file(run_dir / "flows.parquet", pd.read_parquet, pd.DataFrame)
    for name, table, columns in (("markets.parquet", markets, MARKET_COLUMNS),
                                 ("flows.parquet", flows, FLOW_COLUMNS)):
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise InputError(f"column '{missing[0]}' is missing", file=str(run_dir / name))
    scenarios = list(dict.fromkeys(markets["scenario"].astype(str)))
    periods = sorted(int(p) for p in markets["period"].unique())
    regions = sorted(set(markets["region"].astype(str)))
    commodities = list(dict.fromkeys(markets["commodity"].astype(str)))
    iamc = iamc_table(run_dir / "iamc.csv", scenarios)
    all_scenarios = iamc.pop("scenarios")  # the run's scenarios first (same codes), then any other
    prices = _interleave([_codes(markets["scenario"], scenarios),
                          _period_codes(markets["period"], periods),
                          _codes(markets["commodity"], commodities), _codes(markets["region"], regions)],
                         markets["price"])
    focus = str(resolved.get("focus_region") or "")
    dataset = str(summary.get("dataset") or resolved.get("dataset") or "")
    return {
        "petra_explorer": 1,
        "run": run_dir.resolve().name, "dataset": Path(dataset).name if dataset else "",
        "scenario_file": Path(str(summary.get("scenario_file") or "")).name,
        "focus": focus if focus in regions else (regions[0] if regions else ""),
        "periods": periods, "scenarios": all_scenarios,
        "scenario_colours": [scenario_colour(s) for s in all_scenarios],
        "scenario_ok": [bool(summary.get("scenarios", {}).get(s, {}).get("ok", True)) for s in all_scenarios],
        "failed": [f"{name}: {info.get('failure')}" for name, info in summary.get("scenarios", {}).items()
                   if isinstance(info, dict) and not info.get("ok", True)],
        "regions": regions, "region_colours": [region_colour(r) for r in regions],
        "iamc_region_colours": [region_colour(r) for r in iamc["regions"]],
        "other_colour": OTHER_COLOUR, "max_partners": MAX_PARTNERS_SHOWN,
        "commodities": commodities, "quantity_unit": str(summary.get("quantity_unit") or "data units"),
        "price_unit": "USD/t",
        "iamc": iamc,
        "flows": flow_table(flows, scenarios, periods, regions, commodities),
        "prices": prices,
        "embodied": embodied_table(run_dir / "embodied.parquet", scenarios, periods, regions),
    }


def _asset(name: str) -> str:
    return files("petra.projection").joinpath(name).read_text(encoding="utf-8")


def script_json(data: dict) -> str:
    """`data` as compact JSON safe inside a <script> element (no `</` or `<!--` can end it)."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def render_explorer(data: dict) -> str:
    """The self-contained HTML page of `explorer_data`'s tables (no external resource)."""
    title = html.escape(f"petra explorer: {data['run']}")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"{html_output_marker(COMMAND)}\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{title}</title>\n<style>\n{_asset('explorer.css')}\n</style>\n</head>\n<body>\n"
        "<noscript>This explorer needs JavaScript (it runs offline, in this file).</noscript>\n"
        "<div id=\"app\"></div>\n"
        f"<script id=\"petra-data\" type=\"application/json\">{script_json(data)}</script>\n"
        f"<script>\n{_asset('explorer.js')}\n</script>\n</body>\n</html>\n")


def write_explorer(run_dir: str | Path, out: str | Path | None = None) -> tuple[Path, int]:
    """Write the explorer of `run_dir` to `out` (default RUN_DIR/explorer.html) atomically; returns
    the path and its size in bytes. InputError if `run_dir` is not a `petra run` output or `out` is
    not petra's own explorer file (nothing written)."""
    from petra.atomic import atomic_output_file

    run_dir = Path(run_dir)
    out = Path(out) if out is not None else run_dir / "explorer.html"
    check_run_dir(run_dir)
    target = guard_output_file(out, COMMAND, [run_dir / name for name in RUN_FILES])
    page = render_explorer(explorer_data(run_dir)).encode("utf-8")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_output_file(target) as tmp:
            tmp.write_bytes(page)
    except OSError as exc:
        raise InputError(f"--out could not be written ({exc.strerror or exc}); nothing was changed",
                         file=str(out)) from None
    return target, len(page)
