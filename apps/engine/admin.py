"""The tenant admin's view of the engine, for operators: read-only, since every change to a
running instance goes through the engine's services (which lock, record history and audit).
The one change made here, acting on incidents, calls those services too."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.engine import models
from apps.engine.runtime import TriggerRejected
from apps.engine.services import incidents, webhooks
from apps.engine.services.operations import TransitionRefused
from apps.tenancy.roles import Action, may


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DefinitionInline(admin.TabularInline):
    model = models.ProcessDefinition
    fields = ("key", "version", "name")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(models.Deployment)
class DeploymentAdmin(ReadOnlyAdmin):
    list_display = ("name", "deployed_by", "deployed_at", "checksum")
    search_fields = ("name", "checksum")
    inlines = [DefinitionInline]


@admin.register(models.ProcessDefinition)
class ProcessDefinitionAdmin(ReadOnlyAdmin):
    list_display = ("key", "version", "name", "deployed_at")
    list_filter = ("key",)
    search_fields = ("key", "name")


class ActivityInline(admin.TabularInline):
    model = models.ActivityInstance
    fields = ("element_id", "element_type", "state", "started_at", "ended_at", "duration_ms")
    readonly_fields = fields
    extra = 0
    can_delete = False


class IncidentInline(admin.TabularInline):
    model = models.Incident
    fields = ("element_id", "kind", "message", "created_at", "resolved_at")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(models.ProcessInstance)
class ProcessInstanceAdmin(ReadOnlyAdmin):
    list_display = ("id", "definition", "business_key", "state", "started_at", "ended_at")
    list_filter = ("state",)
    search_fields = ("=id", "business_key")
    list_select_related = ("definition",)
    show_full_result_count = False  # no count(*) over millions of instances
    inlines = [IncidentInline, ActivityInline]


class IncidentOptions(forms.Form):
    """What a retry grants, and why the operator acts."""

    retries = forms.IntegerField(
        min_value=1, max_value=100, initial=1, required=False, help_text="Attempts for a job or an external task"
    )
    reason = forms.CharField(max_length=2000, required=False)


class IncidentActionForm(ActionForm, IncidentOptions):
    """The action bar of the incident list, with the options beside the action."""


class OpenFilter(admin.SimpleListFilter):
    title = "open"
    parameter_name = "open"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Open"), ("no", "Resolved")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in ("yes", "no"):
            return queryset.filter(resolved_at__isnull=self.value() == "yes")
        return queryset


@admin.register(models.Incident)
class IncidentAdmin(ReadOnlyAdmin):
    """Operators retry (with the number of attempts a job or external task gets) or resolve the
    selected incidents, as ``/api/v1/incidents/{id}/retry/`` and ``…/resolve/`` do."""

    list_display = ("instance", "element_id", "kind", "message", "created_at", "resolved_at", "resolved_by")
    list_filter = (OpenFilter, "kind")
    show_full_result_count = False
    action_form = IncidentActionForm
    actions = ["retry", "resolve"]

    def has_operate_permission(self, request: HttpRequest) -> bool:
        return may(request.user, Action.OPERATE_PROCESSES)

    @admin.action(description="Retry the selected incidents", permissions=["operate"])
    def retry(self, request: HttpRequest, queryset: QuerySet[models.Incident]) -> None:
        form = IncidentOptions(request.POST)
        if not form.is_valid():
            self.message_user(request, f"Nothing was retried: {form.errors.as_text()}", messages.ERROR)
            return
        retries, reason = form.cleaned_data["retries"] or 1, form.cleaned_data["reason"] or ""
        self._act(
            request,
            queryset,
            "retried",
            lambda incident: incidents.retry_incident(
                incident.id, actor=request.user.get_username(), reason=reason, retries=retries
            ),
        )

    @admin.action(description="Mark the selected incidents resolved", permissions=["operate"])
    def resolve(self, request: HttpRequest, queryset: QuerySet[models.Incident]) -> None:
        form = IncidentOptions(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        self._act(
            request,
            queryset,
            "resolved",
            lambda incident: incidents.resolve_incident(incident.id, actor=request.user.get_username(), reason=reason),
        )

    def _act(self, request: HttpRequest, queryset: QuerySet[models.Incident], done: str, act: Any) -> None:
        """Act on each incident in a transaction of its own; report what was done and what was refused."""
        acted = 0
        for incident in queryset.order_by("created_at"):
            try:
                act(incident)
            except (TransitionRefused, TriggerRejected, models.Incident.DoesNotExist) as refused:
                self.message_user(request, f"{incident.kind} at {incident.element_id}: {refused}", messages.WARNING)
            else:
                acted += 1
        if acted:
            self.message_user(request, f"{acted} incident(s) {done}.", messages.SUCCESS)


@admin.register(models.ExternalTask)
class ExternalTaskAdmin(ReadOnlyAdmin):
    list_display = ("topic", "element_id", "instance", "worker_id", "locked_until", "retries")
    list_filter = ("topic",)
    show_full_result_count = False


@admin.register(models.Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = ("kind", "element_id", "instance", "due_at", "lock_owner", "locked_until", "attempts")
    list_filter = ("kind",)
    show_full_result_count = False


@admin.register(models.MessageSubscription)
class MessageSubscriptionAdmin(ReadOnlyAdmin):
    list_display = ("message_name", "correlation_key", "element_id", "instance", "definition", "created_at")
    search_fields = ("message_name", "correlation_key")
    show_full_result_count = False


class WebhookForm(forms.ModelForm):
    """The secret is write-only: blank on a change keeps the one set; blank on an add makes one."""

    url = forms.URLField(max_length=2000, assume_scheme="https")
    secret = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        min_length=16,
        max_length=255,
        help_text="Signs every delivery. Blank: keep the current one (or make one, for a new webhook).",
    )
    event_types = forms.CharField(
        required=False, help_text='Comma separated types or prefixes ("instance.*, incident.created"); blank: all'
    )

    class Meta:
        model = models.Webhook
        fields = ("url", "secret", "event_types", "is_active", "description")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial["event_types"] = ", ".join(self.instance.event_types or [])
        self.initial["secret"] = ""

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"]
        try:
            webhooks.check_url(url)
        except webhooks.WebhookInvalid as invalid:
            raise forms.ValidationError(str(invalid)) from invalid
        return url

    def clean_event_types(self) -> list[str]:
        text: str = self.cleaned_data["event_types"] or ""
        try:
            return webhooks.check_event_types([item.strip() for item in text.split(",") if item.strip()])
        except webhooks.WebhookInvalid as invalid:
            raise forms.ValidationError(str(invalid)) from invalid


class OperatorsOnly(admin.ModelAdmin):
    """Open to those whose role may operate processes."""

    def _operates(self, request: HttpRequest) -> bool:
        return may(request.user, Action.OPERATE_PROCESSES)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._operates(request)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._operates(request)


@admin.register(models.Webhook)
class WebhookAdmin(OperatorsOnly):
    form = WebhookForm
    list_display = ("url", "is_active", "description", "created_by", "created_at")
    list_filter = ("is_active",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._operates(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._operates(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._operates(request)

    def save_model(self, request: HttpRequest, obj: models.Webhook, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            changes = {name: data[name] for name in ("url", "event_types", "is_active", "description")}
            if data["secret"]:
                changes["secret"] = data["secret"]
            webhooks.update_webhook(obj, changes)
        else:
            created = webhooks.create_webhook(
                url=data["url"],
                secret=data["secret"],
                event_types=data["event_types"],
                description=data["description"],
                actor=request.user.get_username(),
            )
            obj.pk = created.pk


@admin.register(models.WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin, OperatorsOnly):
    """The delivery log; operators send the selected deliveries' events again."""

    list_display = ("event_id", "event_type", "webhook", "status", "attempts", "response_status", "next_attempt_at")
    list_filter = ("status", "event_type")
    list_select_related = ("webhook",)
    show_full_result_count = False
    actions = ["redeliver"]

    def has_operate_permission(self, request: HttpRequest) -> bool:
        return self._operates(request)

    @admin.action(description="Send the selected deliveries again", permissions=["operate"])
    def redeliver(self, request: HttpRequest, queryset: QuerySet[models.WebhookDelivery]) -> None:
        deliveries = list(queryset)
        for delivery in deliveries:
            webhooks.redeliver(delivery)
        self.message_user(request, f"{len(deliveries)} deliveries will be sent again.", messages.SUCCESS)
