"""Reliability of the job chain with real processes: Celery workers, the scheduler, PostgreSQL, Redis.

- A job delivered to two workers at once takes effect once: the test holds the instance's
  lock, so the first worker to claim the job waits inside it; the clock passes its lease,
  the second worker claims it again and waits too; then both go on.
- Redis flushed, or restarted, with a wake-up queued: the scheduler (one process throughout)
  finds the due rows again, and every instance finishes, each timer firing once.
- One tenant's backlog does not starve another: after twenty polls of a scheduler over a
  tenant with a thousand due timers, another tenant's one timer fires within a few batches,
  long before the backlog is done (measured by the order in which they completed).

Nothing here sleeps to make something happen: locks, the platform's clock and the queue
force each interleaving, and the tests poll only to see what the worker processes did. The
session's other workers (the live platform's) may take part; what is asserted holds anyway.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
import redis
from celery import Celery
from django.conf import settings
from django.db import transaction
from django_tenants.utils import schema_context

from apg_wbpm.embedded import EmbeddedRedis
from apps.engine import clock, scheduler
from apps.engine.models import ActivityInstance, InstanceState, Job, ProcessInstance
from apps.engine.services import jobs, wakeup
from apps.engine.services.deployments import deploy
from apps.engine.services.instances import start_instance
from apps.engine.tasks import run_due_jobs
from tests.conftest import Platform
from tests.engine.runtime.test_concurrency import drop_processes, in_threads
from tests.live import process_env, spawn
from tests.live import test_database_url as database_url  # not a test of this module
from tests.platform.conftest import WORKER_START_SECONDS, Worker, start_worker, stop_worker

MODEL = Path(__file__).resolve().parent / "models" / "reliability_timer.bpmn"
KEY = "reliability_timer"
SECONDS = 60  # how long the worker processes may take to do what a test waits for
BACKLOG = 1000  # due timers of the busy tenant
POLLS = 20  # polls of a scheduler while the backlog lasts (twenty seconds of a real one)


def start_waiting(count: int, wait: str) -> list[str]:
    """Start ``count`` instances waiting ``wait`` at their timer, in one transaction that wakes nobody."""
    (definition,) = deploy(MODEL.read_bytes()).definitions
    with transaction.atomic(), wakeup.running_jobs():
        return [str(start_instance(definition, {"wait": wait}).id) for _ in range(count)]


@pytest.fixture
def clean_up(platform: Platform) -> Iterator[None]:
    yield
    for schema in (platform.alpha.schema, platform.beta.schema):
        in_threads(schema, lambda: drop_processes(KEY))


def wait_for(what: str, read: Callable[[], object], workers: list[Worker]) -> object:
    """Poll ``read`` until it gives something true (the worker processes are at work); what it gave."""
    deadline = time.monotonic() + SECONDS
    while not (seen := read()):
        if time.monotonic() > deadline:
            logs = "\n".join(worker.log()[-2000:] for worker in workers)
            raise AssertionError(f"{what}: not within {SECONDS} s; the workers' logs:\n{logs}")
        time.sleep(0.05)  # another process is working; this only paces the polling
    return seen


def completed(schema: str, ids: list[str]) -> bool:
    def count() -> int:
        return ProcessInstance.objects.filter(id__in=ids, state=InstanceState.COMPLETED).count()

    return in_threads(schema, count)[0] == len(ids)


def fired_once(schema: str, ids: list[str]) -> bool:
    """Every instance's timer has exactly one record in the history, and no job is left."""

    def counts() -> tuple[int, int, int]:
        fired = ActivityInstance.objects.filter(instance_id__in=ids, element_id="wait")
        left = Job.objects.filter(instance_id__in=ids).count()
        return fired.count(), fired.values("instance_id").distinct().count(), left

    return in_threads(schema, counts)[0] == (len(ids), len(ids), 0)


