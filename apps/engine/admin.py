"""The tenant admin's view of the engine, for operators: read-only, since every change to a
running instance goes through the engine's services (which lock, record history and audit)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.engine import models


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


@admin.register(models.Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ("instance", "element_id", "kind", "created_at", "resolved_at")
    list_filter = ("kind",)
    show_full_result_count = False


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
