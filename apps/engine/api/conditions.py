"""``POST /api/v1/conditions/``: start the processes whose conditional start events hold."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from apg_wbpm.api.problems import NoConditionalStart
from apps.engine.api.requests import valid_data
from apps.engine.services import conditions
from apps.tenancy.permissions import ActionPermission
from apps.tenancy.roles import Action


class ConditionSerializer(serializers.Serializer[Any]):
    variables = serializers.DictField(help_text="What the conditions are evaluated with, and the instances start with")
    business_key = serializers.CharField(required=False, default="", allow_blank=True, max_length=255)
    process_definition_key = serializers.CharField(
        required=False, default=None, allow_null=True, max_length=255, help_text="Only this process"
    )


class ConditionResultSerializer(serializers.Serializer[Any]):
    started = serializers.ListField(child=serializers.UUIDField(), help_text="The instances started, if any")


class ConditionViewSet(viewsets.ViewSet):
    permission_classes = [ActionPermission]
    required_action = Action.START_PROCESSES

    @extend_schema(
        request=ConditionSerializer,
        responses=ConditionResultSerializer,
        summary="Evaluate the conditional start events and start the processes whose conditions hold",
    )
    def create(self, request: Request) -> Response:
        data = valid_data(ConditionSerializer, request)
        try:
            started = conditions.start_by_conditions(
                data["variables"],
                business_key=data["business_key"],
                key=data["process_definition_key"],
                actor=request.user.get_username(),
            )
        except conditions.NoConditionalStart as missing:
            raise NoConditionalStart(str(missing)) from missing
        return Response(ConditionResultSerializer({"started": started}).data)
