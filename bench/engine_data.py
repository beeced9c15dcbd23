"""The engine's data in the benchmark tenant: the deployed models, and its instances.

Runs Django in this process, in the schema of tenant ``bench`` (``prepare`` has set up
the environment and migrated the database).
"""

from __future__ import annotations

from typing import Any

from bench.processes import FILES, model_path
from bench.provisioning import BENCH_SCHEMA

ENGINE_TABLES = (
    "engine_processinstance",
    "engine_token",
    "engine_activityinstance",
    "engine_variablechange",
    "engine_externaltask",
    "engine_incident",
    "engine_job",
    "engine_messagesubscription",
    "tasks_task",  # the human task of a waiting user task
)


def deploy_bench_models() -> dict[str, Any]:
    """Deploy every file of bench/models/ (once: identical XML deploys once); the definitions by key."""
    from django_tenants.utils import schema_context

    from apps.engine.services import deployments

    definitions = {}
    with schema_context(BENCH_SCHEMA):
        for key in FILES:
            result = deployments.deploy(model_path(key).read_bytes(), name=FILES[key], deployed_by="bench")
            definitions.update({definition.key: definition for definition in result.definitions})
    return definitions


def waiting_instances(definition: Any) -> int:
    """How many instances of ``definition`` are active in the tenant."""
    from django_tenants.utils import schema_context

    from apps.engine.models import InstanceState, ProcessInstance

    with schema_context(BENCH_SCHEMA):
        return ProcessInstance.objects.filter(definition=definition, state=InstanceState.ACTIVE).count()


def remove_instances() -> None:
    """Empty the tenant's instances and every table with rows of an instance (deployments stay).

    The tables are named one by one: history tables keep no foreign key to the instance,
    so ``TRUNCATE ... CASCADE`` alone would leave their rows behind.
    """
    from django.apps import apps
    from django.db import connection
    from django_tenants.utils import schema_context

    from apps.engine.models import ProcessInstance

    tables = [
        model._meta.db_table
        for model in apps.get_app_config("engine").get_models()
        if model is ProcessInstance or any(field.name == "instance" for field in model._meta.fields)
    ]
    with schema_context(BENCH_SCHEMA), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
