"""Workers that die: a job survives its worker, and its effect happens once.

The worker is a real process that leases a job and runs it; a checkpoint in the engine kills
it with SIGKILL inside the job's transaction, or right after the commit, or cuts its database
connection from another one mid-job. No test sleeps to make this happen.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest
from django.db import connection, transaction

from apps.engine import checkpoints, clock
from apps.engine.models import ActivityInstance, Incident, Job, ProcessInstance, Token
from apps.engine.services import jobs, wakeup
from apps.engine.services.deployments import deploy
from apps.engine.services.instances import start_instance
from tests.conftest import Platform
from tests.engine.runtime.harness import MODELS
from tests.engine.runtime.test_concurrency import drop_processes, in_threads
from tests.live import ROOT, process_env
from tests.live import test_database_url as database_url  # not a test of this module

ONE_DAY = timedelta(days=1)


@pytest.fixture
def parked_job(platform: Platform) -> Iterator[tuple[ProcessInstance, Job]]:
    """An instance of async_steps waiting for the job before its first script, committed; the
    job is parked a day ahead so that no other worker of the test session takes it."""
    schema = platform.alpha.schema

    def create() -> tuple[ProcessInstance, Job]:
        (definition,) = deploy((MODELS / "async_steps.bpmn").read_bytes()).definitions
        with transaction.atomic(), wakeup.running_jobs():
            instance = start_instance(definition, {"count": 0})
            Job.objects.filter(instance=instance).update(due_at=clock.now() + ONE_DAY)
        return instance, Job.objects.get(instance=instance)

    (made,) = in_threads(schema, create)
    yield made

    in_threads(schema, lambda: drop_processes("async_steps"))


def die_at(checkpoint: str, schema: str, job: Job) -> None:
    worker = subprocess.run(
        [sys.executable, "-m", "tests.platform.lease_and_run_job", schema, str(job.id)],
        cwd=ROOT,
        env=process_env(APG_TEST_KILL_AT=checkpoint),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode == -signal.SIGKILL, worker.stderr[-3000:]


def ran_once(schema: str, instance: ProcessInstance) -> None:
    """Wait until "first" has run, then check it ran once (the platform's own workers, started for
    other tests on the same database, may be the ones that ran it)."""
    deadline = time.monotonic() + 30
    while (progress := in_threads(schema, lambda: state(instance)[1:])[0]) == (0, 0) and time.monotonic() < deadline:
        time.sleep(0.1)  # another process may be at work; this only paces the polling
    assert progress == (1, 2)  # "first" ran once, and "second" after it


def state(instance: ProcessInstance) -> tuple[list[str], int, int]:
    """Where the tokens are, how often "first" ran, and the count the scripts raised."""
    tokens = sorted(Token.objects.filter(instance=instance).values_list("element_id", flat=True))
    runs = ActivityInstance.objects.filter(instance=instance, element_id="first").count()
    return tokens, runs, ProcessInstance.objects.get(id=instance.id).variables["count"]


def test_a_worker_killed_inside_a_job_leaves_it_to_the_next_worker_once_its_lease_expires(
    platform: Platform, parked_job: tuple[ProcessInstance, Job]
) -> None:
    schema, (instance, job) = platform.alpha.schema, parked_job

    die_at(checkpoints.JOB_APPLIED, schema, job)

    assert in_threads(schema, lambda: state(instance))[0] == (["first"], 0, 0)  # nothing of it committed
    leased = in_threads(schema, lambda: Job.objects.get(id=job.id))[0]
    assert leased.lock_owner == "doomed" and leased.locked_until > in_threads(schema, clock.now)[0]

    def after_the_lease() -> int:
        clock.advance(jobs.LEASE + timedelta(seconds=1) + ONE_DAY)  # the parked job is due, its lease over
        return jobs.run_due_jobs("next-worker", 10)

    in_threads(schema, after_the_lease)
    ran_once(schema, instance)


def test_a_worker_killed_after_the_commit_leaves_nothing_to_do_twice(
    platform: Platform, parked_job: tuple[ProcessInstance, Job]
) -> None:
    schema, (instance, job) = platform.alpha.schema, parked_job

    die_at(checkpoints.JOB_COMMITTED, schema, job)

    assert in_threads(schema, lambda: state(instance)[1:])[0] == (1, 2)
    assert not in_threads(schema, lambda: Job.objects.filter(id=job.id).exists())[0]  # done: nothing to redeliver


def test_a_connection_cut_in_the_middle_of_a_job_writes_nothing_and_the_job_runs_again(
    platform: Platform, parked_job: tuple[ProcessInstance, Job]
) -> None:
    schema, (instance, job) = platform.alpha.schema, parked_job

    def cut_then_run() -> object:
        clock.advance(ONE_DAY)  # the parked job is due
        (claimed,) = jobs.claim_due_jobs("cut-off", 10)
        backend = connection.cursor().connection.info.backend_pid

        def terminate() -> None:  # from another connection, as an operator or a failover would
            with psycopg.connect(database_url(), autocommit=True) as other:
                other.execute("SELECT pg_terminate_backend(%s)", [backend])

        with checkpoints.intervene(checkpoints.JOB_APPLIED, terminate):
            return jobs.run_job(claimed)

    outcome = in_threads(schema, cut_then_run)[0]

    assert outcome is jobs.Ran.FAILED  # the commit failed; the job was released with its error
    assert in_threads(schema, lambda: state(instance))[0] == (["first"], 0, 0)  # nothing half-written
    released = in_threads(schema, lambda: Job.objects.get(id=job.id))[0]
    assert (released.attempts, released.lock_token) == (1, None)
    assert "terminat" in released.last_error  # PostgreSQL's word for the cut connection

    def after_the_lease() -> int:
        clock.advance(jobs.LEASE + timedelta(seconds=1))
        return jobs.run_due_jobs("next-worker", 10)

    in_threads(schema, after_the_lease)
    ran_once(schema, instance)


def test_a_handler_that_always_raises_in_a_worker_process_is_tried_a_bounded_number_of_times(
    platform: Platform,
) -> None:
    schema = platform.alpha.schema

    def create() -> tuple[ProcessInstance, Job]:
        (definition,) = deploy((MODELS / "async_handler.bpmn").read_bytes()).definitions
        with transaction.atomic(), wakeup.running_jobs():
            instance = start_instance(definition, {"amount": 12})
        return instance, Job.objects.get(instance=instance)

    def attempt(job_id: object) -> str:
        worker = subprocess.run(
            [sys.executable, "-m", "tests.platform.lease_and_run_job", schema, str(job_id)],
            cwd=ROOT,
            env=process_env(APG_HANDLER_MODULES="tests.platform.failing_handlers"),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert worker.returncode == 0, worker.stderr[-3000:]
        return worker.stdout.strip().splitlines()[-1]

    instance, job = in_threads(schema, create)[0]

    def park() -> None:
        """Keep the job from the session's other workers between the attempts this test makes."""
        Job.objects.filter(id=job.id).update(due_at=clock.now() + ONE_DAY)

    def after() -> tuple[Job, int, list[str]]:
        tokens = sorted(Token.objects.filter(instance=instance).values_list("element_id", flat=True))
        return Job.objects.get(id=job.id), Incident.objects.filter(instance=instance).count(), tokens

    try:
        for tried in range(1, jobs.MAX_ATTEMPTS + 1):
            in_threads(schema, park)
            assert attempt(job.id) == jobs.Ran.FAILED
            failed, incidents, tokens = in_threads(schema, after)[0]
            assert (failed.attempts, incidents) == (tried, 1 if tried == jobs.MAX_ATTEMPTS else 0)
            assert tokens == ["charge"]  # each attempt rolled back
        assert "ConnectionError: the payment service does not answer" in failed.last_error
        assert failed.attempts == failed.max_attempts  # no loop: no worker claims it again; an operator may
    finally:
        in_threads(schema, lambda: drop_processes("async_handler"))
