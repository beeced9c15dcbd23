"""``POST /api/v1/messages/``: correlate a message (Camunda 7's ``POST /message``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import isodate
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from apg_wbpm.api.problems import MessageAmbiguous, MessageNotCorrelated
from apps.engine.services import messages
from apps.tenancy.permissions import ActionPermission
from apps.tenancy.roles import Action

MAX_TIME_TO_LIVE = timedelta(days=30)


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
    time_to_live = serializers.CharField(
        max_length=64,
        required=False,
        help_text="ISO 8601 duration (at most P30D): a message that matches nothing waits that long for a subscriber",
    )

    def validate_time_to_live(self, value: str) -> timedelta:
        try:
            parsed = isodate.parse_duration(value)
        except (isodate.ISO8601Error, ValueError) as invalid:
            raise serializers.ValidationError("Give an ISO 8601 duration, such as PT10M.") from invalid
        if not isinstance(parsed, timedelta) or not timedelta(0) < parsed <= MAX_TIME_TO_LIVE:
            raise serializers.ValidationError("Give a duration in days, hours, minutes or seconds, up to P30D.")
        return parsed


class MatchSerializer(serializers.Serializer[Any]):
    instance = serializers.UUIDField()
    element_id = serializers.CharField()


class CorrelationSerializer(serializers.Serializer[Any]):
    matched = MatchSerializer(many=True, help_text="The waits the message moved on")
    started = serializers.UUIDField(allow_null=True, help_text="The instance a message start event started")
    buffered_until = serializers.DateTimeField(
        allow_null=True, help_text="It matched nothing and waits for a subscriber until then (answered with 202)"
    )


class MessageViewSet(viewsets.ViewSet):
    permission_classes = [ActionPermission]
    required_action = Action.START_PROCESSES

    @extend_schema(
        request=MessageSerializer,
        responses={200: CorrelationSerializer, 202: CorrelationSerializer},
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
                time_to_live=data.get("time_to_live"),
                actor=request.user.get_username(),
            )
        except messages.MessageNotCorrelated as missing:
            raise MessageNotCorrelated(str(missing)) from missing
        except messages.MessageAmbiguous as ambiguous:
            raise MessageAmbiguous(str(ambiguous)) from ambiguous
        headers = {"Idempotent-Replayed": "true"} if result.replayed else {}
        code = status.HTTP_202_ACCEPTED if result.buffered_until else status.HTTP_200_OK
        return Response(CorrelationSerializer(result.as_dict()).data, status=code, headers=headers)
