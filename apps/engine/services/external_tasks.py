"""External tasks: workers in any language fetch work by topic, lock it, and report back.

Camunda 7's pattern: fetch-and-lock claims due rows with ``FOR UPDATE SKIP LOCKED`` so
concurrent workers never get the same task; a lock that expires makes the task available
again, so a crashed worker loses nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q

from apps.engine import clock, runtime
from apps.engine.handlers import registered_handlers
from apps.engine.models import ExternalTask, Incident, InstanceState, ProcessInstance, new_text_id
from apps.engine.services import outbox
from apps.engine.services.compiled import compiled_process
from apps.engine.services.instances import InstanceNotActive, complete_wait
from apps.engine.services.store import load_snapshot, lock_instance, visible_variables, write_step


class ExternalTaskError(Exception):
    """The task is not this worker's to report on (locked by another, or not locked); nothing changed."""


@dataclass(frozen=True)
class TopicRequest:
    name: str
    lock_duration_ms: int


def fetch_and_lock(worker_id: str, topics: Sequence[TopicRequest], max_tasks: int) -> list[ExternalTask]:
    """Lock up to ``max_tasks`` available tasks of the given topics for ``worker_id``, highest priority first."""
    now = clock.now()
    durations = {topic.name: topic.lock_duration_ms for topic in topics}
    with transaction.atomic():
        available = (
            ExternalTask.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("instance")
            .filter(topic__in=list(durations), instance__state=InstanceState.ACTIVE)
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
            .exclude(retries=0)
            .order_by("-priority", "created_at")[:max_tasks]
        )
        tasks = list(available)
        for task in tasks:
            task.worker_id = worker_id
            task.locked_until = now + timedelta(milliseconds=durations[task.topic])
        ExternalTask.objects.bulk_update(tasks, ["worker_id", "locked_until"])
    _attach_variables(tasks)
    return tasks


def _attach_variables(tasks: list[ExternalTask]) -> None:
    """Give each task ``variables``: what its element sees, local variables included (an
    element of a multi-instance activity sees its own item), as Camunda's fetch-and-lock does."""
    snapshots = {task.instance_id: load_snapshot(task.instance) for task in tasks}
    for task in tasks:
        tokens = snapshots[task.instance_id].tokens
        task.variables = visible_variables(task.instance, str(task.token_id), tokens)  # type: ignore[attr-defined]


def _locked_by(task_id: uuid.UUID, worker_id: str) -> ExternalTask:
    """Caller holds a transaction. The task, locked for update, if ``worker_id`` holds its lock.

    Its instance is locked first, the order every trigger keeps (a trigger deletes the task rows
    of the tokens it moves under the instance's lock): locking the task first could deadlock
    with a boundary timer or an operator acting on the same instance."""
    instance_id = ExternalTask.objects.filter(id=task_id).values_list("instance_id", flat=True).first()
    if instance_id is not None:
        lock_instance(instance_id)
    task = ExternalTask.objects.select_for_update().get(id=task_id)
    if task.worker_id != worker_id or task.locked_until is None or task.locked_until <= clock.now():
        raise ExternalTaskError(f"The external task {task_id} is not locked by worker {worker_id!r}.")
    return task


def complete_external_task(task_id: uuid.UUID, worker_id: str, variables: Mapping[str, Any]) -> None:
    with transaction.atomic():
        task = _locked_by(task_id, worker_id)
        instance_id, token_id = task.instance_id, str(task.token_id)
        task.delete()
        complete_wait(instance_id, token_id, variables, actor=worker_id, expected_wait="external-task")


def report_failure(
    task_id: uuid.UUID, worker_id: str, *, error_message: str, retries: int, retry_timeout_ms: int
) -> ExternalTask:
    """Record a failure. With retries left the task comes back after ``retry_timeout_ms``; at 0 an
    incident is raised and the task waits for an operator."""
    with transaction.atomic():
        task = _locked_by(task_id, worker_id)
        task.retries = max(retries, 0)
        task.error_message = error_message
        task.worker_id = ""
        task.locked_until = clock.now() + timedelta(milliseconds=max(retry_timeout_ms, 0))
        task.save(update_fields=["retries", "error_message", "worker_id", "locked_until"])
        if task.retries == 0:
            incident = Incident.objects.create(
                instance_id=task.instance_id,
                token_id=task.token_id,
                element_id=task.element_id,
                kind="failed-external-task",
                message=error_message,
            )
            instance = ProcessInstance.objects.only("id", "revision").get(id=task.instance_id)
            outbox.record(instance, [outbox.incident_created(incident)], now=incident.created_at)
    return task


def extend_lock(task_id: uuid.UUID, worker_id: str, new_duration_ms: int) -> ExternalTask:
    with transaction.atomic():
        task = _locked_by(task_id, worker_id)
        task.locked_until = clock.now() + timedelta(milliseconds=new_duration_ms)
        task.save(update_fields=["locked_until"])
    return task


def throw_bpmn_error(task_id: uuid.UUID, worker_id: str, *, error_code: str, error_message: str) -> None:
    """A business error from the worker: the task's error boundary events (or those of the
    subprocesses around it) catch it; an error nothing catches becomes an incident on the task."""
    with transaction.atomic():
        task = _locked_by(task_id, worker_id)
        instance = lock_instance(task.instance_id)
        if instance.state != InstanceState.ACTIVE:
            raise InstanceNotActive(f"The instance is {instance.state}.")
        task.delete()
        now = clock.now()
        step = runtime.throw_error(
            compiled_process(instance.definition),
            load_snapshot(instance),
            str(task.token_id),
            error_code,
            error_message,
            now=now,
            new_id=new_text_id,
            handlers=registered_handlers(),
        )
        write_step(instance, step, now=now, actor=worker_id)
