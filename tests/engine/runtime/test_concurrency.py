"""Triggers that race on one instance: both are applied, in some order, and no token is lost.

The work runs in threads with their own connections and committed transactions, as
concurrent requests do; the test's own connection only waits for them.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from django.db import connection, transaction
from django_tenants.utils import schema_context

from apps.engine import clock
from apps.engine.models import (
    ActivityInstance,
    Deployment,
    ExternalTask,
    Job,
    ProcessDefinition,
    ProcessInstance,
    Token,
)
from apps.engine.runtime import TriggerRejected
from apps.engine.services import external_tasks, jobs
from apps.engine.services.deployments import deploy
from apps.engine.services.instances import InstanceNotActive, complete_wait, latest_definition, start_instance
from apps.engine.services.operations import TransitionRefused, cancel_instance
from apps.engine.services.store import lock_instance
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


def drop_processes(*keys: str) -> None:
    """Remove the committed instances and deployments of the processes ``keys``, and the clock's offset.

    The instances' rows are locked first, as every trigger locks them before their jobs and
    tokens: a worker still running one of their jobs (the session's live platform has its own)
    finishes before the rows go, instead of deadlocking with the deletion.
    """
    clock.reset()
    with transaction.atomic():
        instances = ProcessInstance.objects.select_for_update().filter(definition__key__in=keys)
        list(instances.order_by("id").values_list("id", flat=True))
        instances.delete()
    deployments = list(Deployment.objects.filter(definitions__key__in=keys).distinct())
    ProcessDefinition.objects.filter(deployment__in=deployments).delete()
    Deployment.objects.filter(id__in=[deployment.id for deployment in deployments]).delete()


@pytest.fixture
def committed_instance(platform: Platform) -> Iterator[ProcessInstance]:
    """An instance of parallel_user_tasks waiting at both user tasks, committed; removed afterwards."""
    schema = platform.alpha.schema

    def create() -> ProcessInstance:
        (definition,) = deploy((MODELS / "parallel_user_tasks.bpmn").read_bytes()).definitions
        return start_instance(definition, {"arrivals": []})

    (instance,) = in_threads(schema, create)
    yield instance

    in_threads(schema, lambda: drop_processes("parallel_user_tasks"))


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


@pytest.fixture
def committed_orders(platform: Platform) -> Iterator[Callable[[], tuple[ProcessInstance, ProcessInstance, str]]]:
    """Start committed orders waiting for their payment child; everything is removed afterwards."""
    schema = platform.alpha.schema
    in_threads(schema, lambda: deploy((MODELS / "call_activity.bpmn").read_bytes()))

    def start_order() -> tuple[ProcessInstance, ProcessInstance, str]:
        def create() -> tuple[ProcessInstance, ProcessInstance, str]:
            variables = {"total": 3, "customer": {"name": "pia"}, "orderNo": 1}
            order = start_instance(latest_definition("order"), variables)
            payment = ProcessInstance.objects.get(parent=order)
            return order, payment, str(Token.objects.get(instance=payment).id)

        return in_threads(schema, create)[0]

    yield start_order

    def remove() -> None:
        drop_processes("order", "payment", "receipt")

    in_threads(schema, remove)


def _race_completion_with_cancel(
    schema: str, order: ProcessInstance, payment: ProcessInstance, token_id: str
) -> tuple[tuple[str, str], tuple[str, str]]:
    """Complete the child's task while the caller is cancelled: what each got, and both states."""

    def complete_child() -> str:
        try:
            complete_wait(payment.id, token_id, {})
        except InstanceNotActive:
            return "refused"
        return "applied"

    def cancel_caller() -> str:
        try:
            cancel_instance(order.id, actor="operator")
        except TransitionRefused:
            return "refused"
        return "applied"

    completion, cancellation = in_threads(schema, complete_child, cancel_caller)
    states = in_threads(
        schema, lambda: tuple(ProcessInstance.objects.get(id=row.id).state for row in (order, payment))
    )[0]
    return (completion, cancellation), (states[0], states[1])


def test_a_child_completing_while_its_caller_is_cancelled_never_deadlocks(
    platform: Platform, committed_orders: Callable[[], tuple[ProcessInstance, ProcessInstance, str]]
) -> None:
    # Exactly one wins and the loser changes nothing; a deadlock would raise out of a thread.
    expected = {
        ("applied", "refused"): ("completed", "completed"),
        ("refused", "applied"): ("cancelled", "cancelled"),
    }
    for _ in range(10):
        results, states = _race_completion_with_cancel(platform.alpha.schema, *committed_orders())
        assert states == expected[results]


def test_a_trigger_holding_one_instance_does_not_block_another_instance_of_the_same_definition(
    platform: Platform, committed_instance: ProcessInstance
) -> None:
    schema = platform.alpha.schema

    def start_another() -> tuple[ProcessInstance, str]:
        other = start_instance(ProcessDefinition.objects.get(key="parallel_user_tasks"), {"arrivals": []})
        return other, str(Token.objects.filter(instance=other, element_id="left").get().id)

    other, token_id = in_threads(schema, start_another)[0]
    holding = threading.Event()
    finished = threading.Event()

    def hold_the_first() -> None:
        with transaction.atomic():
            lock_instance(committed_instance.id)
            holding.set()
            finished.wait(timeout=10)  # held until the other trigger is through (or has failed)

    def complete_the_other() -> str:
        holding.wait(timeout=10)
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '3s'")
                complete_wait(other.id, token_id, {"leftDone": True})
            return "applied"
        finally:
            finished.set()

    _, outcome = in_threads(schema, hold_the_first, complete_the_other)
    assert outcome == "applied"


@pytest.fixture
def committed_boundary_instance(platform: Platform) -> Iterator[tuple[ProcessInstance, jobs.Claimed]]:
    """An instance of boundary_timers waiting at "review", its "overdue" timer due and leased to
    this test (so that no other worker of the session takes it); removed afterwards."""
    schema = platform.alpha.schema

    def create() -> tuple[ProcessInstance, jobs.Claimed]:
        (definition,) = deploy((MODELS / "boundary_timers.bpmn").read_bytes()).definitions
        with transaction.atomic():
            instance = start_instance(definition, {"reminderAfter": "P1D"})
            overdue = Job.objects.filter(instance=instance, element_id="overdue")
            lease = uuid.uuid4()
            overdue.update(lock_owner="racer", lock_token=lease, locked_until=clock.now() + timedelta(hours=2))
        clock.advance(timedelta(hours=1))  # "overdue" is due; "slow" is not
        return instance, jobs.Claimed(overdue.get().id, lease)

    (made,) = in_threads(schema, create)
    yield made

    in_threads(schema, lambda: drop_processes("boundary_timers"))


def test_a_boundary_timer_and_the_task_s_completion_racing_let_exactly_one_path_win(
    platform: Platform, committed_boundary_instance: tuple[ProcessInstance, jobs.Claimed]
) -> None:
    schema, (instance, claimed) = platform.alpha.schema, committed_boundary_instance
    review = in_threads(schema, lambda: str(Token.objects.get(instance=instance, element_id="review").id))[0]

    def complete() -> str:
        try:
            complete_wait(instance.id, review, {"reviewed": True})
        except TriggerRejected:
            return "rejected"
        return "completed"

    outcomes = in_threads(schema, complete, lambda: jobs.run_job(claimed))

    def paths() -> list[str]:
        return list(
            ActivityInstance.objects.filter(instance=instance, element_id__in=["escalate", "end_reviewed"]).values_list(
                "element_id", flat=True
            )
        )

    taken = in_threads(schema, paths)[0]
    assert len(taken) == 1  # the escalation or the reviewed end, never both
    if taken == ["end_reviewed"]:
        assert outcomes == ["completed", jobs.Ran.GONE]  # the timer found its task done
    else:
        assert outcomes == ["rejected", jobs.Ran.APPLIED]  # the completion found its task cancelled


def test_a_worker_completing_its_task_while_an_operator_cancels_the_instance_never_deadlocks(
    platform: Platform,
) -> None:
    # The worker locks the instance before its task row, as every trigger does; locking the task
    # first would deadlock with a cancellation that deletes the task under the instance's lock.
    schema = platform.alpha.schema
    in_threads(schema, lambda: deploy((MODELS / "external_wait.bpmn").read_bytes()))

    def fetched() -> tuple[ProcessInstance, uuid.UUID]:
        instance = start_instance(latest_definition("external_wait"), {})
        (task,) = external_tasks.fetch_and_lock("racer", [external_tasks.TopicRequest("race-charge", 60_000)], 1)
        return instance, task.id

    def complete(task_id: uuid.UUID) -> str:
        try:
            external_tasks.complete_external_task(task_id, "racer", {"charged": True})
        except (ExternalTask.DoesNotExist, InstanceNotActive):
            return "refused"
        return "completed"

    def cancel(instance: ProcessInstance) -> str:
        try:
            cancel_instance(instance.id, actor="operator")
        except TransitionRefused:
            return "refused"
        return "cancelled"

    def race() -> tuple[list[str], str]:
        instance, task_id = in_threads(schema, fetched)[0]
        outcomes = in_threads(schema, lambda: complete(task_id), lambda: cancel(instance))
        return outcomes, in_threads(schema, lambda: ProcessInstance.objects.get(id=instance.id).state)[0]

    try:
        for _ in range(10):  # a deadlock would raise out of a thread
            assert race() in ((["completed", "refused"], "completed"), (["refused", "cancelled"], "cancelled"))
    finally:
        in_threads(schema, lambda: drop_processes("external_wait"))
