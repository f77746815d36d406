"""Write outputs all-or-nothing and never over a user's files.

`atomic_output_dir` builds an output folder in a temporary sibling and moves it into place; before
anything is written, `guard_output_dir` refuses a target that is not petra's own output of the same
command (marker file `.petra-output.json`), the working directory or one of its parents, an input or
a folder containing an input. Leftover temporary siblings of a killed run (kill -9) are removed on
the next run into the same place. `interrupt_on_sigterm` makes SIGTERM interrupt a command as Ctrl-C
does, so the temporary parts are cleaned up.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from petra.errors import InputError

OUTPUT_MARKER = ".petra-output.json"
"""File petra writes into every output folder it owns: {"petra_output": <command>}."""


def _marker_text(command: str) -> str:
    return json.dumps({"petra_output": command}) + "\n"


def output_command(folder: Path) -> str | None:
    """The command whose output `folder` is (from its marker), or None if it is not petra's output."""
    try:
        doc = json.loads((Path(folder) / OUTPUT_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc.get("petra_output") if isinstance(doc, dict) else None


def guard_output_location(out: str | os.PathLike,
                          inputs: Iterable[str | os.PathLike | None] = ()) -> Path:
    """The resolved `out`, or InputError if it is a symbolic link, an existing file, a mount point, the
    working directory or one of its parents, an input (file or folder) or a folder containing one, or a
    name the file system cannot take (too long, also for the temporary sibling petra writes first)."""
    try:
        return _guard_location(Path(out), inputs)
    except OSError as exc:  # ENAMETOOLONG and the like, from the first look at the path
        raise InputError(f"--out cannot be used ({exc.strerror or exc})", file=str(out)) from None


TEMPORARY_NAME_EXTRA = 40  # bytes a temporary sibling's name adds to --out's: ".NAME.tmp-<pid>-<random>"


def check_name_length(target: Path) -> None:
    """InputError if the last part of `target` leaves no room for its temporary sibling's name."""
    parent = next((p for p in target.parents if p.is_dir()), Path("/"))
    try:
        limit = os.pathconf(parent, "PC_NAME_MAX")
    except (OSError, ValueError):  # pragma: no cover - a file system that does not say
        limit = 255
    size = len(os.fsencode(target.name))
    if size + TEMPORARY_NAME_EXTRA > limit:
        raise InputError(f"--out's name is {size} bytes; petra takes names of at most "
                         f"{limit - TEMPORARY_NAME_EXTRA} bytes here (it writes a temporary file or folder "
                         "named after it first)", file=str(target))


def _guard_location(raw: Path, inputs: Iterable[str | os.PathLike | None]) -> Path:
    if raw.is_symlink():
        raise InputError("--out is a symbolic link; petra replaces its output folder whole, so give the "
                         "real path", file=str(raw))
    target = raw.resolve()
    if target.exists() and not target.is_dir():
        raise InputError("--out exists and is not a folder; refusing to replace it", file=str(raw))
    if os.path.ismount(target):
        raise InputError("--out is a mount point, which cannot be replaced whole (petra writes its output "
                         "folder beside it and renames it into place): give a folder inside it",
                         file=str(raw))
    check_name_length(target)
    cwd = Path.cwd().resolve()
    if target == cwd or target in cwd.parents:
        raise InputError("--out is the working directory or one of its parents; refusing to replace it",
                         file=str(raw))
    for item in inputs:
        if item is None:
            continue
        src = Path(item).resolve()
        if src == target or target in src.parents:
            raise InputError(f"--out {'is' if src == target else 'contains'} the input {src}; refusing "
                             "to replace it", file=str(raw))
    return target


def guard_output_dir(out: str | os.PathLike, command: str,
                     inputs: Iterable[str | os.PathLike | None] = ()) -> Path:
    """The resolved output folder `out` for `petra <command>`, or InputError (exit 2) if writing there
    could destroy anything that is not petra's own output of the same command.

    Refused: whatever `guard_output_location` refuses, and an existing non-empty folder without the
    marker of the same command. An empty folder is accepted. Nothing is touched.
    """
    target = guard_output_location(out, inputs)
    if target.is_dir():
        try:
            empty = not any(target.iterdir())
        except OSError as exc:
            raise InputError(f"--out cannot be read ({exc.strerror})", file=str(out)) from None
        owner = output_command(target)
        if not empty and owner != command:
            what = (f"the output of `petra {owner}`" if owner else
                    f"not a petra output (no {OUTPUT_MARKER})")
            raise InputError(f"--out exists and is {what}; petra replaces only its own `petra {command}` "
                             "output: choose another folder or remove this one yourself", file=str(out))
    return target


HTML_MARKER = re.compile(rb'<meta name="petra-output" content="([a-z]+)">')
HTML_MARKER_BYTES = 4096  # the marker is looked for in a file's first bytes


def html_output_marker(command: str) -> str:
    """The <meta> element marking an HTML file as petra's own output of `command` (in its <head>)."""
    return f'<meta name="petra-output" content="{command}">'


def file_output_command(path: Path) -> str | None:
    """The command whose output the file `path` is (its HTML marker), or None."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(HTML_MARKER_BYTES)
    except OSError:
        return None
    m = HTML_MARKER.search(head)
    return m[1].decode() if m else None


def guard_output_file(out: str | os.PathLike, command: str,
                      inputs: Iterable[str | os.PathLike | None] = ()) -> Path:
    """The resolved output file `out` of `petra <command>`, or InputError (exit 2) if writing there
    could destroy anything that is not petra's own output of the same command: a symbolic link, a
    folder, an input, or an existing file without the command's HTML marker. Nothing is touched."""
    try:
        return _guard_file(Path(out), command, inputs)
    except OSError as exc:  # ENAMETOOLONG and the like, from the first look at the path
        raise InputError(f"--out cannot be used ({exc.strerror or exc})", file=str(out)) from None


def _guard_file(raw: Path, command: str, inputs: Iterable[str | os.PathLike | None]) -> Path:
    if raw.is_symlink():
        raise InputError("--out is a symbolic link; give the real path", file=str(raw))
    target = raw.resolve()
    check_name_length(target)
    if target.is_dir():
        raise InputError("--out is a folder; give a file name such as explorer.html", file=str(raw))
    for item in inputs:
        if item is not None and Path(item).resolve() == target:
            raise InputError("--out is an input of this command; refusing to replace it", file=str(raw))
    if target.exists():
        owner = file_output_command(target)
        if owner != command:
            what = (f"the output of `petra {owner}`" if owner else
                    "not a petra output (no petra-output marker)")
            raise InputError(f"--out exists and is {what}; petra replaces only its own `petra {command}` "
                             "file: choose another name or remove this one yourself", file=str(raw))
    return target


_LEFTOVER = re.compile(r"\.(?P<name>.+)\.(?:tmp|old)-(?P<pid>\d+)(?:-.*)?$")


def remove_leftovers(target: Path) -> list[Path]:
    """Remove hidden temporary siblings `.<name>.tmp-<pid>-*` / `.<name>.old-<pid>` of `target` left
    by a process that no longer runs (kill -9 while writing); returns what was removed."""
    removed = []
    try:
        siblings = list(target.parent.iterdir())
    except OSError:
        return removed
    for p in siblings:
        m = _LEFTOVER.fullmatch(p.name)
        if not m or m["name"] != target.name or not p.is_dir() or p.is_symlink():
            continue
        if _alive(int(m["pid"])):
            continue
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True
    return True


@contextlib.contextmanager
def atomic_output_dir(out: str | os.PathLike, command: str,
                      inputs: Iterable[str | os.PathLike | None] = ()) -> Iterator[Path]:
    """Yield a fresh temporary directory that replaces `out` only if the block completes.

    `out` is first checked with `guard_output_dir` (InputError, nothing touched). The temporary
    directory is a sibling of `out` (same filesystem, so the final rename is atomic) and gets the
    marker of `command`. On any exception, including KeyboardInterrupt, it is removed and `out` is
    left as it was. An existing `out` (petra's own output of `command`) is replaced whole, never merged.
    """
    out = guard_output_dir(out, command, inputs)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        remove_leftovers(out)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-{os.getpid()}-", dir=out.parent))
    except OSError as exc:
        raise InputError(f"--out cannot be written ({exc.strerror})", file=str(out)) from None
    try:
        _usual_mode(tmp, 0o777)  # mkdtemp makes it private (0700)
        (tmp / OUTPUT_MARKER).write_text(_marker_text(command), encoding="utf-8")
        yield tmp
        guard_output_dir(out, command, inputs)  # nothing new appeared there meanwhile
        old = None
        if out.exists():
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            os.replace(out, old)
        os.replace(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise InputError(f"--out could not be written ({exc.strerror or exc}); nothing was changed there",
                         file=str(out)) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def atomic_output_file(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to `path` that replaces `path` only if the block completes (the
    block writes the file); on any exception it is removed and `path` is left as it was."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    _usual_mode(Path(tmp), 0o666)  # mkstemp makes it private (0600)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _usual_mode(path: Path, full: int) -> None:
    """Give `path` the mode a new file or directory would get (`full` less the umask)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, full & ~umask)


def interrupt_on_sigterm() -> None:
    """Make SIGTERM (a kill) raise KeyboardInterrupt in the main thread, as Ctrl-C does, so that
    `atomic_output_dir` / `atomic_output_file` remove their temporary parts."""
    signal.signal(signal.SIGTERM, _raise_interrupt)


def _raise_interrupt(signum, frame):  # pragma: no cover - exercised by kill tests in subprocesses
    raise KeyboardInterrupt(f"signal {signum}")
