"""``/tasks/``: the task list, its filters and saved filters, its live counts and bulk actions."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.engine import clock
from apps.tasks import saved_filters, selectors, services, sla
from apps.tasks.models import OPEN_STATES, Task, TaskFilter
from apps.tasks.views.access import works_on_tasks

PAGE_SIZE = 25
POLL_STOP = 286  # htmx stops polling on this status
MOST_BULK_TASKS = 100  # as the API's bulk endpoint
DUE_CHOICES = {"overdue": "Overdue", "week": "Due within 7 days"}
# The list's "Due" choices as the task list's parameters (what a saved filter keeps).
DUE_PARAMETERS = {"overdue": ("overdue", "true"), "week": ("due_within_days", "7")}
ORDERING_CHOICES = {"-priority": "Highest priority", "due": "Due first", "-created": "Newest", "created": "Oldest"}
LIST_LABELS = {"mine": "My tasks", "offered": "Group tasks", "all": "All"}
TEXT_FILTERS = ("q", "process_key", "priority_min", "variables")  # fields of the list's form, by parameter
FORM_PARAMETERS = frozenset({"list", "ordering", *TEXT_FILTERS})
BULK_DONE = {
    "claim": "Claimed.",
    "unclaim": "Given back.",
    "assign": "Assigned to {assignee}.",
    "complete": "Completed.",
}


@dataclass(frozen=True)
class Row:
    task: Task
    sla_status: str
    claimable: bool


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class ListQuery:
    """The list's filters as its form holds them. ``due`` stands for ``overdue`` or
    ``due_within_days``; ``other`` keeps a saved filter's parameters the form has no field for."""

    which: str
    filters: dict[str, str]
    ordering: str
    other: dict[str, str]

    @classmethod
    def read(cls, source: Mapping[str, str]) -> ListQuery:
        which = source.get("list") or "mine"
        ordering = source.get("ordering") or "-priority"
        filters = {name: source.get(name, "").strip() for name in (*TEXT_FILTERS, "due")}
        if filters["due"] not in DUE_CHOICES:
            filters["due"] = ""
        other = {
            name: source.get(name, "").strip()
            for name in sorted(saved_filters.FILTER_PARAMETERS - FORM_PARAMETERS)
            if source.get(name, "").strip()
        }
        return cls(
            which if which in selectors.LISTS else "mine",
            filters,
            ordering if ordering in selectors.ORDERINGS else "-priority",
            other,
        )

    def parameters(self) -> dict[str, str]:
        """The task list's parameters, as the API names them (and a saved filter keeps them)."""
        params = {"list": self.which, **{name: self.filters[name] for name in TEXT_FILTERS if self.filters[name]}}
        params.update(self.other)
        if self.filters["due"]:
            name, value = DUE_PARAMETERS[self.filters["due"]]
            params[name] = value
        params["ordering"] = self.ordering
        return params

    def address(self) -> str:
        """The list's query string for these filters."""
        return urlencode({name: value for name, value in as_form_values(self.parameters()).items() if value})


def as_form_values(params: Mapping[str, str]) -> dict[str, str]:
    """Task list parameters (a saved filter's) as the list's form names them: ``due`` for the
    parameters its choices stand for."""
    values = dict(params)
    for choice, (name, value) in DUE_PARAMETERS.items():
        if values.get(name) == value and not values.get("due"):
            del values[name]
            values["due"] = choice
    return values


@dataclass(frozen=True)
class ShownFilter:
    saved: TaskFilter
    address: str
    own: bool


@dataclass(frozen=True)
class ShownOutcome:
    outcome: services.BulkOutcome
    task: Task | None  # None: not one the user may see
    text: str


@works_on_tasks
@require_GET
def task_list(request: HttpRequest) -> HttpResponse:
    """The task list: one tab per list, filters applied by htmx to the results alone."""
    query = ListQuery.read(request.GET)
    context, status = _list_context(request, query, request.GET.get("page"))
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "task-results":
        return render(request, "tasks/_results.html", context, status=status)
    return _list_page(request, context, status)


def _list_context(request: HttpRequest, query: ListQuery, page_number: str | None) -> tuple[dict[str, Any], int]:
    user = request.user
    visible = services.visible_to(user)
    error, status = "", 200
    try:
        tasks = selectors.filtered(visible, query.parameters(), user)
    except selectors.ListNotAllowed as refused:
        raise PermissionDenied(str(refused)) from refused
    except selectors.ListParameterInvalid as invalid:
        error, status = f"{invalid.message} ({invalid.name})", 400
        tasks = visible.none()
    tasks = tasks.order_by(*selectors.ORDERINGS[query.ordering])
    page = Paginator(tasks, PAGE_SIZE).get_page(page_number)
    now = clock.now()
    rows = [
        Row(task, sla.status(task, now), task.is_open and not task.assignee and services.is_candidate(user, task))
        for task in page.object_list
    ]
    context = {
        "query": query,
        "list": query.which,
        "filters": query.filters,
        "ordering": query.ordering,
        "rows": rows,
        "page": page,
        "page_query": query.address(),
        "error": error,
        "due_choices": DUE_CHOICES,
        "ordering_choices": ORDERING_CHOICES,
        "most_bulk_tasks": MOST_BULK_TASKS,
    }
    return context, status


def _list_page(request: HttpRequest, context: dict[str, Any], status: int) -> HttpResponse:
    visible = services.visible_to(request.user)
    process_keys = visible.filter(state__in=OPEN_STATES).values_list("process_key", flat=True)
    context.update(_tabs(request, context["list"]), process_keys=sorted(set(process_keys)))
    context.update(_saved_filters_context(request))
    return render(request, "tasks/list.html", context, status=status)


