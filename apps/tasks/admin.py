"""The tenant admin's view of human tasks: read-only (changes go through the task services)."""

from django.contrib import admin

from apps.engine.admin import ReadOnlyAdmin
from apps.tasks.models import (
    Absence,
    BusinessCalendar,
    FormDefinition,
    ReportingLine,
    RoutingRule,
    SlaRule,
    Task,
    TaskEvent,
    UserSkill,
)


class EventInline(admin.TabularInline):
    model = TaskEvent
    fields = ("kind", "actor", "at", "details")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = ("name", "state", "assignee", "process_key", "priority", "due_date", "created_at")
    list_filter = ("state", "process_key")
    search_fields = ("name", "assignee", "business_key")
    show_full_result_count = False
    inlines = [EventInline]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("process_key", "element_id", "strategy", "group", "required_skills")
    list_filter = ("strategy",)


@admin.register(UserSkill)
class UserSkillAdmin(admin.ModelAdmin):
    list_display = ("username", "skill")
    search_fields = ("username", "skill")


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin):
    list_display = ("username", "substitute", "starts_at", "ends_at")
    search_fields = ("username", "substitute")


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("working_days", "day_starts", "day_ends")


@admin.register(SlaRule)
class SlaRuleAdmin(admin.ModelAdmin):
    list_display = ("process_key", "element_id", "duration", "at_risk_percent")


@admin.register(ReportingLine)
class ReportingLineAdmin(admin.ModelAdmin):
    list_display = ("username", "manager")
    search_fields = ("username", "manager")


@admin.register(FormDefinition)
class FormDefinitionAdmin(ReadOnlyAdmin):
    """Deployed forms, read-only: a form is deployed over the API, and a version never changes."""

    list_display = ("key", "version", "version_tag", "name", "deployed_by", "deployed_at")
    list_filter = ("key",)
    search_fields = ("key", "name")
    ordering = ("key", "-version")
