"""Correlating a message: find what waits for it, move it on, and say what matched.

A message has a name and is narrowed by a correlation key (the key a subscription computed
from its message's ``zeebe:subscription``), a business key and variables the instance must
hold (as Camunda 7's ``processInstanceBusinessKey`` and ``processInstanceVariableEquals``).
Waiting receive tasks and message catch events come first; when none matches, a message start
event of the newest version of a process starts an instance. One match is expected: several
are refused (``MessageAmbiguous``) unless the caller asks for all of them. A message with a
``message_id`` that was delivered before answers what the first delivery did and does nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q

from apps.engine import clock, runtime
from apps.engine.handlers import registered_handlers
from apps.engine.models import (
    BufferedMessage,
    InstanceState,
    MessageSubscription,
    ProcessInstance,
    ReceivedMessage,
    new_text_id,
)
from apps.engine.runtime import Step, TriggerRejected
from apps.engine.runtime.boundaries import BOUNDARY_MESSAGE, stays_subscribed
from apps.engine.runtime.event_gateway import GATEWAY_MESSAGE
from apps.engine.services.compiled import compiled_process
from apps.engine.services.instances import InstanceNotActive, start_instance
from apps.engine.services.store import load_snapshot, lock_instance, write_step


class MessageNotCorrelated(Exception):
    """Nothing waits for the message; nothing changed."""


class MessageAmbiguous(Exception):
    """Several waits match and the caller asked for one; nothing changed."""


@dataclass(frozen=True)
class Correlation:
    matched: list[dict[str, str]] = field(default_factory=list)  # {"instance", "element_id"} per wait moved on
    started: str | None = None  # the instance a message start event started
    buffered_until: str | None = None  # it matched nothing and waits for a subscriber until then
    replayed: bool = False  # a repeated message_id: this is the first delivery's answer

    def as_dict(self) -> dict[str, Any]:
        return {"matched": self.matched, "started": self.started, "buffered_until": self.buffered_until}


def correlate(
    name: str,
    *,
    correlation_key: str | None = None,
    business_key: str | None = None,
    variables_equal: Mapping[str, Any] | None = None,
    variables: Mapping[str, Any] | None = None,
    message_id: str | None = None,
    correlate_all: bool = False,
    time_to_live: timedelta | None = None,
    actor: str = "",
) -> Correlation:
    """Deliver the message ``name``: in one transaction, with the waits it moves on. With
    ``time_to_live``, a message that matches nothing is kept that long for a wait to come."""
    with transaction.atomic():
        if message_id:
            earlier = _claim_message_id(message_id, name)
            if earlier is not None:
                matched, started, until = (
                    earlier.get("matched", []),
                    earlier.get("started"),
                    earlier.get("buffered_until"),
                )
                return Correlation(matched, started, until, replayed=True)
        try:
            narrowing = (correlation_key, business_key, variables_equal or {})
            result = _deliver(name, *narrowing, variables or {}, correlate_all, actor)
        except MessageNotCorrelated:
            if time_to_live is None or variables_equal:
                raise  # a buffered message waits for a key and a business key, not for variables
            result = _buffer(name, correlation_key, business_key, variables or {}, time_to_live, actor)
        if message_id:
            ReceivedMessage.objects.filter(message_id=message_id).update(result=result.as_dict())
    return result


def _buffer(
    name: str,
    correlation_key: str | None,
    business_key: str | None,
    variables: Mapping[str, Any],
    time_to_live: timedelta,
    actor: str,
) -> Correlation:
    remove_expired_messages()
    until = clock.now() + time_to_live
    BufferedMessage.objects.create(
        name=name,
        correlation_key=correlation_key or "",
        business_key=business_key or "",
        variables=dict(variables),
        sent_by=actor,
        expires_at=until,
    )
    return Correlation(buffered_until=until.isoformat())


def remove_expired_messages() -> int:
    """Delete the buffered messages no wait took before their time to live ran out; how many.
    The scheduler calls it for every tenant now and then; buffering a message calls it too."""
    deleted, _ = BufferedMessage.objects.filter(expires_at__lte=clock.now()).delete()
    return deleted


def deliver_buffered(instance: ProcessInstance, step: Step, *, actor: str) -> None:
    """Caller holds the instance's lock, ``step`` just written. Hand a message wait it made a
    buffered message that matches it, if one is still alive (the oldest first), as if the
    message came now. The step that delivery writes is served the same way in its turn."""
    for wait in step.waits:
        if wait.kind not in ("message", BOUNDARY_MESSAGE, GATEWAY_MESSAGE):
            continue
        key = wait.details.get("correlation_key") or ""
        buffered = (
            BufferedMessage.objects.select_for_update(skip_locked=True)
            .filter(name=wait.details["message_name"], expires_at__gt=clock.now())
            .filter(Q(correlation_key="") | Q(correlation_key=key))
            .filter(Q(business_key="") | Q(business_key=instance.business_key))
            .order_by("created_at")
            .first()
        )
        if buffered is None:
            continue
        buffered.delete()
        subscription = MessageSubscription.objects.get(token_id=wait.token_id, element_id=wait.element_id)
        _trigger(subscription, buffered.variables, buffered.sent_by or actor)
        return  # that delivery wrote a step of its own and served its waits; this step's may be gone


def _claim_message_id(message_id: str, name: str) -> dict[str, Any] | None:
    """Record ``message_id``; if it was recorded before, the result stored with it.

    A concurrent delivery of the same id waits here for the first one's transaction, then
    finds its row (the insert conflicts on the key).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ReceivedMessage._meta.db_table} (message_id, name, result, received_at) "  # noqa: S608
            "VALUES (%s, %s, '{}', now()) ON CONFLICT (message_id) DO NOTHING RETURNING message_id",
            [message_id, name],
        )
        if cursor.fetchone() is not None:
            return None
    earlier = ReceivedMessage.objects.get(message_id=message_id)
    return dict(earlier.result)


