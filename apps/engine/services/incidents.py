"""What an operator does about an incident: retry what failed, or mark it resolved by hand.

Retrying depends on what failed: a job that used up its attempts gets new ones (due at once);
an external task that ran out of retries gets new retries and can be fetched again; a token
stopped in the model (an expression, a script, a handler, an uncaught error) enters its element
again, after the operator has fixed what was wrong (the variables, a deployment). Each action
is recorded with who and why; an incident is resolved once.
"""

from __future__ import annotations

import uuid

from django.db import transaction

from apps.engine import clock, runtime
from apps.engine.handlers import registered_handlers
from apps.engine.models import (
    ExternalTask,
    Incident,
    InstanceState,
    Job,
    OperatorAction,
    OperatorActionKind,
    ProcessInstance,
    new_text_id,
)
from apps.engine.services import outbox
from apps.engine.services.compiled import compiled_process
from apps.engine.services.operations import TransitionRefused
from apps.engine.services.store import load_snapshot, lock_instance, write_step

JOB_FAILED = "job-failed"
EXTERNAL_TASK_FAILED = "failed-external-task"


def retry_incident(incident_id: uuid.UUID, *, actor: str, reason: str = "", retries: int = 1) -> Incident:
    """Try again what the incident stopped; ``retries``: attempts a job or external task gets."""
    with transaction.atomic():
        instance_id = Incident.objects.filter(id=incident_id).values_list("instance_id", flat=True).get()
        instance = lock_instance(instance_id)  # every trigger's lock order: the instance first
        incident = _open(incident_id)
        if incident.kind == JOB_FAILED:
            job = Job.objects.select_for_update().get(instance=instance, token_id=incident.token_id)
            job.attempts = max(0, job.max_attempts - retries)
            job.due_at, job.last_error = clock.now(), ""
            job.save(update_fields=["attempts", "due_at", "last_error"])
        elif incident.kind == EXTERNAL_TASK_FAILED:
            task = ExternalTask.objects.select_for_update().get(instance=instance, token_id=incident.token_id)
            task.retries, task.locked_until, task.worker_id = retries, None, ""
            task.save(update_fields=["retries", "locked_until", "worker_id"])
        else:
            if instance.state not in (InstanceState.ACTIVE, InstanceState.FAILED):
                raise TransitionRefused(f"The instance is {instance.state}; its incidents cannot be retried.")
            now = clock.now()
            step = runtime.retry(
                compiled_process(instance.definition),
                load_snapshot(instance),
                str(incident.token_id),
                now=now,
                new_id=new_text_id,
                handlers=registered_handlers(),
            )
            write_step(instance, step, now=now, actor=actor)
        _resolve(instance, incident, OperatorActionKind.RETRY_INCIDENT, actor, reason)
    return incident


def resolve_incident(incident_id: uuid.UUID, *, actor: str, reason: str = "") -> Incident:
    """Mark the incident resolved without retrying (the operator fixed it another way)."""
    with transaction.atomic():
        instance_id = Incident.objects.filter(id=incident_id).values_list("instance_id", flat=True).get()
        instance = lock_instance(instance_id)  # its event takes its place among the instance's
        incident = _open(incident_id)
        _resolve(instance, incident, OperatorActionKind.RESOLVE_INCIDENT, actor, reason)
    return incident


def _open(incident_id: uuid.UUID) -> Incident:
    incident = Incident.objects.select_for_update().get(id=incident_id)
    if incident.resolved_at is not None:
        raise TransitionRefused(f"The incident was resolved by {incident.resolved_by or 'the engine'} already.")
    return incident


def _resolve(instance: ProcessInstance, incident: Incident, kind: OperatorActionKind, actor: str, reason: str) -> None:
    incident.resolved_at, incident.resolved_by = clock.now(), actor
    incident.save(update_fields=["resolved_at", "resolved_by"])
    outbox.record(instance, [outbox.incident_resolved(incident, resolved_by=actor)], now=incident.resolved_at)
    OperatorAction.objects.create(
        instance_id=incident.instance_id,
        kind=kind,
        actor=actor,
        reason=reason,
        details={"incident": str(incident.id), "kind": incident.kind, "element_id": incident.element_id},
    )
