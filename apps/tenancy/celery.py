"""The base class of every Celery task: runs in the schema it was sent from, and checks it."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django_tenants.utils import get_public_schema_name
from tenant_schemas_celery.task import TenantTask


class TenantMismatch(RuntimeError):
    """A task found its connection on another schema than the one it was sent for."""


class SchemaCheckedTask(TenantTask):
    """tenant-schemas-celery sets the schema from the ``_schema_name`` header before the task
    runs; this refuses to run the task body if that did not happen, so a worker that just ran
    another tenant's task can never leak its schema into this one."""

    abstract = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not self.request.called_directly:
            # Without the header tenant-schemas-celery runs the task in the public schema.
            expected = sent_schema(self.request) or get_public_schema_name()
            if connection.schema_name != expected:
                raise TenantMismatch(
                    f"task {self.name} was sent for schema {expected!r} but runs in {connection.schema_name!r}"
                )
        return super().__call__(*args, **kwargs)


def sent_schema(request: Any) -> str | None:
    headers = getattr(request, "headers", None) or {}
    value = headers.get("_schema_name") if isinstance(headers, dict) else None
    return value or getattr(request, "_schema_name", None)
