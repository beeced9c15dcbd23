"""Reading an instance into a snapshot and writing a step back: the imperative shell of the engine.

Callers hold a transaction and the instance row's lock (``SELECT ... FOR UPDATE``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import connection
from psycopg.types.json import Jsonb
from uuid6 import uuid7

from apps.engine import clock, hooks
from apps.engine.handlers import Handler
from apps.engine.models import (
    ActivityInstance,
    BufferedMessage,
    ExternalTask,
    Incident,
    InstanceState,
    Job,
    JobKind,
    MessageSubscription,
    ProcessInstance,
    SignalSubscription,
    Token,
    VariableChange,
)
from apps.engine.runtime import Outcome, Snapshot, Step, Wait, signals
from apps.engine.runtime import Token as TokenState
from apps.engine.runtime import TokenState as TokenKind
from apps.engine.runtime.boundaries import BOUNDARY_MESSAGE
from apps.engine.runtime.event_gateway import GATEWAY_MESSAGE, GATEWAY_SIGNAL
from apps.engine.services import calls, compiled, outbox, rows, wakeup


def lock_instance(instance_id: uuid.UUID) -> ProcessInstance:
    """Caller holds a transaction. The instance, locked for update (``DoesNotExist`` if none), in
    one round trip.

    An instance started by a call activity locks its root instance first: every trigger in a
    tree of calling instances takes the root's lock before any other, so a child completing
    into its caller and an operator cancelling the caller (which cancels the child) wait for
    each other instead of deadlocking.
    """
    (locked,) = rows.query([_lock_statement(instance_id)])
    return _locked_instance(instance_id, locked)


def lock_and_load(
    instance_id: uuid.UUID, also: rows.Statement, *, before: Sequence[rows.Statement] = ()
) -> tuple[ProcessInstance, Snapshot, list[Any]]:
    """Caller holds a transaction. Lock the instance (its root first, as ``lock_instance`` does),
    read its tokens and run ``also`` under the lock, in one round trip (after ``before``,
    statements that return nothing): the instance, its snapshot, and the rows ``also`` returned
    (``DoesNotExist`` if there is no instance)."""
    *_, locked, tokens, extra = rows.query([*before, _lock_statement(instance_id), (_TOKENS, [instance_id]), also])
    instance = _locked_instance(instance_id, locked)
    return instance, _snapshot(instance, tokens), extra


def _lock_statement(instance_id: uuid.UUID) -> rows.Statement:
    """Lock the instance and its root: the rows are locked in the order the sort gives them, the
    root (when there is one) first. Only instance rows are locked, not their definition's (every
    instance shares that one; it comes from this process's cache, never changing once deployed)."""
    table = ProcessInstance._meta.db_table
    columns = rows.select_columns(ProcessInstance)
    return (
        f"SELECT {columns} FROM {table} "  # noqa: S608
        f"WHERE id = ANY(ARRAY[%s::uuid, (SELECT root_id FROM {table} WHERE id = %s)]) ORDER BY id = %s FOR UPDATE",
        [instance_id, instance_id, instance_id],
    )


def _locked_instance(instance_id: uuid.UUID, locked: list[Any]) -> ProcessInstance:
    own = [row for row in locked if row[0] == instance_id]
    if not own:
        raise ProcessInstance.DoesNotExist(f"No instance {instance_id}.")
    instance = rows.model_from(ProcessInstance, own[0])
    instance.definition = compiled.definition(instance.definition_id)
    return instance


_TOKENS = f"SELECT id, element_id, scope_id, state, data FROM {Token._meta.db_table} WHERE instance_id = %s"  # noqa: S608


def load_snapshot(instance: ProcessInstance) -> Snapshot:
    """The instance's tokens and variables, as the interpreter takes them (one plain query: a
    trigger reads them every time)."""
    with connection.cursor() as cursor:
        cursor.execute(_TOKENS, [instance.id])
        return _snapshot(instance, cursor.fetchall())


