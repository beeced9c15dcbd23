"""The event outbox: what happened to instances, written with the change, relayed after the commit.

Writing: every step adds its events to the round trip that writes it (``step_statements``: one
INSERT of all its events, and one INSERT ... SELECT for the incidents a cancelled token takes away);
operations outside a step call ``record``. Either way the events commit or roll back with the
change, under the instance's lock, so the ids of one instance's events follow the order of its
changes.

Relaying: after the commit a Celery task ``relay_events`` is woken for the tenant, unless one is
queued already (a marker in the broker's Redis, set with ``NX`` and cleared by the relay as it
starts, as the job scheduler does for ``run_due_jobs``): a busy tenant has at most one relay
waiting, which reads the events of every step committed before it starts. Celery beat's poll
(``wake_event_relays``) wakes it too for events still waiting, so a lost wake-up or a relay that
died delays events but never loses them. One relay per tenant runs
at a time (an advisory lock): it takes the oldest events in id order, publishes them to the
tenant's channel-layer groups (best effort), adds a delivery row for each webhook that wants
them (at-least-once, see ``webhooks``), and marks them relayed, all in one transaction.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from hashlib import sha256
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection, transaction
from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_context
from kombu.exceptions import KombuError
from psycopg.types.json import Jsonb
from redis.exceptions import RedisError

from apps.engine import clock
from apps.engine.models import (
    DeliveryStatus,
    Incident,
    InstanceState,
    JobKind,
    OutboxEvent,
    ProcessInstance,
    Webhook,
    WebhookDelivery,
)
from apps.engine.runtime import Outcome, Step, Wait
from apps.engine.services import rows, wake_marks
from apps.engine.services.compiled import compiled_process

logger = logging.getLogger(__name__)

INSTANCE_STARTED = "instance.started"
INSTANCE_COMPLETED = "instance.completed"
INSTANCE_TERMINATED = "instance.terminated"
INSTANCE_CANCELLED = "instance.cancelled"
INSTANCE_FAILED = "instance.failed"
INSTANCE_RECOVERED = "instance.recovered"
INSTANCE_SUSPENDED = "instance.suspended"
INSTANCE_RESUMED = "instance.resumed"
ACTIVITY_STARTED = "activity.started"
ACTIVITY_COMPLETED = "activity.completed"
ACTIVITY_CANCELLED = "activity.cancelled"
ACTIVITY_FAILED = "activity.failed"
VARIABLES_CHANGED = "variables.changed"
INCIDENT_CREATED = "incident.created"
INCIDENT_RESOLVED = "incident.resolved"
USER_TASK_CREATED = "user-task.created"
USER_TASK_COMPLETED = "user-task.completed"
USER_TASK_CANCELLED = "user-task.cancelled"
TIMER_SCHEDULED = "timer.scheduled"
TIMER_CANCELLED = "timer.cancelled"

EVENT_TYPES = frozenset(
    {
        INSTANCE_STARTED,
        INSTANCE_COMPLETED,
        INSTANCE_TERMINATED,
        INSTANCE_CANCELLED,
        INSTANCE_FAILED,
        INSTANCE_RECOVERED,
        INSTANCE_SUSPENDED,
        INSTANCE_RESUMED,
        ACTIVITY_STARTED,
        ACTIVITY_COMPLETED,
        ACTIVITY_CANCELLED,
        ACTIVITY_FAILED,
        VARIABLES_CHANGED,
        INCIDENT_CREATED,
        INCIDENT_RESOLVED,
        USER_TASK_CREATED,
        USER_TASK_COMPLETED,
        USER_TASK_CANCELLED,
        TIMER_SCHEDULED,
        TIMER_CANCELLED,
    }
)
# What an instance's change of state is announced as (a terminate end event: see state_event).
_STATE_EVENTS = {
    InstanceState.COMPLETED: INSTANCE_COMPLETED,
    InstanceState.CANCELLED: INSTANCE_CANCELLED,
    InstanceState.FAILED: INSTANCE_FAILED,
    InstanceState.ACTIVE: INSTANCE_RECOVERED,  # a modification or a retry moved a failed instance on
}
_TIMER_WAITS = frozenset({JobKind.TIMER, JobKind.BOUNDARY_TIMER, JobKind.GATEWAY_TIMER})
USER_TASK_WAIT = "user-task"
USER_TASK_TAG = "userTask"
MESSAGE_LIMIT = 2000  # characters of an incident's message an event carries

RELAY_BATCH = 200
RELAY_SECONDS = 2.0
# How long the "a relay is queued" marker of a tenant lives at most: it is cleared when the
# relay starts, and only matters when a message was lost with its marker set; the poll
# wakes the relay meanwhile.
OUTBOX = "outbox"  # the kind of wake-up marker of ``relay_events``
WAKE_GATHER = 0.01  # seconds a process's waker gathers commits before it wakes their relays
_LOCK_CLASS = 0x4F42  # the first key of the relay's advisory lock ("OB"); the second is the schema's hash
_GROUP_LIMIT = 99  # channels refuses group names of 100 characters or more
_OUTBOX = OutboxEvent._meta.db_table

_dumps = partial(json.dumps, default=str, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class Event:
    """One event to write: its type, the element it concerns (empty: the instance) and its details."""

    type: str
    element_id: str = ""
    payload: dict[str, Any] = field(default_factory=dict)


# --- Writing.

# The events travel as one JSON array, parsed by the database: one parameter whatever their
# number (the statement is prepared once), and one json.dumps instead of one per event.
_INSERT_EVENTS = (
    f"INSERT INTO {_OUTBOX} (instance_id, revision, type, element_id, occurred_at, payload) "  # noqa: S608
    "SELECT %s, %s, event.type, event.element_id, %s, event.payload "
    "FROM ROWS FROM (jsonb_to_recordset(%s::jsonb) AS (type text, element_id text, payload jsonb)) "
    "WITH ORDINALITY AS event (type, element_id, payload, position) ORDER BY event.position"
)
# The open incidents of tokens a step takes away, resolved by the engine: read before the
# store's UPDATE resolves them (the open-incident index finds them).
_INSERT_RESOLVED_INCIDENTS = (
    f"INSERT INTO {_OUTBOX} (instance_id, revision, type, element_id, occurred_at, payload) "  # noqa: S608
    f"SELECT %s, %s, '{INCIDENT_RESOLVED}', incident.element_id, %s, jsonb_build_object("
    "'incident_id', incident.id, 'token_id', incident.token_id, 'kind', incident.kind, 'resolved_by', '') "
    f"FROM {Incident._meta.db_table} AS incident "
    "WHERE incident.instance_id = %s AND incident.resolved_at IS NULL AND incident.token_id = ANY(%s) "
    "ORDER BY incident.created_at, incident.id"
)


def insert_statement(instance: ProcessInstance, events: Sequence[Event], now: datetime) -> rows.Statement:
    """One INSERT of ``events`` of ``instance`` at its current revision, in the order given."""
    return (
        _INSERT_EVENTS,
        [
            instance.id,
            instance.revision,
            now,
            Jsonb(
                [{"type": event.type, "element_id": event.element_id, "payload": event.payload} for event in events],
                dumps=_dumps,
            ),
        ],
    )


def step_statements(
    instance: ProcessInstance, step: Step, *, now: datetime, state_before: str, new: bool
) -> list[rows.Statement]:
    """The statements that write the events of ``step`` (the instance's row already as the step
    leaves it); they must run before the store's statements for the waits of the step."""
    statements: list[rows.Statement] = []
    if step.cancelled_waits:
        statements.append(
            (
                _INSERT_RESOLVED_INCIDENTS,
                [
                    instance.id,
                    instance.revision,
                    now,
                    instance.id,
                    [uuid.UUID(wait.token_id) for wait in step.cancelled_waits],
                ],
            )
        )
    events = step_events(instance, step, state_before=state_before, new=new)
    if events:
        statements.append(insert_statement(instance, events, now))
    return statements


