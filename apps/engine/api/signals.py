"""``POST /api/v1/signals/``: broadcast a signal to every signal event of the tenant waiting for it."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from apps.engine.api.requests import valid_data
from apps.engine.services import signals
from apps.tenancy.permissions import ActionPermission
from apps.tenancy.roles import Action


class SignalSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=255, help_text="The `name` of the `bpmn:signal`")
    variables = serializers.DictField(required=False, default=dict, help_text="Set where the signal arrives")


class BroadcastSerializer(serializers.Serializer[Any]):
    deliveries = serializers.IntegerField(help_text="Waiting signal events it reaches (each by a job, within moments)")
    started = serializers.ListField(child=serializers.UUIDField(), help_text="Instances its start events started")


class SignalViewSet(viewsets.ViewSet):
    permission_classes = [ActionPermission]
    required_action = Action.START_PROCESSES

    @extend_schema(request=SignalSerializer, responses=BroadcastSerializer, summary="Broadcast a signal")
    def create(self, request: Request) -> Response:
        data = valid_data(SignalSerializer, request)
        result = signals.broadcast(data["name"], data["variables"], actor=request.user.get_username())
        return Response(BroadcastSerializer({"deliveries": result.deliveries, "started": result.started}).data)
