"""Task rows written with the engine's change, in its transaction and round trip.

The engine calls ``task_statements`` (registered in ``TasksConfig.ready``) with the user tasks a
step made and took away: made ones become task rows (assigned when the model names an
assignee), taken away ones are cancelled, each with its history event.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from apps.engine.hooks import UserTaskChanges
from apps.engine.models import new_id
from apps.engine.services import rows
from apps.engine.services.compiled import compiled_process
from apps.tasks import routing, sla
from apps.tasks.form_definitions import form_key_of
from apps.tasks.models import DEFAULT_PRIORITY, TASK_TRANSITIONS, Task, TaskEvent, TaskEventKind, TaskState


def task_statements(changes: UserTaskChanges) -> list[rows.Statement]:
    # Closed before any is made: a token that completes one user task may wait at the next.
    statements: list[rows.Statement] = []
    if changes.completed:
        statements.append(_close(changes.completed, TaskState.COMPLETED, TaskEventKind.COMPLETED, changes))
    if changes.taken_away:
        statements.append(_close(changes.taken_away, TaskState.CANCELLED, TaskEventKind.CANCELLED, changes))
    if changes.made:
        tasks = [_task_row(changes, wait) for wait in changes.made]
        statements += rows.table(Task).insert(tasks)
        statements += rows.table(TaskEvent).insert([_created_event(task) for task in tasks])
    return statements


def _close(token_ids: list[str], state: str, kind: str, changes: UserTaskChanges) -> rows.Statement:
    """End the open tasks of ``token_ids`` as ``state``, each with its history event."""
    table, events = Task._meta.db_table, TaskEvent._meta.db_table
    completed_at = "%s" if state == TaskState.COMPLETED else "completed_at"
    actor = changes.actor if state == TaskState.COMPLETED else ""
    return (
        f"WITH ended AS (UPDATE {table} SET state = %s, ended_at = %s, completed_at = {completed_at} "  # noqa: S608
        "WHERE token_id = ANY(%s) AND state = ANY(%s) RETURNING id) "
        f"INSERT INTO {events} (task_id, kind, actor, at, details) "
        "SELECT id, %s, %s, %s, '{}'::jsonb FROM ended",
        [
            state,
            changes.now,
            *([changes.now] if state == TaskState.COMPLETED else []),
            [uuid.UUID(token_id) for token_id in token_ids],
            [str(before) for before, after in TASK_TRANSITIONS.items() if state in after],
            kind,
            actor,
            changes.now,
        ],
    )


def _task_row(changes: UserTaskChanges, wait: Any) -> dict[str, Any]:
    details = wait.details
    instance = changes.instance
    assignee = _text(details.get("assignee"))
    candidate_users = [_text(user) for user in details.get("candidate_users") or [] if _text(user)]
    candidate_groups = [_text(group) for group in details.get("candidate_groups") or [] if _text(group)]
    if assignee:
        reason = f"The model names {assignee} as the assignee."
    elif candidate_users or candidate_groups:
        named = ", ".join([*candidate_users, *(f"group {group}" for group in candidate_groups)])
        reason = f"Offered to the candidates the model names: {named}."
    else:
        reason = "The model names no assignee and no candidates: anyone allowed to work on tasks may claim it."
    process_key = instance.definition.key
    if not assignee:
        node = compiled_process(instance.definition).nodes.get(wait.element_id)
        properties = node.extensions.properties if node is not None else {}
        rule = routing.routing_for(process_key, wait.element_id, properties, candidate_groups)
        chosen = (
            routing.choose(rule, process_key, wait.element_id, changes.now, instance.variables)
            if rule is not None
            else None
        )
        if chosen is not None:
            assignee, reason = chosen.assignee, chosen.reason
    deadline = sla.sla_for(process_key, wait.element_id, changes.now, _moment(details.get("due_date"), changes.now))
    if assignee:
        present = routing.substitute(assignee, reason, changes.now)
        assignee, reason = present.assignee, present.reason
    return {
        "id": new_id(),
        "instance_id": instance.id,
        "token_id": uuid.UUID(wait.token_id),
        "element_id": wait.element_id,
        "process_key": process_key,
        "business_key": instance.business_key or "",
        "name": _text(details.get("name")) or wait.element_id,
        "description": "",
        "assignee": assignee,
        "owner": "",
        "candidate_users": candidate_users,
        "candidate_groups": candidate_groups,
        "priority": _priority(details.get("priority")),
        "due_date": deadline.due_at if deadline is not None else None,
        "sla_due_at": deadline.due_at if deadline is not None else None,
        "at_risk_percent": deadline.at_risk_percent if deadline is not None else 80,
        "escalations_done": [],
        "follow_up_date": _moment(details.get("follow_up_date"), changes.now),
        "form_key": form_key_of(details["form_ref"]) if details.get("form_ref") else _text(details.get("form_key")),
        "state": TaskState.ASSIGNED if assignee else TaskState.CREATED,
        "assignment_reason": reason,
        "created_at": changes.now,
        "claimed_at": None,
        "completed_at": None,
        "ended_at": None,
    }


def _created_event(task: dict[str, Any]) -> dict[str, Any]:
    details = {"assignee": task["assignee"]} if task["assignee"] else {}
    return {
        "task_id": task["id"],
        "kind": TaskEventKind.CREATED,
        "actor": "",
        "at": task["created_at"],
        "details": details,
    }


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _priority(value: Any) -> int:
    try:
        return int(value) if value not in (None, "") else DEFAULT_PRIORITY
    except (TypeError, ValueError):
        return DEFAULT_PRIORITY


def _moment(value: Any, now: datetime) -> datetime | None:
    """A due or follow-up date the model gave (ISO 8601 text or a date-time; without a zone, in
    the tenant's); None otherwise."""
    moment = value if isinstance(value, datetime) else None
    if isinstance(value, str) and value.strip():
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=now.tzinfo)
    return moment
