"""``/tasks/<id>/``: one task with its form, diagram, history, comments and files, and the
actions on it (claim, unclaim, assign, delegate, resolve, change its dates and priority)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.forms.utils import pretty_name
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.engine import clock
from apps.engine.models import Deployment
from apps.tasks import attachments, selectors, services, sla
from apps.tasks.models import Task, TaskAttachment, TaskComment, TaskEvent, TaskState
from apps.tasks.views.access import works_on_tasks

LONGEST_COMMENT = 5000


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
