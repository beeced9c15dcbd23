"""Celery tasks of the tenancy app: each is a few lines around a service and safe to run twice."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import connection

from apg_wbpm import health


@shared_task(name="apps.tenancy.tasks.describe_tenant")
def describe_tenant() -> dict[str, Any]:
    """Report the schema this task ran in and what it sees there (``manage.py ping_worker``)."""
    return {
        "schema": connection.schema_name,
        "users": sorted(get_user_model().objects.values_list("username", flat=True)),
    }


@shared_task(name="apps.tenancy.tasks.record_scheduler_heartbeat")
def record_scheduler_heartbeat() -> None:
    """Sent by the scheduler (celery beat) every few seconds; /ready reports when it last arrived."""
    health.record_scheduler_heartbeat()
