"""Celery tasks of the engine: a message only wakes a worker; the job rows are the truth."""

from __future__ import annotations

import os
import socket
import time

from celery import shared_task
from django.conf import settings
from django.db import connection

from apps.engine import scheduler
from apps.engine.services import jobs, outbox, webhooks


@shared_task(name="apps.engine.tasks.run_due_jobs")
def run_due_jobs() -> int:
    """Run the due jobs of the tenant this task was sent for, batch after batch; how many it claimed.

    It claims ``APG_JOB_BATCH`` jobs at a time (the jobs its own steps make, a chain of async
    continuations, come in the next batch) for up to ``APG_JOB_TASK_MILLISECONDS``, then hands the
    worker back: a tenant with more due wakes itself again, behind the wake-ups of the other
    tenants in the queue (at most one per tenant: see ``apps.engine.scheduler``).
    """
    schema = connection.schema_name
    scheduler.clear_wake_mark(schema)  # this wake-up left the queue; another may queue behind the others
    owner = f"{socket.gethostname()}:{os.getpid()}"
    deadline = time.monotonic() + settings.APG_JOB_TASK_MILLISECONDS / 1000
    total = 0
    while claimed := jobs.run_due_jobs(owner, settings.APG_JOB_BATCH):
        total += claimed
        if time.monotonic() >= deadline:
            scheduler.wake_tenant(schema)  # unless a wake-up of the tenant is queued already
            break
    return total


@shared_task(name="apps.engine.tasks.relay_events")
def relay_events() -> int:
    """Relay the events of the tenant this task was sent for (``services.outbox``); how many."""
    outbox.clear_wake_mark()  # a commit from now on wakes another relay
    relayed = outbox.relay_all()
    if relayed.deliveries:
        deliver_webhooks.delay()
    return relayed.events


@shared_task(name="apps.engine.tasks.deliver_webhooks")
def deliver_webhooks() -> int:
    """Post the tenant's due webhook deliveries (``services.webhooks``); how many were sent."""
    return webhooks.deliver_due()


@shared_task(name="apps.engine.tasks.wake_event_relays")
def wake_event_relays() -> list[str]:
    """From celery beat: wake the relays and deliveries a lost wake-up left waiting; the schemas."""
    return outbox.wake_pending_tenants()


@shared_task(name="apps.engine.tasks.purge_old_events")
def purge_old_events() -> int:
    """From celery beat: apply the events' retention in every tenant; how many events went."""
    return outbox.purge_every_tenant()
