"""The hindcast report (report.html). Placeholder until the full report lands: scores only."""

from __future__ import annotations

import html
from pathlib import Path


def write_report(path: Path, result, *, title: str, focus_region: str, unit: str, settings: dict) -> None:
    m = result.metrics
    pooled = m[(m["commodity"] == "all") & (m["year"].astype(str) == "all")]
    path.write_text(f"<html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head><body>"
                    f"<h1>{html.escape(title)}</h1>{pooled.to_html(index=False)}</body></html>",
                    encoding="utf-8")
