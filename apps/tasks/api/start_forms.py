"""``/api/v1/process-definitions/{id}/start-form/`` and ``…/submit-form/``: a process's start form,
and starting an instance by filling it in (Camunda 7's ``startForm`` and ``submit-form``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apg_wbpm.api.problems import Conflict
from apps.engine.api.serializers import InstanceSerializer
from apps.engine.models import ProcessDefinition
from apps.tasks import form_definitions, forms, start_forms
from apps.tasks.api.views import TaskFormSerializer, form_not_found
from apps.tenancy.permissions import ActionPermission
from apps.tenancy.roles import Action


class SubmitStartFormSerializer(serializers.Serializer[Any]):
    variables = serializers.DictField(required=False, default=dict, help_text="the form's values by field id")
    business_key = serializers.CharField(required=False, default="", allow_blank=True, max_length=255)


class StartFormView(APIView):
    """Whoever may start processes may read their start forms."""

    permission_classes = [ActionPermission]
    required_action = Action.START_PROCESSES

    @extend_schema(responses=TaskFormSerializer, summary="The process's start form, for starting an instance by hand")
    def get(self, request: Request, pk: str) -> Response:
        definition = _definition(pk)
        try:
            fields, schema = start_forms.start_form(definition)
        except form_definitions.FormNotFound as missing:
            raise form_not_found(missing) from missing
        return Response(forms.as_json(fields, {}, schema))


class SubmitStartFormView(APIView):
    permission_classes = [ActionPermission]
    required_action = Action.START_PROCESSES

    @extend_schema(
        request=SubmitStartFormSerializer,
        responses={201: InstanceSerializer},
        summary="Start an instance with the start form's values, checked per field",
    )
    def post(self, request: Request, pk: str) -> Response:
        definition = _definition(pk)
        serializer = SubmitStartFormSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if start_forms.start_event_id(definition) is None:
            raise Conflict(f"The process {definition.key!r} starts by its events only, not by hand.")
        try:
            instance = start_forms.submit(
                definition,
                dict(serializer.validated_data["variables"]),
                business_key=serializer.validated_data["business_key"],
                user=request.user.get_username(),
            )
        except start_forms.StartFormInvalid as invalid:
            raise ValidationError({"variables": invalid.problems}) from invalid
        except form_definitions.FormNotFound as missing:
            raise form_not_found(missing) from missing
        return Response(InstanceSerializer(instance).data, status=status.HTTP_201_CREATED)


def _definition(pk: str) -> ProcessDefinition:
    found = ProcessDefinition.objects.select_related("deployment").filter(id=pk).first()
    if found is None:
        raise NotFound(f"No process definition {pk}.")
    return found