def step_events(instance: ProcessInstance, step: Step, *, state_before: str, new: bool) -> list[Event]:
    """What ``step`` did, as events, in the order it did it: the start, the activities, the waits,
    the variables, the incidents, then the instance's change of state."""
    events = [_started(instance)] if new else []
    for record in step.activities.values():
        element_type, element_name = record.element_type, record.element_name
        if not record.started_here:  # the interpreter knows only the end of an activity an earlier step began
            node = compiled_process(instance.definition).nodes.get(record.element_id)
            element_type, element_name = (node.tag, node.name) if node is not None else ("", "")
        details = {"activity_instance_id": record.id, "element_type": element_type, "token_id": record.token_id}
        if element_name:
            details["element_name"] = element_name
        if record.started_here:
            events.append(Event(ACTIVITY_STARTED, record.element_id, details))
        if record.ended_at is not None:
            events.append(Event(f"activity.{record.state}", record.element_id, details))
            if element_type == USER_TASK_TAG and record.state == "completed":
                events.append(Event(USER_TASK_COMPLETED, record.element_id, {"token_id": record.token_id}))
    events += _wait_events(step.waits, step.cancelled_waits)
    if step.variable_changes:
        names = list(dict.fromkeys(change.name for change in step.variable_changes))
        events.append(Event(VARIABLES_CHANGED, "", {"names": names}))
    events += [
        Event(
            INCIDENT_CREATED,
            incident.element_id,
            {"token_id": incident.token_id, "kind": incident.kind, "message": incident.message[:MESSAGE_LIMIT]},
        )
        for incident in step.incidents
    ]
    if instance.state != state_before:
        events.append(state_event(instance, step.outcome))
    return events


