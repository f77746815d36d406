"""A fault-injecting ensemble task for tests/test_feature_ensemble.py, in its own module so Dask
workers (spawned with the test process's sys.path, which has tests/ on it) can import it."""

from __future__ import annotations

import os

from petra.ensemble.task import run_draw


def fail_some(context, draw, samples):
    """Draw 1 kills its worker process, draw 2 raises, the others run normally."""
    if draw == 1:
        os._exit(3)
    if draw == 2:
        raise RuntimeError("boom in draw 2")
    return run_draw(context, draw, samples)
