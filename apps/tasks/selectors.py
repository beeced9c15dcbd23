"""Reading the task list, shared by the REST API and the web pages: its filters and its counts."""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime

from apps.engine import clock
from apps.engine.models import ProcessInstance
from apps.tasks.models import OPEN_STATES, Task
from apps.tasks.services import offered_to, visible_to
from apps.tenancy.roles import Action, may

LISTS = ("mine", "offered", "all")
MOST_DAYS_AHEAD = 3660
ORDERINGS = {
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "priority": ("priority", "created_at", "id"),
    "-priority": ("-priority", "created_at", "id"),
    "due": ("due_date", "id"),
    "-due": ("-due_date", "id"),
}


class ListParameterInvalid(Exception):
    """A task list parameter has a value the list does not understand."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


class ListNotAllowed(Exception):
    """The user's roles do not allow this list (every task takes an operator's role)."""


@dataclass(frozen=True)
class TaskCounts:
    mine: int  # open tasks assigned to the user
    offered: int  # open, unassigned tasks offered to the user
    overdue: int  # of those, past their due date
    all: int | None  # every open task of the tenant, for those who may see them all


def filtered(tasks: QuerySet[Task], params: Mapping[str, Any], user: Any) -> QuerySet[Task]:
    """``tasks`` (those ``user`` may see) narrowed by the task list's query parameters (``list``,
    ``state``, ``q``...). The lists ``mine`` and ``offered`` lie within what anyone may see, so
    they start from their own condition alone: half the query to build and to plan.

    Raises ``ListParameterInvalid`` for a value it does not understand, ``ListNotAllowed`` for
    ``list=all`` without an operator's role."""
    which = params.get("list", "")
    if which == "mine":
        tasks = Task.objects.filter(assignee=user.get_username())
    elif which == "offered":
        tasks = Task.objects.filter(offered_to(user))
    elif which == "all":
        if not may(user, Action.OPERATE_PROCESSES):
            raise ListNotAllowed("Listing every task takes an operator's role.")
    elif which:
        raise ListParameterInvalid("list", "Give mine, offered or all.")
    state = params.get("state") or "open"
    tasks = tasks.filter(state__in=OPEN_STATES) if state == "open" else tasks.filter(state=state)
    for name in ("assignee", "process_key", "business_key"):
        if params.get(name):
            tasks = tasks.filter(**{name: params[name]})
    if params.get("candidate_group"):
        tasks = tasks.filter(candidate_groups__contains=[params["candidate_group"]])
    if params.get("priority_min"):
        try:
            tasks = tasks.filter(priority__gte=int(params["priority_min"]))
        except ValueError as invalid:
            raise ListParameterInvalid("priority_min", "Give a whole number.") from invalid
    for name, lookup in (
        ("due_before", "due_date__lt"),
        ("due_after", "due_date__gt"),
        ("follow_up_before", "follow_up_date__lt"),
    ):
        if params.get(name):
            tasks = tasks.filter(**{lookup: _moment(name, params[name])})
    if params.get("due_within_days"):
        try:
            days = int(params["due_within_days"])
        except ValueError as invalid:
            raise ListParameterInvalid("due_within_days", "Give a whole number of days.") from invalid
        if not 0 <= days <= MOST_DAYS_AHEAD:
            raise ListParameterInvalid("due_within_days", f"Give from 0 to {MOST_DAYS_AHEAD} days.")
        tasks = tasks.filter(due_date__lt=clock.now() + timedelta(days=days))
    if params.get("overdue") == "true":
        tasks = tasks.filter(due_date__lt=clock.now())
    if params.get("q"):
        words = params["q"].strip()
        tasks = tasks.filter(Q(name__icontains=words) | Q(description__icontains=words))
    if params.get("variables"):
        tasks = tasks.filter(variable_conditions(params["variables"]))
    return tasks


VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")
# Camunda's comparisons of ``processVariables``, and the lookups on the instance's variables.
VARIABLE_OPERATORS = {
    "eq": "",
    "neq": "",
    "gt": "__gt",
    "gteq": "__gte",
    "lt": "__lt",
    "lteq": "__lte",
    "like": "__icontains",
}


def variable_conditions(text: str) -> Q:
    """``name_op_value`` conditions on the process variables, comma-separated, all of which must
    hold (Camunda's ``processVariables``): ``amount_gt_100,region_eq_north``. A value that
    reads as JSON (a number, true, false, null) compares as such, else as text; ``like`` finds
    the text anywhere in the variable, ignoring case (``%`` signs are dropped)."""
    conditions = Q()
    for condition in text.split(","):
        name, operator, raw = _variable_condition(condition.strip())
        value: Any = raw
        if operator == "like":
            value = raw.replace("%", "")
        else:
            with contextlib.suppress(ValueError):  # not JSON: text
                value = json.loads(raw)
        lookup = Q(**{f"instance__variables__{name}{VARIABLE_OPERATORS[operator]}": value})
        conditions &= ~lookup if operator == "neq" else lookup
    return conditions


def _variable_condition(condition: str) -> tuple[str, str, str]:
    for operator in VARIABLE_OPERATORS:
        marker = f"_{operator}_"
        name, found, raw = condition.partition(marker)
        if found and VARIABLE_NAME.fullmatch(name):
            return name, operator, raw
    raise ListParameterInvalid(
        "variables", f"{condition!r} is no name_op_value condition (op: {', '.join(VARIABLE_OPERATORS)})."
    )


def counts_for(user: Any, *, with_all: bool = False) -> TaskCounts:
    """How many open tasks wait for ``user``: their own, those offered to them and how many of
    them are overdue; ``with_all``: every open task of the tenant too, for those who may list it."""
    mine = Task.objects.filter(assignee=user.get_username(), state__in=OPEN_STATES)
    offered = Task.objects.filter(offered_to(user))
    overdue = Q(due_date__lt=clock.now())
    every = None
    if with_all and may(user, Action.OPERATE_PROCESSES):
        every = Task.objects.filter(state__in=OPEN_STATES).count()
    return TaskCounts(
        mine=mine.count(),
        offered=offered.count(),
        overdue=mine.filter(overdue).count() + offered.filter(overdue).count(),
        all=every,
    )


def _moment(name: str, raw: str) -> datetime:
    try:
        value = parse_datetime(raw)
    except ValueError:  # well formed, but no such moment (month 13)
        value = None
    if value is None:
        raise ListParameterInvalid(name, f"{raw!r} is not an ISO 8601 date-time.")
    return value


@dataclass(frozen=True)
class NextTask:
    id: uuid.UUID
    name: str
    visible: bool  # whether the user may open it


@dataclass(frozen=True)
class ProcessProgress:
    """Where the process of a task stands: the state of its (root) instance and its open tasks."""

    instance_state: str
    open_tasks: list[NextTask]


def progress_of(task: Task, user: Any) -> ProcessProgress:
    """The open tasks of ``task``'s process now (the instances of its call tree), oldest first,
    and whether ``user`` may open each."""
    instance = ProcessInstance.objects.only("root_id").get(id=task.instance_id)
    root_id = instance.root_id or instance.id
    same_process = Q(instance_id=root_id) | Q(instance__root_id=root_id)
    open_tasks = list(Task.objects.filter(same_process, state__in=OPEN_STATES).order_by("created_at", "id"))
    shown = set(visible_to(user).filter(id__in=[row.id for row in open_tasks]).values_list("id", flat=True))
    return ProcessProgress(
        instance_state=ProcessInstance.objects.filter(id=root_id).values_list("state", flat=True).get(),
        open_tasks=[NextTask(row.id, row.name, row.id in shown) for row in open_tasks],
    )
