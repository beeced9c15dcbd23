"""``/api/v1/notifications/``: what people were told of their tasks, mentions and escalations.

Each person sees only their own; reading one marks it read (``read_at``), once.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from apps.engine import clock
from apps.tasks.models import Notification


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    task_name = serializers.CharField(source="task.name", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "text", "task", "task_name", "created_at", "read_at"]
        read_only_fields = fields


class ReadCountSerializer(serializers.Serializer[Any]):
    marked = serializers.IntegerField(help_text="How many notifications were unread until now")


class NewestFirst(CursorPagination):
    page_size = 50
    ordering = ("-created_at", "-id")


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("unread", bool, description="only those not read yet")],
        summary="Your notifications, newest first",
    )
)
class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Notification]):
    permission_classes = [IsAuthenticated]
    serializer_class = NotificationSerializer
    pagination_class = NewestFirst

    def get_queryset(self) -> QuerySet[Notification]:
        mine = Notification.objects.filter(username=self.request.user.get_username()).select_related("task")
        if self.action == "list" and self.request.query_params.get("unread") in ("1", "true"):
            mine = mine.filter(read_at__isnull=True)
        return mine

    @extend_schema(request=None, responses=NotificationSerializer, summary="Mark the notification read")
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str) -> Response:
        notification = self.get_object()
        if notification.read_at is None:
            notification.read_at = clock.now()
            notification.save(update_fields=["read_at"])
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses=ReadCountSerializer, summary="Mark all your notifications read")
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        unread = Notification.objects.filter(username=request.user.get_username(), read_at__isnull=True)
        return Response({"marked": unread.update(read_at=clock.now())})
