"""``/api/v1/incidents/``: what stopped, and the operator's retry or resolve."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from apg_wbpm.api.problems import Conflict
from apps.engine.api.requests import valid_data
from apps.engine.models import Incident
from apps.engine.runtime import TriggerRejected
from apps.engine.services import incidents
from apps.engine.services.operations import TransitionRefused
from apps.tenancy.permissions import ActionPermission
from apps.tenancy.roles import Action


class IncidentSerializer(serializers.ModelSerializer[Incident]):
    instance = serializers.UUIDField(source="instance_id", read_only=True)

    class Meta:
        model = Incident
        fields = [
            "id",
            "instance",
            "token_id",
            "element_id",
            "kind",
            "message",
            "created_at",
            "resolved_at",
            "resolved_by",
        ]


class RetrySerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)
    retries = serializers.IntegerField(
        required=False, default=1, min_value=1, max_value=100, help_text="For a job or an external task"
    )


class ResolveSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("instance", str, description="incidents of this instance"),
            OpenApiParameter("kind", str),
            OpenApiParameter("open", bool, description="true: not resolved yet; false: resolved"),
        ]
    )
)
class IncidentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Incident]):
    permission_classes = [ActionPermission]
    required_action = Action.OPERATE_PROCESSES
    serializer_class = IncidentSerializer

    def get_queryset(self) -> Any:
        queryset = Incident.objects.order_by("-created_at", "-id")
        params = self.request.query_params
        if params.get("instance"):
            try:
                queryset = queryset.filter(instance_id=uuid.UUID(params["instance"]))
            except ValueError as invalid:
                raise ValidationError({"instance": "Give an instance id."}) from invalid
        if params.get("kind"):
            queryset = queryset.filter(kind=params["kind"])
        if params.get("open") in ("true", "false"):
            queryset = queryset.filter(resolved_at__isnull=params["open"] == "true")
        return queryset

    @extend_schema(request=RetrySerializer, responses=IncidentSerializer, summary="Retry what the incident stopped")
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str) -> Response:
        data = valid_data(RetrySerializer, request)
        return self._act(
            pk,
            lambda incident_id: incidents.retry_incident(
                incident_id, actor=request.user.get_username(), reason=data["reason"], retries=data["retries"]
            ),
        )

    @extend_schema(request=ResolveSerializer, responses=IncidentSerializer, summary="Mark the incident resolved")
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        data = valid_data(ResolveSerializer, request)
        return self._act(
            pk,
            lambda incident_id: incidents.resolve_incident(
                incident_id, actor=request.user.get_username(), reason=data["reason"]
            ),
        )

    def _act(self, pk: str, act: Any) -> Response:
        try:
            incident = act(uuid.UUID(pk))
        except (ValueError, Incident.DoesNotExist) as missing:
            raise NotFound(f"No incident {pk}.") from missing
        except (TransitionRefused, TriggerRejected) as refused:
            raise Conflict(str(refused)) from refused
        return Response(IncidentSerializer(incident).data)
