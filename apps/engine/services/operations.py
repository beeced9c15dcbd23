"""What operators do to a running instance by hand: suspend, resume, cancel. Each is audited."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F

from apps.engine import clock, hooks, runtime
from apps.engine.handlers import Handler, registered_handlers
from apps.engine.models import (
    INSTANCE_TRANSITIONS,
    ActivityInstance,
    ActivityState,
    ExternalTask,
    Incident,
    InstanceState,
    Job,
    OperatorAction,
    OperatorActionKind,
    ProcessInstance,
    Token,
    VariableChange,
    new_text_id,
)
from apps.engine.services import calls, outbox, rows
from apps.engine.services.compiled import compiled_process
from apps.engine.services.store import load_snapshot, lock_instance, write_step


class TransitionRefused(Exception):
    """The instance's state does not allow this; nothing changed."""


def _locked(instance_id: uuid.UUID) -> ProcessInstance:
    return lock_instance(instance_id)


def _move(instance: ProcessInstance, target: InstanceState) -> None:
    if target not in INSTANCE_TRANSITIONS[instance.state]:
        raise TransitionRefused(f"The instance is {instance.state}; it cannot become {target}.")
    instance.state = target


def _audit(instance: ProcessInstance, kind: OperatorActionKind, actor: str, reason: str, **details: Any) -> None:
    OperatorAction.objects.create(instance=instance, kind=kind, actor=actor, reason=reason, details=details)


def _set_state(
    instance_id: uuid.UUID, target: InstanceState, kind: OperatorActionKind, actor: str, reason: str
) -> ProcessInstance:
    """Suspend or resume an instance and, with it, the instances it called.

    Only a suspended instance resumes: a failed one becomes active again only when a
    modification gives it a token that can move.
    """
    source = InstanceState.SUSPENDED if target == InstanceState.ACTIVE else InstanceState.ACTIVE
    with transaction.atomic():
        instance = _locked(instance_id)
        if instance.state != source:
            raise TransitionRefused(f"The instance is {instance.state}; it cannot become {target}.")
        _move(instance, target)
        instance.save(update_fields=["state"])
        _audit(instance, kind, actor, reason)
        event = outbox.Event(
            outbox.INSTANCE_SUSPENDED if target == InstanceState.SUSPENDED else outbox.INSTANCE_RESUMED
        )
        outbox.record(instance, [event], now=clock.now())
        for called in calls.descendants(instance):
            if called.state == source:
                called.state = target
                called.save(update_fields=["state"])
                _audit(called, kind, actor, f"With the instance that called it ({instance.id}).")
                outbox.record(called, [event], now=clock.now())
    return instance


def suspend_instance(instance_id: uuid.UUID, *, actor: str, reason: str = "") -> ProcessInstance:
    """Stop applying triggers to the instance (and those it called) until it is resumed; tokens stay put."""
    return _set_state(instance_id, InstanceState.SUSPENDED, OperatorActionKind.SUSPEND, actor, reason)


def resume_instance(instance_id: uuid.UUID, *, actor: str, reason: str = "") -> ProcessInstance:
    """Apply triggers again (only a suspended instance may be resumed)."""
    return _set_state(instance_id, InstanceState.ACTIVE, OperatorActionKind.RESUME, actor, reason)


def cancel_instance(instance_id: uuid.UUID, *, actor: str, reason: str = "") -> ProcessInstance:
    """End the instance now, with every instance it called: tokens are removed, open activities end as cancelled."""
    with transaction.atomic():
        instance = _locked(instance_id)
        if instance.parent_id is not None:
            raise TransitionRefused(
                f"The instance was called by instance {instance.parent_id}; cancel that one, or modify it to "
                "cancel its call activity."
            )
        _move(instance, InstanceState.CANCELLED)
        now = clock.now()
        for child in ProcessInstance.objects.filter(parent=instance):
            calls.cancel_tree(child, now=now, actor=actor)
        end_as_cancelled(instance, now=now, actor=actor, reason=reason)
    return instance


