"""The BUILD_REPORT.md section of the projection inputs (petra.data.projection_inputs): China's use
shares, the food income response with its out-of-sample scores, productivity trends and hindcasts, and
the feed calibration."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from petra.data import income_response as ir
from petra.data import productivity_history as ph
from petra.data import ssp
from petra.trends import TREND_WINDOW, productivity_trend

REPORT_HEADING = "## Projection inputs (uses, income response, productivity, feed calibration)"
FOCUS_REGIONS = ("CHN", "ChinaReg")
"""China's region code in the shipped schemes: the region the report details."""


def _f(v, fmt=".3f") -> str:
    return "n/a" if v is None or (isinstance(v, float) and not np.isfinite(v)) else format(v, fmt)


def report_lines(base_year: int, response: pd.DataFrame, oos: pd.DataFrame, frames: dict,
                 regions: list[str], years: list[int], feed_fit: pd.DataFrame, hindcast: pd.DataFrame,
                 built_by: str) -> list[str]:
    """The BUILD_REPORT.md section: base_year, the income response (income_response.csv rows, the
    out-of-sample scores), the dataset's tables by file name, its regions and observed years, the feed
    fit (petra.data.feed_calibration.fit_scores) and the productivity hindcasts (productivity_history.
    hindcast rows with an `anchor` column)."""
    by, last = base_year, years[-1]
    focus = next((r for r in FOCUS_REGIONS if r in regions), regions[0])
    u = frames["uses.csv"]
    lines = [REPORT_HEADING, "", f"Built by `{built_by}` (also by the full build).", "",
             f"### Uses split (uses.csv): {focus}, shares of domestic use", "",
             "| commodity | year | food | feed | other | domestic use (kt) |", "|---|---|---|---|---|---|"]
    for r in u[(u["region"] == focus) & u["year"].isin([by, last])].itertuples():
        lines.append(f"| {r.commodity} | {r.year} | {r.food:.3f} | {r.feed:.3f} | {r.other:.3f} | "
                     f"{r.domestic_use:,.0f} |")
    n_world = int((u["basis"] == "world").sum())
    lines += ["", f"Region-years without FBS use (world shares): {n_world} of {len(u)}.",
              "", "### Food income elasticity slope (income_response.csv)", "",
              f"Rule: {ir.SLOPE_RULE}. Out of sample: per-capita food use predicted from the anchor year "
              "(food-use weighted mean absolute error of the log change; persistence / IMPACT constant / "
              "falling with the slope estimated only from years up to the anchor).", "",
              "| commodity | slope | basis | bounds | Engel slope (se, n) | IMPACT slope (se, R2) | "
              "OOS 2000-2009: persistence / constant / IMPACT slope / slope | "
              "OOS after the base year (same) |",
              "|---|---|---|---|---|---|---|---|"]
    oos = oos.set_index(["commodity", "window"])
    for r in response.itertuples():
        o = oos.loc[r.commodity]
        cells = []
        for w in o.index:
            q = o.loc[w]
            cells.append(f"{q['mae_persistence']:.3f} / {q['mae_impact_constant']:.3f} / "
                         f"{q['mae_falling_impact']:.3f} / {q['mae_falling']:.3f}")
        lines.append(f"| {r.commodity} | {r.slope:.3f} | {r.basis} | [{r.low:.2f}, {r.high:.2f}] | "
                     f"{r.engel_slope:.3f} ({r.engel_se:.3f}, {r.engel_n}) | {r.impact_slope:.3f} "
                     f"({r.impact_se:.3f}, {r.impact_r2:.2f}) | {cells[0]} | {cells[-1]} |")
    fe = frames["food_income_elasticities.csv"]
    f0 = fe[fe["region"] == focus]
    lines += ["", f"Base-year food income elasticities, {focus} (IMPACT 2005 -> {by}): "
              + ", ".join(f"{r.commodity} {r.impact_elasticity_2005:.2f} -> {r.food_income_elasticity:.2f}"
                          for r in f0.itertuples()), ""]
    prod = frames["productivity_history.csv"]
    tr = productivity_trend(prod, by)
    lines += [f"### Productivity trends (productivity_history.csv; petra.trends, window {TREND_WINDOW} years "
              f"up to {by})", "",
              "Bases: " + ", ".join(f"{k} {v}" for k, v in tr["basis"].value_counts().items()), "",
              "| region | commodity | rate %/yr | se | years | basis | world rate |",
              "|---|---|---|---|---|---|---|"]
    show = tr[tr["region"].isin(["CHN", "USA", "BRA", "ChinaReg", "USAReg", "BrazilReg"])
              & tr["commodity"].isin(["maize", "soybeans", "wheat", "dairy", "pig_meat", "poultry_meat"])]
    lines += [f"| {r.region} | {r.commodity} | {r.rate:.2f} | {_f(r.se, '.2f')} | {r.n_years} | {r.basis} | "
              f"{_f(r.world_rate, '.2f')} |" for r in show.itertuples()]
    lines += ["", f"Hindcast of the estimator alone: trends from the {TREND_WINDOW} years up to the anchor "
              f"predict the years after it (anchor {ph.HINDCAST_EARLY}: to {by}; anchor {by}: to "
              f"{ph.HINDCAST_LAST['crop']} for crops, "
              f"{ph.HINDCAST_LAST['livestock']} for livestock) from the trend's "
              "level at the anchor; production-weighted mean absolute log error:", "",
              "| anchor | method | crop | livestock | all | n |", "|---|---|---|---|---|---|"]
    for (anchor, method), d in hindcast.groupby(["anchor", "method"], sort=False):
        v = d.set_index("kind")
        m = v["male"]
        lines.append(f"| {anchor} | {method} | {m['crop']:.4f} | {m['livestock']:.4f} | {m['all']:.4f} | "
                     f"{v.loc['all', 'n']} |")
    cal = frames["feed_calibration.csv"]
    ff = feed_fit.set_index(["scope", "period", "method"])["wape"]
    methods = list(dict.fromkeys(feed_fit["method"]))
    lines += ["", "### Feed calibration (feed_history.csv, feed_calibration.csv)", "",
              f"WAPE of FBS feed reproduced by the {by} ratio x feed.csv requirements x FBS livestock output "
              f"(fit window: the {TREND_WINDOW - 1} years before {by}; after: {by + 1}-{years[-1]}):", "",
              "| scope | period | " + " | ".join(methods) + " |", "|---|---|" + "---|" * len(methods)]
    scopes = ["all"] + [f"{focus} {f}" for f in ("maize", "soybeans")]
    for scope in scopes:
        for period in ("fit", "after"):
            if (scope, period, methods[0]) in ff.index:
                cells = " | ".join(_f(ff[(scope, period, m)]) for m in methods)
                lines.append(f"| {scope} | {period} | {cells} |")
    lines += ["", "| region | feed | FBS feed kt | implied kt | factor | trend %/yr | basis | world trend |",
              "|---|---|---|---|---|---|---|---|"]
    c0 = cal[cal["region"] == focus]
    lines += [f"| {r.region} | {r.feed} | {r.fbs_feed:,.0f} | {_f(r.implied_feed, ',.0f')} | "
              f"{_f(r.factor)} | {_f(r.trend, '.2f')} | {r.trend_basis} | {_f(r.world_trend, '.2f')} |"
              for r in c0.itertuples()]
    return lines + [""]


def write_report_section(path: Path, lines: list[str]) -> None:
    """Replace this module's section of BUILD_REPORT.md, placed before the SSP drivers section (which
    petra.data.ssp keeps last) or at the end."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    chunks = ("\n" + text).split("\n## ")
    head, sections = chunks[0].lstrip("\n"), ["## " + c for c in chunks[1:]]
    mine = REPORT_HEADING[3:]
    sections = [s for s in sections if not s[3:].startswith(mine)]
    at = next((i for i, s in enumerate(sections) if s.startswith(ssp.REPORT_HEADING)), len(sections))
    sections.insert(at, "\n".join(lines))
    out = "\n\n".join([head.rstrip("\n")] + [s.rstrip("\n") for s in sections]) + "\n"
    ssp.write_text(path, out)
