"""Async continuations: instances of a five-step process whose every step is a job, run by
worker processes that claim due jobs from the database in batches (the loop the Celery task
``run_due_jobs`` runs; no Celery message per job).

The instances are started first (each start commits the job before its first step); then
the worker processes start together and the clock runs until every instance has completed.
Target: at least 150 instances (750 job transactions) a second with two worker processes.
"""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

from bench.processes import ASYNC_STEPS
from bench.provisioning import BENCH_SCHEMA

TARGET_INSTANCES_PER_SECOND = 150
JOB_BATCH = 50


def _worker(barrier: Any, done: Any) -> None:
    """One OS process: claim and run due jobs of the benchmark tenant until none is left."""
    import os

    import django

    django.setup()
    from django.db import connection

    from apps.engine.models import Job
    from apps.engine.services import jobs

    connection.set_schema(BENCH_SCHEMA)  # type: ignore[attr-defined] # django-tenants' connection
    owner = f"bench-{os.getpid()}"
    barrier.wait()
    ran = 0
    while True:
        claimed = jobs.run_due_jobs(owner, JOB_BATCH)
        ran += claimed
        if claimed == 0 and not Job.objects.exists():
            break
    done.put(ran)


def _start_instances(count: int) -> float:
    from django_tenants.utils import schema_context

    from apps.engine.services.instances import latest_definition, start_instance

    with schema_context(BENCH_SCHEMA):
        definition = latest_definition(ASYNC_STEPS)
        begun = time.perf_counter()
        for _ in range(count):
            start_instance(definition, {"count": 0}, started_by="bench")
        return time.perf_counter() - begun


def _completed() -> int:
    from django_tenants.utils import schema_context

    from apps.engine.models import InstanceState, ProcessInstance

    with schema_context(BENCH_SCHEMA):
        return ProcessInstance.objects.filter(definition__key=ASYNC_STEPS, state=InstanceState.COMPLETED).count()


def run_jobs(instances: int, workers: int, command: str) -> float:
    """Print the figures; the instances completed a second."""
    from bench.engine_data import remove_instances

    print(
        f"\n== Async continuations ({ASYNC_STEPS}, every step a job), {workers} worker processes\n$ {command}",
        flush=True,
    )
    remove_instances()
    seconds = _start_instances(instances)
    print(f"  started {instances:,} instances in {seconds:.1f} s; each waits for its first job", flush=True)
    context = multiprocessing.get_context("spawn")
    barrier, done = context.Barrier(workers + 1), context.Queue()
    processes = [context.Process(target=_worker, args=(barrier, done)) for _ in range(workers)]
    for process in processes:
        process.start()
    try:
        barrier.wait(timeout=120)
        begun = time.perf_counter()
        ran = sum(done.get(timeout=3600) for _ in processes)
        elapsed = time.perf_counter() - begun
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
    completed = _completed()
    rate = completed / elapsed
    verdict = "met" if rate >= TARGET_INSTANCES_PER_SECOND else "MISSED"
    print(
        f"  {completed:,} of {instances:,} instances completed in {elapsed:.1f} s: {rate:,.0f} instances/s, "
        f"{ran / elapsed:,.0f} job transactions/s ({ran:,} jobs) "
        f"(target >= {TARGET_INSTANCES_PER_SECOND} instances/s: {verdict})",
        flush=True,
    )
    return rate
