"""Exceptions with the exit codes the CLI maps them to.

`InputError` (exit 2) is for anything wrong with what the user gave: a file, a row, a column, a
market that cannot clear. `SolveError` (exit 1) is for a numerical failure: HiGHS not optimal, or
an equilibrium certificate above tolerance.

Every message is one line of at most `MAX_MESSAGE_CHARS` characters (`one_line`): line breaks and
control characters (NUL included) become spaces and a longer message is cut with " ...", so no
input, however large, can produce a long or multi-line error.
"""

from __future__ import annotations

import re

MAX_MESSAGE_CHARS = 400  # longest error message petra prints (characters, one line)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def one_line(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """`text` on one line (control characters -> a space) cut to `limit` characters with " ..."."""
    flat = _CONTROL.sub(" ", str(text))
    return flat if len(flat) <= limit else flat[: limit - 4] + " ..."


def shown(value: object, limit: int = 60) -> str:
    """A user-given value quoted in a message: repr-like, one line, at most `limit` characters."""
    return one_line(repr(value) if not isinstance(value, str) else value, limit)


class PetraError(Exception):
    """Base class of petra's own errors; `exit_code` is what the CLI exits with."""

    exit_code = 1

    def __str__(self) -> str:
        return one_line(super().__str__())


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
