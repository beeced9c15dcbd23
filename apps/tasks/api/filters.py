"""``/api/v1/task-filters/``: task lists people save, for themselves or shared with a group."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from rest_framework import serializers, viewsets
from rest_framework.exceptions import PermissionDenied

from apg_wbpm.api.problems import Conflict
from apps.tasks.models import TaskFilter
from apps.tasks.services import filters_for, group_names

# The task list's query parameters a filter may keep (see ``views._filtered``).
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
        "overdue",
        "follow_up_before",
        "q",
        "variables",
        "ordering",
    }
)


class TaskFilterSerializer(serializers.ModelSerializer[TaskFilter]):
    class Meta:
        model = TaskFilter
        fields = ["id", "name", "owner", "query", "shared_with_group", "created_at"]
        read_only_fields = ["id", "owner", "created_at"]

    def validate_query(self, query: Any) -> dict[str, str]:
        if not isinstance(query, dict):
            raise serializers.ValidationError("Give the task list's query parameters as an object.")
        unknown = sorted(set(query) - FILTER_PARAMETERS)
        if unknown:
            raise serializers.ValidationError(f"Not a task list parameter: {', '.join(unknown)}.")
        return {name: str(value) for name, value in query.items()}

    def validate_shared_with_group(self, group: str) -> str:
        user = self.context["request"].user
        if group and group not in group_names(user):
            raise serializers.ValidationError("Share only with a group you belong to.")
        return group


class TaskFilterViewSet(viewsets.ModelViewSet[TaskFilter]):
    """Everyone sees their own filters and those shared with their groups; only the owner
    changes or deletes one."""

    serializer_class = TaskFilterSerializer

    def get_permissions(self) -> list[Any]:
        from apps.tasks.api.views import TaskPermission

        return [TaskPermission()]

    def get_queryset(self) -> QuerySet[TaskFilter]:
        return filters_for(self.request.user).order_by("name", "id")

    def perform_create(self, serializer: Any) -> None:
        try:
            with transaction.atomic():  # a savepoint: the request's transaction goes on after a refusal
                serializer.save(owner=self.request.user.get_username())
        except IntegrityError as taken:
            raise Conflict("You have a filter of that name already.") from taken

    def perform_update(self, serializer: Any) -> None:
        self._own(serializer.instance)
        try:
            with transaction.atomic():
                serializer.save()
        except IntegrityError as taken:
            raise Conflict("You have a filter of that name already.") from taken

    def perform_destroy(self, instance: TaskFilter) -> None:
        self._own(instance)
        instance.delete()

    def _own(self, saved: TaskFilter) -> None:
        if saved.owner != self.request.user.get_username():
            raise PermissionDenied("Only its owner changes a filter.")
