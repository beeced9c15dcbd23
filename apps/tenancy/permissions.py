"""Role checks (see roles.py): DRF permission classes for the API, a decorator for pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from apps.tenancy.roles import Action, may


class ActionPermission(BasePermission):
    """Allow a request when the user may perform the action the view asks for.

    A view names its action with ``required_action`` or, per viewset action,
    ``required_actions = {"list": Action.X, "create": Action.Y}``. A view that
    names none is refused: forgetting the mapping must not open an endpoint.
    """

    message = "Your role does not allow this action."

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        action = required_action(request, view)
        return action is not None and may(request.user, action)


def required_action(request: Request, view: Any) -> Action | None:
    per_action: dict[str, Action] = getattr(view, "required_actions", {})
    key = getattr(view, "action", None) or (request.method or "").lower()
    return per_action.get(key, getattr(view, "required_action", None))


View = Callable[..., HttpResponseBase]


def page_requires(*actions: Action, refusal: str) -> Callable[[View], View]:
    """A page for signed-in users whose roles may do any of ``actions``: others are sent to sign
    in, or refused (403) with ``refusal``."""

    def decorate(view: View) -> View:
        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not any(may(request.user, action) for action in actions):
                raise PermissionDenied(refusal)
            return view(request, *args, **kwargs)

        return login_required(checked)

    return decorate
