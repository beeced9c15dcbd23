"""Celery tasks of the engine: a message only wakes a worker; the job rows are the truth."""

from __future__ import annotations

import os
import socket
import time

from celery import shared_task

from apps.engine.services import jobs

# Jobs claimed at once, and how long one task goes on claiming (the jobs its own steps make,
# a chain of async continuations, come in the next batch) before it hands the worker back: a
# tenant with more due then goes to the back of the queue (the task sends itself again), so
# other tenants' wake-ups are served in between.
JOB_BATCH = 50
TASK_SECONDS = 2.0


@shared_task(name="apps.engine.tasks.run_due_jobs")
def run_due_jobs() -> int:
    """Run the due jobs of the tenant this task was sent for, batch after batch; how many it claimed."""
    owner = f"{socket.gethostname()}:{os.getpid()}"
    deadline = time.monotonic() + TASK_SECONDS
    total = 0
    while claimed := jobs.run_due_jobs(owner, JOB_BATCH):
        total += claimed
        if time.monotonic() > deadline:
            run_due_jobs.delay()  # sent for the same tenant: the schema travels with the message
            break
    return total