@pytest.fixture(scope="module")
def two_workers(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Worker]]:
    """Two worker processes whose tasks run one batch each (``APG_JOB_TASK_MILLISECONDS=0``): the
    tenants' turns in the queue are counted in batches."""
    folder = tmp_path_factory.mktemp("two-workers")
    one_batch = {"APG_JOB_TASK_MILLISECONDS": "0"}
    workers = [start_worker(folder / f"{name}.log", name, **one_batch) for name in ("first", "second")]
    try:
        for worker in workers:
            wait_for_ping(worker, settings.CELERY_BROKER_URL)
        yield workers
    finally:
        for worker in workers:
            stop_worker(worker)


def wait_for_ping(worker: Worker, broker_url: str) -> None:
    """Wait until ``worker`` answers a control ping through ``broker_url``."""
    probe = Celery(broker=broker_url, set_as_current=False)  # the tasks keep the platform's app
    probe.conf.broker_transport_options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    deadline = time.monotonic() + WORKER_START_SECONDS
    while not probe.control.ping(destination=[worker.hostname], timeout=0.5):
        if worker.process.poll() is not None or time.monotonic() > deadline:
            stop_worker(worker)
            raise RuntimeError(f"the Celery worker did not start:\n{worker.log()[-5000:]}")


def lock_waiters(holder: psycopg.Connection[tuple[object, ...]], schema: str) -> int:
    """How many other backends wait for the row locks ``holder`` holds on instances of ``schema``."""
    with psycopg.connect(database_url(), autocommit=True) as observer:
        row = observer.execute(
            "SELECT count(DISTINCT waiting.pid) FROM pg_locks AS waiting WHERE NOT waiting.granted AND ("
            " (waiting.locktype = 'transactionid' AND waiting.transactionid IN ("
            "   SELECT held.transactionid FROM pg_locks AS held"
            "   WHERE held.pid = %s AND held.locktype = 'transactionid' AND held.granted))"
            " OR (waiting.locktype = 'tuple' AND waiting.relation = %s::regclass))",
            [holder.info.backend_pid, f"{schema}.engine_processinstance"],
        ).fetchone()
    return int(row[0]) if row else 0


def test_a_job_delivered_to_two_workers_at_once_takes_effect_once(
    platform: Platform, two_workers: list[Worker], clean_up: None
) -> None:
    schema = platform.alpha.schema
    (instance,) = in_threads(schema, lambda: start_waiting(1, "PT1M"))[0]
    with psycopg.connect(database_url()) as holder:
        # Given the instance locked, as a trigger running elsewhere would hold it.
        holder.execute(f"SELECT id FROM {schema}.engine_processinstance WHERE id = %s FOR UPDATE", [instance])  # noqa: S608
        in_threads(schema, lambda: clock.advance(timedelta(minutes=1)))  # the timer is due
        with schema_context(schema):
            first = run_due_jobs.apply_async(queue=two_workers[0].queue)
        # The first worker claims the job and waits for the instance inside it.
        wait_for("a worker waiting inside the job", lambda: lock_waiters(holder, schema) == 1, two_workers)
        in_threads(schema, lambda: clock.advance(jobs.LEASE + timedelta(seconds=1)))  # its lease runs out
        with schema_context(schema):
            second = run_due_jobs.apply_async(queue=two_workers[1].queue)
        # The second worker claims the same job again (the lease is over) and waits too.
        wait_for("two workers waiting inside the job", lambda: lock_waiters(holder, schema) == 2, two_workers)
        holder.commit()  # both go on

    first.get(timeout=SECONDS), second.get(timeout=SECONDS)  # each ran the job, or found it taken
    wait_for("the instance completed", lambda: completed(schema, [instance]), two_workers)
    assert fired_once(schema, [instance])


