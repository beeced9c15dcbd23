"""``manage.py ping_worker acme``: send a task in a tenant's schema and show what the worker saw."""

from typing import Any

from celery.exceptions import TimeoutError as CeleryTimeoutError
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from apps.tenancy.models import Tenant
from apps.tenancy.tasks import describe_tenant


class Command(BaseCommand):
    help = "Check that a Celery worker runs tasks in the given tenant's schema."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("schema_name")
        parser.add_argument("--timeout", type=float, default=10.0)

    def handle(self, *args: Any, **options: Any) -> None:
        schema_name = options["schema_name"]
        if not Tenant.objects.filter(schema_name=schema_name).exists():
            raise CommandError(f"No tenant {schema_name!r}.")
        with schema_context(schema_name):
            result = describe_tenant.delay()
        try:
            report = result.get(timeout=options["timeout"])
        except CeleryTimeoutError as error:
            raise CommandError(f"No Celery worker ran the task within {options['timeout']:g} s.") from error
        if report["schema"] != schema_name:
            raise CommandError(f"The worker ran the task in {report['schema']!r}, not {schema_name!r}.")
        self.stdout.write(f"Worker ran the task in schema {report['schema']} and saw {len(report['users'])} users.")
