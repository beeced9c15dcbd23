"""``/api/v1/task-filters/``: task lists people save, for themselves or shared with a group."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from rest_framework import serializers, viewsets
from rest_framework.exceptions import PermissionDenied

from apg_wbpm.api.problems import Conflict
from apps.tasks import saved_filters
from apps.tasks.models import TaskFilter
from apps.tasks.services import filters_for


class TaskFilterSerializer(serializers.ModelSerializer[TaskFilter]):
    class Meta:
        model = TaskFilter
        fields = ["id", "name", "owner", "query", "shared_with_group", "created_at"]
        read_only_fields = ["id", "owner", "created_at"]

    def validate_query(self, query: Any) -> dict[str, str]:
        try:
            return saved_filters.clean_query(query)
        except saved_filters.FilterInvalid as invalid:
            raise serializers.ValidationError(invalid.message) from invalid

    def validate_shared_with_group(self, group: str) -> str:
        try:
            return saved_filters.check_shared_group(self.context["request"].user, group)
        except saved_filters.FilterInvalid as invalid:
            raise serializers.ValidationError(invalid.message) from invalid


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
        data = serializer.validated_data
        try:
            serializer.instance = saved_filters.save_filter(
                self.request.user, data["name"], data["query"], data.get("shared_with_group", "")
            )
        except saved_filters.FilterNameTaken as taken:
            raise Conflict(str(taken)) from taken

    def perform_update(self, serializer: Any) -> None:
        self._own(serializer.instance)
        try:
            with transaction.atomic():
                serializer.save()
        except IntegrityError as taken:
            raise Conflict("You have a filter of that name already.") from taken

    def perform_destroy(self, instance: TaskFilter) -> None:
        try:
            saved_filters.delete_filter(self.request.user, instance.id)
        except saved_filters.FilterNotYours as refused:
            raise PermissionDenied(str(refused)) from refused

    def _own(self, saved: TaskFilter) -> None:
        if saved.owner != self.request.user.get_username():
            raise PermissionDenied("Only its owner changes a filter.")
