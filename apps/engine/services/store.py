"""Reading an instance into a snapshot and writing a step back: the imperative shell of the engine.

Callers hold a transaction and the instance row's lock (``SELECT ... FOR UPDATE``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import connection

from apps.engine import hooks
from apps.engine.handlers import Handler
from apps.engine.models import (
    ActivityInstance,
    ExternalTask,
    Incident,
    InstanceState,
    ProcessInstance,
    Token,
    VariableChange,
)
from apps.engine.runtime import Outcome, Snapshot, Step
from apps.engine.runtime import Token as TokenState
from apps.engine.runtime import TokenState as TokenKind
from apps.engine.services import calls


def lock_instance(instance_id: uuid.UUID) -> ProcessInstance:
    """Caller holds a transaction. The instance, locked for update (``DoesNotExist`` if none).

    An instance started by a call activity locks its root instance first: every trigger in a
    tree of calling instances takes the root's lock before any other, so a child completing
    into its caller and an operator cancelling the caller (which cancels the child) wait for
    each other instead of deadlocking.
    """
    root_id = ProcessInstance.objects.filter(id=instance_id).values_list("root_id", flat=True).first()
    if root_id is not None:
        ProcessInstance.objects.select_for_update().filter(id=root_id).values_list("id", flat=True).first()
    return ProcessInstance.objects.select_for_update().select_related("definition__deployment").get(id=instance_id)


def load_snapshot(instance: ProcessInstance) -> Snapshot:
    tokens = {
        str(row.id): TokenState(
            str(row.id), row.element_id, str(row.scope_id) if row.scope_id else None, TokenKind(row.state), row.data
        )
        for row in Token.objects.filter(instance=instance)
    }
    return Snapshot(tokens=tokens, variables=dict(instance.variables))


def visible_variables(instance: ProcessInstance, token_id: str, tokens: Mapping[str, TokenState]) -> dict[str, Any]:
    """What an expression at ``token_id`` would see: the instance's variables overlaid with the
    local variables of the token and of the scopes around it (a multi-instance element, say)."""
    layers: list[dict[str, Any]] = []
    holder = tokens.get(token_id)
    while holder is not None:
        layers.append(holder.data.get("locals") or {})
        holder = tokens.get(holder.scope_id) if holder.scope_id else None
    visible = dict(instance.variables)
    for layer in reversed(layers):
        visible.update(layer)
    return visible


def _row(instance: ProcessInstance, token: TokenState, now: datetime) -> Token:
    return Token(
        id=uuid.UUID(token.id),
        instance=instance,
        element_id=token.element_id,
        scope_id=uuid.UUID(token.scope_id) if token.scope_id else None,
        state=token.state.value,
        data=token.data,
        created_at=now,
    )


def write_step(
    instance: ProcessInstance,
    step: Step,
    *,
    now: datetime,
    actor: str = "",
    handlers: Mapping[str, Handler] | None = None,
    new: bool = False,
) -> None:
    """Write everything ``step`` changed, with bulk statements, then start or cancel the instances
    its call activities call and, when it ends a called instance, move its caller on (with
    ``handlers`` for the instances that run).

    ``new``: the instance is not stored yet and ``step`` started it; its row is inserted as the
    step leaves it, in one statement.
    """
    _apply_to_row(instance, step, now)
    if new:
        instance.save(force_insert=True)
    if step.tokens_removed:
        Token.objects.filter(id__in=[uuid.UUID(token_id) for token_id in step.tokens_removed]).delete()
    if step.tokens_added:
        Token.objects.bulk_create([_row(instance, token, now) for token in step.tokens_added.values()])
    if step.tokens_changed:
        Token.objects.bulk_update(
            [_row(instance, token, now) for token in step.tokens_changed.values()],
            ["element_id", "scope_id", "state", "data"],
        )
    _write_history(instance, step, now)
    if step.cancelled_waits:
        ExternalTask.objects.filter(token_id__in=[uuid.UUID(wait.token_id) for wait in step.cancelled_waits]).delete()
    ExternalTask.objects.bulk_create(
        [
            ExternalTask(
                instance=instance,
                token_id=uuid.UUID(wait.token_id),
                element_id=wait.element_id,
                topic=wait.details["topic"],
                priority=int(wait.details.get("priority") or 0),
                created_at=now,
            )
            for wait in step.waits
            if wait.kind == "external-task"
        ]
    )
    Incident.objects.bulk_create(
        [
            Incident(
                instance=instance,
                token_id=uuid.UUID(incident.token_id),
                element_id=incident.element_id,
                kind=incident.kind,
                message=incident.message,
                created_at=now,
            )
            for incident in step.incidents
        ]
    )
    VariableChange.objects.bulk_create(
        [
            VariableChange(
                instance=instance,
                name=change.name,
                value=change.value,
                activity_instance_id=uuid.UUID(change.activity_id) if change.activity_id else None,
                scope_token_id=uuid.UUID(change.scope_token_id) if change.scope_token_id else None,
                changed_by=actor if change.from_trigger else "",
                changed_at=now,
            )
            for change in step.variable_changes
        ]
    )
    if not new:
        fields = [
            "revision",
            *(["variables"] if step.variables else []),
            *(["state", "ended_at"] if step.outcome else []),
        ]
        instance.save(update_fields=fields)
    _announce(instance, step)
    if calls.involved(instance, step):
        calls.follow_up(instance, step, now=now, actor=actor, handlers=handlers)


def _apply_to_row(instance: ProcessInstance, step: Step, now: datetime) -> None:
    """Set the instance's fields as ``step`` leaves them. The caller holds the row's lock (or the
    row is new), so the revision read with it is current."""
    instance.revision += 1
    if step.variables:
        instance.variables = {**instance.variables, **step.variables}
    if step.outcome is not None:
        # A terminate end event completes the instance too; only an operator's modification cancels it.
        instance.state = InstanceState.CANCELLED if step.outcome is Outcome.CANCELLED else InstanceState.COMPLETED
        instance.ended_at = now


def _announce(instance: ProcessInstance, step: Step) -> None:
    instance_id = str(instance.id)
    cancelled = {wait.token_id for wait in step.cancelled_waits}
    created = {wait.token_id for wait in step.waits}
    for wait in step.waits:
        if wait.kind == "user-task" and wait.token_id not in cancelled:
            hooks.announce(
                hooks.USER_TASK_CREATED, instance_id, token_id=wait.token_id, element_id=wait.element_id, **wait.details
            )
    for wait in step.cancelled_waits:
        if wait.kind == "user-task" and wait.token_id not in created:
            hooks.announce(hooks.USER_TASK_CANCELLED, instance_id, token_id=wait.token_id, element_id=wait.element_id)
    if step.outcome is not None:
        hooks.announce(hooks.INSTANCE_ENDED, instance_id, state=instance.state, outcome=step.outcome.value)


def _write_history(instance: ProcessInstance, step: Step, now: datetime) -> None:
    started = [record for record in step.activities.values() if record.started_here]
    ActivityInstance.objects.bulk_create(
        [
            ActivityInstance(
                id=uuid.UUID(record.id),
                instance=instance,
                element_id=record.element_id,
                element_type=record.element_type,
                element_name=record.element_name,
                token_id=uuid.UUID(record.token_id),
                state=record.state,
                started_at=record.started_at,
                ended_at=record.ended_at,
                duration_ms=0 if record.ended_at is not None else None,
            )
            for record in started
        ]
    )
    ended = [record for record in step.activities.values() if not record.started_here and record.ended_at]
    if ended:
        # Activities started by earlier triggers end in one statement, their durations computed by the database.
        rows = ", ".join(["(%s::uuid, %s::timestamptz, %s)"] * len(ended))
        parameters = [value for record in ended for value in (record.id, record.ended_at, record.state)]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {ActivityInstance._meta.db_table} AS activity "  # noqa: S608 - only placeholders
                "SET ended_at = ended.at, state = ended.state, "
                "duration_ms = (EXTRACT(EPOCH FROM (ended.at - activity.started_at)) * 1000)::bigint "
                f"FROM (VALUES {rows}) AS ended (id, at, state) WHERE activity.id = ended.id",
                parameters,
            )
