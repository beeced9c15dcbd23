"""The UI's navigation: each entry is shown to the users whose roles allow its action."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from apps.tenancy.roles import Action, actions_of


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    action: Action | None = None  # None: every signed-in user


def navigation_for(user: Any) -> list[NavItem]:
    if not getattr(user, "is_authenticated", False):
        return []
    allowed = actions_of(user)
    items = [
        NavItem("Home", reverse("home")),
        NavItem("API docs", reverse("api-docs")),
        NavItem("Users", reverse("admin:auth_user_changelist"), Action.MANAGE_USERS),
        NavItem("Admin", reverse("admin:index"), Action.OPERATE_PROCESSES),
    ]
    return [item for item in items if item.action is None or item.action in allowed]
