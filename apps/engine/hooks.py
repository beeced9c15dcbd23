"""What the engine announces to the other apps, after the transaction that caused it commits.

Apps subscribe in their ``AppConfig.ready()``; the engine imports none of them:

    hooks.subscribe(hooks.USER_TASK_CREATED, create_human_task)

A subscriber gets an ``Announcement`` and runs after commit, in the tenant's schema; what it
raises is logged and does not undo the engine's work (which is already committed).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

USER_TASK_CREATED = "user-task-created"
USER_TASK_CANCELLED = "user-task-cancelled"
INSTANCE_ENDED = "instance-ended"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Announcement:
    event: str
    schema_name: str
    instance_id: str
    details: dict[str, Any] = field(default_factory=dict)


Subscriber = Callable[[Announcement], None]
_subscribers: dict[str, list[Subscriber]] = {}


def subscribe(event: str, subscriber: Subscriber) -> None:
    if subscriber not in _subscribers.setdefault(event, []):
        _subscribers[event].append(subscriber)


def unsubscribe(event: str, subscriber: Subscriber) -> None:
    if subscriber in _subscribers.get(event, []):
        _subscribers[event].remove(subscriber)


def announce(event: str, instance_id: str, **details: Any) -> None:
    """Queue ``event`` for its subscribers once the current transaction commits."""
    subscribers = list(_subscribers.get(event, ()))
    if not subscribers:
        return
    announcement = Announcement(event, connection.schema_name, instance_id, details)

    def deliver() -> None:
        for subscriber in subscribers:
            try:
                subscriber(announcement)
            except Exception:
                logger.exception("A subscriber of %s failed for instance %s", event, instance_id)

    transaction.on_commit(deliver)


# --- In the transaction: writers of user tasks ---------------------------------------------------


@dataclass(frozen=True)
class UserTaskChanges:
    """The user tasks a change of ``instance`` (a ProcessInstance) made, completed and took
    away: each made one is a ``Wait`` of kind ``user-task`` (token, element, details); each
    completed or taken away one (cancelled: a terminate end event, a boundary event, an
    operator) is a token id. ``actor`` made the change."""

    instance: Any
    made: list[Any]
    taken_away: list[str]
    now: Any
    completed: list[str] = field(default_factory=list)
    actor: str = ""


TaskWriter = Callable[[UserTaskChanges], list[tuple[str, list[Any]]]]
_task_writers: list[TaskWriter] = []


def write_user_tasks_with(writer: TaskWriter) -> None:
    """Register an app's writer of user tasks: it returns statements that the engine sends with
    the change, in its transaction (and round trip), so a task is never missing nor left over
    once the change commits. The human task list (apps/tasks) is the one writer."""
    if writer not in _task_writers:
        _task_writers.append(writer)


def user_task_statements(changes: UserTaskChanges) -> list[tuple[str, list[Any]]]:
    if not (changes.made or changes.taken_away or changes.completed):
        return []
    return [statement for writer in _task_writers for statement in writer(changes)]