def _started(instance: ProcessInstance) -> Event:
    definition = instance.definition
    return Event(
        INSTANCE_STARTED,
        "",
        {
            "process_key": definition.key,
            "process_version": definition.version,
            "definition_id": str(definition.id),
            "business_key": instance.business_key,
            "started_by": instance.started_by,
            "parent_id": str(instance.parent_id) if instance.parent_id else None,
        },
    )


def state_event(instance: ProcessInstance, outcome: Outcome | None = None) -> Event:
    """The event of the instance's new state (``outcome``: of the step that ended it)."""
    kind = INSTANCE_TERMINATED if outcome is Outcome.TERMINATED else _STATE_EVENTS[InstanceState(instance.state)]
    return Event(kind, "", {"state": instance.state, "process_key": instance.definition.key})


def _wait_events(waits: Sequence[Wait], cancelled: Sequence[Wait]) -> list[Event]:
    """User tasks created and withdrawn, timers scheduled and cancelled; one made and taken away
    within the step (a terminate end event) is announced neither way, as the hooks do."""
    made = {(wait.token_id, wait.element_id) for wait in waits}
    gone = {(wait.token_id, wait.element_id) for wait in cancelled}
    events = []
    for wait in waits:
        if (wait.token_id, wait.element_id) in gone:
            continue
        if wait.kind == USER_TASK_WAIT:
            events.append(Event(USER_TASK_CREATED, wait.element_id, {"token_id": wait.token_id, **wait.details}))
        elif wait.kind in _TIMER_WAITS:
            details = {"token_id": wait.token_id, "kind": wait.kind, "due_at": wait.details.get("due_at")}
            events.append(Event(TIMER_SCHEDULED, wait.element_id, details))
    for wait in cancelled:
        if (wait.token_id, wait.element_id) in made:
            continue
        if wait.kind == USER_TASK_WAIT:
            events.append(Event(USER_TASK_CANCELLED, wait.element_id, {"token_id": wait.token_id}))
        elif wait.kind in _TIMER_WAITS:
            events.append(Event(TIMER_CANCELLED, wait.element_id, {"token_id": wait.token_id, "kind": wait.kind}))
    return events


def incident_resolved(incident: Incident, *, resolved_by: str) -> Event:
    details = {"incident_id": str(incident.id), "token_id": str(incident.token_id), "kind": incident.kind}
    return Event(INCIDENT_RESOLVED, incident.element_id, {**details, "resolved_by": resolved_by})


def incident_created(incident: Incident) -> Event:
    details = {"incident_id": str(incident.id), "token_id": str(incident.token_id), "kind": incident.kind}
    return Event(INCIDENT_CREATED, incident.element_id, {**details, "message": incident.message[:MESSAGE_LIMIT]})


