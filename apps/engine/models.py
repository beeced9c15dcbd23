"""Persistent state of the engine, one set of tables per tenant schema.

Definitions are stored once per deployment and versioned by key; instances point at a
version. Active tokens are rows that exist while a token waits; history (activity
instances, variable changes, operator actions, incidents) is append-only: rows are added,
and an activity instance row only gains its end. Ids are time-ordered UUIDs (v7), so new
rows land at the end of their indexes.
"""

from __future__ import annotations

import uuid

from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.utils import timezone
from uuid6 import uuid7


def new_id() -> uuid.UUID:
    """A time-ordered UUID (v7)."""
    return uuid7()  # type: ignore[no-any-return]


def new_text_id() -> str:
    """A time-ordered UUID (v7) as text: the ids the interpreter gives tokens and activity instances."""
    return str(uuid7())


class Deployment(models.Model):
    """One uploaded BPMN file. Identical XML is deployed once: the checksum is unique."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    name = models.CharField(max_length=255, blank=True)
    source_xml = models.TextField()
    checksum = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the XML bytes")
    deployed_by = models.CharField(max_length=150, blank=True)
    deployed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-deployed_at"]

    def __str__(self) -> str:
        return self.name or str(self.id)


class ProcessDefinition(models.Model):
    """An executable process of a deployment: ``key`` is the process id, versions count from 1."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    deployment = models.ForeignKey(Deployment, on_delete=models.PROTECT, related_name="definitions")
    key = models.CharField(max_length=255)
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=255, blank=True)
    deployed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["key", "-version"]
        constraints = [models.UniqueConstraint(fields=["key", "version"], name="engine_definition_key_version")]

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"


class InstanceState(models.TextChoices):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"


# The only state changes a service may make (STYLE: lifecycles are explicit state machines).
INSTANCE_TRANSITIONS: dict[str, frozenset[str]] = {
    InstanceState.ACTIVE: frozenset(
        {InstanceState.SUSPENDED, InstanceState.COMPLETED, InstanceState.CANCELLED, InstanceState.FAILED}
    ),
    InstanceState.SUSPENDED: frozenset({InstanceState.ACTIVE, InstanceState.CANCELLED}),
    InstanceState.COMPLETED: frozenset(),
    InstanceState.CANCELLED: frozenset(),
    # An operator's modification that starts a token again; nothing else leaves "failed" but a cancel.
    InstanceState.FAILED: frozenset({InstanceState.ACTIVE, InstanceState.CANCELLED}),
}


