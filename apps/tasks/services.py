"""What people do with tasks: find them, claim, unclaim, assign, delegate and complete them.

Every change locks the task's row (a completion locks its instance first, the order every engine
trigger keeps), checks the task is still open and the person may act on it, and records the
transition in the task's history. Two people racing for one task: one wins, the other gets a
conflict and nothing of theirs is applied.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet

from apps.engine import clock
from apps.engine.runtime import TriggerRejected
from apps.engine.services import rows
from apps.engine.services.instances import InstanceNotActive, complete_wait
from apps.engine.services.store import lock_and_load
from apps.tasks import form_definitions, forms
from apps.tasks.models import (
    OPEN_STATES,
    Notification,
    Task,
    TaskComment,
    TaskEvent,
    TaskEventKind,
    TaskFilter,
    TaskState,
    TransitionRefused,
)
from apps.tenancy.roles import Action, may


class TaskConflict(Exception):
    """The task is no longer as the request expected (completed, cancelled, claimed by another)."""


class TaskForbidden(Exception):
    """The person may not do this to the task."""


class FormInvalid(Exception):
    """Submitted values do not fit the task's form; ``problems`` lists them per field."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        super().__init__("Some values do not fit the task's form.")
        self.problems = problems


class AssigneeUnknown(Exception):
    """The person to assign the task to is not an active user of the tenant."""


def group_names(user: Any) -> list[str]:
    """The names of the groups ``user`` belongs to (candidate groups name them)."""
    cached: list[str] | None = getattr(user, "_apg_group_names", None)
    if cached is None and hasattr(user, "group_names"):  # read with the user by TenantJWTAuthentication
        cached = list(user.group_names or ())
    if cached is None:
        cached = list(user.groups.values_list("name", flat=True))
        user._apg_group_names = cached
    return cached


def offered_to(user: Any) -> Q:
    """Open, unassigned tasks ``user`` may claim: named as a candidate, in a candidate group, or
    offered to nobody in particular (as Camunda's tasklist shows them)."""
    username = user.get_username()
    offered = Q(candidate_users__contains=[username]) | Q(candidate_groups__overlap=group_names(user))
    offered |= Q(candidate_users=[], candidate_groups=[])
    return Q(state__in=OPEN_STATES, assignee="") & offered


def is_candidate(user: Any, task: Task) -> bool:
    """Whether the task is offered to ``user`` (assigned or not): a candidate user, in a
    candidate group, or a task offered to nobody in particular."""
    if not task.candidate_users and not task.candidate_groups:
        return True
    return user.get_username() in task.candidate_users or bool(set(task.candidate_groups) & set(group_names(user)))


def may_pass_on(user: Any, task: Task) -> bool:
    """Whether ``user`` may give the task back, assign, delegate or resolve it: its assignee, or an operator."""
    return task.assignee == user.get_username() or may(user, Action.OPERATE_PROCESSES)


def may_change(user: Any, task: Task) -> bool:
    """Whether ``user`` may set the task's priority and dates: its assignee, its owner, or an operator."""
    return user.get_username() in (task.assignee, task.owner) or may(user, Action.OPERATE_PROCESSES)


def visible_to(user: Any) -> QuerySet[Task]:
    """The tasks ``user`` may see: every task for operators and admins; else their own (open or
    not), those they delegated (they own them and get them back) and those offered to them."""
    if may(user, Action.OPERATE_PROCESSES):
        return Task.objects.all()
    username = user.get_username()
    return Task.objects.filter(Q(assignee=username) | Q(owner=username) | offered_to(user))


def filters_for(user: Any) -> QuerySet[TaskFilter]:
    """The saved task lists ``user`` may use: their own, and those shared with their groups."""
    shared = Q(shared_with_group__in=group_names(user)) & ~Q(shared_with_group="")
    return TaskFilter.objects.filter(Q(owner=user.get_username()) | shared)