def record(instance: ProcessInstance, events: Sequence[Event], *, now: datetime) -> None:
    """Write ``events`` of ``instance`` (a change made outside a step: an operator's) in the
    caller's transaction, and wake the relay after the commit. Caller holds the instance's lock."""
    if events:
        rows.execute([insert_statement(instance, events, now)])
        wake_relay_after_commit()


# --- Waking the relay.


def wake_relay_after_commit() -> None:
    """Wake the current tenant's relay once the transaction commits, unless a wake-up of it is
    queued already (see the module). The wake-up leaves the committing thread: a thread of this
    process sends it, so a step does not wait for Redis, and the commits of one moment share it."""
    transaction.on_commit(partial(_mark_to_wake, connection.schema_name))


class _Waker:
    """The thread of this process that wakes the relays of the tenants whose events committed.

    A tenant marked before the thread takes the set is woken after its commit: the relay it
    wakes (or the one already queued) reads that commit's events. A process that ends with a
    tenant still marked leaves its events to the poll."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.marked: set[str] = set()
        self.ready = threading.Event()
        self.thread: threading.Thread | None = None
        self.pid = 0

    def mark(self, schema: str) -> None:
        with self.lock:
            self.marked.add(schema)
            if self.thread is None or self.pid != os.getpid() or not self.thread.is_alive():
                self.pid = os.getpid()  # a forked worker process starts its own thread
                self.thread = threading.Thread(target=self.run, name="outbox-waker", daemon=True)
                self.thread.start()
        self.ready.set()

    def run(self) -> None:
        while True:
            self.ready.wait()
            # Let the commits of the next moment join this wake-up: at most one Redis call per
            # tenant every WAKE_GATHER from this process, however fast its steps commit.
            time.sleep(WAKE_GATHER)
            with self.lock:
                self.ready.clear()
                schemas, self.marked = self.marked, set()
            for schema in schemas:
                try:
                    _wake(schema)
                except Exception:  # the thread must live on; the poll finds the events
                    logger.exception("could not wake the event relay of %s", schema)


_waker = _Waker()


def _mark_to_wake(schema: str) -> None:
    _waker.mark(schema)


def _wake(schema: str) -> None:
    try:
        if not wake_marks.claim(OUTBOX, schema):
            return  # a relay is queued and has not started: it will read this commit's events
    except RedisError as error:  # send it anyway: an extra relay finds nothing and returns
        logger.warning("could not mark the wake-up of the event relay of %s: %s", schema, error)
    if not send_for(schema, "relay_events"):
        clear_wake_mark(schema)  # nothing was queued: the next commit or the poll sends it


def clear_wake_mark(schema: str | None = None) -> None:
    """The relay of ``schema`` (the current tenant's) starts: a commit from now on wakes another."""
    wake_marks.clear(OUTBOX, schema or connection.schema_name)


def send_after_commit(task_name: str) -> None:
    """Send the engine's task ``task_name`` for the current tenant once the transaction commits."""
    transaction.on_commit(partial(send_for, connection.schema_name, task_name))


def send_for(schema: str, task_name: str) -> bool:
    """Send the engine's task ``task_name`` (``relay_events``, ``deliver_webhooks``) for ``schema``;
    whether it was sent. A broker that is away is logged: the poll (``wake_pending_tenants``)
    finds the work."""
    from apps.engine import tasks

    try:
        with schema_context(schema):
            getattr(tasks, task_name).delay()
    except (KombuError, RedisError, OSError) as error:
        logger.warning("could not send %s for %s: %s", task_name, schema, error)
        return False
    return True


# --- Relaying.


@dataclass(frozen=True)
class Relayed:
    events: int
    deliveries: int


def relay_pending(limit: int = RELAY_BATCH) -> Relayed:
    """Relay one batch of the tenant's oldest events (see the module); (0, 0) when none waits or
    another relay of the tenant is running (it goes on until none waits)."""
    schema = connection.schema_name
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, hashtext(%s))", [_LOCK_CLASS, schema])
        if not cursor.fetchone()[0]:
            return Relayed(0, 0)
        cursor.execute(
            f"SELECT id, instance_id, revision, type, element_id, occurred_at, payload FROM {_OUTBOX} "  # noqa: S608
            "WHERE relayed_at IS NULL ORDER BY id LIMIT %s",
            [limit],
        )
        events = [envelope(schema, OutboxEvent(*row[:6], payload=_json(row[6]))) for row in cursor.fetchall()]
        if not events:
            return Relayed(0, 0)
        publish(schema, events)
        deliveries = _fan_out(events)
        cursor.execute(
            f"UPDATE {_OUTBOX} SET relayed_at = %s WHERE id = ANY(%s)",  # noqa: S608
            [clock.now(), [event["id"] for event in events]],
        )
    return Relayed(len(events), deliveries)


