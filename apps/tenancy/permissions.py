"""DRF permission classes that map roles to actions (see roles.py)."""

from __future__ import annotations

from typing import Any

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
