"""Saved task lists: what a filter may keep, saving one and deleting one. The REST API and the
web pages both go through here, so that a filter is checked the same way wherever it is made."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction

from apps.engine import clock
from apps.tasks.models import TaskFilter
from apps.tasks.services import filters_for, group_names

# The task list's query parameters a filter may keep (``selectors.filtered`` reads them).
FILTER_PARAMETERS = frozenset(
    {
        "list",
        "state",
        "assignee",
        "candidate_group",
        "process_key",
        "business_key",
        "priority_min",
        "due_before",
        "due_after",
        "due_within_days",
        "overdue",
        "follow_up_before",
        "q",
        "variables",
        "ordering",
    }
)
LONGEST_NAME = TaskFilter._meta.get_field("name").max_length or 200


class FilterInvalid(Exception):
    """A filter's ``field`` has a value that cannot be saved."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class FilterNameTaken(Exception):
    """The owner has a filter of that name already."""


class FilterNotYours(Exception):
    """Only a filter's owner changes or deletes it."""


def clean_query(query: Any) -> dict[str, str]:
    """The task list's parameters ``query`` keeps, as text; ``FilterInvalid`` for anything else."""
    if not isinstance(query, Mapping):
        raise FilterInvalid("query", "Give the task list's query parameters as an object.")
    unknown = sorted(set(query) - FILTER_PARAMETERS)
    if unknown:
        raise FilterInvalid("query", f"Not a task list parameter: {', '.join(unknown)}.")
    return {name: str(value) for name, value in query.items()}


def check_shared_group(user: Any, group: str) -> str:
    """``group``, when ``user`` belongs to it (or none: the filter is their own alone)."""
    if group and group not in group_names(user):
        raise FilterInvalid("shared_with_group", "Share only with a group you belong to.")
    return group


def save_filter(user: Any, name: str, query: Any, shared_with_group: str = "") -> TaskFilter:
    """Save ``query`` as ``user``'s filter ``name``, shared with one of their groups if given."""
    name = name.strip()
    if not name:
        raise FilterInvalid("name", "Give the filter a name.")
    if len(name) > LONGEST_NAME:
        raise FilterInvalid("name", f"A filter's name has at most {LONGEST_NAME} characters.")
    kept = clean_query(query)
    group = check_shared_group(user, shared_with_group)
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction goes on after a refusal
            return TaskFilter.objects.create(
                owner=user.get_username(), name=name, query=kept, shared_with_group=group, created_at=clock.now()
            )
    except IntegrityError as taken:
        raise FilterNameTaken("You have a filter of that name already.") from taken


def delete_filter(user: Any, filter_id: uuid.UUID) -> None:
    """Delete ``user``'s own filter; one shared with them is not theirs to delete."""
    saved = filters_for(user).filter(id=filter_id).first()
    if saved is None:
        raise TaskFilter.DoesNotExist(f"No filter {filter_id}.")
    if saved.owner != user.get_username():
        raise FilterNotYours("Only its owner changes a filter.")
    saved.delete()
