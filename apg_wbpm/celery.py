"""The Celery application: Redis broker, tasks routed to the tenant schema they were sent from."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apg_wbpm.settings")

app = CeleryApp("apg_wbpm", task_cls="apps.tenancy.celery:SchemaCheckedTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
