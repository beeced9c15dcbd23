"""Who may open the task pages: the roles that work on tasks or operate processes; the start pages:
those that may start processes."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase

from apps.tenancy.roles import Action, may


def works_on_tasks(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Signed-in users whose roles work on tasks or operate processes (as the API's ``TaskPermission``)."""

    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not (may(user, Action.WORK_ON_TASKS) or may(user, Action.OPERATE_PROCESSES)):
            raise PermissionDenied("Your role does not allow working on tasks.")
        return view(request, *args, **kwargs)

    return login_required(checked)


def starts_processes(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Signed-in users whose roles may start processes (as the API's start)."""

    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not may(request.user, Action.START_PROCESSES):
            raise PermissionDenied("Your role does not allow starting processes.")
        return view(request, *args, **kwargs)

    return login_required(checked)
