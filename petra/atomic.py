"""Write outputs all-or-nothing: build a directory or file in a temporary sibling, then move it into
place; make SIGTERM interrupt a command as Ctrl-C does, so the temporary parts are cleaned up."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_output_dir(out: str | os.PathLike) -> Iterator[Path]:
    """Yield a fresh temporary directory that replaces `out` only if the block completes.

    The temporary directory is a sibling of `out` (same filesystem, so the final rename is atomic).
    On any exception, including KeyboardInterrupt, it is removed and `out` is left as it was.
    An existing `out` is replaced whole, never merged.
    """
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    _usual_mode(tmp, 0o777)  # mkdtemp makes it private (0700)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        os.replace(out, old)
    os.replace(tmp, out)
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
