"""The web task list: server-rendered pages and htmx partials over the task services.

Thin, as the API is: the same services change tasks, the same rules (``apps.tenancy.roles``)
decide who sees and does what, and a task the user may not see is not there (404), as a task
of another tenant is not. The task page's form is completed through the REST API by its script.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.forms.utils import pretty_name
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.engine import clock
from apps.engine.models import Deployment
from apps.tasks import attachments, saved_filters, selectors, services, sla
from apps.tasks.models import OPEN_STATES, Task, TaskAttachment, TaskComment, TaskEvent, TaskFilter, TaskState
from apps.tenancy.roles import Action, may

PAGE_SIZE = 25
POLL_STOP = 286  # htmx stops polling on this status
LONGEST_COMMENT = 5000
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


def works_on_tasks(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Signed-in users whose roles work on tasks or operate processes (as the API's ``TaskPermission``)."""

    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not (may(user, Action.WORK_ON_TASKS) or may(user, Action.OPERATE_PROCESSES)):
            raise PermissionDenied("Your role does not allow working on tasks.")
        return view(request, *args, **kwargs)

    return login_required(checked)


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
class Segment:
    text: str
    mention: bool


@dataclass(frozen=True)
class ShownComment:
    comment: TaskComment
    segments: list[Segment]


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


@works_on_tasks
@require_GET
def task_detail(request: HttpRequest, task_id: uuid.UUID) -> HttpResponse:
    """A task: its details, its form (to complete it), the process diagram, comments and files."""
    user = request.user
    task = _visible_task(request, task_id)
    username = user.get_username()
    passes_on = task.is_open and services.may_pass_on(user, task)
    delegated = task.state == TaskState.DELEGATED
    context = {
        "task": task,
        "process_name": task.instance.definition.name or task.process_key,
        "sla_status": sla.status(task, clock.now()),
        "may_claim": task.is_open and not task.assignee and services.is_candidate(user, task),
        "may_unclaim": passes_on and bool(task.assignee) and not delegated,
        "may_assign": passes_on,
        "may_delegate": passes_on,
        "may_resolve": passes_on and delegated,
        "may_change": task.is_open and services.may_change(user, task),
        "editable": task.is_open and task.assignee == username and not delegated,
        "progress": None if task.is_open else selectors.progress_of(task, user),
        "history": _history(task),
        **_comments_context(task),
        **_attachments_context(task),
    }
    return render(request, "tasks/detail.html", context)


@works_on_tasks
@require_POST
def claim(request: HttpRequest, task_id: uuid.UUID) -> HttpResponse:
    return _change(request, task_id, services.claim, "You claimed this task.")


@works_on_tasks
@require_POST
def unclaim(request: HttpRequest, task_id: uuid.UUID) -> HttpResponse:
    return _change(request, task_id, services.unclaim, "You gave this task back.")


@works_on_tasks
@require_POST
def assign(request: HttpRequest, task_id: uuid.UUID) -> HttpResponse:
    return _hand_over(request, task_id, services.assign, "You assigned this task to {}.")


@works_on_tasks
@require_POST
def delegate(request: HttpRequest, task_id: uuid.UUID) -> HttpResponse:
    return _hand_over(request, task_id, services.delegate, "You delegated this task to {}.")


def _hand_over(
    request: HttpRequest, task_id: uuid.UUID, hand_over: Callable[[uuid.UUID, Any, str], Task], done: str
) -> HttpResponse:
    """Give the task to the user the form names (``assignee``) with ``hand_over``."""
    to = request.POST.get("assignee", "").strip()
    return _change(request, task_id, lambda task_id, user: hand_over(task_id, user, to), done.format(to))


@works_on_tasks
@require_POST
def resolve(request: HttpRequest, task_id: uuid.UUID) -> HttpResponse:
    return _change(request, task_id, services.resolve, "You resolved this task: it is back with its owner.")


class TaskChangeForm(django_forms.Form):
    """Priority and dates, as the task page's form sends them (dates as ``datetime-local``)."""

    priority = django_forms.IntegerField(min_value=0, max_value=1000)
    due_date = django_forms.DateTimeField(required=False)
    follow_up_date = django_forms.DateTimeField(required=False)


@works_on_tasks
@require_POST
def change(request: HttpRequest, task_id: uuid.UUID) -> HttpResponse:
    """Set the task's priority, due and follow-up dates: those that differ from the task's
    (a date to the minute, as the form shows it) go to the service, which records them."""
    task = _visible_task(request, task_id)
    form = TaskChangeForm(request.POST)
    if not form.is_valid():
        for field, problems in form.errors.items():
            messages.error(request, f"{pretty_name(field)}: {' '.join(problems)}")
        return redirect("tasks:detail", task_id=task.id)
    changes = {name: value for name, value in form.cleaned_data.items() if not _same(value, getattr(task, name))}
    return _change(
        request, task.id, lambda task_id, user: services.update(task_id, user, changes), "You changed this task."
    )


def _same(new: Any, old: Any) -> bool:
    if isinstance(new, datetime) and isinstance(old, datetime):
        return new.replace(second=0, microsecond=0) == old.replace(second=0, microsecond=0)
    return bool(new == old)


