"""``/api/v1/models/``: process models, their versions (saved on a named base, ``If-Match``),
comparison, restore, lint, deployment and what the deployed versions are doing. Thin: parse,
authorize, call a service, serialize."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from apg_wbpm.api.problems import Conflict, ModelInvalid, PayloadTooLarge, PreconditionRequired, VersionConflict
from apps.designer import diff, selectors, services, templates
from apps.designer.models import ModelVersion, ProcessModel
from apps.engine.api.parsers import TextXmlBytesParser, XmlBytesParser
from apps.engine.api.serializers import DefinitionSerializer, ModelProblemSerializer, problem_dict
from apps.engine.api.views import BPMN_BODY, model_bytes
from apps.engine.services.deployments import DeploymentRefused
from apps.tenancy.permissions import ActionPermission
from apps.tenancy.roles import Action

IF_MATCH = OpenApiParameter(
    "If-Match", str, OpenApiParameter.HEADER, required=True, description='the version the change is based on: "3"'
)


class ProcessModelSerializer(serializers.ModelSerializer[ProcessModel]):
    class Meta:
        model = ProcessModel
        fields = ["id", "key", "name", "description", "tags", "owner", "latest_version", "created_at", "updated_at"]
        read_only_fields = ["id", "owner", "latest_version", "created_at", "updated_at"]


class ModelCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=255)
    key = serializers.SlugField(max_length=200, required=False, default="")
    description = serializers.CharField(required=False, default="", allow_blank=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, default=list)
    xml = serializers.CharField(required=False, trim_whitespace=False, help_text="BPMN XML of the first version")
    template = serializers.CharField(required=False, default="", help_text="a template's key (model-templates)")


class VersionSerializer(serializers.ModelSerializer[ModelVersion]):
    class Meta:
        model = ModelVersion
        fields = ["number", "message", "author", "created_at"]


class VersionDetailSerializer(serializers.ModelSerializer[ModelVersion]):
    class Meta:
        model = ModelVersion
        fields = ["number", "message", "author", "created_at", "xml"]


class SaveSerializer(serializers.Serializer[Any]):
    xml = serializers.CharField(trim_whitespace=False, help_text="BPMN XML of the new version, kept as sent")
    message = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)


class DiffEntrySerializer(serializers.Serializer[Any]):
    id = serializers.CharField()
    type = serializers.CharField()
    name = serializers.CharField(allow_blank=True)
    changes = serializers.ListField(child=serializers.CharField(), required=False)


class DiffSerializer(serializers.Serializer[Any]):
    added = DiffEntrySerializer(many=True)
    removed = DiffEntrySerializer(many=True)
    changed = DiffEntrySerializer(many=True)


class LintSerializer(serializers.Serializer[Any]):
    problems = ModelProblemSerializer(many=True)


class DeploySerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField(required=False, min_value=1, help_text="default: the latest")


class DeployedSerializer(serializers.Serializer[Any]):
    deployment = serializers.UUIDField()
    model_version = serializers.IntegerField()
    created = serializers.BooleanField(help_text="false: the engine had this XML deployed already")
    definitions = DefinitionSerializer(many=True)
    warnings = ModelProblemSerializer(many=True)


class DeployedVersionSerializer(serializers.Serializer[Any]):
    definition_id = serializers.UUIDField()
    key = serializers.CharField()
    version = serializers.IntegerField(help_text="the engine's version of the process key")
    model_version = serializers.IntegerField()
    deployed_at = serializers.DateTimeField()
    running = serializers.IntegerField()
    completed = serializers.IntegerField()
    incidents = serializers.IntegerField()


class DeployedDetailSerializer(serializers.Serializer[Any]):
    xml = serializers.CharField()
    elements = serializers.DictField(child=serializers.DictField(child=serializers.IntegerField()))


class TemplateSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    starter = serializers.BooleanField()


class SaveAsTemplateSerializer(serializers.Serializer[Any]):
    key = serializers.SlugField(max_length=200, required=False, default="")
    name = serializers.CharField(max_length=255, required=False, default="", allow_blank=True)
    description = serializers.CharField(required=False, default="", allow_blank=True)


class ModelPages(PageNumberPagination):
    page_size = 50


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="words in the name, key or description"),
            OpenApiParameter("tag", str, description="models with this tag"),
            OpenApiParameter("owner", str),
        ]
    )
)
class ProcessModelViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[ProcessModel],
):
    """Process designers (and tenant admins) keep models; deploying takes the deploy right."""

    permission_classes = [ActionPermission]
    required_action = Action.DESIGN_PROCESSES
    required_actions = {"deploy": Action.DEPLOY_PROCESSES}
    serializer_class = ProcessModelSerializer
    pagination_class = ModelPages
    parser_classes = [JSONParser, XmlBytesParser, TextXmlBytesParser, MultiPartParser]
    http_method_names = ["get", "post", "patch", "delete"]

    def get_queryset(self) -> QuerySet[ProcessModel]:
        models = ProcessModel.objects.order_by("name", "key")
        if self.action != "list":
            return models
        params = self.request.query_params
        if params.get("q"):
            words = params["q"].strip()
            models = models.filter(Q(name__icontains=words) | Q(key__icontains=words) | Q(description__icontains=words))
        if params.get("tag"):
            models = models.filter(tags__contains=[params["tag"]])
        if params.get("owner"):
            models = models.filter(owner=params["owner"])
        return models

    @extend_schema(request=ModelCreateSerializer, responses={201: ProcessModelSerializer}, summary="Create a model")
    def create(self, request: Request) -> Response:
        data = _valid(ModelCreateSerializer, request.data)
        xml = data["xml"].encode() if "xml" in data else None
        model = refusals(
            lambda: services.create_model(
                name=data["name"],
                key=data["key"],
                description=data["description"],
                tags=data["tags"],
                owner=request.user.get_username(),
                xml=xml,
                template=data["template"],
            )
        )
        return _with_etag(Response(ProcessModelSerializer(model).data, status=status.HTTP_201_CREATED), model)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        model = self.get_object()
        return _with_etag(Response(ProcessModelSerializer(model).data), model)

    @extend_schema(
        request=BPMN_BODY,
        responses={201: ProcessModelSerializer},
        parameters=[OpenApiParameter("name", str, description="default: the file's or process's name")],
        summary="Import a .bpmn file as a new model",
    )
    @action(detail=False, methods=["post"], url_path="import", url_name="import")
    def import_file(self, request: Request) -> Response:
        xml = model_bytes(request)
        upload = request.FILES.get("file")
        name = request.query_params.get("name", "") or (upload.name.rsplit(".", 1)[0] if upload else "")
        model = refusals(lambda: services.import_model(xml, name=name, owner=request.user.get_username()))
        return _with_etag(Response(ProcessModelSerializer(model).data, status=status.HTTP_201_CREATED), model)

    @extend_schema(request=BPMN_BODY, responses=LintSerializer, summary="The engine's problems with a model")
    @action(detail=False, methods=["post"])
    def lint(self, request: Request) -> Response:
        problems = refusals(lambda: services.lint(model_bytes(request)))
        return Response({"problems": [problem_dict(problem) for problem in problems]})

    @extend_schema(responses={(200, "application/xml"): str}, summary="The latest version's XML (ETag: its number)")
    @action(detail=True, methods=["get"])
    def xml(self, request: Request, pk: str) -> HttpResponse:
        model = self.get_object()
        latest = model.versions.get(number=model.latest_version)
        response = HttpResponse(latest.xml, content_type="application/xml; charset=utf-8")
        response["ETag"] = f'"{model.latest_version}"'
        return response

    @extend_schema(
        methods=["GET"], responses=VersionSerializer(many=True), summary="The model's versions, newest first"
    )
    @extend_schema(
        methods=["POST"],
        request=SaveSerializer,
        responses={201: VersionSerializer, 200: VersionSerializer},
        parameters=[IF_MATCH],
        summary="Save a new version based on the one If-Match names",
    )
    @action(detail=True, methods=["get", "post"])
    def versions(self, request: Request, pk: str) -> Response:
        model = self.get_object()
        if request.method == "GET":
            return Response(VersionSerializer(model.versions.order_by("-number"), many=True).data)
        data = _valid(SaveSerializer, request.data)
        base = _base_version(request)
        saved = refusals(
            lambda: services.save_version(
                model.id, data["xml"].encode(), author=request.user.get_username(), message=data["message"], base=base
            )
        )
        created = saved.number != base
        response = Response(VersionSerializer(saved).data, status=status.HTTP_201_CREATED if created else 200)
        response["ETag"] = f'"{saved.number}"'
        return response

    @extend_schema(responses=VersionDetailSerializer, summary="One version, with its XML")
    @action(detail=True, methods=["get"], url_path=r"versions/(?P<number>[0-9]+)")
    def version(self, request: Request, pk: str, number: str) -> Response:
        return Response(VersionDetailSerializer(self._version(int(number))).data)

    @extend_schema(
        responses=DiffSerializer,
        parameters=[OpenApiParameter("against", int, required=True, description="the version to compare with")],
        summary="What this version added, removed and changed against another",
    )
    @action(detail=True, methods=["get"], url_path=r"versions/(?P<number>[0-9]+)/diff")
    def diff(self, request: Request, pk: str, number: str) -> Response:
        against = request.query_params.get("against", "")
        if not against.isdigit():
            raise ValidationError({"against": "Give the number of the version to compare with."})
        newer, older = self._version(int(number)), self._version(int(against))
        return Response(diff.compare(older.xml.encode(), newer.xml.encode()))

    @extend_schema(
        request=None,
        responses={201: VersionSerializer},
        parameters=[IF_MATCH],
        summary="Make an old version's content the latest again",
    )
    @action(detail=True, methods=["post"], url_path=r"versions/(?P<number>[0-9]+)/restore")
    def restore(self, request: Request, pk: str, number: str) -> Response:
        self._version(int(number))
        base = _base_version(request)
        model = self.get_object()
        saved = refusals(lambda: services.restore(model.id, int(number), author=request.user.get_username(), base=base))
        response = Response(VersionSerializer(saved).data, status=status.HTTP_201_CREATED)
        response["ETag"] = f'"{saved.number}"'
        return response

    @extend_schema(request=DeploySerializer, responses={201: DeployedSerializer}, summary="Deploy a version")
    @action(detail=True, methods=["post"])
    def deploy(self, request: Request, pk: str) -> Response:
        model = self.get_object()
        data = _valid(DeploySerializer, request.data or {})
        if "version" in data:
            self._version(data["version"])
        try:
            chosen, result = services.deploy(model.id, version=data.get("version"), user=request.user.get_username())
        except DeploymentRefused as refused:
            raise ModelInvalid([problem_dict(problem) for problem in refused.problems]) from refused
        body = {
            "deployment": result.deployment.id,
            "model_version": chosen.number,
            "created": result.created,
            "definitions": result.definitions,
            "warnings": [problem_dict(problem) for problem in result.problems],
        }
        return Response(DeployedSerializer(body).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=DeployedVersionSerializer(many=True), summary="The deployed versions and their counts")
    @action(detail=True, methods=["get"])
    def deployed(self, request: Request, pk: str) -> Response:
        return Response(DeployedVersionSerializer(selectors.deployed_versions(self.get_object()), many=True).data)

    @extend_schema(
        responses=DeployedDetailSerializer,
        parameters=[OpenApiParameter("definition_id", str, OpenApiParameter.PATH, description="a deployed definition")],
        summary="A deployed version's XML and counts per element",
    )
    @action(detail=True, methods=["get"], url_path=r"deployed/(?P<definition_id>[^/.]+)")
    def deployed_version(self, request: Request, pk: str, definition_id: str) -> Response:
        model = self.get_object()
        try:
            definition = selectors.definition_of(model, definition_id)
        except (ValueError, selectors.ProcessDefinition.DoesNotExist) as missing:
            raise NotFound(f"The model has no deployed version {definition_id}.") from missing
        body = {"xml": definition.deployment.source_xml, "elements": selectors.element_counts(definition)}
        return Response(DeployedDetailSerializer(body).data)

    @extend_schema(request=SaveAsTemplateSerializer, responses={201: TemplateSerializer}, summary="Save as template")
    @action(detail=True, methods=["post"], url_path="save-as-template")
    def save_as_template(self, request: Request, pk: str) -> Response:
        model = self.get_object()
        data = _valid(SaveAsTemplateSerializer, request.data or {})
        made = refusals(
            lambda: services.save_as_template(
                model.id,
                key=data["key"],
                name=data["name"],
                description=data["description"],
                user=request.user.get_username(),
            )
        )
        body = {"key": made.key, "name": made.name, "description": made.description, "starter": False}
        return Response(TemplateSerializer(body).data, status=status.HTTP_201_CREATED)

    def _version(self, number: int) -> ModelVersion:
        model = self.get_object()
        found = model.versions.filter(number=number).first()
        if found is None:
            raise NotFound(f"The model has no version {number}.")
        return found


class ModelTemplateViewSet(viewsets.GenericViewSet[Any]):
    permission_classes = [ActionPermission]
    required_action = Action.DESIGN_PROCESSES
    serializer_class = TemplateSerializer
    pagination_class = None

    @extend_schema(responses=TemplateSerializer(many=True), summary="Templates a new model may start from")
    def list(self, request: Request) -> Response:
        return Response(TemplateSerializer(templates.available(), many=True).data)


def _valid(serializer_class: type[serializers.Serializer[Any]], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _base_version(request: Request) -> int:
    header = request.headers.get("If-Match", "")
    found = re.fullmatch(r'\s*(?:W/)?"?([0-9]+)"?\s*', header)
    if not header:
        raise PreconditionRequired()
    if found is None:
        raise ValidationError({"If-Match": 'Give the version the change is based on, such as "3".'})
    return int(found.group(1))


def refusals(call: Any) -> Any:
    """Run a service call; its refusals as problems."""
    try:
        return call()
    except services.ModelTooLarge as large:
        raise PayloadTooLarge(str(large)) from large
    except services.ModelRefused as refused:
        raise ModelInvalid([problem_dict(problem) for problem in refused.problems]) from refused
    except services.VersionConflict as stale:
        raise VersionConflict(str(stale), stale.current) from stale
    except services.BaseVersionMissing as missing:
        raise PreconditionRequired() from missing
    except services.KeyTaken as taken:
        raise Conflict(str(taken)) from taken
    except services.TemplateUnknown as unknown:
        raise ValidationError({"template": str(unknown)}) from unknown


def _with_etag(response: Response, model: ProcessModel) -> Response:
    response["ETag"] = f'"{model.latest_version}"'
    return response
