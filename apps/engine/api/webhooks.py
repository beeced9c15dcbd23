"""``/api/v1/webhooks/``: the tenant's webhooks and their delivery logs (admins and operators)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from apps.engine.models import DeliveryStatus, Webhook, WebhookDelivery
from apps.engine.services import outbox, webhooks
from apps.tenancy.permissions import ActionPermission
from apps.tenancy.roles import Action


class WebhookSerializer(serializers.ModelSerializer[Webhook]):
    secret = serializers.CharField(
        write_only=True,
        required=False,
        min_length=16,
        max_length=255,
        help_text="Signs every delivery; omitted on create: one is made and shown once, in the answer",
    )
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        max_length=len(outbox.EVENT_TYPES),
        help_text='Event types or prefixes ("instance.*") to send; empty: every event',
    )

    class Meta:
        model = Webhook
        fields = ["id", "url", "secret", "event_types", "is_active", "description", "created_by", "created_at"]
        read_only_fields = ["id", "created_by", "created_at"]


class CreatedWebhookSerializer(WebhookSerializer):
    """The answer to a create: the secret, this once."""

    secret = serializers.CharField(read_only=True)


class DeliverySerializer(serializers.ModelSerializer[WebhookDelivery]):
    event = serializers.IntegerField(source="event_id", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "event_type",
            "status",
            "attempts",
            "next_attempt_at",
            "response_status",
            "last_error",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields


class DeliveryPagination(CursorPagination):
    ordering = "-event_id"
    page_size = 50


def _invalid(error: webhooks.WebhookInvalid) -> ValidationError:
    return ValidationError({error.field: [str(error)]})


@extend_schema_view(
    deliveries=extend_schema(
        parameters=[OpenApiParameter("status", str, enum=[choice.value for choice in DeliveryStatus])],
        responses=DeliverySerializer(many=True),
        summary="The webhook's delivery log, newest event first",
    ),
)
class WebhookViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[Webhook],
):
    """Tenant admins and operators register URLs that receive the tenant's events."""

    permission_classes = [ActionPermission]
    required_action = Action.OPERATE_PROCESSES
    serializer_class = WebhookSerializer
    queryset = Webhook.objects.all()

    def get_object(self) -> Webhook:
        try:
            return Webhook.objects.get(id=uuid.UUID(str(self.kwargs["pk"])))
        except (ValueError, Webhook.DoesNotExist) as missing:
            raise NotFound(f"No webhook {self.kwargs['pk']}.") from missing

    @extend_schema(responses={201: CreatedWebhookSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = WebhookSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            webhook = webhooks.create_webhook(**serializer.validated_data, actor=request.user.get_username())
        except webhooks.WebhookInvalid as invalid:
            raise _invalid(invalid) from invalid
        return Response(CreatedWebhookSerializer(webhook).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        webhook = self.get_object()
        serializer = WebhookSerializer(webhook, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        try:
            webhooks.update_webhook(webhook, dict(serializer.validated_data))
        except webhooks.WebhookInvalid as invalid:
            raise _invalid(invalid) from invalid
        return Response(WebhookSerializer(webhook).data)

    @action(detail=True, methods=["get"], pagination_class=DeliveryPagination)
    def deliveries(self, request: Request, pk: str) -> Response:
        webhook = self.get_object()
        queryset: QuerySet[WebhookDelivery] = WebhookDelivery.objects.filter(webhook=webhook)
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in DeliveryStatus.values:
                raise ValidationError({"status": [f"Give one of {', '.join(DeliveryStatus.values)}."]})
            queryset = queryset.filter(status=wanted)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    @extend_schema(
        request=None,
        responses=DeliverySerializer,
        summary="Send a delivery's event again",
        parameters=[OpenApiParameter("delivery_id", uuid.UUID, OpenApiParameter.PATH)],
    )
    @action(detail=True, methods=["post"], url_path=r"deliveries/(?P<delivery_id>[^/.]+)/redeliver")
    def redeliver(self, request: Request, pk: str, delivery_id: str) -> Response:
        webhook = self.get_object()
        try:
            delivery = WebhookDelivery.objects.get(webhook=webhook, id=uuid.UUID(delivery_id))
        except (ValueError, WebhookDelivery.DoesNotExist) as missing:
            raise NotFound(f"No delivery {delivery_id} of this webhook.") from missing
        return Response(DeliverySerializer(webhooks.redeliver(delivery)).data)
