"""Roles are Django groups inside each tenant; actions are what roles may do.

A role grants a set of actions; views and API endpoints ask for an action, never a
role, so that a new role is a row in ``ACTIONS_BY_ROLE`` and not a change to every view.
The tenant admin may do everything, like Camunda's ``camunda-admin`` group.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Role(StrEnum):
    TENANT_ADMIN = "tenant-admin"
    PROCESS_DESIGNER = "process-designer"
    OPERATOR = "operator"
    TASK_WORKER = "task-worker"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.TENANT_ADMIN: "Tenant admin",
    Role.PROCESS_DESIGNER: "Process designer",
    Role.OPERATOR: "Operator",
    Role.TASK_WORKER: "Task worker",
}


class Action(StrEnum):
    MANAGE_USERS = "manage-users"
    DESIGN_PROCESSES = "design-processes"
    DEPLOY_PROCESSES = "deploy-processes"
    OPERATE_PROCESSES = "operate-processes"
    START_PROCESSES = "start-processes"
    WORK_ON_TASKS = "work-on-tasks"
    WORK_EXTERNAL_TASKS = "work-external-tasks"
    VIEW_ANALYTICS = "view-analytics"


ACTIONS_BY_ROLE: dict[Role, frozenset[Action]] = {
    Role.TENANT_ADMIN: frozenset(Action),
    Role.PROCESS_DESIGNER: frozenset(
        {Action.DESIGN_PROCESSES, Action.DEPLOY_PROCESSES, Action.START_PROCESSES, Action.VIEW_ANALYTICS}
    ),
    Role.OPERATOR: frozenset(
        {Action.OPERATE_PROCESSES, Action.START_PROCESSES, Action.VIEW_ANALYTICS, Action.WORK_EXTERNAL_TASKS}
    ),
    Role.TASK_WORKER: frozenset({Action.WORK_ON_TASKS, Action.START_PROCESSES}),
}


def roles_of(user: Any) -> frozenset[Role]:
    """The roles of an authenticated user of the current tenant (cached on the user object)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached: frozenset[Role] | None = getattr(user, "_apg_roles", None)
    if cached is None:
        if hasattr(user, "group_names"):  # read with the user by TenantJWTAuthentication (None: no group)
            names = set(user.group_names or ())
        else:
            names = {group.name for group in user.groups.all()}  # honours prefetch_related("groups")
        cached = frozenset(role for role in Role if role.value in names)
        if user.is_superuser:
            cached = cached | {Role.TENANT_ADMIN}
        user._apg_roles = cached
    return cached


def actions_of(user: Any) -> frozenset[Action]:
    allowed: set[Action] = set()
    for role in roles_of(user):
        allowed |= ACTIONS_BY_ROLE[role]
    return frozenset(allowed)


def may(user: Any, action: Action) -> bool:
    return action in actions_of(user)
