"""Progress of long commands (petra.progress): one plain line per step with elapsed time and ETA when
the output is not a terminal, a rich bar in a terminal; wired into `petra calibrate --fit` and
`petra hindcast`."""

from __future__ import annotations

import io
import re

import pytest
from typer.testing import CliRunner

from petra.calibration.base_year import calibrate_base_year
from petra.calibration.config import CalibrationConfig
from petra.calibration.fit import synthetic_history
from petra.cli import app
from petra.dataset import write_dataset
from petra.progress import (
    LineProgress,
    eta_seconds,
    format_seconds,
    progress_reporter,
    step_line,
    within,
)
from petra.synthetic import world_dataset

runner = CliRunner()
STEP = re.compile(r"^(calibrate|hindcast): (\d+)/(\d+) (.+?) \((\d+\.\d) s(?:, ETA (\d+\.\d) s)?\)$")


def test_eta_is_the_mean_step_time_times_the_steps_left():
    assert eta_seconds(10.0, 2, 5) == pytest.approx(15.0)  # 5 s a step, 3 left
    assert eta_seconds(10.0, 5, 5) == 0.0
    assert eta_seconds(3.0, 0, 5) is None
    assert format_seconds(12.34) == "12.3 s" and format_seconds(245) == "4 min 05 s"
    assert format_seconds(3720) == "1 h 02 min"


def test_line_progress_prints_one_line_per_step():
    ticks = iter([100.0, 104.0, 110.0, 112.0])  # start, then the time of each step
    out = io.StringIO()
    progress = LineProgress("fit", out, clock=lambda: next(ticks))
    progress(1, 3, "maize")
    progress(2, 3, "rice")
    progress(3, 3, "wheat")
    assert out.getvalue().splitlines() == [
        "fit: 1/3 maize (4.0 s, ETA 8.0 s)",   # 4 s for 1 step, 2 left
        "fit: 2/3 rice (10.0 s, ETA 5.0 s)",   # 5 s a step, 1 left
        "fit: 3/3 wheat (12.0 s)",             # done: no ETA
    ]
    assert step_line("x", 1, 2, "", 1.0) == "x: 1/2 (1.0 s, ETA 1.0 s)"


def test_reporter_lines_bar_and_quiet():
    out = io.StringIO()
    with progress_reporter("hindcast", stream=out) as progress:  # a StringIO is no terminal
        progress(1, 2, "calibrated")
    assert out.getvalue().startswith("hindcast: 1/2 calibrated (") and "\x1b" not in out.getvalue()
    quiet = io.StringIO()
    with progress_reporter("hindcast", stream=quiet, quiet=True) as progress:
        progress(1, 2, "calibrated")
    assert quiet.getvalue() == ""
    tty = io.StringIO()
    with progress_reporter("fit", stream=tty, tty=True) as progress:
        for k in range(1, 4):
            progress(k, 3, f"c{k}")
    assert "\x1b[" in tty.getvalue() and "ETA" in tty.getvalue()  # rich drew (and cleared) a bar


def test_within_places_a_sub_stage_in_the_command_steps():
    seen = []
    inner = within(lambda d, t, label: seen.append((d, t, label)), 1, 5, "fit ")
    inner(1, 3, "maize")
    inner(3, 3, "wheat")
    assert seen == [(2, 5, "fit maize"), (4, 5, "fit wheat")]
    assert within(None, 1, 5) is None


@pytest.fixture(scope="module")
def history_dir(tmp_path_factory):
    """Two commodities with model-generated history 2011-2013 after a calibrated 2010."""
    cfg = CalibrationConfig(method="exact", unused_margin=0.01)
    cal = calibrate_base_year(world_dataset(6, 2, seed=7), cfg).dataset
    cal = cal.replace(metadata={**cal.metadata, "base_year": 2010})
    hist = synthetic_history(cal, [2011, 2012, 2013], {"c00": 1.5, "c01": 3.0}, {"c00": 0.5, "c01": 2.0},
                             sigma=0.15, seed=4)
    folder = tmp_path_factory.mktemp("progress") / "ds"
    write_dataset(hist, folder)
    return folder


def steps(text: str, name: str) -> list[tuple]:
    found = []
    for line in text.splitlines():
        m = STEP.match(line)
        if m and m[1] == name:
            found.append((int(m[2]), int(m[3]), m[4], m[6] is not None))
    return found


def test_calibrate_fit_prints_a_line_per_commodity(history_dir, tmp_path):
    res = runner.invoke(app, ["calibrate", str(history_dir), "--fit", "2011-2012", "--out",
                              str(tmp_path / "cal")])
    assert res.exit_code == 0, res.output
    # base year, then one step per commodity (2), ETA until the last
    assert steps(res.stderr, "calibrate") == [(1, 3, "base year", True), (2, 3, "fit c00", True),
                                              (3, 3, "fit c01", False)]


def test_hindcast_prints_a_line_per_step_and_quiet_prints_none(history_dir, tmp_path):
    args = ["hindcast", str(history_dir), "--base-year", "2010", "--eval", "2013", "--fit", "2011-2012"]
    res = runner.invoke(app, [*args, "--out", str(tmp_path / "h")])
    assert res.exit_code == 0, res.output
    assert steps(res.stderr, "hindcast") == [(1, 5, "calibrated 2010", True), (2, 5, "fit c00", True),
                                             (3, 5, "fit c01", True), (4, 5, "projected 2011-2013", True),
                                             (5, 5, "scored", False)]
    res = runner.invoke(app, [*args, "--out", str(tmp_path / "q"), "--quiet"])
    assert res.exit_code == 0 and res.stderr == ""
