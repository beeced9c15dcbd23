"""``/api/v1/tasks/``: the task list, and claiming, giving back, assigning and completing tasks."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from apg_wbpm.api.problems import Conflict, FormNotFound
from apps.engine import clock
from apps.engine.api.requests import valid_data
from apps.tasks import attachments, form_definitions, forms, selectors, services, sla
from apps.tasks.api import representation
from apps.tasks.models import Task, TaskAttachment, TaskComment, TaskEvent
from apps.tenancy.roles import Action, may

ORDERINGS = selectors.ORDERINGS


class TaskSerializer(serializers.ModelSerializer[Task]):
    instance = serializers.UUIDField(source="instance_id", read_only=True)
    sla_status = serializers.SerializerMethodField(help_text="none, on-track, at-risk or breached")

    def get_sla_status(self, task: Task) -> str:
        return sla.status(task, clock.now())

    def to_representation(self, task: Task) -> dict[str, Any]:
        return representation.task_json(task)

    class Meta:
        model = Task
        fields = [
            "id",
            "name",
            "description",
            "state",
            "instance",
            "process_key",
            "business_key",
            "element_id",
            "assignee",
            "owner",
            "candidate_users",
            "candidate_groups",
            "priority",
            "due_date",
            "follow_up_date",
            "form_key",
            "assignment_reason",
            "sla_due_at",
            "sla_status",
            "created_at",
            "claimed_at",
            "completed_at",
            "ended_at",
        ]


class TaskCommentSerializer(serializers.ModelSerializer[TaskComment]):
    class Meta:
        model = TaskComment
        fields = ["id", "author", "text", "mentions", "created_at"]
        read_only_fields = ["id", "author", "mentions", "created_at"]


class TaskAttachmentSerializer(serializers.ModelSerializer[TaskAttachment]):
    class Meta:
        model = TaskAttachment
        fields = ["id", "name", "content_type", "size", "uploaded_by", "created_at"]


class AttachmentUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="multipart/form-data; its content type and name must agree")


class TaskEventSerializer(serializers.ModelSerializer[TaskEvent]):
    class Meta:
        model = TaskEvent
        fields = ["kind", "actor", "at", "details"]


class TaskAssignmentSerializer(serializers.Serializer[Any]):
    assignee = serializers.CharField(max_length=150)


class TaskCompletionSerializer(serializers.Serializer[Any]):
    variables = serializers.DictField(required=False, default=dict)


class TaskFormSerializer(serializers.Serializer[Any]):
    schema = serializers.DictField(
        help_text="The form-js form that renders it: the task's own, else one generated from camunda:formData"
    )
    fields = serializers.ListField(  # type: ignore[assignment]
        child=serializers.DictField(),
        help_text="id, label, type, required, readonly, default, values (an enum's), constraints, value",
    )


class TaskChangeSerializer(serializers.Serializer[Any]):
    priority = serializers.IntegerField(required=False, min_value=0, max_value=1000)
    due_date = serializers.DateTimeField(required=False, allow_null=True)
    follow_up_date = serializers.DateTimeField(required=False, allow_null=True)


class TaskCountsSerializer(serializers.Serializer[Any]):
    mine = serializers.IntegerField(help_text="Open tasks assigned to you")
    offered = serializers.IntegerField(help_text="Open, unassigned tasks offered to you")
    overdue = serializers.IntegerField(help_text="Of those, past their due date")


class BulkSerializer(serializers.Serializer[Any]):
    action = serializers.ChoiceField(choices=services.BULK_ACTIONS)
    tasks = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=100)
    assignee = serializers.CharField(required=False, max_length=150, help_text="For assign")
    variables = serializers.DictField(required=False, default=dict, help_text="For complete")

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if data["action"] == "assign" and not data.get("assignee"):
            raise serializers.ValidationError({"assignee": "Give the user to assign the tasks to."})
        return data


class BulkResultSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    status = serializers.IntegerField(help_text="What this task alone would have answered: 200, 400, 403, 404, 409")
    detail = serializers.CharField(allow_blank=True)
    problems = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="For a 400: the values that do not fit the task's form, per field",
    )


class TaskPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_ordering(self, request: Request, queryset: Any, view: Any) -> tuple[str, ...]:
        requested = request.query_params.get("ordering", "-priority")
        if requested not in ORDERINGS:
            raise ValidationError({"ordering": f"Give one of {', '.join(ORDERINGS)}."})
        return ORDERINGS[requested]


ATTACHMENT_ID = OpenApiParameter("attachment_id", str, OpenApiParameter.PATH, description="the attachment's id")
LIST_PARAMETERS = [
    OpenApiParameter("list", str, enum=["mine", "offered", "all"], description="mine (default with offered: both)"),
    OpenApiParameter("state", str, description="open (default), or a state: completed, cancelled..."),
    OpenApiParameter("assignee", str),
    OpenApiParameter("candidate_group", str),
    OpenApiParameter("process_key", str),
    OpenApiParameter("business_key", str),
    OpenApiParameter("priority_min", int),
    OpenApiParameter("due_before", str, description="ISO 8601"),
    OpenApiParameter("due_after", str, description="ISO 8601"),
    OpenApiParameter("due_within_days", int, description="due within this many days from now (0 to 3660)"),
    OpenApiParameter("overdue", bool),
    OpenApiParameter("follow_up_before", str, description="ISO 8601"),
    OpenApiParameter("q", str, description="words in the name or description"),
    OpenApiParameter(
        "variables",
        str,
        description="process variable conditions name_op_value, comma-separated; op: eq, neq, gt, gteq, lt, lteq, like",
    ),
    OpenApiParameter("ordering", str, enum=list(ORDERINGS)),
    OpenApiParameter("filter", str, description="a saved filter's id: its parameters, under these"),
]


class TaskPermission(BasePermission):
    """Task workers work on tasks; operators (and tenant admins) see and assign every task."""

    message = "Your role does not allow working on tasks."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        authenticated = bool(user and user.is_authenticated)
        return authenticated and (may(user, Action.WORK_ON_TASKS) or may(user, Action.OPERATE_PROCESSES))


@extend_schema_view(list=extend_schema(parameters=LIST_PARAMETERS))
class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Task]):
    permission_classes = [TaskPermission]
    serializer_class = TaskSerializer
    pagination_class = TaskPagination

    def get_queryset(self) -> QuerySet[Task]:
        user = self.request.user
        visible = services.visible_to(user)
        if self.action != "list":
            return visible
        try:
            return selectors.filtered(visible, _with_saved_filter(self.request.query_params, user), user)
        except selectors.ListParameterInvalid as invalid:
            raise ValidationError({invalid.name: invalid.message}) from invalid
        except selectors.ListNotAllowed as refused:
            raise PermissionDenied(str(refused)) from refused

    @extend_schema(request=None, responses=TaskSerializer, summary="Claim the task")
    @action(detail=True, methods=["post"])
    def claim(self, request: Request, pk: str) -> Response:
        return self._change(pk, lambda task_id: services.claim(task_id, request.user))

    @extend_schema(request=None, responses=TaskSerializer, summary="Give the task back")
    @action(detail=True, methods=["post"])
    def unclaim(self, request: Request, pk: str) -> Response:
        return self._change(pk, lambda task_id: services.unclaim(task_id, request.user))

    @extend_schema(request=TaskAssignmentSerializer, responses=TaskSerializer, summary="Assign the task")
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str) -> Response:
        data = valid_data(TaskAssignmentSerializer, request)
        return self._change(pk, lambda task_id: services.assign(task_id, request.user, data["assignee"]))

    @extend_schema(request=TaskCompletionSerializer, responses=TaskSerializer, summary="Complete the task")
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str) -> Response:
        data = valid_data(TaskCompletionSerializer, request)
        return self._change(pk, lambda task_id: services.complete(task_id, request.user, data["variables"]))

    @extend_schema(request=TaskAssignmentSerializer, responses=TaskSerializer, summary="Delegate the task")
    @action(detail=True, methods=["post"])
    def delegate(self, request: Request, pk: str) -> Response:
        data = valid_data(TaskAssignmentSerializer, request)
        return self._change(pk, lambda task_id: services.delegate(task_id, request.user, data["assignee"]))

    @extend_schema(request=None, responses=TaskSerializer, summary="Resolve a delegated task: back to its owner")
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        return self._change(pk, lambda task_id: services.resolve(task_id, request.user))

    @extend_schema(request=TaskChangeSerializer, responses=TaskSerializer, summary="Set priority, due or follow-up")
    def partial_update(self, request: Request, pk: str) -> Response:
        data = valid_data(TaskChangeSerializer, request)
        return self._change(pk, lambda task_id: services.update(task_id, request.user, data))

    @extend_schema(responses=TaskCountsSerializer, summary="How many tasks wait for you")
    @action(detail=False, methods=["get"])
    def counts(self, request: Request) -> Response:
        counts = selectors.counts_for(request.user)
        return Response(TaskCountsSerializer(counts).data)

    @extend_schema(request=BulkSerializer, responses=BulkResultSerializer(many=True), summary="Act on many tasks")
    @action(detail=False, methods=["post"])
    def bulk(self, request: Request) -> Response:
        """Claim, give back, assign or complete each task on its own (a transaction each); the
        answer lists what each would have answered alone."""
        data = valid_data(BulkSerializer, request)
        try:
            outcomes = services.act_on_each(
                request.user,
                data["action"],
                data["tasks"],
                assignee=data.get("assignee", ""),
                variables=data["variables"],
            )
        except services.AssigneeUnknown as unknown:
            raise ValidationError({"assignee": str(unknown)}) from unknown
        return Response(BulkResultSerializer(outcomes, many=True).data)

    @extend_schema(responses=TaskFormSerializer, summary="The task's form, with the current values")
    @action(detail=True, methods=["get"])
    def form(self, request: Request, pk: str) -> Response:
        task = self.get_object()
        try:
            fields, schema = forms.form_of(task)
        except form_definitions.FormNotFound as missing:
            raise form_not_found(missing) from missing
        return Response(forms.as_json(fields, dict(task.instance.variables), schema))

    @extend_schema(
        methods=["GET"], responses=TaskCommentSerializer(many=True), summary="The task's comments, oldest first"
    )
    @extend_schema(methods=["POST"], request=TaskCommentSerializer, responses={201: TaskCommentSerializer})
    @action(detail=True, methods=["get", "post"])
    def comments(self, request: Request, pk: str) -> Response:
        if request.method == "GET":
            task = self.get_object()
            return Response(TaskCommentSerializer(task.comments.order_by("created_at", "id"), many=True).data)
        data = valid_data(TaskCommentSerializer, request)
        try:
            made = services.comment(self._visible_id(pk), request.user, data["text"])
        except Task.DoesNotExist as missing:
            raise NotFound(f"No task {pk}.") from missing
        return Response(TaskCommentSerializer(made).data, status=201)

    @extend_schema(methods=["GET"], responses=TaskAttachmentSerializer(many=True), summary="The task's attachments")
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: TaskAttachmentSerializer},
        summary="Attach a file",
    )
    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser])
    def attachments(self, request: Request, pk: str) -> Response:
        task = self.get_object()
        if request.method == "GET":
            return Response(TaskAttachmentSerializer(task.attachments.order_by("created_at"), many=True).data)
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": "Send the file as the multipart field file."})
        try:
            made = attachments.add(task, request.user, upload.name or "", upload.content_type or "", upload)
        except attachments.AttachmentRefused as refused:
            raise ValidationError({"file": str(refused)}) from refused
        return Response(TaskAttachmentSerializer(made).data, status=201)

    @extend_schema(
        methods=["GET"],
        parameters=[ATTACHMENT_ID],
        responses={(200, "application/octet-stream"): bytes},
        summary="Download an attachment",
    )
    @extend_schema(
        methods=["DELETE"], parameters=[ATTACHMENT_ID], responses={204: None}, summary="Remove an attachment"
    )
    @action(detail=True, methods=["get", "delete"], url_path=r"attachments/(?P<attachment_id>[^/.]+)")
    def attachment(self, request: Request, pk: str, attachment_id: str) -> Any:
        task = self.get_object()
        try:
            found = attachments.attachment_of(task, attachment_id)
        except TaskAttachment.DoesNotExist as missing:
            raise NotFound(str(missing)) from missing
        if request.method == "DELETE":
            if found.uploaded_by != request.user.get_username() and not may(request.user, Action.OPERATE_PROCESSES):
                raise PermissionDenied("Only who attached it (or an operator) removes an attachment.")
            attachments.remove(found)
            return Response(status=204)
        return FileResponse(
            attachments.open_file(found), as_attachment=True, filename=found.name, content_type=found.content_type
        )

    @extend_schema(responses=TaskEventSerializer(many=True), summary="The task's history")
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk: str) -> Response:
        task = self.get_object()
        return Response(TaskEventSerializer(task.events.order_by("at", "id"), many=True).data)

    def _change(self, pk: str, change: Callable[[uuid.UUID], Task]) -> Response:
        task_id = self._visible_id(pk)
        try:
            task = change(task_id)
        except Task.DoesNotExist as missing:
            raise NotFound(f"No task {pk}.") from missing
        except services.TaskConflict as conflict:
            raise Conflict(str(conflict)) from conflict
        except services.TaskForbidden as forbidden:
            raise PermissionDenied(str(forbidden)) from forbidden
        except services.AssigneeUnknown as unknown:
            raise ValidationError({"assignee": str(unknown)}) from unknown
        except services.FormInvalid as invalid:
            raise ValidationError({"variables": invalid.problems}) from invalid
        except form_definitions.FormNotFound as missing:
            raise form_not_found(missing) from missing
        return Response(TaskSerializer(task).data)

    def _visible_id(self, pk: str) -> uuid.UUID:
        """The task's id: the service decides who may act on it (403) and whether it still can
        be (409); a task of another tenant is simply not there."""
        try:
            return uuid.UUID(pk)
        except ValueError as invalid:
            raise NotFound(f"No task {pk}.") from invalid


def form_not_found(missing: form_definitions.FormNotFound) -> FormNotFound:
    return FormNotFound(str(missing), missing.reference.as_json())


def _with_saved_filter(params: Any, user: Any) -> Any:
    """The query parameters, under those of the saved filter ``filter`` names (the request's win)."""
    if not params.get("filter"):
        return params
    try:
        saved_id = uuid.UUID(params["filter"])
    except ValueError as invalid:
        raise ValidationError({"filter": "Give the id of a saved filter."}) from invalid
    saved = services.filters_for(user).filter(id=saved_id).first()
    if saved is None:
        raise ValidationError({"filter": "No saved filter of yours or of your groups has this id."})
    return {**saved.query, **{name: params[name] for name in params if name != "filter"}}
