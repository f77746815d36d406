"""How commands end on an error: one line on stderr and petra's exit code (typer)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import typer

from petra.errors import PetraError


@contextlib.contextmanager
def exit_on_error(interrupted: str = "nothing written") -> Iterator[None]:
    """Turn a PetraError into `petra: error: <message>` and its exit code (2 bad input, 1 solve),
    and Ctrl-C or SIGTERM into `petra: interrupted; <interrupted>` and exit 130."""
    try:
        yield
    except PetraError as exc:
        typer.echo(f"petra: error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        typer.echo(f"petra: interrupted; {interrupted}", err=True)
        raise typer.Exit(130) from None
