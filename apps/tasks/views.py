"""The web task list: server-rendered pages and htmx partials over the task services.

Thin, as the API is: the same services change tasks, the same rules (``apps.tenancy.roles``)
decide who sees and does what, and a task the user may not see is not there (404), as a task
of another tenant is not. The task page's form is completed through the REST API by its script.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.engine import clock
from apps.engine.models import Deployment
from apps.tasks import attachments, selectors, services, sla
from apps.tasks.models import OPEN_STATES, Task, TaskAttachment, TaskComment
from apps.tenancy.roles import Action, may

PAGE_SIZE = 25
POLL_STOP = 286  # htmx stops polling on this status
LONGEST_COMMENT = 5000
DUE_CHOICES = {"overdue": "Overdue", "week": "Due within 7 days"}
ORDERING_CHOICES = {"-priority": "Highest priority", "due": "Due first", "-created": "Newest", "created": "Oldest"}
LIST_LABELS = {"mine": "My tasks", "offered": "Group tasks", "all": "All"}


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


@works_on_tasks
@require_GET
def task_list(request: HttpRequest) -> HttpResponse:
    """The task list: one tab per list, filters applied by htmx to the results alone."""
    user = request.user
    which = request.GET.get("list") or "mine"
    if which not in selectors.LISTS:
        which = "mine"
    filters = {name: request.GET.get(name, "").strip() for name in ("q", "process_key", "priority_min", "due")}
    ordering = request.GET.get("ordering", "-priority")
    ordering = ordering if ordering in selectors.ORDERINGS else "-priority"
    params = {"list": which, "q": filters["q"], "process_key": filters["process_key"]}
    params["priority_min"] = filters["priority_min"]
    if filters["due"] == "overdue":
        params["overdue"] = "true"
    elif filters["due"] == "week":
        params["due_before"] = (clock.now() + timedelta(days=7)).isoformat()
    visible = services.visible_to(user)
    error, status = "", 200
    try:
        tasks = selectors.filtered(visible, params, user).order_by(*selectors.ORDERINGS[ordering])
    except selectors.ListNotAllowed as refused:
        raise PermissionDenied(str(refused)) from refused
    except selectors.ListParameterInvalid as invalid:
        error, status = f"{invalid.message} ({invalid.name})", 400
        tasks = visible.none()
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    now = clock.now()
    rows = [
        Row(task, sla.status(task, now), task.is_open and not task.assignee and services.is_candidate(user, task))
        for task in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "list": which,
        "filters": filters,
        "ordering": ordering,
        "rows": rows,
        "page": page,
        "page_query": query.urlencode(),
        "error": error,
        "due_choices": DUE_CHOICES,
        "ordering_choices": ORDERING_CHOICES,
    }
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "task-results":
        return render(request, "tasks/_results.html", context, status=status)
    process_keys = visible.filter(state__in=OPEN_STATES).values_list("process_key", flat=True)
    context.update(_tabs(request, which), process_keys=sorted(set(process_keys)))
    return render(request, "tasks/list.html", context, status=status)


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
    context = {
        "task": task,
        "process_name": task.instance.definition.name or task.process_key,
        "sla_status": sla.status(task, clock.now()),
        "may_claim": task.is_open and not task.assignee and services.is_candidate(user, task),
        "may_unclaim": task.is_open
        and bool(task.assignee)
        and (task.assignee == username or may(user, Action.OPERATE_PROCESSES)),
        "editable": task.is_open and task.assignee == username,
        "progress": None if task.is_open else selectors.progress_of(task, user),
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


def _change(
    request: HttpRequest, task_id: uuid.UUID, change: Callable[[uuid.UUID, Any], Task], done: str
) -> HttpResponse:
    """Apply ``change``; the service decides who may (403) and whether it still can be (409), and
    its reason is shown. Then the task's page, or the list when the task is out of sight."""
    try:
        change(task_id, request.user)
    except Task.DoesNotExist as missing:
        raise Http404("No such task.") from missing
    except (services.TaskConflict, services.TaskForbidden) as refused:
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
