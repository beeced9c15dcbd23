"""The tenant admin's view of process models: read-only, since every change is a version made
through the designer; templates a tenant saved may be removed here."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.designer.models import ModelDeployment, ModelVersion, ProcessModel, TenantTemplate
from apps.engine.admin import ReadOnlyAdmin


class VersionInline(admin.TabularInline):
    model = ModelVersion
    fields = ("number", "message", "author", "created_at", "checksum")
    readonly_fields = fields
    extra = 0
    can_delete = False


class DeploymentInline(admin.TabularInline):
    model = ModelDeployment
    fields = ("version", "deployment", "deployed_by", "deployed_at")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(ProcessModel)
class ProcessModelAdmin(ReadOnlyAdmin):
    list_display = ("name", "key", "latest_version", "owner", "updated_at")
    search_fields = ("name", "key", "description", "owner")
    inlines = [VersionInline, DeploymentInline]


@admin.register(TenantTemplate)
class TenantTemplateAdmin(ReadOnlyAdmin):
    list_display = ("name", "key", "created_by", "created_at")
    search_fields = ("name", "key", "description")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)
