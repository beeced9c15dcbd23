"""The tenant admin's view of human tasks: read-only (changes go through the task services)."""

from django.contrib import admin

from apps.engine.admin import ReadOnlyAdmin
from apps.tasks.models import Task, TaskEvent


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
