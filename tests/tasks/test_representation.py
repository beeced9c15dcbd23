"""The task as the API shows it is built by hand; it must say what the serializer's fields describe."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context
from rest_framework import serializers

from apps.tasks.api.representation import task_json
from apps.tasks.api.views import TaskSerializer
from apps.tasks.models import Task
from tests.conftest import TenantInfo
from tests.tasks.test_task_api import accountants, start


def test_the_hand_built_task_is_what_drf_would_give_in_any_time_zone(alpha: TenantInfo) -> None:
    accountants(alpha, "worker")
    start(alpha)
    with schema_context(alpha.schema):
        task = Task.objects.get()
        task.candidate_users, task.owner, task.description = ["worker", "alice"], "operator", "Check it"
        task.claimed_at = task.created_at + timedelta(minutes=3, microseconds=17)
        task.follow_up_date = task.created_at + timedelta(days=1)
        task.sla_due_at = task.created_at + timedelta(hours=2)
        now = task.created_at + timedelta(hours=1, minutes=50)  # at risk
        for zone in ("UTC", "Europe/Berlin", "America/New_York"):
            with timezone.override(zone):
                described = serializers.ModelSerializer.to_representation(TaskSerializer(), task)
                described["sla_status"] = "at-risk"  # the serializer's method judges at the clock's now
                assert task_json(task, now) == described
        assert task_json(task, now)["sla_status"] == "at-risk"