def _change(
    request: HttpRequest, task_id: uuid.UUID, change: Callable[[uuid.UUID, Any], Task], done: str
) -> HttpResponse:
    """Apply ``change``; the service decides who may (403) and whether it still can be (409), and
    its reason is shown. Then the task's page, or the list when the task is out of sight."""
    try:
        change(task_id, request.user)
    except Task.DoesNotExist as missing:
        raise Http404("No such task.") from missing
    except (services.TaskConflict, services.TaskForbidden, services.AssigneeUnknown) as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, done)
    if services.visible_to(request.user).filter(id=task_id).exists():
        return redirect("tasks:detail", task_id=task_id)
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        return redirect(back)
    return redirect("tasks:list")


@works_on_tasks
@require_GET
def diagram(request: HttpRequest, task_id: uuid.UUID) -> HttpResponse:
    """The BPMN XML of the task's process, for the page's viewer. Served as a download in a
    sandbox, so that a model's markup never runs as a page of this site."""
    task = _visible_task(request, task_id)
    deployments = Deployment.objects.filter(definitions__id=task.instance.definition_id)
    xml = deployments.values_list("source_xml", flat=True).get()
    response = HttpResponse(xml, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{task.process_key}.bpmn")
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@works_on_tasks
@require_http_methods(["GET", "POST"])
def comments(request: HttpRequest, task_id: uuid.UUID) -> HttpResponse:
    """The task's comments (an htmx partial); POST adds one."""
    task = _visible_task(request, task_id)
    error, text, status = "", "", 200
    if request.method == "POST":
        text = request.POST.get("text", "").strip()
        if not text:
            error, status = "Write something first.", 400
        elif len(text) > LONGEST_COMMENT:
            error, status = f"A comment has at most {LONGEST_COMMENT} characters.", 400
        else:
            services.comment(task.id, request.user, text)
            text = ""
        if not request.headers.get("HX-Request"):
            if error:
                messages.error(request, error)
            return redirect("tasks:detail", task_id=task.id)
    context = {"task": task, "comment_error": error, "comment_text": text, **_comments_context(task)}
    return render(request, "tasks/_comments.html", context, status=status)


@works_on_tasks
@require_http_methods(["GET", "POST"])
def attachment_list(request: HttpRequest, task_id: uuid.UUID) -> HttpResponse:
    """The task's files (an htmx partial); POST attaches one (multipart, field ``file``)."""
    task = _visible_task(request, task_id)
    error, status = "", 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error, status = "Choose a file to attach.", 400
        else:
            try:
                attachments.add(task, request.user, upload.name or "", upload.content_type or "", upload)
            except attachments.AttachmentRefused as refused:
                error, status = str(refused), 400
        if not request.headers.get("HX-Request"):
            if error:
                messages.error(request, error)
            return redirect("tasks:detail", task_id=task.id)
    context = {"task": task, "attachment_error": error, **_attachments_context(task)}
    return render(request, "tasks/_attachments.html", context, status=status)


@works_on_tasks
@require_GET
def attachment_download(request: HttpRequest, task_id: uuid.UUID, attachment_id: uuid.UUID) -> FileResponse:
    task = _visible_task(request, task_id)
    try:
        found = attachments.attachment_of(task, str(attachment_id))
    except TaskAttachment.DoesNotExist as missing:
        raise Http404(str(missing)) from missing
    return FileResponse(
        attachments.open_file(found), as_attachment=True, filename=found.name, content_type=found.content_type
    )


def _visible_task(request: HttpRequest, task_id: uuid.UUID) -> Task:
    task = services.visible_to(request.user).select_related("instance__definition").filter(id=task_id).first()
    if task is None:
        raise Http404("No such task.")
    return task


@dataclass(frozen=True)
class ShownEvent:
    event: TaskEvent
    who: str
    details: list[tuple[str, str]]


def _history(task: Task) -> list[ShownEvent]:
    """The task's events, oldest first: who (or the process) did what, and what changed; the ids
    of comments and files stay out (they are shown in their own sections)."""
    return [
        ShownEvent(
            event,
            event.actor or "the process",
            [
                (name.replace("_", " "), _detail_text(value))
                for name, value in event.details.items()
                if not name.endswith("_id")
            ],
        )
        for event in task.events.order_by("at", "id")
    ]


def _detail_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "none"
    return "none" if value is None else str(value)


def _comments_context(task: Task) -> dict[str, Any]:
    shown = [
        ShownComment(comment, _segments(comment.text, comment.mentions))
        for comment in task.comments.order_by("created_at", "id")
    ]
    return {"comments": shown}


def _attachments_context(task: Task) -> dict[str, Any]:
    return {"attachments": list(task.attachments.order_by("created_at", "id"))}


def _segments(text: str, mentions: list[str]) -> list[Segment]:
    """``text`` in pieces, each ``@username`` the comment mentions a piece of its own (the
    template escapes every piece)."""
    pieces = services.MENTION.split(text)  # text, name, text, name, ..., text
    segments: list[Segment] = []
    for index, piece in enumerate(pieces):
        if index % 2 == 0:
            segments.append(Segment(piece, False))
            continue
        name = piece.rstrip(".")
        if name in mentions:
            segments += [Segment(f"@{name}", True), Segment(piece[len(name) :], False)]
        else:
            segments.append(Segment(f"@{piece}", False))
    return [segment for segment in segments if segment.text]
