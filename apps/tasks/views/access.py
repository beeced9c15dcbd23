"""Who may open the task pages: the roles that work on tasks or operate processes (as the API's
``TaskPermission``); the start pages: those that may start processes (as the API's start)."""

from __future__ import annotations

from apps.tenancy.permissions import page_requires
from apps.tenancy.roles import Action

works_on_tasks = page_requires(
    Action.WORK_ON_TASKS, Action.OPERATE_PROCESSES, refusal="Your role does not allow working on tasks."
)
starts_processes = page_requires(Action.START_PROCESSES, refusal="Your role does not allow starting processes.")
