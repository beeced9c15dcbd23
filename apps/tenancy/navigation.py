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
    actions: frozenset[Action] = frozenset()  # shown to users allowed any of them; empty: everyone


def navigation_for(user: Any) -> list[NavItem]:
    if not getattr(user, "is_authenticated", False):
        return []
    allowed = actions_of(user)
    items = [
        NavItem("Home", reverse("home")),
        NavItem("Tasks", reverse("tasks:list"), frozenset({Action.WORK_ON_TASKS, Action.OPERATE_PROCESSES})),
        NavItem("Designer", reverse("designer:list"), frozenset({Action.DESIGN_PROCESSES})),
        NavItem("API docs", reverse("api-docs")),
        NavItem("Users", reverse("admin:auth_user_changelist"), frozenset({Action.MANAGE_USERS})),
        NavItem("Admin", reverse("admin:index"), frozenset({Action.OPERATE_PROCESSES})),
    ]
    return [item for item in items if not item.actions or item.actions & allowed]