def end_as_cancelled(instance: ProcessInstance, *, now: datetime, actor: str, reason: str) -> None:
    """Caller holds the instance's lock. Remove its tokens, cancel its open activities, audit it."""
    open_activities = ActivityInstance.objects.filter(instance=instance, ended_at=None)
    activities = list(open_activities.values_list("id", "element_id", "element_type", "token_id"))
    cancelled = [element_id for _, element_id, _, _ in activities]
    open_activities.update(state=ActivityState.CANCELLED, ended_at=now)
    events = [
        outbox.Event(
            outbox.ACTIVITY_CANCELLED,
            element_id,
            {"activity_instance_id": str(activity_id), "element_type": element_type, "token_id": str(token_id)},
        )
        for activity_id, element_id, element_type, token_id in activities
    ]
    tokens = Token.objects.filter(instance=instance)
    user_tasks = [str(token.id) for token in tokens if token.data.get("wait") == "user-task"]
    rows.execute(hooks.user_task_statements(hooks.UserTaskChanges(instance, [], user_tasks, now)))
    for token in tokens:
        if token.data.get("wait") == "user-task":
            hooks.announce(
                hooks.USER_TASK_CANCELLED, str(instance.id), token_id=str(token.id), element_id=token.element_id
            )
            events.append(outbox.Event(outbox.USER_TASK_CANCELLED, token.element_id, {"token_id": str(token.id)}))
    tokens.delete()
    ExternalTask.objects.filter(instance=instance).delete()
    Job.objects.filter(instance=instance).delete()
    open_incidents = Incident.objects.filter(instance=instance, resolved_at=None)
    events += [outbox.incident_resolved(incident, resolved_by="") for incident in open_incidents]
    open_incidents.update(resolved_at=now)
    instance.state = InstanceState.CANCELLED
    instance.ended_at = now
    instance.revision = F("revision") + 1  # type: ignore[assignment]
    instance.save(update_fields=["state", "ended_at", "revision"])
    instance.refresh_from_db(fields=["revision"])
    events.append(outbox.state_event(instance))
    outbox.record(instance, events, now=now)
    _audit(instance, OperatorActionKind.CANCEL, actor, reason, cancelled_activities=cancelled)
    hooks.announce(hooks.INSTANCE_ENDED, str(instance.id), state=instance.state, outcome="cancelled")


def set_variables(
    instance_id: uuid.UUID,
    variables: dict[str, Any],
    *,
    actor: str,
    reason: str = "",
    handlers: Mapping[str, Handler] | None = None,
) -> ProcessInstance:
    """Set variables of a running or suspended instance by hand; recorded in the variable history
    and audited. In an active or failed instance it is a trigger like any other, so that the
    conditional events watching them fire; a suspended one only keeps them."""
    with transaction.atomic():
        instance = _locked(instance_id)
        if instance.state not in (InstanceState.ACTIVE, InstanceState.SUSPENDED, InstanceState.FAILED):
            raise TransitionRefused(f"The instance is {instance.state}; its variables can no longer change.")
        now = clock.now()
        if instance.state == InstanceState.SUSPENDED:
            _keep_variables(instance, variables, actor=actor, now=now)
        else:
            step = runtime.set_variables(
                compiled_process(instance.definition),
                load_snapshot(instance),
                variables,
                now=now,
                new_id=new_text_id,
                handlers=handlers if handlers is not None else registered_handlers(),
            )
            write_step(instance, step, now=now, actor=actor, handlers=handlers)
        _audit(instance, OperatorActionKind.SET_VARIABLES, actor, reason, names=sorted(variables))
    return instance


def _keep_variables(instance: ProcessInstance, variables: dict[str, Any], *, actor: str, now: datetime) -> None:
    instance.variables = {**instance.variables, **variables}
    instance.revision = F("revision") + 1  # type: ignore[assignment]
    instance.save(update_fields=["variables", "revision"])
    instance.refresh_from_db(fields=["revision"])
    VariableChange.objects.bulk_create(
        [
            VariableChange(instance=instance, name=name, value=value, changed_by=actor, changed_at=now)
            for name, value in variables.items()
        ]
    )
    outbox.record(instance, [outbox.Event(outbox.VARIABLES_CHANGED, "", {"names": sorted(variables)})], now=now)


def modify_instance(
    instance_id: uuid.UUID,
    *,
    cancel: list[str],
    start_before: list[str],
    variables: dict[str, Any],
    actor: str,
    reason: str = "",
    handlers: Mapping[str, Handler] | None = None,
) -> ProcessInstance:
    """Move an active or failed instance by hand: cancel the tokens at some elements, start before others.

    Raises ``runtime.TriggerRejected`` (no token at an element, an element that cannot be started)
    or ``TransitionRefused`` having changed nothing.
    """
    with transaction.atomic():
        instance = _locked(instance_id)
        if instance.state not in (InstanceState.ACTIVE, InstanceState.FAILED):
            raise TransitionRefused(
                f"The instance is {instance.state}; only an active or failed instance can be modified."
            )
        now = clock.now()
        step = runtime.modify(
            compiled_process(instance.definition),
            load_snapshot(instance),
            cancel=cancel,
            start_before=start_before,
            variables=variables,
            now=now,
            new_id=new_text_id,
            handlers=handlers if handlers is not None else registered_handlers(),
        )
        write_step(instance, step, now=now, actor=actor, handlers=handlers)
        _audit(instance, OperatorActionKind.MODIFY, actor, reason, cancel=cancel, start_before=start_before)
    return instance