class ProcessInstance(models.Model):
    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    # Foreign keys covered by an index of Meta.indexes get no index of their own: every index
    # costs each start of an instance another insert.
    definition = models.ForeignKey(
        ProcessDefinition, on_delete=models.PROTECT, related_name="instances", db_index=False
    )
    business_key = models.CharField(max_length=255, blank=True)
    state = models.CharField(max_length=16, choices=InstanceState.choices, default=InstanceState.ACTIVE)
    variables = models.JSONField(default=dict)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children", db_index=False
    )
    parent_token_id = models.UUIDField(null=True, blank=True, help_text="The call activity's token that waits")
    root = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="descendants", db_index=False
    )
    started_by = models.CharField(max_length=150, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    revision = models.PositiveIntegerField(default=0, help_text="Incremented by every applied trigger")

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["state", "-started_at", "-id"], name="engine_instance_state_start"),
            models.Index(fields=["definition", "state"], name="engine_instance_definition"),
            models.Index(fields=["business_key"], name="engine_instance_business_key", condition=~Q(business_key="")),
            models.Index(fields=["root"], name="engine_instance_root", condition=Q(root__isnull=False)),
            models.Index(fields=["parent"], name="engine_instance_parent", condition=Q(parent__isnull=False)),
            # "variable equals" filters use containment (variables @> {...}), which this index serves.
            GinIndex(fields=["variables"], name="engine_instance_variables", opclasses=["jsonb_path_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.definition_id} {self.id}"


class Token(models.Model):
    """A token that waits at an element (a user task, a receive task, a join, a child instance)."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="tokens", db_index=False)
    element_id = models.CharField(max_length=255)
    scope_id = models.UUIDField(null=True, blank=True, help_text="The token of the enclosing scope")
    state = models.CharField(max_length=32)
    data = models.JSONField(default=dict, help_text="Loop counters, multi-instance bookkeeping, local variables")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["instance"], name="engine_token_instance")]

    def __str__(self) -> str:
        return f"token {self.id} at {self.element_id}"


class ActivityState(models.TextChoices):
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"


class ActivityInstance(models.Model):
    """History: one row per visit of an element by a token."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    # History rows carry no foreign-key constraint (as Camunda's history tables): they are only
    # written with their instance, and each constraint costs every start one check per row.
    instance = models.ForeignKey(
        ProcessInstance, on_delete=models.CASCADE, related_name="activities", db_index=False, db_constraint=False
    )
    element_id = models.CharField(max_length=255)
    element_type = models.CharField(max_length=64)
    element_name = models.CharField(max_length=255, blank=True)
    token_id = models.UUIDField()
    state = models.CharField(max_length=16, choices=ActivityState.choices, default=ActivityState.ACTIVE)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [models.Index(fields=["instance", "started_at"], name="engine_activity_instance")]

    def __str__(self) -> str:
        return f"{self.element_id} ({self.state})"


class VariableChange(models.Model):
    """History: every value a variable of an instance took, and who or what set it."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    instance = models.ForeignKey(
        ProcessInstance,
        on_delete=models.CASCADE,
        related_name="variable_changes",
        db_index=False,
        db_constraint=False,  # history, as activity instances
    )
    name = models.CharField(max_length=255)
    value = models.JSONField(null=True)
    activity_instance_id = models.UUIDField(null=True, blank=True)
    scope_token_id = models.UUIDField(
        null=True, blank=True, help_text="The token whose scope holds this local variable; empty for the instance's"
    )
    changed_by = models.CharField(max_length=150, blank=True, help_text="A user, or empty for the engine")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [models.Index(fields=["instance", "name"], name="engine_variable_instance_name")]

    def __str__(self) -> str:
        return f"{self.name} of {self.instance_id}"


class OperatorActionKind(models.TextChoices):
    SUSPEND = "suspend"
    RESUME = "resume"
    CANCEL = "cancel"
    MODIFY = "modify"
    SET_VARIABLES = "set-variables"
    RETRY_INCIDENT = "retry-incident"
    RESOLVE_INCIDENT = "resolve-incident"


class OperatorAction(models.Model):
    """Audit: who changed a running instance by hand, how and why."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="operator_actions")
    kind = models.CharField(max_length=32, choices=OperatorActionKind.choices)
    actor = models.CharField(max_length=150)
    reason = models.TextField(blank=True)
    details = models.JSONField(default=dict)
    performed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["performed_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} by {self.actor}"


class Incident(models.Model):
    """A token that cannot go on (an expression failed, a handler raised) until an operator acts."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="incidents")
    token_id = models.UUIDField(null=True, blank=True)
    element_id = models.CharField(max_length=255)
    kind = models.CharField(max_length=64)
    message = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["instance"], name="engine_incident_open", condition=Q(resolved_at=None))]

    def __str__(self) -> str:
        return f"{self.kind} at {self.element_id}"


class ExternalTask(models.Model):
    """Work for an external worker, fetched and locked by topic (Camunda's external-task pattern)."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="external_tasks")
    token_id = models.UUIDField()
    element_id = models.CharField(max_length=255)
    topic = models.CharField(max_length=255)
    priority = models.IntegerField(default=0)
    worker_id = models.CharField(max_length=255, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    retries = models.IntegerField(null=True, blank=True, help_text="Set by the worker's first failure report")
    error_message = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-priority", "created_at"]
        indexes = [models.Index(fields=["topic", "-priority", "created_at"], name="engine_external_task_topic")]

    def __str__(self) -> str:
        return f"{self.topic} for {self.element_id}"


class StartRequest(models.Model):
    """An ``Idempotency-Key`` of a start request and the instance it started: a retry gets that instance."""

    key = models.CharField(max_length=255, primary_key=True)
    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.key


class JobKind(models.TextChoices):
    TIMER = "timer"
    ASYNC_BEFORE = "async-before"
    ASYNC_AFTER = "async-after"
    BOUNDARY_TIMER = "boundary-timer"
    GATEWAY_TIMER = "gateway-timer"
    SIGNAL = "signal"  # a thrown signal: fans out into one delivery per subscriber
    SIGNAL_DELIVERY = "signal-delivery"
    TIMER_START = "timer-start"


class Job(models.Model):
    """Work the engine owes an instance at a time: a timer that fires, an async continuation.

    The row is the truth; a Celery message only wakes a worker, which claims due rows
    (``FOR UPDATE SKIP LOCKED``) and holds each under a lease (``lock_token``,
    ``locked_until``): a worker whose lease ran out can no longer apply the job. The tenant is
    the schema the row lives in."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    instance = models.ForeignKey(
        ProcessInstance, null=True, blank=True, on_delete=models.CASCADE, related_name="jobs", db_index=False
    )
    token_id = models.UUIDField(null=True, blank=True)
    # A timer start event's job belongs to its definition, not to an instance.
    definition = models.ForeignKey(
        ProcessDefinition, null=True, blank=True, on_delete=models.CASCADE, related_name="start_jobs", db_index=False
    )
    element_id = models.CharField(max_length=255)
    kind = models.CharField(max_length=32, choices=JobKind.choices)
    fired = models.PositiveIntegerField(default=0, help_text="Occurrences of a repeating start timer so far")
    due_at = models.DateTimeField()
    lock_owner = models.CharField(max_length=255, blank=True)
    lock_token = models.UUIDField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=3, help_text="The element's retry cycle, or the default")
    payload = models.JSONField(default=dict, blank=True, help_text="What a signal job broadcasts")
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["due_at"], name="engine_job_due"),
            models.Index(fields=["instance"], name="engine_job_instance"),
            models.Index(fields=["definition"], name="engine_job_definition", condition=Q(definition__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.kind} at {self.element_id}, due {self.due_at:%Y-%m-%d %H:%M:%S}"


class MessageSubscription(models.Model):
    """A receive task or message catch event waiting for a message (with ``instance``), or a
    message start event of the newest version of a process (with ``definition``)."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    instance = models.ForeignKey(
        ProcessInstance, null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions", db_index=False
    )
    token_id = models.UUIDField(null=True, blank=True)
    definition = models.ForeignKey(
        ProcessDefinition, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    element_id = models.CharField(max_length=255)
    kind = models.CharField(
        max_length=16,
        choices=[("wait", "wait"), ("boundary", "boundary"), ("gateway", "gateway"), ("start", "start")],
        default="wait",
        help_text="What the message triggers: the wait, a boundary event, an event-based gateway's event, a start",
    )
    message_name = models.CharField(max_length=255)
    correlation_key = models.CharField(max_length=255, blank=True, help_text="Empty: the message declares none")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["message_name", "correlation_key"], name="engine_subscription_message"),
            models.Index(fields=["instance"], name="engine_subscription_instance"),
        ]

    def __str__(self) -> str:
        return f"{self.message_name} at {self.element_id}"


class ReceivedMessage(models.Model):
    """A message delivered with a ``message_id``: a repeated delivery answers what the first did."""

    message_id = models.CharField(max_length=255, primary_key=True)
    name = models.CharField(max_length=255)
    result = models.JSONField(default=dict)
    received_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name} ({self.message_id})"


class BufferedMessage(models.Model):
    """A message that matched nothing when it came, kept until ``expires_at`` for a wait that
    subscribes to it later (the caller asked for a time to live)."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    name = models.CharField(max_length=255)
    correlation_key = models.CharField(max_length=255, blank=True, help_text="Empty: it matches any key")
    business_key = models.CharField(max_length=255, blank=True, help_text="Empty: it matches any instance")
    variables = models.JSONField(default=dict)
    sent_by = models.CharField(max_length=150, blank=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["name", "correlation_key"], name="engine_buffered_message")]

    def __str__(self) -> str:
        return f"{self.name} until {self.expires_at:%Y-%m-%d %H:%M:%S}"


class SignalSubscription(models.Model):
    """A signal catch or boundary event waiting in an instance, or a signal start event of the
    newest version of a process: a thrown signal reaches every one of the tenant's."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    instance = models.ForeignKey(
        ProcessInstance, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    token_id = models.UUIDField(null=True, blank=True)
    definition = models.ForeignKey(
        ProcessDefinition, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    element_id = models.CharField(max_length=255)
    kind = models.CharField(
        max_length=16,
        choices=[("wait", "wait"), ("boundary", "boundary"), ("gateway", "gateway"), ("start", "start")],
        default="wait",
    )
    signal_name = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["signal_name"], name="engine_signal_name"),
            models.Index(fields=["instance"], name="engine_signal_instance"),
        ]

    def __str__(self) -> str:
        return f"{self.signal_name} at {self.element_id}"


class OutboxEvent(models.Model):
    """Something that happened to an instance, written in the transaction that made it happen.

    A relay publishes events after the commit, in ``id`` order (one relay per tenant at a time),
    to the tenant's channel-layer groups and to its webhooks, then sets ``relayed_at``. Events of
    one instance are written under the instance's lock, so their ids follow the order in which
    their transactions committed. ``revision`` is the instance's revision the event leaves it at.
    The table has no foreign key: it is written with every step and outlives deleted instances
    until the retention removes it."""

    id = models.BigAutoField(primary_key=True)
    instance_id = models.UUIDField()
    revision = models.PositiveIntegerField()
    type = models.CharField(max_length=64)
    element_id = models.CharField(max_length=255, blank=True)
    occurred_at = models.DateTimeField()
    payload = models.JSONField(default=dict)
    relayed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # The relay's queue: only the rows not relayed yet, so it stays small however long events are kept.
            models.Index(fields=["id"], name="engine_outbox_unrelayed", condition=Q(relayed_at=None)),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.type} of {self.instance_id}"


