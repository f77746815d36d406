"""Where the draws of `petra ensemble` run: a local cluster of a bounded size, stopped at once when the
command is interrupted, or a scheduler whose address is checked before anything else.

* `--workers K`: a `LocalCluster` on 127.0.0.1 of K single-threaded worker processes, K between 1 and
  WORKERS_PER_CORE x the cores this process may use (more single-threaded workers than that only add
  memory: each holds the scenario data), and never more than the draws left to run.
* On Ctrl-C or SIGTERM the local workers are killed (their draws are abandoned; finished draws are
  already stored) before the cluster is closed: closing it politely waits up to 4 s for a busy
  worker, which made an interrupted ensemble take 3-9 s to stop.
* `--scheduler ADDRESS`: `tcp://`, `tls://`, `ucx://` or `inproc://` with a host (and port); a
  scheduler that does not answer within SCHEDULER_TIMEOUT seconds is one line, exit 2.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re

from petra.errors import InputError, one_line

WORKERS_PER_CORE = 2  # most local worker processes per core the process may use
SCHEDULER_TIMEOUT = 10.0  # seconds to reach a --scheduler before giving up
SCHEDULER_ADDRESS = re.compile(r"^(tcp|tls|ucx|inproc)://(\[[0-9A-Fa-f:.]+\]|[^\s/:\[\]]+)(:\d{1,5})?/?$")


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - no sched_getaffinity (macOS, Windows)
        return max(1, os.cpu_count() or 1)


def check_workers(workers: int) -> None:
    """InputError unless 1 <= workers <= WORKERS_PER_CORE x usable_cores()."""
    top = WORKERS_PER_CORE * usable_cores()
    if not 1 <= workers <= top:
        raise InputError(f"--workers must be between 1 and {top} ({WORKERS_PER_CORE} per core of the "
                         f"{usable_cores()} this process may use), not {workers}")


def check_scheduler(address: str) -> None:
    """InputError unless `address` has the form of a Dask scheduler address (tcp://host:8786)."""
    if not SCHEDULER_ADDRESS.match(address):
        raise InputError(f"--scheduler must be a Dask scheduler address such as tcp://host:8786, not "
                         f"'{one_line(address, 80)}'")


def connect(address: str):
    """A `distributed.Client` of the scheduler at `address`; InputError if it does not answer."""
    from distributed import Client

    check_scheduler(address)
    try:
        return Client(address, timeout=SCHEDULER_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(f"--scheduler: no Dask scheduler answers at {one_line(address, 80)} within "
                         f"{SCHEDULER_TIMEOUT:g} s ({one_line(exc, 120)})") from None


def local_client(workers: int):
    """(client, cluster): a LocalCluster on the loopback interface of `workers` processes with one thread
    each, each holding one task at a time (a worker that dies takes down only the draw it was running).
    An interrupt while it starts stops what was started and is re-raised as such."""
    import dask
    from distributed import Client, LocalCluster

    check_workers(workers)
    before = {id(c) for c in _registry()}
    try:
        with dask.config.set({"distributed.scheduler.worker-saturation": 1.0}):
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=None, silence_logs=logging.ERROR)
        return Client(cluster), cluster
    except BaseException as exc:
        for c in [c for c in _registry() if id(c) not in before] or [None]:
            stop_local(c)
        if caused_by_interrupt(exc):  # Dask's clean-up of a half-started cluster raises its own errors
            raise KeyboardInterrupt from None
        raise


def stop_local(cluster) -> None:
    """Stop a local cluster at once: no worker restarted, every worker process this process started
    killed, the cluster closed and dropped from Dask's registry (Dask closes every cluster it knows when
    Python exits, and fails with a traceback on one whose workers were killed or never started)."""
    for name in ("distributed", "asyncio"):  # their reports of the connections and tasks cut short
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)
    for nanny in list(getattr(cluster, "workers", {}).values()):
        if hasattr(nanny, "close_gracefully"):
            nanny.close_gracefully()  # the nanny does not restart the process killed next
    for child in multiprocessing.active_children():
        child.kill()
    if cluster is not None:
        try:
            cluster.close()
        except Exception:  # noqa: BLE001 - already stopping: the processes are gone
            pass
        _registry().discard(cluster)


def _registry():
    """Dask's registry of the clusters this process started (an empty set where it has none)."""
    from distributed.deploy.spec import SpecCluster

    return getattr(SpecCluster, "_instances", set())


def caused_by_interrupt(exc: BaseException | None) -> bool:
    """Whether `exc` is, or was raised while handling, a KeyboardInterrupt."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__context__
    return False
