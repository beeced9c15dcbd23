"""A task as the API shows it, built by hand.

DRF's serializer walks its fields one by one for every task; for a claim that walk cost more
than the claim itself, and the task list shows 50 tasks a page. ``task_json`` gives exactly what
``TaskSerializer``'s fields describe (a test holds the two together).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from apps.engine import clock
from apps.tasks import sla
from apps.tasks.models import Task


def task_json(task: Task, now: datetime | None = None) -> dict[str, Any]:
    """``now``: the moment SLA statuses are judged at (one for a whole page)."""
    zone = timezone.get_current_timezone()
    return {
        "id": str(task.id),
        "name": task.name,
        "description": task.description,
        "state": task.state,
        "instance": str(task.instance_id),
        "process_key": task.process_key,
        "business_key": task.business_key,
        "element_id": task.element_id,
        "assignee": task.assignee,
        "owner": task.owner,
        "candidate_users": list(task.candidate_users),
        "candidate_groups": list(task.candidate_groups),
        "priority": task.priority,
        "due_date": _moment(task.due_date, zone),
        "follow_up_date": _moment(task.follow_up_date, zone),
        "form_key": task.form_key,
        "assignment_reason": task.assignment_reason,
        "sla_due_at": _moment(task.sla_due_at, zone),
        "sla_status": sla.status(task, now or clock.now()),
        "created_at": _moment(task.created_at, zone),
        "claimed_at": _moment(task.claimed_at, zone),
        "completed_at": _moment(task.completed_at, zone),
        "ended_at": _moment(task.ended_at, zone),
    }


def _moment(value: datetime | None, zone: Any) -> str | None:
    """As DRF's DateTimeField shows it: ISO 8601 in the current time zone, UTC as ``Z``."""
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
