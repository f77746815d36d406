"""Progress of long commands: a rich bar with ETA in a terminal, one plain line per step otherwise.

Stages report through a plain callback `progress(done, total, label)` (after step `done` of `total`,
`label` naming the step just finished), so they import nothing from here and stay testable. A
command makes the callback with `progress_reporter(...)`:

    with progress_reporter("fit", console=console) as progress:
        fit_parameters(dataset, years, cfg, progress=progress)

In a terminal (the stream is a TTY) the bar shows the step, done/total, elapsed time and ETA and
disappears when done. Otherwise (logs, CI, pipes) each call prints one line::

    fit: 3/13 maize (4.1 s, ETA 13.7 s)

The ETA is the elapsed time per step done so far times the steps left (seconds); it is left out
until a step is done. `total` may change between calls (a stage learns its step count late).
`petra calibrate --fit` and `petra hindcast` use it; any new long command should.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from typing import TextIO

ProgressCallback = Callable[[int, int, str], None]
"""progress(done, total, label): step `done` of `total` has finished; `label` names it."""


def eta_seconds(elapsed: float, done: int, total: int) -> float | None:
    """Seconds left at the mean time per step so far (None before the first step; 0 when done)."""
    if done <= 0 or total <= 0:
        return None
    return max(total - done, 0) * elapsed / done


def format_seconds(seconds: float) -> str:
    """`12.3 s`, `4 min 05 s` or `1 h 02 min`."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        m, s = divmod(int(round(seconds)), 60)
        return f"{m} min {s:02d} s"
    h, m = divmod(int(round(seconds / 60)), 60)
    return f"{h} h {m:02d} min"


def step_line(name: str, done: int, total: int, label: str, elapsed: float) -> str:
    """The plain line of one step: `name: done/total label (elapsed, ETA left)`."""
    eta = eta_seconds(elapsed, done, total)
    times = format_seconds(elapsed) + (f", ETA {format_seconds(eta)}" if eta is not None and done < total
                                       else "")
    return f"{name}: {done}/{total}{f' {label}' if label else ''} ({times})"


def within(progress: ProgressCallback | None, before: int, total: int, prefix: str = ""
           ) -> ProgressCallback | None:
    """A callback for a sub-stage whose steps come after `before` steps of a command's `total`:
    its (done, _, label) is reported as (before + done, total, prefix + label); None stays None."""
    if progress is None:
        return None

    def inner(done: int, _total: int, label: str = "") -> None:
        progress(before + done, total, f"{prefix}{label}")

    return inner


class LineProgress:
    """A callback printing one `step_line` per step to `stream` (no terminal control characters)."""

    def __init__(self, name: str, stream: TextIO, clock: Callable[[], float] = time.perf_counter):
        self.name, self.stream, self.clock = name, stream, clock
        self.start = clock()

    def __call__(self, done: int, total: int, label: str = "") -> None:
        print(step_line(self.name, done, total, label, self.clock() - self.start), file=self.stream,
              flush=True)


@contextlib.contextmanager
def progress_reporter(name: str, *, stream: TextIO | None = None, quiet: bool = False,
                      tty: bool | None = None) -> Iterator[ProgressCallback]:
    """A progress callback for the block: a rich bar with ETA when `stream` (default stderr) is a
    terminal (or `tty` is True), else one line per step; nothing at all when `quiet`."""
    stream = stream if stream is not None else sys.stderr
    if quiet:
        yield lambda done, total, label="": None
        return
    if tty is None:
        tty = bool(getattr(stream, "isatty", lambda: False)())
    if not tty:
        yield LineProgress(name, stream)
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(file=stream, force_terminal=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=console,
                  transient=True) as bar:
        task = bar.add_task(name, total=None)

        def update(done: int, total: int, label: str = "") -> None:
            bar.update(task, total=total, completed=done, description=f"{name} {label}".strip())

        yield update


__all__ = ["ProgressCallback", "LineProgress", "eta_seconds", "format_seconds", "progress_reporter",
           "step_line", "within"]