def _deliver(
    name: str,
    correlation_key: str | None,
    business_key: str | None,
    variables_equal: Mapping[str, Any],
    variables: Mapping[str, Any],
    correlate_all: bool,
    actor: str,
) -> Correlation:
    waiting = MessageSubscription.objects.exclude(kind="start").filter(
        message_name=name, instance__state=InstanceState.ACTIVE
    )
    if correlation_key is not None:
        waiting = waiting.filter(correlation_key=correlation_key)
    if business_key is not None:
        waiting = waiting.filter(instance__business_key=business_key)
    if variables_equal:
        waiting = waiting.filter(instance__variables__contains=dict(variables_equal))
    found = list(waiting.order_by("created_at"))
    if len(found) > 1 and not correlate_all:
        raise MessageAmbiguous(f"{len(found)} waits match the message {name!r}; correlate all, or narrow it.")
    matched = []
    for subscription in found:
        try:
            _trigger(subscription, variables, actor)
        except (TriggerRejected, InstanceNotActive):
            continue  # taken by a delivery that committed first
        matched.append({"instance": str(subscription.instance_id), "element_id": subscription.element_id})
    if matched:
        return Correlation(matched)
    return Correlation(started=_start_by_message(name, business_key, variables, actor))


def _trigger(subscription: MessageSubscription, variables: Mapping[str, Any], actor: str) -> None:
    """The message of ``subscription`` came: complete the wait, fire the boundary event, or the
    event-based gateway's event, under the instance's lock. A non-interrupting boundary event
    stays subscribed for the next message; every other subscription is used up."""
    instance = lock_instance(subscription.instance_id)  # type: ignore[arg-type]
    if instance.state != InstanceState.ACTIVE:
        raise InstanceNotActive(f"The instance is {instance.state}.")
    process = compiled_process(instance.definition)
    now = clock.now()
    step = runtime.deliver(
        process,
        load_snapshot(instance),
        str(subscription.token_id),
        subscription.element_id,
        subscription.kind,
        variables,
        expected_wait="message",
        now=now,
        new_id=new_text_id,
        handlers=registered_handlers(),
    )
    write_step(instance, step, now=now, actor=actor)
    if subscription.kind == "wait" or not stays_subscribed(process.nodes[subscription.element_id]):
        MessageSubscription.objects.filter(id=subscription.id).delete()


def _start_by_message(name: str, business_key: str | None, variables: Mapping[str, Any], actor: str) -> str:
    starts = list(MessageSubscription.objects.filter(message_name=name, kind="start").select_related("definition"))
    if not starts:
        raise MessageNotCorrelated(f"Nothing waits for the message {name!r} and no process starts with it.")
    if len(starts) > 1:
        keys = sorted(start.definition.key for start in starts if start.definition is not None)
        raise MessageAmbiguous(f"The message {name!r} starts several processes ({', '.join(keys)}).")
    (start,) = starts
    assert start.definition is not None  # noqa: S101 - a start subscription names its definition
    instance = start_instance(
        start.definition, variables, business_key=business_key or "", started_by=actor, start_event_id=start.element_id
    )
    return str(instance.id)
