from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.engine.bpmn import Problem
from apps.engine.models import ActivityInstance, Incident, ProcessDefinition, ProcessInstance, Token


def problem_dict(problem: Problem) -> dict[str, Any]:
    return {
        "severity": problem.severity,
        "code": problem.code,
        "element_id": problem.element_id,
        "line": problem.line,
        "message": problem.message,
    }


class ModelProblemSerializer(serializers.Serializer[Any]):
    """One problem found in a BPMN model."""

    severity = serializers.ChoiceField(choices=["error", "warning"])
    code = serializers.CharField()
    element_id = serializers.CharField(allow_null=True)
    line = serializers.IntegerField(allow_null=True)
    message = serializers.CharField()


class DefinitionSerializer(serializers.ModelSerializer[ProcessDefinition]):
    class Meta:
        model = ProcessDefinition
        fields = ["id", "key", "version", "name", "deployed_at"]


class DefinitionDetailSerializer(DefinitionSerializer):
    xml = serializers.CharField(source="deployment.source_xml", read_only=True)
    deployed_by = serializers.CharField(source="deployment.deployed_by", read_only=True)

    class Meta(DefinitionSerializer.Meta):
        fields = [*DefinitionSerializer.Meta.fields, "deployed_by", "xml"]


class DeploymentResultSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    name = serializers.CharField()
    created = serializers.BooleanField(help_text="False when identical XML was deployed before")
    definitions = DefinitionSerializer(many=True)
    warnings = ModelProblemSerializer(many=True)


class ValidationResultSerializer(serializers.Serializer[Any]):
    valid = serializers.BooleanField()
    problems = ModelProblemSerializer(many=True)


class StartSerializer(serializers.Serializer[Any]):
    variables = serializers.DictField(required=False, default=dict)
    business_key = serializers.CharField(required=False, default="", allow_blank=True, max_length=255)


class OperatorRequestSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)


class SetVariablesSerializer(OperatorRequestSerializer):
    variables = serializers.DictField(allow_empty=False)


class ModifySerializer(OperatorRequestSerializer):
    cancel = serializers.ListField(child=serializers.CharField(max_length=255), required=False, default=list)
    start_before = serializers.ListField(child=serializers.CharField(max_length=255), required=False, default=list)
    variables = serializers.DictField(required=False, default=dict)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs["cancel"] and not attrs["start_before"]:
            raise serializers.ValidationError("Name elements to cancel or to start before.")
        return attrs


class TokenSerializer(serializers.ModelSerializer[Token]):
    waits_for = serializers.SerializerMethodField()

    class Meta:
        model = Token
        fields = ["id", "element_id", "state", "waits_for", "created_at"]

    def get_waits_for(self, token: Token) -> str | None:
        value = token.data.get("wait")
        return str(value) if value else None


class ActivitySerializer(serializers.ModelSerializer[ActivityInstance]):
    class Meta:
        model = ActivityInstance
        fields = [
            "id",
            "element_id",
            "element_type",
            "element_name",
            "token_id",
            "state",
            "started_at",
            "ended_at",
            "duration_ms",
        ]


class InstanceSerializer(serializers.ModelSerializer[ProcessInstance]):
    definition = DefinitionSerializer(read_only=True)

    class Meta:
        model = ProcessInstance
        fields = [
            "id",
            "definition",
            "business_key",
            "state",
            "variables",
            "parent",
            "root",
            "started_by",
            "started_at",
            "ended_at",
        ]


class OpenIncidentSerializer(serializers.ModelSerializer[Incident]):
    class Meta:
        model = Incident
        fields = ["id", "element_id", "token_id", "kind", "message", "created_at"]


class InstanceDetailSerializer(InstanceSerializer):
    tokens = TokenSerializer(many=True, read_only=True)
    history = ActivitySerializer(many=True, read_only=True, source="activities")
    incidents = serializers.SerializerMethodField(help_text="Its open incidents, oldest first")

    class Meta(InstanceSerializer.Meta):
        fields = [*InstanceSerializer.Meta.fields, "tokens", "history", "incidents"]

    @extend_schema_field(OpenIncidentSerializer(many=True))
    def get_incidents(self, instance: ProcessInstance) -> list[dict[str, Any]]:
        open_incidents = instance.incidents.filter(resolved_at=None).order_by("created_at", "id")
        return list(OpenIncidentSerializer(open_incidents, many=True).data)