def claim(task_id: uuid.UUID, user: Any) -> Task:
    username = user.get_username()
    with transaction.atomic():
        task = _locked_open(task_id)
        if task.assignee == username:
            return task  # claimed already: nothing to do
        if not is_candidate(user, task):
            raise TaskForbidden("The task is not offered to you.")
        if task.assignee:
            raise TaskConflict(f"The task is claimed by {task.assignee} already.")
        rows.execute(_assign(task, username, TaskEventKind.CLAIMED, actor=username, claimed=True, now=clock.now()))
    return task


def unclaim(task_id: uuid.UUID, user: Any) -> Task:
    username = user.get_username()
    with transaction.atomic():
        task = _locked_open(task_id)
        if not may_pass_on(user, task):
            raise TaskForbidden("Only its assignee (or an operator) can give the task back.")
        if not task.assignee:
            return task
        if task.state == TaskState.DELEGATED:
            raise TaskConflict("The task is delegated: its delegate resolves it, back to its owner.")
        previous = task.assignee
        _move(task, TaskState.CREATED)
        task.assignee, task.claimed_at = "", None
        task.save(update_fields=["assignee", "state", "claimed_at"])
        _record(task, TaskEventKind.UNCLAIMED, username, {"previous": previous})
    return task


def assign(task_id: uuid.UUID, user: Any, assignee: str) -> Task:
    """Give the task to ``assignee``: its assignee may pass it on, an operator may assign any."""
    username = user.get_username()
    ensure_active_user(assignee)
    with transaction.atomic():
        task = _locked_open(task_id)
        if not may_pass_on(user, task):
            raise TaskForbidden("Only its assignee (or an operator) can assign the task.")
        rows.execute(_assign(task, assignee, TaskEventKind.ASSIGNED, actor=username, claimed=False, now=clock.now()))
    return task


def delegate(task_id: uuid.UUID, user: Any, delegate_to: str) -> Task:
    """Hand the task to ``delegate_to`` for a while, as Camunda 7 does: whoever had it (or its
    owner) stays its owner and gets it back when the delegate resolves it."""
    username = user.get_username()
    ensure_active_user(delegate_to)
    with transaction.atomic():
        task = _locked_open(task_id)
        if not may_pass_on(user, task):
            raise TaskForbidden("Only its assignee (or an operator) can delegate the task.")
        owner = task.owner or task.assignee or username
        _move(task, TaskState.DELEGATED)
        task.owner, task.assignee = owner, delegate_to
        task.assignment_reason = f"Delegated to {delegate_to} by {username}; {owner} gets it back once it is resolved."
        task.save(update_fields=["owner", "assignee", "state", "assignment_reason"])
        _record(task, TaskEventKind.DELEGATED, username, {"delegate": delegate_to, "owner": owner})
    return task


def resolve(task_id: uuid.UUID, user: Any) -> Task:
    """The delegate is done: the task goes back to its owner, who completes it."""
    username = user.get_username()
    with transaction.atomic():
        task = _locked_open(task_id)
        if task.state != TaskState.DELEGATED:
            raise TaskConflict("The task is not delegated.")
        if not may_pass_on(user, task):
            raise TaskForbidden("Only its delegate (or an operator) can resolve the task.")
        _move(task, TaskState.ASSIGNED)
        task.assignee = task.owner
        task.assignment_reason = f"Resolved by {username}: back with its owner {task.owner}."
        task.save(update_fields=["assignee", "state", "assignment_reason"])
        _record(task, TaskEventKind.RESOLVED, username, {"owner": task.owner})
    return task


def update(task_id: uuid.UUID, user: Any, changes: Mapping[str, Any]) -> Task:
    """Set the task's ``priority``, ``due_date`` or ``follow_up_date``: its assignee, its owner
    or an operator may."""
    username = user.get_username()
    with transaction.atomic():
        task = _locked_open(task_id)
        if not may_change(user, task):
            raise TaskForbidden("Only its assignee, its owner (or an operator) can change the task.")
        fields = [name for name in ("priority", "due_date", "follow_up_date") if name in changes]
        for name in fields:
            setattr(task, name, changes[name])
        if fields:
            task.save(update_fields=fields)
            _record(task, TaskEventKind.UPDATED, username, {name: _json(changes[name]) for name in fields})
    return task


