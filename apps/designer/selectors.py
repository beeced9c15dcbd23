"""What a model's deployments are doing: instances running, completed and with open incidents,
per deployed version and per element (the overlays of a deployed version's viewer)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Count, Q

from apps.designer.models import ModelDeployment, ProcessModel
from apps.engine.models import ActivityInstance, ActivityState, Incident, InstanceState, ProcessDefinition

RUNNING = (InstanceState.ACTIVE, InstanceState.SUSPENDED, InstanceState.FAILED)


def deployed_versions(model: ProcessModel) -> list[dict[str, Any]]:
    """Each definition the model's deployments made, newest first, with its instance counts."""
    made = list(ModelDeployment.objects.filter(model=model).values_list("deployment_id", "version"))
    model_version = dict(made)
    definitions = (
        ProcessDefinition.objects.filter(deployment_id__in=model_version)
        .annotate(
            running=Count("instances", filter=Q(instances__state__in=RUNNING)),
            completed=Count("instances", filter=Q(instances__state=InstanceState.COMPLETED)),
        )
        .order_by("-deployed_at", "key")
    )
    open_incidents = dict(
        Incident.objects.filter(instance__definition__deployment_id__in=model_version, resolved_at=None)
        .values("instance__definition_id")
        .annotate(count=Count("id"))
        .values_list("instance__definition_id", "count")
    )
    return [
        {
            "definition_id": definition.id,
            "key": definition.key,
            "version": definition.version,
            "model_version": model_version[definition.deployment_id],
            "deployed_at": definition.deployed_at,
            "running": definition.running,  # type: ignore[attr-defined]
            "completed": definition.completed,  # type: ignore[attr-defined]
            "incidents": open_incidents.get(definition.id, 0),
        }
        for definition in definitions
    ]


def definition_of(model: ProcessModel, definition_id: Any) -> ProcessDefinition:
    """A definition one of the model's deployments made (``DoesNotExist`` otherwise)."""
    deployments = ModelDeployment.objects.filter(model=model).values("deployment_id")
    return ProcessDefinition.objects.select_related("deployment").get(id=definition_id, deployment_id__in=deployments)


def element_counts(definition: ProcessDefinition) -> dict[str, dict[str, int]]:
    """Per element of the definition: activities running now, completed, and open incidents."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"running": 0, "completed": 0, "incidents": 0})
    activities = (
        ActivityInstance.objects.filter(
            instance__definition=definition, state__in=(ActivityState.ACTIVE, ActivityState.COMPLETED)
        )
        .values("element_id", "state")
        .annotate(count=Count("id"))
    )
    for row in activities:
        counts[row["element_id"]]["running" if row["state"] == ActivityState.ACTIVE else "completed"] += row["count"]
    incidents = (
        Incident.objects.filter(instance__definition=definition, resolved_at=None)
        .values("element_id")
        .annotate(count=Count("id"))
    )
    for row in incidents:
        counts[row["element_id"]]["incidents"] += row["count"]
    return dict(counts)
