"""``/api/v1/form-definitions/``: deploying form-js forms as files of their own, and reading them."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ParseError, ValidationError
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from apg_wbpm.api.problems import FormInvalid, PayloadTooLarge
from apps.tasks import form_definitions
from apps.tasks.models import FormDefinition
from apps.tenancy.roles import Action, may

FORM_BODY = {
    "application/json": {"type": "object", "description": "the form-js form: an id and components"},
    "multipart/form-data": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}},
}
READERS = (Action.WORK_ON_TASKS, Action.DESIGN_PROCESSES, Action.DEPLOY_PROCESSES, Action.OPERATE_PROCESSES)
VERSION = OpenApiParameter("version", int, description="this version of the key; the latest when absent")


class JsonBytesParser(BaseParser):
    """Hands a JSON body over as bytes: the form service reads it, within its size cap."""

    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> bytes:
        return bytes(stream.read()) if stream is not None else b""


class FormDefinitionPermission(BasePermission):
    """Designers and tenant admins deploy forms (as they deploy processes); whoever works on
    tasks, designs, deploys or operates processes reads them."""

    message = "Your role does not allow this action."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if getattr(view, "action", None) == "create":
            return may(user, Action.DEPLOY_PROCESSES)
        return any(may(user, allowed) for allowed in READERS)


class FormDefinitionSerializer(serializers.ModelSerializer[FormDefinition]):
    class Meta:
        model = FormDefinition
        fields = ["id", "key", "version", "version_tag", "name", "checksum", "deployed_by", "deployed_at"]


class FormDefinitionDetailSerializer(FormDefinitionSerializer):
    schema = serializers.DictField(help_text="The form-js form")

    class Meta(FormDefinitionSerializer.Meta):
        fields = [*FormDefinitionSerializer.Meta.fields, "schema"]


class FormDeployResultSerializer(FormDefinitionDetailSerializer):
    created = serializers.BooleanField(help_text="False when the form is the latest version of its key already")

    class Meta(FormDefinitionDetailSerializer.Meta):
        fields = [*FormDefinitionDetailSerializer.Meta.fields, "created"]


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("key", str, description="the form's id")],
        summary="Deployed forms, by key, newest version first",
    ),
    retrieve=extend_schema(summary="A deployed form, with its form-js schema"),
)
class FormDefinitionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[FormDefinition]):
    permission_classes = [FormDefinitionPermission]
    parser_classes = [JsonBytesParser, MultiPartParser]

    def get_serializer_class(self) -> type[FormDefinitionSerializer]:
        return FormDefinitionSerializer if self.action == "list" else FormDefinitionDetailSerializer

    def get_queryset(self) -> Any:
        forms = FormDefinition.objects.order_by("key", "-version")
        key = self.request.query_params.get("key")
        return forms.filter(key=key) if key else forms

    @extend_schema(
        request=FORM_BODY,
        responses={201: FormDeployResultSerializer, 200: FormDeployResultSerializer},
        summary="Deploy a form-js form (a .form file); the latest version again is not deployed twice",
    )
    def create(self, request: Request) -> Response:
        upload = request.FILES.get("file") if not isinstance(request.data, bytes) else None
        data = request.data if isinstance(request.data, bytes) else _upload_bytes(upload)
        name = getattr(upload, "name", "") or request.query_params.get("name", "")
        try:
            result = form_definitions.deploy_form(data, name=name, deployed_by=request.user.get_username())
        except form_definitions.FormTooLarge as too_large:
            raise PayloadTooLarge(str(too_large)) from too_large
        except form_definitions.FormRefused as refused:
            raise FormInvalid(str(refused)) from refused
        body = {**FormDefinitionDetailSerializer(result.form).data, "created": result.created}
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)

    @extend_schema(parameters=[VERSION], responses=FormDefinitionDetailSerializer, summary="A form by key")
    @action(detail=False, methods=["get"], url_path=r"key/(?P<key>[^/]+)")
    def by_key(self, request: Request, key: str) -> Response:
        raw = request.query_params.get("version", "")
        if raw and not (raw.isdigit() and int(raw) >= 1):
            raise ValidationError({"version": "A version is a whole number from 1."})
        versions = FormDefinition.objects.filter(key=key).order_by("-version")
        found = (versions.filter(version=int(raw)) if raw else versions).first()
        if found is None:
            raise NotFound(f"No form with key {key!r} is deployed{f' in version {raw}' if raw else ''}.")
        return Response(FormDefinitionDetailSerializer(found).data)


def _upload_bytes(upload: Any) -> bytes:
    """The form file of a multipart request, read no further than the size cap (and one byte)."""
    if upload is None:
        raise ParseError("Send the form as the body (Content-Type: application/json) or as the file `file`.")
    data: bytes = upload.read(form_definitions.max_bytes() + 1)
    return data