def complete(task_id: uuid.UUID, user: Any, variables: Mapping[str, Any]) -> Task:
    """Complete the task with ``variables``: its assignee may, or, when it is unassigned, someone
    it is offered to (who becomes its assignee). The process moves on in the same transaction.

    Three round trips and the commit: the task's instance; the instance's lock with its tokens
    and the task's lock; the engine's step with the task's claim (if any) and close."""
    username = user.get_username()
    with transaction.atomic():
        (found,) = rows.query([(_INSTANCE_OF, [task_id])])
        if not found:
            raise Task.DoesNotExist(f"No task {task_id}.")
        instance_id = found[0][0]
        # The instance first, as every trigger locks it, then the task.
        instance, snapshot, locked = lock_and_load(instance_id, _task_for_update(task_id))
        task = _open(locked, task_id)
        if task.state == TaskState.DELEGATED:
            raise TaskConflict("The task is delegated: its delegate resolves it, then its owner completes it.")
        now = clock.now()
        claim: list[rows.Statement] = []
        if task.assignee != username:
            if task.assignee or not is_candidate(user, task):
                raise TaskForbidden("Only its assignee can complete the task.")
            claim = _assign(task, username, TaskEventKind.CLAIMED, actor=username, claimed=True, now=now)
        wrong = forms.problems(forms.fields_of(task, instance), dict(variables), dict(instance.variables))
        if wrong:
            raise FormInvalid(wrong)  # nothing written: the claim above is only in memory
        try:
            token = str(task.token_id)
            complete_wait(
                instance_id,
                token,
                variables,
                actor=username,
                expected_wait="user-task",
                locked=instance,
                snapshot=snapshot,
                also=claim,
                now=now,
            )
        except (TriggerRejected, InstanceNotActive) as refused:
            raise TaskConflict(f"The process no longer waits for this task: {refused}") from refused
    # As the step's close of the task wrote it (apps/tasks/writer.py).
    task.move_to(TaskState.COMPLETED)
    task.completed_at, task.ended_at = now, now
    return task


BULK_ACTIONS = ("claim", "unclaim", "assign", "complete")


@dataclass(frozen=True)
class BulkOutcome:
    """What one task of a bulk action would have answered alone."""

    id: uuid.UUID
    status: int  # 200, 400 (values that do not fit its form), 403, 404 or 409
    detail: str = ""
    problems: dict[str, list[str]] = field(default_factory=dict)  # a completion's, per form field


def act_on_each(
    user: Any,
    action: str,
    task_ids: Iterable[uuid.UUID],
    *,
    assignee: str = "",
    variables: Mapping[str, Any] | None = None,
) -> list[BulkOutcome]:
    """Claim, give back, assign (to ``assignee``) or complete (with ``variables``) each task on
    its own, in a transaction of its own, and say how each went. An assignee who is not an
    active user raises ``AssigneeUnknown`` before any task changes."""
    if action not in BULK_ACTIONS:
        raise ValueError(f"No bulk action {action!r}.")
    if action == "assign":
        ensure_active_user(assignee)
    values = dict(variables or {})
    outcomes = []
    for task_id in task_ids:
        try:
            if action == "claim":
                claim(task_id, user)
            elif action == "unclaim":
                unclaim(task_id, user)
            elif action == "assign":
                assign(task_id, user, assignee)
            else:
                complete(task_id, user, values)
        except Task.DoesNotExist:
            outcomes.append(BulkOutcome(task_id, 404, f"No task {task_id}."))
        except TaskForbidden as forbidden:
            outcomes.append(BulkOutcome(task_id, 403, str(forbidden)))
        except (TaskConflict, form_definitions.FormNotFound) as conflict:
            outcomes.append(BulkOutcome(task_id, 409, str(conflict)))
        except FormInvalid as invalid:
            outcomes.append(BulkOutcome(task_id, 400, str(invalid), invalid.problems))
        else:
            outcomes.append(BulkOutcome(task_id, 200))
    return outcomes


