"""``POST /api/v1/simulations/``: simulate N instances of a model (its XML, or a saved model's
version) and answer with the figures. Nothing is stored and nothing runs in the engine."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apg_wbpm.api.problems import SimulationInvalid
from apps.designer import services, simulation
from apps.designer.api.process_models import refusals
from apps.designer.models import ModelVersion
from apps.tenancy.permissions import ActionPermission
from apps.tenancy.roles import Action


class SimulationRequestSerializer(serializers.Serializer[Any]):
    xml = serializers.CharField(required=False, trim_whitespace=False, help_text="the model to simulate")
    model = serializers.UUIDField(required=False, help_text="or a saved model: its latest version by default")
    version = serializers.IntegerField(required=False, min_value=1, help_text="the saved model's version")
    parameters = serializers.JSONField(
        required=False, help_text="process, instances, arrival, activities, resources, probabilities"
    )
    seed = serializers.IntegerField(required=False, min_value=0, max_value=simulation.MAX_SEED)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("xml" in attrs) == ("model" in attrs):
            raise ValidationError(
                {"xml": "Give the model to simulate: its XML in `xml` or a saved model's id in `model`."}
            )
        if "version" in attrs and "model" not in attrs:
            raise ValidationError({"version": "A version is of a saved model; give `model` too."})
        return attrs


class CycleTimeSerializer(serializers.Serializer[Any]):
    mean = serializers.FloatField(allow_null=True)
    min = serializers.FloatField(allow_null=True)
    p50 = serializers.FloatField(allow_null=True)
    p90 = serializers.FloatField(allow_null=True)
    p95 = serializers.FloatField(allow_null=True)
    max = serializers.FloatField(allow_null=True)
    histogram = serializers.ListField(child=serializers.DictField())


class SimulationResultSerializer(serializers.Serializer[Any]):
    process = serializers.CharField()
    seed = serializers.IntegerField()
    time_unit = serializers.CharField()
    instances = serializers.DictField(child=serializers.IntegerField())
    arrival = serializers.DictField(child=serializers.FloatField())
    span_minutes = serializers.FloatField()
    cycle_time = CycleTimeSerializer()
    throughput_per_hour = serializers.FloatField(allow_null=True)
    resources = serializers.ListField(child=serializers.DictField())
    activities = serializers.ListField(child=serializers.DictField())
    bottleneck = serializers.DictField()
    heat = serializers.DictField()
    element_counts = serializers.DictField(child=serializers.IntegerField())


class SimulationView(APIView):
    """Designers simulate before they deploy; the run is pure and bounded (docs/designer.md)."""

    permission_classes = [ActionPermission]
    required_action = Action.DESIGN_PROCESSES
    parser_classes = [JSONParser]

    @extend_schema(
        request=SimulationRequestSerializer,
        responses=SimulationResultSerializer,
        summary="Simulate instances of a model with no side effects",
    )
    def post(self, request: Request) -> Response:
        serializer = SimulationRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        xml = data["xml"].encode() if "xml" in data else _saved_xml(data["model"], data.get("version"))
        refusals(lambda: services.read_model(xml))
        try:
            result = simulation.simulate(xml, data.get("parameters", {}), seed=data.get("seed", 0))
        except simulation.SimulationInvalid as invalid:
            raise SimulationInvalid([problem.as_dict() for problem in invalid.problems]) from invalid
        return Response(result)


def _saved_xml(model_id: Any, number: int | None) -> bytes:
    versions = ModelVersion.objects.filter(model_id=model_id).order_by("-number")
    if number is not None:
        versions = versions.filter(number=number)
    xml = versions.values_list("xml", flat=True).first()
    if xml is None:
        what = f"version {number} of model {model_id}" if number is not None else f"model {model_id}"
        raise NotFound(f"There is no {what}.")
    return xml.encode()
