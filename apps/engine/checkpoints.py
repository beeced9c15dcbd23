"""Named points in the engine where the reliability tests kill a process, to force the
interleavings they need (a worker dying inside a job's transaction, or right after its
commit) without sleeping.

``reach(name)`` does nothing unless the process was started with ``APG_TEST_KILL_AT=<name>``
in its environment; then it kills the process there with SIGKILL, as an operating system
stopping a worker would: no clean-up runs, the database connection just drops.
"""

from __future__ import annotations

import os
import signal

JOB_APPLIED = "job-applied"  # a job's step is written, its transaction not committed
JOB_COMMITTED = "job-committed"  # a job's transaction committed, before the worker goes on


def reach(name: str) -> None:
    if os.environ.get("APG_TEST_KILL_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
