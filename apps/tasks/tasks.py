"""Celery tasks of the task list: a few lines that call a service."""

from __future__ import annotations

from celery import shared_task
from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_context

from apps.tasks import sla


@shared_task(name="apps.tasks.tasks.escalate_tasks")
def escalate_tasks() -> int:
    """Apply the due SLA escalations of every tenant (run by the beat each minute); how many."""
    public = get_public_schema_name()
    with schema_context(public):
        schemas = list(get_tenant_model().objects.exclude(schema_name=public).values_list("schema_name", flat=True))
    applied = 0
    for schema in schemas:
        with schema_context(schema):
            applied += sla.escalate_due()
    return applied
