"""The scheduler: find the tenants with due jobs on the database's clock and wake a worker for each;
now and then, remove the buffered messages whose time to live is over.

One statement asks every tenant schema at once whether it has a job due (an index probe
each). A wake-up is a ``run_due_jobs`` task for one tenant, and a tenant has **at most one
waiting in the queue**: a marker in the broker's Redis (``<namespace>:jobs:woken:<schema>``,
set with ``NX`` and a time to live) says that one is queued, and the task clears it as it
starts. So a tenant with a backlog of thousands of jobs never has more than one wake-up ahead
of another tenant's, whatever the number of polls, schedulers, committed steps and tasks
sending themselves again: the queue serves the tenants in turn. Two schedulers share the
marker; without it (it expired, Redis was flushed) the worst is an extra wake-up, which finds
the jobs claimed (``SKIP LOCKED``) and returns: an extra poll, never a second run. The rows
are the truth: a lost wake-up is sent again by the next poll that finds the jobs still due.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection
from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_context

from apps.engine import clock
from apps.engine.models import InstanceState
from apps.engine.services import messages, wake_marks

logger = logging.getLogger(__name__)

# How long a tenant's "a wake-up is queued" marker lives at most. It is cleared when the task
# starts; the time to live only matters when the message was lost without the marker (a
# worker killed between taking the message and starting it): then the tenant waits this long
# for its next wake-up. A queue longer than this gets a second wake-up for the tenant, no more.
JOBS = "jobs"  # the kind of wake-up marker of ``run_due_jobs``
# How often the scheduler removes the buffered messages that expired (not at every poll).
SWEEP_EVERY = timedelta(minutes=1)


def tenant_schemas() -> list[str]:
    """The schemas of every tenant (the public schema is none)."""
    public = get_public_schema_name()
    with schema_context(public):
        tenants = get_tenant_model().objects.exclude(schema_name=public)
        return list(tenants.values_list("schema_name", flat=True))


def tenants_with_due_jobs() -> list[str]:
    """The schemas holding a job that a worker could claim now."""
    schemas = tenant_schemas()
    if not schemas:
        return []
    now_sql, now_parameters = clock.sql_now()
    probes, parameters = [], []
    for schema in schemas:
        quoted = connection.ops.quote_name(schema)
        probes.append(
            f"SELECT %s WHERE EXISTS (SELECT 1 FROM {quoted}.engine_job AS job "  # noqa: S608 - quoted schema names
            f"LEFT JOIN {quoted}.engine_processinstance AS instance ON instance.id = job.instance_id "
            f"WHERE job.due_at <= {now_sql} AND (job.locked_until IS NULL OR job.locked_until < {now_sql}) "
            "AND job.attempts < job.max_attempts AND (job.instance_id IS NULL OR instance.state = %s))"
        )
        parameters += [schema, *now_parameters, *now_parameters, InstanceState.ACTIVE]
    with schema_context(get_public_schema_name()), connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(probes), parameters)
        return [row[0] for row in cursor.fetchall()]


def wake_tenant(schema: str) -> bool:
    """Send ``run_due_jobs`` for ``schema`` unless one is already queued for it; whether it was sent."""
    from apps.engine.tasks import run_due_jobs

    if not wake_marks.claim(JOBS, schema):
        return False
    try:
        with schema_context(schema):
            run_due_jobs.delay()
    except Exception:
        wake_marks.clear(JOBS, schema)  # nothing was queued: the next poll sends it
        raise
    return True


def clear_wake_mark(schema: str) -> None:
    """The tenant's wake-up left the queue (its task starts): the next one may be sent."""
    wake_marks.clear(JOBS, schema)


def wake_due_tenants() -> list[str]:
    """Wake a worker for each tenant with due jobs and no wake-up queued; the schemas woken."""
    return [schema for schema in tenants_with_due_jobs() if wake_tenant(schema)]


def remove_expired_messages() -> int:
    """Remove every tenant's buffered messages whose time to live is over; how many."""
    removed = 0
    for schema in tenant_schemas():
        with schema_context(schema):
            removed += messages.remove_expired_messages()
    return removed


@dataclass
class Poll:
    woken: list[str]  # the tenants a worker was woken for
    expired_messages: int | None  # buffered messages removed; None: not swept this time


@dataclass
class Scheduler:
    """What ``run_scheduler`` does at each poll: wake the due tenants, and sweep the expired
    buffered messages once every ``sweep_every`` on the platform's clock."""

    sweep_every: timedelta = SWEEP_EVERY
    _next_sweep: datetime | None = field(default=None, repr=False)

    def poll(self) -> Poll:
        woken = wake_due_tenants()
        now = clock.now()
        if self._next_sweep is not None and now < self._next_sweep:
            return Poll(woken, None)
        self._next_sweep = now + self.sweep_every
        return Poll(woken, remove_expired_messages())