def relay_all(limit: int = RELAY_BATCH, seconds: float = RELAY_SECONDS) -> Relayed:
    """Relay batch after batch until no event waits, for up to ``seconds``; the totals. A relay
    that runs out of time with events left sends itself again, behind the other tenants' work."""
    deadline = time.monotonic() + seconds
    events = deliveries = 0
    while (batch := relay_pending(limit)).events:
        events, deliveries = events + batch.events, deliveries + batch.deliveries
        if time.monotonic() >= deadline:
            send_for(connection.schema_name, "relay_events")
            break
    return Relayed(events, deliveries)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def envelope(schema: str, event: OutboxEvent) -> dict[str, Any]:
    """An event as subscribers and webhooks receive it."""
    return {
        "id": event.id,
        "tenant": schema,
        "type": event.type,
        "instance_id": str(event.instance_id),
        "revision": event.revision,
        "element_id": event.element_id,
        "occurred_at": event.occurred_at.isoformat(),
        "payload": event.payload,
    }


def events_after(
    schema: str, after: int, instance_id: uuid.UUID | None = None, *, limit: int
) -> tuple[list[dict[str, Any]], bool]:
    """The events kept after id ``after`` (of one instance, if given), oldest first, at most
    ``limit``, for a stream that reconnects; and whether they are surely all: not when more are
    left, or when the retention may have removed some since ``after``."""
    events = OutboxEvent.objects.filter(id__gt=after).order_by("id")
    if instance_id is not None:
        events = events.filter(instance_id=instance_id)
    found = list(events[: limit + 1])
    oldest = OutboxEvent.objects.order_by("id").values_list("id", flat=True).first()
    purged = oldest is not None and after < oldest - 1
    return [envelope(schema, event) for event in found[:limit]], len(found) <= limit and not purged


def group_name(schema: str, instance_id: uuid.UUID | str | None = None) -> str:
    """The channel-layer group of a tenant's events, or of one instance's: ``engine.<schema>``,
    ``engine.<schema>.<instance hex>``; a schema name too long for a group is hashed."""
    suffix = f".{uuid.UUID(str(instance_id)).hex}" if instance_id is not None else ""
    name = f"engine.{schema}{suffix}"
    if len(name) > _GROUP_LIMIT:
        name = f"engine.h{sha256(schema.encode()).hexdigest()[:24]}{suffix}"
    return name


def publish(schema: str, events: list[dict[str, Any]]) -> None:
    """Send ``events`` to the tenant's group and each to its instance's group (best effort: the
    channel layer keeps nothing for a listener that is not connected)."""
    layer = get_channel_layer()
    if layer is None:
        return
    by_instance: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_instance.setdefault(event["instance_id"], []).append(event)
    messages = [(group_name(schema), events)] + [
        (group_name(schema, instance_id), batch) for instance_id, batch in by_instance.items()
    ]

    async def send_all() -> None:
        for group, batch in messages:
            await layer.group_send(group, {"type": "engine.events", "events": batch})

    try:
        async_to_sync(send_all)()
    except (RedisError, OSError) as error:  # listeners miss these; webhooks and the table still have them
        logger.warning("could not publish %d events of %s: %s", len(events), schema, error)


