"""REST endpoints for external-task workers (Camunda 7's fetch-and-lock pattern)."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from apg_wbpm.api.problems import Conflict
from apps.engine.api.requests import valid_data
from apps.engine.models import ExternalTask
from apps.engine.services import external_tasks
from apps.engine.services.instances import InstanceNotActive
from apps.tenancy.permissions import ActionPermission
from apps.tenancy.roles import Action


class TopicSerializer(serializers.Serializer[Any]):
    topic_name = serializers.CharField(max_length=255)
    lock_duration = serializers.IntegerField(min_value=1, max_value=86_400_000, help_text="milliseconds")


class FetchAndLockSerializer(serializers.Serializer[Any]):
    worker_id = serializers.CharField(max_length=255)
    max_tasks = serializers.IntegerField(min_value=1, max_value=100, default=10)
    topics = TopicSerializer(many=True, allow_empty=False)


class LockedTaskSerializer(serializers.ModelSerializer[ExternalTask]):
    instance_id = serializers.UUIDField(read_only=True)
    business_key = serializers.CharField(source="instance.business_key", read_only=True)
    variables = serializers.DictField(read_only=True, help_text="What the element sees, its local variables included")

    class Meta:
        model = ExternalTask
        fields = [
            "id",
            "topic",
            "instance_id",
            "business_key",
            "element_id",
            "priority",
            "retries",
            "error_message",
            "worker_id",
            "locked_until",
            "variables",
        ]


class WorkerSerializer(serializers.Serializer[Any]):
    worker_id = serializers.CharField(max_length=255)


class CompleteSerializer(WorkerSerializer):
    variables = serializers.DictField(required=False, default=dict)


class FailureSerializer(WorkerSerializer):
    error_message = serializers.CharField(max_length=10_000)
    retries = serializers.IntegerField(min_value=0)
    retry_timeout = serializers.IntegerField(min_value=0, default=0, help_text="milliseconds")


class ExtendLockSerializer(WorkerSerializer):
    new_duration = serializers.IntegerField(min_value=1, max_value=86_400_000, help_text="milliseconds")


class BpmnErrorSerializer(WorkerSerializer):
    error_code = serializers.CharField(max_length=255)
    error_message = serializers.CharField(required=False, default="", allow_blank=True, max_length=10_000)


class ExternalTaskViewSet(viewsets.GenericViewSet[ExternalTask]):
    permission_classes = [ActionPermission]
    required_action = Action.WORK_EXTERNAL_TASKS
    queryset = ExternalTask.objects.all()
    serializer_class = LockedTaskSerializer

    def _report(self, pk: str, report: Any) -> Response:
        try:
            task_id = uuid.UUID(pk)
            report(task_id)
        except (ValueError, ExternalTask.DoesNotExist) as missing:
            raise NotFound(f"No external task {pk}.") from missing
        except (external_tasks.ExternalTaskError, InstanceNotActive) as refused:
            raise Conflict(str(refused)) from refused
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=FetchAndLockSerializer, responses=LockedTaskSerializer(many=True))
    @action(detail=False, methods=["post"], url_path="fetch-and-lock")
    def fetch_and_lock(self, request: Request) -> Response:
        data = valid_data(FetchAndLockSerializer, request)
        topics = [external_tasks.TopicRequest(t["topic_name"], t["lock_duration"]) for t in data["topics"]]
        tasks = external_tasks.fetch_and_lock(data["worker_id"], topics, data["max_tasks"])
        return Response(LockedTaskSerializer(tasks, many=True).data)

    @extend_schema(request=CompleteSerializer, responses={204: None})
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str) -> Response:
        data = valid_data(CompleteSerializer, request)
        return self._report(
            pk, lambda task_id: external_tasks.complete_external_task(task_id, data["worker_id"], data["variables"])
        )

    @extend_schema(request=FailureSerializer, responses={204: None})
    @action(detail=True, methods=["post"])
    def failure(self, request: Request, pk: str) -> Response:
        data = valid_data(FailureSerializer, request)
        return self._report(
            pk,
            lambda task_id: external_tasks.report_failure(
                task_id,
                data["worker_id"],
                error_message=data["error_message"],
                retries=data["retries"],
                retry_timeout_ms=data["retry_timeout"],
            ),
        )

    @extend_schema(request=ExtendLockSerializer, responses={204: None})
    @action(detail=True, methods=["post"], url_path="extend-lock")
    def extend_lock(self, request: Request, pk: str) -> Response:
        data = valid_data(ExtendLockSerializer, request)
        return self._report(
            pk, lambda task_id: external_tasks.extend_lock(task_id, data["worker_id"], data["new_duration"])
        )

    @extend_schema(request=BpmnErrorSerializer, responses={204: None})
    @action(detail=True, methods=["post"], url_path="bpmn-error")
    def bpmn_error(self, request: Request, pk: str) -> Response:
        data = valid_data(BpmnErrorSerializer, request)
        return self._report(
            pk,
            lambda task_id: external_tasks.throw_bpmn_error(
                task_id, data["worker_id"], error_code=data["error_code"], error_message=data["error_message"]
            ),
        )
