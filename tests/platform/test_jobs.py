"""Timers fire through the real chain: the scheduler command wakes a Celery worker process,
which claims the tenant's due jobs and moves the instance on, all on the platform's clock."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.core.management import call_command

from apps.engine import clock
from apps.engine.models import Deployment, ProcessDefinition, ProcessInstance, Token
from apps.engine.services.deployments import deploy
from apps.engine.services.instances import start_instance
from tests.conftest import Platform
from tests.engine.runtime.harness import MODELS
from tests.engine.runtime.test_concurrency import in_threads
from tests.platform.conftest import Worker

WORKER_SECONDS = 30


@pytest.fixture
def committed_timer_instance(platform: Platform) -> Iterator[ProcessInstance]:
    """An instance of timer_catch waiting at its ten-minute timer, committed; removed afterwards."""
    schema = platform.alpha.schema

    def create() -> ProcessInstance:
        (definition,) = deploy((MODELS / "timer_catch.bpmn").read_bytes()).definitions
        return start_instance(definition, {"deadline": "2026-01-01T00:00:00Z"})

    (instance,) = in_threads(schema, create)
    yield instance

    def remove() -> None:
        clock.reset()
        ProcessInstance.objects.filter(definition__key="timer_catch").delete()
        deployments = list(Deployment.objects.filter(definitions__key="timer_catch"))
        ProcessDefinition.objects.filter(deployment__in=deployments).delete()
        Deployment.objects.filter(id__in=[deployment.id for deployment in deployments]).delete()

    in_threads(schema, remove)


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
    eventually(schema, waiting_at, ["until_deadline"], celery_worker)
    call_command("run_scheduler", "--once")  # the deadline has passed: due at once
    eventually(
        schema, lambda: ProcessInstance.objects.get(id=committed_timer_instance.id).state, "completed", celery_worker
    )
