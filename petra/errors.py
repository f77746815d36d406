"""Exceptions with the exit codes the CLI maps them to.

`InputError` (exit 2) is for anything wrong with what the user gave: a file, a row, a column, a
market that cannot clear. `SolveError` (exit 1) is for a numerical failure: HiGHS not optimal, or
an equilibrium certificate above tolerance.
"""

from __future__ import annotations


class PetraError(Exception):
    """Base class of petra's own errors; `exit_code` is what the CLI exits with."""

    exit_code = 1


class InputError(PetraError):
    """Bad input. The message is one line naming the file, row and column where known."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 column: str | None = None):
        parts = []
        if file is not None:
            parts.append(f"{file}" + (f" line {row}" if row is not None else ""))
        if column is not None:
            parts.append(f"column '{column}'")
        prefix = ", ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)
        self.file, self.row, self.column = file, row, column


class InfeasibleMarketError(InputError):
    """Markets that cannot clear (infeasible) or routes that make welfare unbounded."""


class SolveError(PetraError):
    """HiGHS did not reach optimality, or the equilibrium certificate is above tolerance."""
