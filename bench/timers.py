"""Timers: many due in the same minute, fired by the real scheduler and Celery workers on the
real clock; and many due in a year, which cost the broker nothing.

``timers``: 10,000 instances of ``bench_timer`` wait at a timer catch event until the date in
their variable ``due``; the dates are spread evenly over one minute. They are started through
the service layer a day ahead, then their job rows are moved (one UPDATE) so that the minute
begins a few seconds after ``manage.py run_scheduler`` and a Celery worker with two processes
(prefork, as ``make run`` and production start them) are up. The clock is the real one: no
offset moves. The lateness of a timer is the end time of its catch event in the history
(written by the worker with the time it fired) minus its due time. Target: all fire, p95 < 1 s.

``far-timers``: 10,000 instances waiting for a timer due in a year, started through the
service layer. Redis's ``used_memory`` and key count before and after, and a scheduler poll,
show that they cost the broker nothing and wake no worker: they are rows until they are due.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from typing import Any

from bench.context import BenchContext
from bench.processes import TIMER
from bench.provisioning import BENCH_SCHEMA

TARGET_P95_SECONDS = 1.0
SPREAD = timedelta(minutes=1)
LEAD = timedelta(seconds=5)  # between the workers being ready and the first due time
FAR = timedelta(days=365)


def _start_waiting(count: int, first_due: datetime, spacing: timedelta) -> float:
    """Start ``count`` instances of the timer process through the service layer; the seconds it took."""
    from django_tenants.utils import schema_context

    from apps.engine.services.instances import latest_definition, start_instance

    with schema_context(BENCH_SCHEMA):
        definition = latest_definition(TIMER)
        begun = time.perf_counter()
        for index in range(count):
            due = (first_due + spacing * index).isoformat()
            start_instance(definition, {"due": due}, started_by="bench")
        return time.perf_counter() - begun


def _move_due_times(shift: timedelta) -> dict[str, datetime]:
    """Move every waiting timer's job by ``shift``; the instances' due times now."""
    from django.db import connection
    from django_tenants.utils import schema_context

    with schema_context(BENCH_SCHEMA), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE engine_job SET due_at = due_at + %s WHERE element_id = 'wait' RETURNING instance_id, due_at",
            [shift],
        )
        return {str(instance): due for instance, due in cursor.fetchall()}


def _fired() -> dict[str, datetime]:
    """When each instance's timer fired: the end of its catch event in the history."""
    from django_tenants.utils import schema_context

    from apps.engine.models import ActivityInstance

    with schema_context(BENCH_SCHEMA):
        rows = ActivityInstance.objects.filter(element_id="wait", ended_at__isnull=False)
        return {str(instance): ended for instance, ended in rows.values_list("instance_id", "ended_at")}


def _spawn(context: BenchContext, argv: list[str], name: str) -> subprocess.Popen[bytes]:
    log = (context.log_dir / f"{name}.log").open("wb")
    return subprocess.Popen(argv, env=context.env, stdout=log, stderr=subprocess.STDOUT)


def _worker_argv() -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "apg_wbpm", "worker", "--pool", "prefork", "--concurrency", "2"]


def _wait_for_worker(context: BenchContext, timeout: float) -> None:
    from apg_wbpm.celery import app

    deadline = time.monotonic() + timeout
    while not app.control.ping(timeout=0.5):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the Celery worker did not start; see {context.log_dir / 'timer-worker.log'}")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run_timers(context: BenchContext, count: int, interval: float, command: str) -> dict[str, Any]:
    """Print the figures of ``count`` timers due within one minute; the figures."""
    from django.utils import timezone

    from bench.engine_data import remove_instances

    print(f"\n== Timers: {count:,} due within one minute, the scheduler (--interval {interval:g}) and", flush=True)
    print(f"   a Celery worker with 2 processes, the real clock\n$ {command}", flush=True)
    remove_instances()
    parked = timezone.now() + timedelta(days=1)
    seconds = _start_waiting(count, parked, SPREAD / count)
    print(f"  started {count:,} waiting instances in {seconds:.1f} s", flush=True)
    scheduler_argv = [sys.executable, "manage.py", "run_scheduler", "--interval", str(interval)]
    processes = [
        _spawn(context, _worker_argv(), "timer-worker"),
        _spawn(context, scheduler_argv, "timer-scheduler"),
    ]
    try:
        _wait_for_worker(context, 120)
        due = _move_due_times(timezone.now() + LEAD - parked)
        last_due = max(due.values())
        deadline = last_due + timedelta(minutes=2)
        while len(fired := _fired()) < count and timezone.now() < deadline:
            time.sleep(1)  # the workers fire them; this paces the progress check
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)
    lateness = [(fired[instance] - due_at).total_seconds() for instance, due_at in due.items() if instance in fired]
    figures = {
        "fired": len(lateness),
        "p50": percentile(lateness, 0.50),
        "p95": percentile(lateness, 0.95),
        "max": max(lateness),
        "mean": statistics.fmean(lateness),
        "early": sum(1 for value in lateness if value < 0),
    }
    verdict = "met" if figures["fired"] == count and figures["p95"] < TARGET_P95_SECONDS else "MISSED"
    print(
        f"  fired {figures['fired']:,} of {count:,}; lateness p50 {figures['p50'] * 1000:.0f} ms, "
        f"p95 {figures['p95'] * 1000:.0f} ms, max {figures['max'] * 1000:.0f} ms, "
        f"mean {figures['mean'] * 1000:.0f} ms; "
        f"fired before due: {figures['early']} (target: all fire, p95 < 1 s: {verdict})",
        flush=True,
    )
    return figures


def _redis_figures() -> tuple[int, set[bytes]]:
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    return int(client.info("memory")["used_memory"]), set(client.scan_iter(count=1000))


def _queued() -> str:
    """The messages in the default queue, by task: ``2 apps.engine.tasks.relay_events``."""
    import json
    from collections import Counter

    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    messages = client.lrange(f"{settings.REDIS_NAMESPACE}:{settings.CELERY_TASK_DEFAULT_QUEUE}", 0, -1)
    tasks = Counter(json.loads(message)["headers"]["task"] for message in messages)
    return ", ".join(f"{count} {task}" for task, count in tasks.most_common()) or "none"


def run_far_timers(count: int, command: str) -> None:
    """Print what ``count`` timers due in a year cost Redis and the scheduler."""
    from django.utils import timezone

    from apps.engine.scheduler import wake_due_tenants
    from bench.engine_data import remove_instances

    print(f"\n== Far-future timers: {count:,} due in a year\n$ {command}", flush=True)
    remove_instances()
    queued_before = _queued()
    memory_before, keys_before = _redis_figures()
    seconds = _start_waiting(count, timezone.now() + FAR, timedelta(0))
    memory_after, keys_after = _redis_figures()
    woken, queued_after = wake_due_tenants(), _queued()
    added = sorted(key.decode() for key in keys_after - keys_before)
    print(
        f"  started {count:,} waiting instances in {seconds:.1f} s; Redis used_memory {memory_before:,} -> "
        f"{memory_after:,} bytes ({memory_after - memory_before:+,}), keys {len(keys_before)} -> {len(keys_after)} "
        f"(new: {', '.join(added) or 'none'}); a scheduler poll then woke {woken or 'no tenant'}; "
        f"messages queued before: {queued_before}; after: {queued_after}",
        flush=True,
    )