def _snapshot(instance: ProcessInstance, rows_read: list[Any]) -> Snapshot:
    tokens = {
        str(token_id): TokenState(
            str(token_id),
            element_id,
            str(scope_id) if scope_id else None,
            TokenKind(state),
            data if isinstance(data, dict) else json.loads(data),
        )
        for token_id, element_id, scope_id, state, data in rows_read
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


def write_step(
    instance: ProcessInstance,
    step: Step,
    *,
    now: datetime,
    actor: str = "",
    handlers: Mapping[str, Handler] | None = None,
    new: bool = False,
    also: Sequence[rows.Statement] = (),
) -> None:
    """Write everything ``step`` changed in one round trip of multi-row statements, then start
    or cancel the instances its call activities call and, when it ends a called instance, move
    its caller on (with ``handlers`` for the instances that run).

    ``new``: the instance is not stored yet and ``step`` started it; its row is inserted as the
    step leaves it. ``also``: the caller's own statements, written in the same round trip before
    the user tasks' (a task claimed as it is completed, say).
    """
    state_before = instance.state
    _apply_to_row(instance, step, now)
    rows.execute(
        [
            *(
                rows.table(ProcessInstance).insert([_instance_row(instance)])
                if new
                else [_instance_update(instance, step, state_before)]
            ),
            *_token_statements(instance, step, now),
            *_history_statements(instance, step),
            *outbox.step_statements(instance, step, now=now, state_before=state_before, new=new),
            *_wait_statements(instance, step, now),
            *_variable_changes(instance, step, actor, now),
            *also,
            *hooks.user_task_statements(_user_task_changes(instance, step, now, actor)),
        ]
    )
    _announce(instance, step)
    outbox.wake_relay_after_commit()
    if any(wait.kind in (JobKind.ASYNC_BEFORE, JobKind.ASYNC_AFTER) for wait in step.waits):
        wakeup.wake_after_commit()
    if step.signals:
        from apps.engine.services.signals import throw_later  # it starts instances through this module

        throw_later(step.signals, now=now, actor=actor)
    if calls.involved(instance, step):
        calls.follow_up(instance, step, now=now, actor=actor, handlers=handlers)
    if any(wait.kind in SUBSCRIPTION_KINDS for wait in step.waits) and _messages_buffered():
        from apps.engine.services.messages import deliver_buffered  # it writes steps through this module

        deliver_buffered(instance, step, actor=actor)


# The waits of a step that a job row ends (its kind names the job).
JOB_WAITS = frozenset(
    {JobKind.TIMER, JobKind.ASYNC_BEFORE, JobKind.ASYNC_AFTER, JobKind.BOUNDARY_TIMER, JobKind.GATEWAY_TIMER}
)
# The message waits of a step, and what each triggers when its message comes.
SUBSCRIPTION_KINDS = {"message": "wait", BOUNDARY_MESSAGE: "boundary", GATEWAY_MESSAGE: "gateway"}
SIGNAL_SUBSCRIPTION_KINDS = {signals.SIGNAL: "wait", signals.BOUNDARY_SIGNAL: "boundary", GATEWAY_SIGNAL: "gateway"}


def _messages_buffered() -> bool:
    """Whether any message of the tenant waits in the buffer (an index probe, made only when a step subscribes)."""
    return BufferedMessage.objects.filter(expires_at__gt=clock.now()).exists()


def _instance_row(instance: ProcessInstance) -> dict[str, Any]:
    return {field.attname: getattr(instance, field.attname) for field in ProcessInstance._meta.concrete_fields}


def _instance_update(instance: ProcessInstance, step: Step, state_before: str) -> rows.Statement:
    assignments: dict[str, Any] = {"revision": instance.revision}
    if step.variables:
        assignments["variables"] = Jsonb(instance.variables)
    if instance.state != state_before:
        assignments.update(state=instance.state, ended_at=instance.ended_at)
    columns = ", ".join(f"{column} = %s" for column in assignments)
    return (
        f"UPDATE {ProcessInstance._meta.db_table} SET {columns} WHERE id = %s",  # noqa: S608 - column names only
        [*assignments.values(), instance.id],
    )


def _token_row(instance: ProcessInstance, token: TokenState, now: datetime) -> dict[str, Any]:
    return {
        "id": uuid.UUID(token.id),
        "instance_id": instance.id,
        "element_id": token.element_id,
        "scope_id": uuid.UUID(token.scope_id) if token.scope_id else None,
        "state": token.state.value,
        "data": token.data,
        "created_at": now,
    }


def _token_statements(instance: ProcessInstance, step: Step, now: datetime) -> list[rows.Statement]:
    statements = []
    table = Token._meta.db_table
    if step.tokens_removed:
        removed = [uuid.UUID(token_id) for token_id in step.tokens_removed]
        statements.append((f"DELETE FROM {table} WHERE id = ANY(%s)", [removed]))  # noqa: S608
    if step.tokens_added:
        added = [_token_row(instance, token, now) for token in step.tokens_added.values()]
        statements += rows.table(Token).insert(added)
    if step.tokens_changed:
        values = ", ".join(["(%s::uuid, %s, %s::uuid, %s, %s::jsonb)"] * len(step.tokens_changed))
        parameters = [
            value
            for token in step.tokens_changed.values()
            for value in (
                uuid.UUID(token.id),
                token.element_id,
                uuid.UUID(token.scope_id) if token.scope_id else None,
                token.state.value,
                Jsonb(token.data),
            )
        ]
        statements.append(
            (
                f"UPDATE {table} AS token SET element_id = changed.element_id, scope_id = changed.scope_id, "  # noqa: S608
                "state = changed.state, data = changed.data "
                f"FROM (VALUES {values}) AS changed (id, element_id, scope_id, state, data) "
                "WHERE token.id = changed.id",
                parameters,
            )
        )
    return statements


def _wait_row(instance: ProcessInstance, wait: Wait, now: datetime) -> dict[str, Any]:
    """The columns every row of something a token waits for has (a job, a subscription, an external task)."""
    return {
        "id": uuid7(),
        "instance_id": instance.id,
        "token_id": uuid.UUID(wait.token_id),
        "element_id": wait.element_id,
        "created_at": now,
    }


def _wait_statements(instance: ProcessInstance, step: Step, now: datetime) -> list[rows.Statement]:
    statements = []
    if step.cancelled_waits:
        cancelled = [uuid.UUID(wait.token_id) for wait in step.cancelled_waits]
        waits_of_tokens = (ExternalTask, Job, MessageSubscription, SignalSubscription)
        for table in (model._meta.db_table for model in waits_of_tokens):
            statements.append((f"DELETE FROM {table} WHERE token_id = ANY(%s)", [cancelled]))  # noqa: S608
        # A token taken away takes its incidents with it (resolved by the engine, not by a person).
        statements.append(
            (
                f"UPDATE {Incident._meta.db_table} SET resolved_at = %s "  # noqa: S608
                "WHERE token_id = ANY(%s) AND resolved_at IS NULL",
                [now, cancelled],
            )
        )
    due = [
        {**_wait_row(instance, wait, now), "kind": wait.kind, "due_at": datetime.fromisoformat(wait.details["due_at"])}
        for wait in step.waits
        if wait.kind in JOB_WAITS
    ]
    if due:
        statements += rows.table(Job).insert(due)
    subscriptions = [
        {
            **_wait_row(instance, wait, now),
            "kind": SUBSCRIPTION_KINDS[wait.kind],
            "message_name": wait.details["message_name"],
            "correlation_key": wait.details.get("correlation_key") or "",
        }
        for wait in step.waits
        if wait.kind in SUBSCRIPTION_KINDS
    ]
    if subscriptions:
        statements += rows.table(MessageSubscription).insert(subscriptions)
    signal_waits = [
        {
            **_wait_row(instance, wait, now),
            "kind": SIGNAL_SUBSCRIPTION_KINDS[wait.kind],
            "signal_name": wait.details["signal_name"],
        }
        for wait in step.waits
        if wait.kind in SIGNAL_SUBSCRIPTION_KINDS
    ]
    if signal_waits:
        statements += rows.table(SignalSubscription).insert(signal_waits)
    external = [
        {
            **_wait_row(instance, wait, now),
            "topic": wait.details["topic"],
            "priority": int(wait.details.get("priority") or 0),
        }
        for wait in step.waits
        if wait.kind == "external-task"
    ]
    if external:
        statements += rows.table(ExternalTask).insert(external)
    if step.incidents:
        incidents = [
            {
                "id": uuid7(),
                "instance_id": instance.id,
                "token_id": uuid.UUID(incident.token_id),
                "element_id": incident.element_id,
                "kind": incident.kind,
                "message": incident.message,
                "created_at": now,
            }
            for incident in step.incidents
        ]
        statements += rows.table(Incident).insert(incidents)
    return statements


def _variable_changes(instance: ProcessInstance, step: Step, actor: str, now: datetime) -> list[rows.Statement]:
    if not step.variable_changes:
        return []
    changes = [
        {
            "id": uuid7(),
            "instance_id": instance.id,
            "name": change.name,
            "value": change.value,
            "activity_instance_id": uuid.UUID(change.activity_id) if change.activity_id else None,
            "scope_token_id": uuid.UUID(change.scope_token_id) if change.scope_token_id else None,
            "changed_by": actor if change.from_trigger else "",
            "changed_at": now,
        }
        for change in step.variable_changes
    ]
    return rows.table(VariableChange).insert(changes)


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
    elif instance.state in (InstanceState.ACTIVE, InstanceState.FAILED):
        # Failed: only an operator can move it on (every token stopped by an incident); a
        # modification that starts a token again makes it active.
        instance.state = InstanceState.FAILED if step.halted else InstanceState.ACTIVE


def _user_task_changes(instance: ProcessInstance, step: Step, now: datetime, actor: str) -> hooks.UserTaskChanges:
    made = [wait for wait in step.waits if wait.kind == "user-task"]
    taken_away = [wait.token_id for wait in step.cancelled_waits if wait.kind == "user-task"]
    completed = [wait.token_id for wait in step.completed_waits if wait.kind == "user-task"]
    return hooks.UserTaskChanges(instance, made, taken_away, now, completed, actor)


def _announce(instance: ProcessInstance, step: Step) -> None:
    instance_id = str(instance.id)
    # A task created and withdrawn within the step (a terminate end event) is announced neither way.
    cancelled = {(wait.token_id, wait.element_id) for wait in step.cancelled_waits if wait.kind == "user-task"}
    created = {(wait.token_id, wait.element_id) for wait in step.waits if wait.kind == "user-task"}
    for wait in step.waits:
        if wait.kind == "user-task" and (wait.token_id, wait.element_id) not in cancelled:
            hooks.announce(
                hooks.USER_TASK_CREATED, instance_id, token_id=wait.token_id, element_id=wait.element_id, **wait.details
            )
    for wait in step.cancelled_waits:
        if wait.kind == "user-task" and (wait.token_id, wait.element_id) not in created:
            hooks.announce(hooks.USER_TASK_CANCELLED, instance_id, token_id=wait.token_id, element_id=wait.element_id)
    if step.outcome is not None:
        hooks.announce(hooks.INSTANCE_ENDED, instance_id, state=instance.state, outcome=step.outcome.value)


def _history_statements(instance: ProcessInstance, step: Step) -> list[rows.Statement]:
    statements = []
    started = [
        {
            "id": uuid.UUID(record.id),
            "instance_id": instance.id,
            "element_id": record.element_id,
            "element_type": record.element_type,
            "element_name": record.element_name,
            "token_id": uuid.UUID(record.token_id),
            "state": record.state,
            "started_at": record.started_at,
            "ended_at": record.ended_at,
            "duration_ms": 0 if record.ended_at is not None else None,
        }
        for record in step.activities.values()
        if record.started_here
    ]
    if started:
        statements += rows.table(ActivityInstance).insert(started)
    ended = [record for record in step.activities.values() if not record.started_here and record.ended_at]
    if ended:
        # Activities started by earlier triggers end in one statement, their durations computed by the database.
        values = ", ".join(["(%s::uuid, %s::timestamptz, %s)"] * len(ended))
        statements.append(
            (
                f"UPDATE {ActivityInstance._meta.db_table} AS activity "  # noqa: S608 - only placeholders
                "SET ended_at = ended.at, state = ended.state, "
                "duration_ms = (EXTRACT(EPOCH FROM (ended.at - activity.started_at)) * 1000)::bigint "
                f"FROM (VALUES {values}) AS ended (id, at, state) WHERE activity.id = ended.id",
                [value for record in ended for value in (record.id, record.ended_at, record.state)],
            )
        )
    return statements