def test_a_tenant_with_a_backlog_does_not_starve_another_tenant(
    platform: Platform, two_workers: list[Worker], clean_up: None
) -> None:
    busy, quiet = platform.alpha.schema, platform.beta.schema
    backlog = in_threads(busy, lambda: start_waiting(BACKLOG, "PT1M"))[0]
    (lone,) = in_threads(quiet, lambda: start_waiting(1, "PT2M"))[0]

    in_threads(busy, lambda: clock.advance(timedelta(minutes=1)))  # the busy tenant's thousand timers are due
    for _ in range(POLLS):  # a scheduler polling while they run
        in_threads(busy, scheduler.wake_due_tenants)
    in_threads(busy, lambda: clock.advance(timedelta(minutes=1)))  # the quiet tenant's one timer is due
    in_threads(busy, scheduler.wake_due_tenants)

    wait_for("the quiet tenant's instance completed", lambda: completed(quiet, [lone]), two_workers)
    wait_for("the backlog completed", lambda: completed(busy, backlog), two_workers)

    def ended_at() -> object:
        return ProcessInstance.objects.get(id=lone).ended_at

    lone_ended = in_threads(quiet, ended_at)[0]

    def busy_before() -> int:
        return ProcessInstance.objects.filter(id__in=backlog, ended_at__lt=lone_ended).count()

    before = in_threads(busy, busy_before)[0]
    # Its turn came after a few of the busy tenant's batches, not after the backlog: at most
    # one wake-up of the busy tenant waited in the queue ahead of it. Alone, these workers (a
    # batch of 50 a turn) fire about a hundred first; in a full run the session's own worker,
    # whose turns last two seconds, may take a wake-up too, so the bound is the backlog but its
    # last two batches (a queue piling up wake-ups, as before the marker, fired 982 first).
    bound = BACKLOG - 2 * 50
    assert before < bound, f"{before} of the busy tenant's {BACKLOG} timers fired before the quiet one's"
    assert fired_once(busy, backlog) and fired_once(quiet, [lone])


@pytest.fixture
def own_scheduler(own_redis: EmbeddedRedis, tmp_path: Path) -> Iterator[str]:
    """``run_scheduler`` polling every 0.2 s through a Redis of the test's own (which it may flush
    or restart), for as long as the test runs; that Redis's URL."""
    url = f"redis://127.0.0.1:{own_redis.port}/0"
    log = tmp_path / "scheduler.log"
    argv = [sys.executable, "manage.py", "run_scheduler", "--interval", "0.2"]
    polling = spawn(argv, log, process_env(REDIS_URL=url, CELERY_BROKER_URL=url))
    try:
        yield url
    finally:
        polling.terminate()
        polling.wait(30)


def due_jobs(schema: str, ids: list[str]) -> bool:
    def count() -> int:
        return Job.objects.filter(instance_id__in=ids, lock_token__isnull=True).count()

    return in_threads(schema, count)[0] > 0


@pytest.mark.parametrize("loss", ["flushed", "restarted"])
def test_redis_losing_the_queued_wake_ups_loses_no_job_the_scheduler_wakes_a_worker_again(
    platform: Platform,
    own_redis: EmbeddedRedis,
    own_scheduler: str,
    tmp_path: Path,
    clean_up: None,
    loss: str,
) -> None:
    schema = platform.alpha.schema
    broker = redis.Redis.from_url(own_scheduler)
    queue = f"{settings.REDIS_NAMESPACE}:{settings.CELERY_TASK_DEFAULT_QUEUE}"
    every = in_threads(schema, lambda: start_waiting(120, "PT1M"))[0]

    # Given their timers due and the scheduler's wake-up queued, no worker yet
    in_threads(schema, lambda: clock.advance(timedelta(minutes=1)))
    wait_for("a wake-up queued", lambda: broker.llen(queue) >= 1 or not due_jobs(schema, every), [])
    # when Redis loses everything: the wake-up, the marker that holds the next ones back, Celery's bindings
    if loss == "flushed":
        broker.flushall()
    else:
        own_redis.stop()
        own_redis.start()
    # (the scheduler, polling every 0.2 s, may queue a new wake-up at once: the rows are the truth)

    # then a worker that comes now is woken again (the job rows are the truth) and runs them all, once.
    worker = start_worker(
        tmp_path / "worker.log", "after-loss", REDIS_URL=own_scheduler, CELERY_BROKER_URL=own_scheduler
    )
    try:
        wait_for_ping(worker, own_scheduler)
        wait_for("every instance completed", lambda: completed(schema, every), [worker])
    finally:
        stop_worker(worker)
    assert fired_once(schema, every)
