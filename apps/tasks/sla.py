"""SLAs of tasks: their deadline in working time, their status, and the escalations as it runs out.

A task's SLA deadline is its due date (from the model), or, when an ``SlaRule`` of its process
gives a duration, that much working time after its creation (the tenant's ``BusinessCalendar``,
in its time zone; without a calendar every hour counts), which then is its due date too. Its
status: ``on-track``, ``at-risk`` (``at_risk_percent`` of the time from its creation to the
deadline has passed), ``breached`` (past the deadline), or ``none``. The scheduler's beat runs
``escalate_due`` every minute: each escalation of the rule whose threshold (a percentage of
that time) has passed happens once: ``notify`` (an event in the task's history), ``reassign``
(offered to a group, unassigned) or ``raise-priority``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import isodate
from django.db import transaction

from apps.engine import clock
from apps.tasks.models import (
    OPEN_STATES,
    BusinessCalendar,
    Notification,
    ReportingLine,
    SlaRule,
    Task,
    TaskEvent,
    TaskEventKind,
    TaskState,
)

LONGEST_WALK = 3660  # days a deadline may lie ahead in working time (ten years)


@dataclass(frozen=True)
class Sla:
    due_at: datetime
    at_risk_percent: int


def rule_for(process_key: str, element_id: str) -> SlaRule | None:
    rules = SlaRule.objects.filter(process_key=process_key, element_id__in=[element_id, ""])
    return rules.order_by("-element_id").first()


def sla_for(process_key: str, element_id: str, created_at: datetime, due_date: datetime | None) -> Sla | None:
    rule = rule_for(process_key, element_id)
    if rule is None:
        return Sla(due_date, 80) if due_date is not None else None
    if due_date is not None:
        return Sla(due_date, rule.at_risk_percent)
    duration = isodate.parse_duration(rule.duration)
    span = duration if isinstance(duration, timedelta) else duration.totimedelta(start=created_at)
    return Sla(add_working_time(created_at, span, BusinessCalendar.objects.first()), rule.at_risk_percent)


def add_working_time(start: datetime, span: timedelta, calendar: BusinessCalendar | None) -> datetime:
    """``span`` of working time after ``start`` (in ``start``'s zone), on ``calendar``."""
    if calendar is None:
        return start + span
    zone = start.tzinfo
    moment, left = start, span
    for _ in range(LONGEST_WALK):
        day = moment.date()
        opens = datetime.combine(day, _time(calendar.day_starts), zone)
        closes = datetime.combine(day, _time(calendar.day_ends), zone)
        if _working(day, calendar) and moment < closes:
            moment = max(moment, opens)
            if moment + left <= closes:
                return moment + left
            left -= closes - moment
        moment = datetime.combine(day + timedelta(days=1), time(0), zone)
    raise ValueError("The calendar has no working time within ten years.")


def _working(day: date, calendar: BusinessCalendar) -> bool:
    return day.weekday() in calendar.working_days and day not in calendar.holidays


def _time(value: Any) -> time:
    return value if isinstance(value, time) else time.fromisoformat(str(value))


def status(task: Task, now: datetime) -> str:
    if task.sla_due_at is None or not task.is_open:
        return "none"
    if now >= task.sla_due_at:
        return "breached"
    return "at-risk" if now >= _threshold(task, task.at_risk_percent) else "on-track"


def _threshold(task: Task, percent: float) -> datetime:
    assert task.sla_due_at is not None  # noqa: S101 - callers check
    return task.created_at + (task.sla_due_at - task.created_at) * (percent / 100)


def escalate_due() -> int:
    """Apply the escalations of this tenant's open tasks whose thresholds have passed; how many."""
    now = clock.now()
    applied = 0
    candidates = Task.objects.filter(state__in=OPEN_STATES, sla_due_at__isnull=False).only(
        "id", "process_key", "element_id"
    )
    for found in candidates.iterator():
        rule = rule_for(found.process_key, found.element_id)
        if rule is None or not rule.escalations:
            continue
        with transaction.atomic():
            task = Task.objects.select_for_update().get(id=found.id)
            for escalation in rule.escalations:
                key = f"{escalation.get('at')}:{escalation.get('action')}"
                if not task.is_open or key in task.escalations_done or now < _threshold(task, float(escalation["at"])):
                    continue
                _apply(task, escalation, now)
                task.escalations_done = [*task.escalations_done, key]
                task.save()
                applied += 1
    return applied


def _apply(task: Task, escalation: dict[str, Any], now: datetime) -> None:
    action = escalation.get("action")
    details: dict[str, Any] = {"at": escalation.get("at"), "action": action}
    if action == "reassign" and escalation.get("to") == "manager":
        _to_manager(task, escalation, details)
    elif action == "reassign" and escalation.get("group"):
        group = str(escalation["group"])
        task.move_to(TaskState.CREATED)
        task.assignee, task.candidate_groups = "", [group]
        task.assignment_reason = f"Escalated at {escalation['at']} % of its SLA: offered to group {group}."
        details["group"] = group
    elif action == "raise-priority":
        task.priority = max(task.priority, int(escalation.get("priority", 100)))
        details["priority"] = task.priority
    TaskEvent.objects.create(task=task, kind=TaskEventKind.ESCALATED, actor="", at=now, details=details)
    if action == "notify":
        text = f"{task.name} has used {escalation.get('at')} % of its SLA."
        told = [task.assignee] if task.assignee else _members(task.candidate_groups)
        Notification.objects.bulk_create(
            [Notification(username=name, task=task, kind="escalated", text=text, created_at=now) for name in told]
        )


def _to_manager(task: Task, escalation: dict[str, Any], details: dict[str, Any]) -> None:
    """Give the task to its assignee's manager (``ReportingLine``); a task nobody has, or whose
    assignee has no manager, stays as it is and its history says so."""
    line = ReportingLine.objects.filter(username=task.assignee).first() if task.assignee else None
    if line is None:
        details["skipped"] = "no manager" if task.assignee else "nobody has it"
        return
    previous = task.assignee
    task.move_to(TaskState.ASSIGNED)
    task.assignee = line.manager
    task.assignment_reason = (
        f"Escalated at {escalation['at']} % of its SLA: given to {previous}'s manager {line.manager}."
    )
    details.update(manager=line.manager, previous=previous)


def _members(groups: list[str]) -> list[str]:
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(groups__name__in=groups, is_active=True).distinct()
    return list(users.values_list("username", flat=True))
