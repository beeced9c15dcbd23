"""Triggers that race on one instance: both are applied, in some order, and no token is lost.

The work runs in threads with their own connections and committed transactions, as
concurrent requests do; the test's own connection only waits for them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from apps.engine.models import ActivityInstance, Deployment, ProcessDefinition, ProcessInstance, Token
from apps.engine.services.deployments import deploy
from apps.engine.services.instances import complete_wait, start_instance
from tests.conftest import Platform
from tests.engine.runtime.harness import MODELS

T = TypeVar("T")


def in_threads(schema: str, *functions: Callable[[], T]) -> list[T]:
    """Run ``functions`` at the same moment, each in a thread of its own on ``schema``."""
    barrier = threading.Barrier(len(functions))
    results: list[Any] = [None] * len(functions)

    def run(index: int, function: Callable[[], T]) -> None:
        try:
            with schema_context(schema):
                barrier.wait(timeout=10)
                results[index] = function()
        except BaseException as error:  # noqa: BLE001 - handed to the test thread below
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, function)) for index, function in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


@pytest.fixture
def committed_instance(platform: Platform) -> Iterator[ProcessInstance]:
    """An instance of parallel_user_tasks waiting at both user tasks, committed; removed afterwards."""
    schema = platform.alpha.schema

    def create() -> ProcessInstance:
        (definition,) = deploy((MODELS / "parallel_user_tasks.bpmn").read_bytes()).definitions
        return start_instance(definition, {"arrivals": []})

    (instance,) = in_threads(schema, create)
    yield instance

    def remove() -> None:
        ProcessInstance.objects.filter(definition__key="parallel_user_tasks").delete()
        deployments = list(Deployment.objects.filter(definitions__key="parallel_user_tasks"))
        ProcessDefinition.objects.filter(deployment__in=deployments).delete()
        Deployment.objects.filter(id__in=[deployment.id for deployment in deployments]).delete()

    in_threads(schema, remove)


def test_two_completions_racing_on_one_instance_are_both_applied_and_the_join_fires_once(
    platform: Platform, committed_instance: ProcessInstance
) -> None:
    schema = platform.alpha.schema
    tokens = in_threads(
        schema,
        lambda: {row.element_id: str(row.id) for row in Token.objects.filter(instance=committed_instance)},
    )[0]
    assert sorted(tokens) == ["left", "right"]

    in_threads(
        schema,
        lambda: complete_wait(committed_instance.id, tokens["left"], {"leftDone": True}),
        lambda: complete_wait(committed_instance.id, tokens["right"], {"rightDone": True}),
    )

    def outcome() -> tuple[str, dict[str, Any], list[str], int]:
        instance = ProcessInstance.objects.get(id=committed_instance.id)
        visits = list(
            ActivityInstance.objects.filter(instance=instance).order_by("id").values_list("element_id", flat=True)
        )
        return instance.state, instance.variables, visits, Token.objects.filter(instance=instance).count()

    state, variables, visits, tokens_left = in_threads(schema, outcome)[0]
    assert state == "completed"
    assert variables == {"arrivals": [], "leftDone": True, "rightDone": True, "joined": True}
    assert visits.count("join") == 1
    assert visits[-2:] == ["after", "end"]
    assert sorted(visits[:4]) == ["fork", "left", "right", "start"]
    assert tokens_left == 0
