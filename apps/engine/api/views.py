"""The engine's REST API (deploy, validate, definitions, start, instances). Thin: parse, authorize,
call a service, serialize."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ParseError, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from apg_wbpm.api.problems import Conflict, ModelInvalid
from apps.engine.api.filters import InstanceCursorPagination, filter_instances
from apps.engine.api.parsers import TextXmlBytesParser, XmlBytesParser
from apps.engine.api.serializers import (
    DefinitionDetailSerializer,
    DefinitionSerializer,
    DeploymentResultSerializer,
    InstanceDetailSerializer,
    InstanceSerializer,
    ModifySerializer,
    OperatorRequestSerializer,
    SetVariablesSerializer,
    StartSerializer,
    ValidationResultSerializer,
    problem_dict,
)
from apps.engine.bpmn import has_errors
from apps.engine.models import InstanceState, ProcessDefinition, ProcessInstance
from apps.engine.runtime import TriggerRejected
from apps.engine.services import deployments, instances, operations
from apps.tenancy.permissions import ActionPermission
from apps.tenancy.roles import Action

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="A retry with the same key answers 200 with the instance the first request started",
)
BPMN_BODY = {
    "application/xml": {"type": "string", "format": "binary"},
    "multipart/form-data": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}},
}


def model_bytes(request: Request) -> bytes:
    """The BPMN file of a request: an XML body, or a multipart upload named ``file``."""
    if isinstance(request.data, bytes):
        data = request.data
    else:
        upload = request.FILES.get("file")
        if upload is None:
            raise ParseError("Send the BPMN XML as the body (Content-Type: application/xml) or as the file `file`.")
        data = upload.read()
    if not data.strip():
        raise ParseError("The BPMN document is empty.")
    return data


class DeploymentViewSet(viewsets.GenericViewSet[Any]):
    parser_classes = [XmlBytesParser, TextXmlBytesParser, MultiPartParser]
    permission_classes = [ActionPermission]
    required_actions = {"create": Action.DEPLOY_PROCESSES, "validate": Action.DESIGN_PROCESSES}
    serializer_class = DeploymentResultSerializer

    @extend_schema(
        request=BPMN_BODY,
        responses={201: DeploymentResultSerializer, 200: DeploymentResultSerializer},
        summary="Deploy a BPMN file; identical XML is deployed once",
    )
    def create(self, request: Request) -> Response:
        name = request.query_params.get("name", "") or getattr(request.FILES.get("file"), "name", "")
        try:
            result = deployments.deploy(model_bytes(request), name=name, deployed_by=request.user.get_username())
        except deployments.DeploymentRefused as refused:
            raise ModelInvalid([problem_dict(problem) for problem in refused.problems]) from refused
        body = {
            "id": result.deployment.id,
            "name": result.deployment.name,
            "created": result.created,
            "definitions": result.definitions,
            "warnings": [problem_dict(problem) for problem in result.problems],
        }
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(DeploymentResultSerializer(body).data, status=code)

    @extend_schema(request=BPMN_BODY, responses=ValidationResultSerializer, summary="Validate without deploying")
    @action(detail=False, methods=["post"])
    def validate(self, request: Request) -> Response:
        problems = deployments.check_model(model_bytes(request))
        body = {"valid": not has_errors(problems), "problems": [problem_dict(problem) for problem in problems]}
        return Response(ValidationResultSerializer(body).data)


VERSION = OpenApiParameter("version", int, description="a version of the key, from 1")


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("key", str, description="process key"), VERSION]),
)
class DefinitionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[ProcessDefinition]):
    permission_classes = [ActionPermission]
    required_action = Action.START_PROCESSES
    queryset = ProcessDefinition.objects.select_related("deployment").order_by("key", "-version")

    def get_serializer_class(self) -> type[DefinitionSerializer]:
        return DefinitionDetailSerializer if self.action in ("retrieve", "by_key") else DefinitionSerializer

    def get_queryset(self) -> Any:
        queryset = super().get_queryset()
        key = self.request.query_params.get("key")
        version = self._version()
        if key:
            queryset = queryset.filter(key=key)
        return queryset if version is None else queryset.filter(version=version)

    def _version(self) -> int | None:
        raw = self.request.query_params.get("version", "")
        if not raw:
            return None
        if not raw.isdigit() or int(raw) < 1:
            raise ValidationError({"version": "A version is a whole number from 1."})
        return int(raw)

    @extend_schema(
        parameters=[OpenApiParameter("version", int, description="this version of the key; the latest when absent")],
        responses=DefinitionDetailSerializer,
        summary="A process by key: its latest version, or the one asked for, with its XML",
    )
    @action(detail=False, methods=["get"], url_path=r"key/(?P<key>[^/]+)")
    def by_key(self, request: Request, key: str) -> Response:
        definition = self.get_queryset().filter(key=key).first()  # newest version first
        if definition is None:
            asked = f" in version {self._version()}" if self._version() else ""
            raise NotFound(f"No process with key {key!r} is deployed{asked}.")
        return Response(DefinitionDetailSerializer(definition).data)

    @extend_schema(
        request=StartSerializer,
        responses={201: InstanceSerializer, 200: InstanceSerializer},
        parameters=[IDEMPOTENCY_KEY],
        summary="Start the latest version of a process by key",
        examples=[OpenApiExample("Start", value={"variables": {"amount": 120}, "business_key": "order-42"})],
    )
    @action(detail=False, methods=["post"], url_path=r"key/(?P<key>[^/]+)/start")
    def start(self, request: Request, key: str) -> Response:
        try:
            definition = instances.latest_definition(key)
        except ProcessDefinition.DoesNotExist as missing:
            raise NotFound(f"No process with key {key!r} is deployed.") from missing
        return self._start(request, definition)

    @extend_schema(
        request=StartSerializer,
        responses={201: InstanceSerializer, 200: InstanceSerializer},
        parameters=[IDEMPOTENCY_KEY],
        summary="Start this version of a process",
    )
    @action(detail=True, methods=["post"], url_path="start")
    def start_version(self, request: Request, pk: str) -> Response:
        return self._start(request, self.get_object())

    def _start(self, request: Request, definition: ProcessDefinition) -> Response:
        serializer = StartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        instance = instances.start_instance(
            definition,
            serializer.validated_data["variables"],
            business_key=serializer.validated_data["business_key"],
            started_by=request.user.get_username(),
            idempotency_key=request.headers.get("Idempotency-Key") or None,
        )
        if instances.was_replayed(instance):
            return Response(InstanceSerializer(instance).data, headers={"Idempotent-Replayed": "true"})
        return Response(InstanceSerializer(instance).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("state", str, enum=InstanceState.values),
            OpenApiParameter("key", str, description="process key"),
            OpenApiParameter("business_key", str),
            OpenApiParameter("parent", OpenApiTypes.UUID, description="instances called by this one"),
            OpenApiParameter("started_after", OpenApiTypes.DATETIME),
            OpenApiParameter("started_before", OpenApiTypes.DATETIME),
            OpenApiParameter("variable", str, many=True, description="name:value, the value as JSON or text"),
        ],
        summary="Instances, newest first, with cursor pagination",
    )
)
class InstanceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[ProcessInstance]):
    permission_classes = [ActionPermission]
    required_action = Action.START_PROCESSES
    required_actions = {
        "suspend": Action.OPERATE_PROCESSES,
        "resume": Action.OPERATE_PROCESSES,
        "cancel": Action.OPERATE_PROCESSES,
        "variables": Action.OPERATE_PROCESSES,
        "modify": Action.OPERATE_PROCESSES,
    }
    serializer_class = InstanceDetailSerializer
    queryset = ProcessInstance.objects.select_related("definition")
    pagination_class = InstanceCursorPagination

    def get_queryset(self) -> Any:
        if self.action == "list":
            return filter_instances(super().get_queryset(), self.request.query_params)
        return super().get_queryset().prefetch_related("tokens", "activities")

    def get_serializer_class(self) -> Any:
        return InstanceSerializer if self.action == "list" else InstanceDetailSerializer

    def _operate(
        self,
        request: Request,
        operation: Any,
        serializer_class: type[OperatorRequestSerializer] = OperatorRequestSerializer,
    ) -> Response:
        """Validate the body, call ``operation(instance_id, actor=..., **fields)``, answer the instance."""
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        instance = self.get_object()  # 404 for an unknown id
        try:
            operation(instance.id, actor=request.user.get_username(), **serializer.validated_data)
        except (operations.TransitionRefused, TriggerRejected) as refused:
            raise Conflict(str(refused)) from refused
        return Response(self.get_serializer(self.get_queryset().get(id=instance.id)).data)

    @extend_schema(request=SetVariablesSerializer, summary="Set variables by hand (recorded with who and why)")
    @action(detail=True, methods=["post"])
    def variables(self, request: Request, pk: str) -> Response:
        return self._operate(request, operations.set_variables, SetVariablesSerializer)

    @extend_schema(request=ModifySerializer, summary="Cancel the tokens at elements and start before others")
    @action(detail=True, methods=["post"])
    def modify(self, request: Request, pk: str) -> Response:
        return self._operate(request, operations.modify_instance, ModifySerializer)

    @extend_schema(request=OperatorRequestSerializer, summary="Suspend: triggers wait until it is resumed")
    @action(detail=True, methods=["post"])
    def suspend(self, request: Request, pk: str) -> Response:
        return self._operate(request, operations.suspend_instance)

    @extend_schema(request=OperatorRequestSerializer, summary="Resume a suspended instance")
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str) -> Response:
        return self._operate(request, operations.resume_instance)

    @extend_schema(request=OperatorRequestSerializer, summary="Cancel: end the instance and its open activities")
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        return self._operate(request, operations.cancel_instance)
