"""Named points in the engine where the reliability tests step in, to force the interleavings
they need (a worker dying inside a job's transaction or right after its commit, its database
connection cut mid-trigger) without sleeping.

``reach(name)`` does nothing unless a test asked for something there: a process started with
``APG_TEST_KILL_AT=<name>`` in its environment is killed there with SIGKILL, as an operating
system stopping a worker would (no clean-up runs, the database connection just drops); a
test in the same process may ``intervene`` with a function of its own.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager

JOB_APPLIED = "job-applied"  # a job's step is written, its transaction not committed
JOB_COMMITTED = "job-committed"  # a job's transaction committed, before the worker goes on


_interventions: dict[str, Callable[[], None]] = {}


def reach(name: str) -> None:
    if os.environ.get("APG_TEST_KILL_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
    intervention = _interventions.get(name)
    if intervention is not None:
        intervention()


@contextmanager
def intervene(name: str, action: Callable[[], None]) -> Iterator[None]:
    """Run ``action`` whenever this process reaches ``name``, inside the ``with`` block (tests only)."""
    _interventions[name] = action
    try:
        yield
    finally:
        _interventions.pop(name, None)
