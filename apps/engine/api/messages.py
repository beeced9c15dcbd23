"""``POST /api/v1/messages/``: correlate a message (Camunda 7's ``POST /message``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from apg_wbpm.api.problems import MessageAmbiguous, MessageNotCorrelated
from apps.engine.services import messages
from apps.tenancy.permissions import ActionPermission
from apps.tenancy.roles import Action


class MessageSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=255, help_text="The `name` of the `bpmn:message`")
    correlation_key = serializers.CharField(max_length=255, required=False, help_text="As the subscription computed it")
    business_key = serializers.CharField(max_length=255, required=False)
    variables_equal = serializers.DictField(
        required=False, default=dict, help_text="Instance variables the waiting instance must hold"
    )
    variables = serializers.DictField(required=False, default=dict, help_text="Set by the message")
    message_id = serializers.CharField(max_length=255, required=False, help_text="A repeat of it does nothing")
    all = serializers.BooleanField(default=False, help_text="Move on every matching wait, not exactly one")


class MatchSerializer(serializers.Serializer[Any]):
    instance = serializers.UUIDField()
    element_id = serializers.CharField()


class CorrelationSerializer(serializers.Serializer[Any]):
    matched = MatchSerializer(many=True, help_text="The waits the message moved on")
    started = serializers.UUIDField(allow_null=True, help_text="The instance a message start event started")


class MessageViewSet(viewsets.ViewSet):
    permission_classes = [ActionPermission]
    required_action = Action.START_PROCESSES

    @extend_schema(
        request=MessageSerializer,
        responses={200: CorrelationSerializer},
        summary="Correlate a message: move on what waits for it, or start a process",
        examples=[OpenApiExample("Payment", value={"name": "payment-received", "correlation_key": "order-42"})],
    )
    def create(self, request: Request) -> Response:
        serializer = MessageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            result = messages.correlate(
                data["name"],
                correlation_key=data.get("correlation_key"),
                business_key=data.get("business_key"),
                variables_equal=data["variables_equal"],
                variables=data["variables"],
                message_id=data.get("message_id"),
                correlate_all=data["all"],
                actor=request.user.get_username(),
            )
        except messages.MessageNotCorrelated as missing:
            raise MessageNotCorrelated(str(missing)) from missing
        except messages.MessageAmbiguous as ambiguous:
            raise MessageAmbiguous(str(ambiguous)) from ambiguous
        headers = {"Idempotent-Replayed": "true"} if result.replayed else {}
        return Response(CorrelationSerializer(result.as_dict()).data, status=status.HTTP_200_OK, headers=headers)