@works_on_tasks
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Claim, give back, assign or complete the selected tasks, each on its own (as the API's
    bulk endpoint), and show how each went above the list, which is read again."""
    user = request.user
    action = request.POST.get("action", "")
    assignee = request.POST.get("assignee", "").strip()
    task_ids = _task_ids(request.POST.getlist("tasks"))
    error, shown = "", []
    if action not in services.BULK_ACTIONS:
        error = "Choose what to do with the selected tasks."
    elif not task_ids:
        error = "Select the tasks first."
    elif len(task_ids) > MOST_BULK_TASKS:
        error = f"Select at most {MOST_BULK_TASKS} tasks at a time."
    elif action == "assign" and not assignee:
        error = "Give the user to assign the tasks to."
    else:
        seen = services.visible_to(user).filter(id__in=task_ids).only("id", "name", "business_key")
        known = {task.id: task for task in seen}
        try:
            outcomes = services.act_on_each(user, action, task_ids, assignee=assignee)
        except services.AssigneeUnknown as unknown:
            error = str(unknown)
        else:
            shown = [
                ShownOutcome(outcome, known.get(outcome.id), _outcome_text(outcome, action, assignee))
                for outcome in outcomes
            ]
    context, status = _list_context(request, ListQuery.read(request.POST), None)
    context.update(bulk_outcomes=shown, bulk_error=error)
    status = 400 if error else status
    if request.headers.get("HX-Request"):
        return render(request, "tasks/_results.html", context, status=status)
    return _list_page(request, context, status)


def _task_ids(raw: list[str]) -> list[uuid.UUID]:
    """The selected tasks' ids in their order, once each; what is no id is no task."""
    ids: list[uuid.UUID] = []
    for text in raw:
        try:
            task_id = uuid.UUID(text)
        except ValueError:
            continue
        if task_id not in ids:
            ids.append(task_id)
    return ids


def _outcome_text(outcome: services.BulkOutcome, action: str, assignee: str) -> str:
    if outcome.status == 200:
        return BULK_DONE[action].format(assignee=assignee)
    problems = [f"{field}: {' '.join(messages)}" for field, messages in outcome.problems.items()]
    return " ".join([outcome.detail, *problems])


@works_on_tasks
@require_http_methods(["GET", "POST"])
def filter_list(request: HttpRequest) -> HttpResponse:
    """The user's saved filters and those shared with their groups (an htmx partial); POST saves
    the list's present filters under a name, shared with one of the user's groups if chosen."""
    error, name, group, status = "", "", "", 200
    if request.method == "POST":
        name = request.POST.get("name", "")
        group = request.POST.get("shared_with_group", "")
        query = ListQuery.read(request.POST)
        try:
            saved_filters.save_filter(request.user, name, query.parameters(), group)
        except saved_filters.FilterInvalid as invalid:
            error, status = invalid.message, 400
        except saved_filters.FilterNameTaken as taken:
            error, status = str(taken), 409
        else:
            name, group = "", ""
        if not request.headers.get("HX-Request"):
            if error:
                messages.error(request, error)
            else:
                messages.success(request, "The filter is saved.")
            return redirect(f"{reverse('tasks:list')}?{query.address()}")
    context = {"filter_error": error, "filter_name": name, "filter_group": group}
    context.update(_saved_filters_context(request))
    return render(request, "tasks/_saved_filters.html", context, status=status)


@works_on_tasks
@require_POST
def filter_delete(request: HttpRequest, filter_id: uuid.UUID) -> HttpResponse:
    """Delete one of the user's own saved filters."""
    error, status = "", 200
    try:
        saved_filters.delete_filter(request.user, filter_id)
    except TaskFilter.DoesNotExist as missing:
        raise Http404("No such filter.") from missing
    except saved_filters.FilterNotYours as refused:
        error, status = str(refused), 403
    if not request.headers.get("HX-Request"):
        if error:
            messages.error(request, error)
        return redirect("tasks:list")
    context = {"filter_error": error, "filter_name": "", "filter_group": "", **_saved_filters_context(request)}
    return render(request, "tasks/_saved_filters.html", context, status=status)


def _saved_filters_context(request: HttpRequest) -> dict[str, Any]:
    username = request.user.get_username()
    shown = [
        ShownFilter(saved, urlencode(as_form_values(saved.query)), saved.owner == username)
        for saved in services.filters_for(request.user).order_by("name", "owner", "id")
    ]
    return {"saved_filters": shown, "user_groups": sorted(services.group_names(request.user))}


@require_GET
def task_counts(request: HttpRequest) -> HttpResponseBase:
    """The tabs with their counts, which the list polls; a poll after signing out stops polling."""
    if not request.user.is_authenticated and request.headers.get("HX-Request"):
        return HttpResponse(status=POLL_STOP)
    return _counts(request)


@works_on_tasks
def _counts(request: HttpRequest) -> HttpResponse:
    which = request.GET.get("list", "mine")
    return render(request, "tasks/_tabs.html", _tabs(request, which if which in selectors.LISTS else "mine"))


def _tabs(request: HttpRequest, which: str) -> dict[str, Any]:
    counts = selectors.counts_for(request.user, with_all=True)
    tabs = [Tab("mine", LIST_LABELS["mine"], counts.mine), Tab("offered", LIST_LABELS["offered"], counts.offered)]
    if counts.all is not None:
        tabs.append(Tab("all", LIST_LABELS["all"], counts.all))
    return {"tabs": tabs, "list": which, "overdue": counts.overdue}
