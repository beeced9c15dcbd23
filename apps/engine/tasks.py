"""Celery tasks of the engine: a message only wakes a worker; the job rows are the truth."""

from __future__ import annotations

import os
import socket

from celery import shared_task

from apps.engine.services import jobs

# Jobs one task runs before it hands the worker back: a tenant with more due goes to the back
# of the queue (the task sends itself again), so other tenants' wake-ups are served between.
JOB_BATCH = 50


@shared_task(name="apps.engine.tasks.run_due_jobs")
def run_due_jobs() -> int:
    """Run a batch of the due jobs of the tenant this task was sent for; how many it claimed."""
    claimed = jobs.run_due_jobs(f"{socket.gethostname()}:{os.getpid()}", JOB_BATCH)
    if claimed == JOB_BATCH:
        run_due_jobs.delay()  # sent for the same tenant: the schema travels with the message
    return claimed
