"""Waking a worker for jobs that are due at once (async continuations), after the commit.

The scheduler's poll finds every due job within a second anyway; this saves that second
for a step that hands work to a job right away. A worker running jobs does not wake
another: it claims the jobs its own steps make in its next batch.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connection, transaction
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

_running_jobs: ContextVar[bool] = ContextVar("running_jobs", default=False)


@contextmanager
def running_jobs() -> Iterator[None]:
    """Mark the steps applied inside as a worker's: they wake nobody."""
    marker = _running_jobs.set(True)
    try:
        yield
    finally:
        _running_jobs.reset(marker)


def wake_after_commit() -> None:
    """Wake a worker for the current tenant once the transaction commits (see ``apps.engine.scheduler``)."""
    if not _running_jobs.get():
        transaction.on_commit(_wake)


def _wake() -> None:
    from apps.engine.scheduler import wake_tenant

    try:
        wake_tenant(connection.schema_name)  # unless a wake-up of the tenant is queued already
    except (KombuError, RedisError, OSError) as error:  # the broker away: the scheduler's poll still finds the job
        logger.warning("could not wake a worker for due jobs: %s", error)
