"""The scheduler: find the tenants with due jobs on the database's clock and wake a worker for each.

One statement asks every tenant schema at once whether it has a job due (an index probe
each). Two schedulers running at once send two wake-ups for a tenant; the second worker
finds the jobs claimed (``SKIP LOCKED``) and returns: an extra poll, never a second run.
"""

from __future__ import annotations

from django.db import connection
from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_context

from apps.engine import clock
from apps.engine.models import InstanceState


def tenants_with_due_jobs() -> list[str]:
    """The schemas holding a job that a worker could claim now."""
    public = get_public_schema_name()
    with schema_context(public):
        tenants = get_tenant_model().objects.exclude(schema_name=public)
        schemas = list(tenants.values_list("schema_name", flat=True))
    if not schemas:
        return []
    now_sql, now_parameters = clock.sql_now()
    probes, parameters = [], []
    for schema in schemas:
        quoted = connection.ops.quote_name(schema)
        probes.append(
            f"SELECT %s WHERE EXISTS (SELECT 1 FROM {quoted}.engine_job AS job "  # noqa: S608 - quoted schema names
            f"LEFT JOIN {quoted}.engine_processinstance AS instance ON instance.id = job.instance_id "
            f"WHERE job.due_at <= {now_sql} AND (job.locked_until IS NULL OR job.locked_until < {now_sql}) "
            "AND job.attempts < job.max_attempts AND (job.instance_id IS NULL OR instance.state = %s))"
        )
        parameters += [schema, *now_parameters, *now_parameters, InstanceState.ACTIVE]
    with schema_context(public), connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(probes), parameters)
        return [row[0] for row in cursor.fetchall()]


def wake_due_tenants() -> list[str]:
    """Send one ``run_due_jobs`` task to each tenant with due jobs; the schemas woken."""
    from apps.engine.tasks import run_due_jobs

    due = tenants_with_due_jobs()
    for schema in due:
        with schema_context(schema):
            run_due_jobs.delay()
    return due
