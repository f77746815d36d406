"""How commands end on an error: one line on stderr and petra's exit code (typer)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

import typer
from typer.core import TyperGroup

from petra.errors import PetraError, one_line


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


class OneLineErrors(TyperGroup):
    """The `petra` command group: a bad option or argument (`--draws abc`, `--base-year 2017.5`, an
    unknown option or command) is one line on stderr, `petra: error: ...`, exit 2, instead of the
    framed multi-line box typer draws. `petra` alone still prints the help."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except typer.Abort:
            typer.echo("petra: aborted", err=True)
            sys.exit(1)
        except typer.TyperException as exc:  # typer's click: UsageError, BadParameter, NoSuchOption, ...
            if type(exc).__name__ == "NoArgsIsHelpError":  # `petra` alone: the help, as typer shows it
                return super().main(args, prog_name, complete_var, standalone_mode=True, **extra)
            ctx = getattr(exc, "ctx", None)
            where = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
            typer.echo(f"petra: error: {one_line(exc.format_message().rstrip('.') + where)}", err=True)
            sys.exit(exc.exit_code)
        sys.exit(code if isinstance(code, int) else 0)