def ensure_active_user(username: str) -> None:
    if not get_user_model().objects.filter(username=username, is_active=True).exists():
        raise AssigneeUnknown(f"No active user {username!r} in this tenant.")


def _json(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


MENTION = re.compile(r"(?<![\w@])@([\w.@+-]{1,150})")


def comment(task_id: uuid.UUID, user: Any, text: str) -> TaskComment:
    """Add a comment to a task ``user`` may see; the active users it names as ``@username`` are
    its mentions (an event of the task's history names them). Those of them who may see the task
    are notified: a mention does not show a task's name to someone it is not for."""
    task = visible_to(user).filter(id=task_id).first()
    if task is None:
        raise Task.DoesNotExist(f"No task {task_id}.")
    named = {match.rstrip(".") for match in MENTION.findall(text)}
    known = get_user_model().objects.filter(username__in=named, is_active=True)
    mentions = sorted(known.values_list("username", flat=True))
    author = user.get_username()
    with transaction.atomic():
        made = TaskComment.objects.create(
            task=task, author=author, text=text, mentions=mentions, created_at=clock.now()
        )
        _record(task, TaskEventKind.COMMENTED, author, {"comment_id": made.id, "mentions": mentions})
        told = [person for person in known if person.get_username() != author and _may_see(person, task)]
        Notification.objects.bulk_create(
            [
                Notification(
                    username=person.get_username(),
                    task=task,
                    kind="mentioned",
                    text=f"{author} mentioned you on {task.name}.",
                    created_at=made.created_at,
                )
                for person in told
            ]
        )
    return made


def _may_see(user: Any, task: Task) -> bool:
    return (
        may(user, Action.OPERATE_PROCESSES)
        or user.get_username() in (task.assignee, task.owner)
        or (task.is_open and not task.assignee and is_candidate(user, task))
    )


_INSTANCE_OF = f"SELECT instance_id FROM {Task._meta.db_table} WHERE id = %s"  # noqa: S608


def _task_for_update(task_id: uuid.UUID) -> rows.Statement:
    return (f"SELECT {rows.select_columns(Task)} FROM {Task._meta.db_table} WHERE id = %s FOR UPDATE", [task_id])  # noqa: S608


def _locked_open(task_id: uuid.UUID) -> Task:
    (locked,) = rows.query([_task_for_update(task_id)])
    return _open(locked, task_id)


def _move(task: Task, state: str) -> None:
    try:
        task.move_to(state)
    except TransitionRefused as refused:
        raise TaskConflict(str(refused)) from refused


def _open(locked: list[Any], task_id: uuid.UUID) -> Task:
    if not locked:
        raise Task.DoesNotExist(f"No task {task_id}.")
    task = rows.model_from(Task, locked[0])
    if not task.is_open:
        raise TaskConflict(f"The task is {task.state} already.")
    return task


def _assign(task: Task, assignee: str, kind: str, *, actor: str, claimed: bool, now: datetime) -> list[rows.Statement]:
    """Give ``task`` to ``assignee`` in memory; the statements that store that, with its event."""
    previous = task.assignee
    _move(task, TaskState.ASSIGNED)
    task.assignee = assignee
    task.claimed_at = now if claimed else task.claimed_at
    task.assignment_reason = f"Claimed by {assignee}." if claimed else f"Assigned to {assignee} by {actor}."
    return [
        (
            f"UPDATE {Task._meta.db_table} SET assignee = %s, state = %s, claimed_at = %s, "  # noqa: S608
            "assignment_reason = %s WHERE id = %s",
            [task.assignee, task.state, task.claimed_at, task.assignment_reason, task.id],
        ),
        *_event(task, kind, actor, {"assignee": assignee, **({"previous": previous} if previous else {})}, now),
    ]


def _event(task: Task, kind: str, actor: str, details: dict[str, Any], now: datetime) -> list[rows.Statement]:
    return rows.table(TaskEvent).insert(
        [{"task_id": task.id, "kind": kind, "actor": actor, "at": now, "details": details}]
    )


def _record(task: Task, kind: str, actor: str, details: dict[str, Any]) -> None:
    rows.execute(_event(task, kind, actor, details, clock.now()))
