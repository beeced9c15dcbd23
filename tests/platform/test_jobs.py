"""Timers fire through the real chain: the scheduler command wakes a Celery worker process,
which claims the tenant's due jobs and moves the instance on, all on the platform's clock."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.core.management import call_command

from apps.engine import clock
from apps.engine.models import ActivityInstance, ProcessInstance, Token
from apps.engine.services.deployments import deploy
from apps.engine.services.instances import start_instance
from tests.conftest import Platform
from tests.engine.runtime.harness import MODELS
from tests.engine.runtime.test_concurrency import drop_processes, in_threads
from tests.platform.conftest import Worker

WORKER_SECONDS = 30


def committed(schema: str, model: str, variables: dict[str, object]) -> Iterator[ProcessInstance]:
    """Start an instance of ``model`` in a committed transaction; remove it, its model and the clock's offset after."""

    def create() -> ProcessInstance:
        (definition,) = deploy((MODELS / f"{model}.bpmn").read_bytes()).definitions
        return start_instance(definition, variables)

    (instance,) = in_threads(schema, create)
    yield instance

    in_threads(schema, lambda: drop_processes(model))


@pytest.fixture
def committed_timer_instance(platform: Platform) -> Iterator[ProcessInstance]:
    """An instance of timer_catch waiting at its ten-minute timer."""
    yield from committed(platform.alpha.schema, "timer_catch", {"deadline": "2026-01-01T00:00:00Z"})


@pytest.fixture
def committed_async_instance(platform: Platform) -> Iterator[ProcessInstance]:
    """An instance of async_steps waiting before its first script for an async continuation."""
    yield from committed(platform.alpha.schema, "async_steps", {"count": 0})


def eventually(schema: str, read: Callable[[], object], expected: object, worker: Worker) -> None:
    """Wait (up to WORKER_SECONDS) until the worker process has made ``read()`` give ``expected``."""
    deadline = time.monotonic() + WORKER_SECONDS
    while (seen := in_threads(schema, read)[0]) != expected:
        if time.monotonic() > deadline:
            raise AssertionError(f"still {seen!r}, not {expected!r}; the worker's log:\n{worker.log()[-3000:]}")
        time.sleep(0.1)  # another process is working; this only paces the polling


def test_the_scheduler_wakes_a_worker_that_fires_each_timer_when_it_is_due(
    platform: Platform, committed_timer_instance: ProcessInstance, celery_worker: Worker
) -> None:
    schema = platform.alpha.schema

    def waiting_at() -> list[str]:
        return list(Token.objects.filter(instance=committed_timer_instance).values_list("element_id", flat=True))

    call_command("run_scheduler", "--once")  # nothing is due yet
    assert in_threads(schema, waiting_at)[0] == ["cool_off"]

    in_threads(schema, lambda: clock.advance(timedelta(minutes=10)))
    call_command("run_scheduler", "--once")
    # The woken worker fires the ten-minute timer, then, in its next batch, the second timer,
    # whose deadline has passed already.
    eventually(
        schema, lambda: ProcessInstance.objects.get(id=committed_timer_instance.id).state, "completed", celery_worker
    )
    assert in_threads(schema, waiting_at)[0] == []


def test_a_step_that_leaves_work_to_a_job_wakes_a_worker_which_runs_the_chain_to_the_end(
    platform: Platform, committed_async_instance: ProcessInstance, celery_worker: Worker
) -> None:
    # No scheduler here: the start's commit woke the worker, and the worker claims the jobs its
    # own steps make (after the first script, before the join) until none is left.
    schema = platform.alpha.schema

    def outcome() -> tuple[str, dict[str, object]]:
        instance = ProcessInstance.objects.get(id=committed_async_instance.id)
        return instance.state, instance.variables

    expected = ("completed", {"count": 2, "leftDone": True, "rightDone": True})
    eventually(schema, outcome, expected, celery_worker)


def test_two_schedulers_over_the_same_due_timer_fire_it_once(
    platform: Platform, committed_timer_instance: ProcessInstance, celery_worker: Worker
) -> None:
    schema = platform.alpha.schema
    in_threads(schema, lambda: clock.advance(timedelta(minutes=10)))

    call_command("run_scheduler", "--once")  # one scheduler's poll
    call_command("run_scheduler", "--once")  # and another's, before any worker ran: two wake-ups

    def state() -> str:
        return ProcessInstance.objects.get(id=committed_timer_instance.id).state

    eventually(schema, state, "completed", celery_worker)

    def visits() -> list[str]:
        rows = ActivityInstance.objects.filter(instance_id=committed_timer_instance.id)
        return sorted(rows.values_list("element_id", flat=True))

    assert in_threads(schema, visits)[0] == ["cool_off", "end", "remind", "start", "until_deadline"]