class Webhook(models.Model):
    """An integrator's URL that receives the tenant's events, signed with ``secret`` (HMAC-SHA256)."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    url = models.URLField(max_length=2000)
    secret = models.CharField(max_length=255, help_text="Signs every delivery; never shown again once set")
    event_types = models.JSONField(
        default=list, blank=True, help_text='Event types or prefixes ("instance.*") to send; empty: every event'
    )
    is_active = models.BooleanField(default=True)
    description = models.CharField(max_length=500, blank=True)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"  # due at next_attempt_at (first attempt or a retry)
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # every attempt failed; a redelivery makes it pending again


class WebhookDelivery(models.Model):
    """One event sent to one webhook: the delivery log, and the job that sends it.

    A worker claims due rows (``FOR UPDATE SKIP LOCKED``) under a lease, posts the event outside
    any transaction, and records the answer only if its lease still holds (the fence)."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    # The event may be purged by the retention after the delivery ended; the row keeps its type.
    event = models.ForeignKey(
        OutboxEvent, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    event_type = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lock_token = models.UUIDField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-event_id"]
        # Also the index of a webhook's delivery log, newest event first.
        constraints = [models.UniqueConstraint(fields=["webhook", "event"], name="engine_delivery_once")]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="engine_delivery_due", condition=Q(status=DeliveryStatus.PENDING)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} to {self.webhook_id} ({self.status})"