def _fan_out(events: list[dict[str, Any]]) -> int:
    """A pending delivery for each active webhook that wants each event; how many."""
    webhooks = list(Webhook.objects.filter(is_active=True).only("id", "event_types"))
    if not webhooks:
        return 0
    now = clock.now()
    deliveries = [
        WebhookDelivery(
            webhook_id=webhook.id,
            event_id=event["id"],
            event_type=event["type"],
            status=DeliveryStatus.PENDING,
            next_attempt_at=now,
            created_at=now,
        )
        for event in events
        for webhook in webhooks
        if wants(webhook.event_types, event["type"])
    ]
    WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    return len(deliveries)


def wants(filters: Sequence[str], event_type: str) -> bool:
    """Whether a webhook with these filters (types, or prefixes as ``instance.*``) gets ``event_type``."""
    if not filters:
        return True
    return any(event_type == kind or (kind.endswith(".*") and event_type.startswith(kind[:-1])) for kind in filters)


# --- Retention and the scheduler's poll.


def purge_old_events(batch: int = 1000) -> int:
    """Delete the tenant's relayed events older than ``APG_EVENTS_RETENTION_HOURS`` and the
    deliveries that ended before then, oldest first; an event a pending delivery still needs stays.
    How many events went."""
    cutoff = clock.now() - timedelta(hours=settings.APG_EVENTS_RETENTION_HOURS)
    delivery = WebhookDelivery._meta.db_table
    WebhookDelivery.objects.filter(created_at__lt=cutoff).exclude(status=DeliveryStatus.PENDING).delete()
    total = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                f"DELETE FROM {_OUTBOX} AS event WHERE event.id IN "  # noqa: S608
                f"(SELECT id FROM {_OUTBOX} ORDER BY id LIMIT %s) "
                "AND event.occurred_at < %s AND event.relayed_at IS NOT NULL "
                f"AND NOT EXISTS (SELECT 1 FROM {delivery} AS delivery WHERE delivery.event_id = event.id "
                "AND delivery.status = %s)",
                [batch, cutoff, DeliveryStatus.PENDING],
            )
            if cursor.rowcount == 0:
                return total
            total += cursor.rowcount


def tenants_with_pending_events() -> list[tuple[str, bool, bool]]:
    """Each schema with events not relayed or webhook deliveries due: (schema, events, deliveries)."""
    schemas = _tenant_schemas()
    if not schemas:
        return []
    now_sql, now_parameters = clock.sql_now()
    probes, parameters = [], []
    for schema in schemas:
        quoted = connection.ops.quote_name(schema)
        probes.append(
            f"SELECT %s AS schema, EXISTS (SELECT 1 FROM {quoted}.{_OUTBOX} WHERE relayed_at IS NULL) AS events, "  # noqa: S608
            f"EXISTS (SELECT 1 FROM {quoted}.{WebhookDelivery._meta.db_table} WHERE status = %s "
            f"AND next_attempt_at <= {now_sql} AND (locked_until IS NULL OR locked_until < {now_sql})) AS deliveries"
        )
        parameters += [schema, DeliveryStatus.PENDING, *now_parameters, *now_parameters]
    with schema_context(get_public_schema_name()), connection.cursor() as cursor:
        union = " UNION ALL ".join(probes)
        cursor.execute(f"SELECT * FROM ({union}) AS probe WHERE probe.events OR probe.deliveries", parameters)  # noqa: S608
        return [(schema, bool(events), bool(deliveries)) for schema, events, deliveries in cursor.fetchall()]


def wake_pending_tenants() -> list[str]:
    """Send ``relay_events`` and ``deliver_webhooks`` to the tenants that have work for them; the schemas."""
    woken = []
    for schema, events, deliveries in tenants_with_pending_events():
        if events:
            send_for(schema, "relay_events")
        if deliveries:
            send_for(schema, "deliver_webhooks")
        woken.append(schema)
    return woken


def purge_every_tenant() -> int:
    """Apply the retention in every tenant's schema; how many events went."""
    total = 0
    for schema in _tenant_schemas():
        with schema_context(schema):
            total += purge_old_events()
    return total


def _tenant_schemas() -> list[str]:
    public = get_public_schema_name()
    with schema_context(public):
        return list(get_tenant_model().objects.exclude(schema_name=public).values_list("schema_name", flat=True))
