"""Starting instances and moving waiting tokens on: one transaction per trigger."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from apps.engine import clock, runtime
from apps.engine.handlers import Handler, registered_handlers
from apps.engine.models import InstanceState, ProcessDefinition, ProcessInstance, StartRequest, new_id, new_text_id
from apps.engine.runtime import Snapshot
from apps.engine.services import rows
from apps.engine.services.compiled import compiled_process
from apps.engine.services.store import load_snapshot, lock_instance, write_step


class InstanceNotActive(Exception):
    """The instance is suspended or ended; the trigger was not applied."""


def latest_definition(key: str) -> ProcessDefinition:
    """The newest version of ``key``; ProcessDefinition.DoesNotExist when none is deployed.

    Its deployment (with the XML) is read only if the compiled process is not cached yet.
    """
    return ProcessDefinition.objects.filter(key=key).order_by("-version")[:1].get()


def start_instance(
    definition: ProcessDefinition,
    variables: Mapping[str, Any],
    *,
    business_key: str = "",
    started_by: str = "",
    handlers: Mapping[str, Handler] | None = None,
    idempotency_key: str | None = None,
    start_event_id: str | None = None,
) -> ProcessInstance:
    """Create an instance of ``definition`` and run it until every token waits or ends; it starts
    at the none start event, or at ``start_event_id`` (a timer start event that fired).

    With ``idempotency_key``, a key seen before returns the instance that key started
    (see ``was_replayed``) and starts nothing.
    """
    if idempotency_key:
        earlier = _started_with(idempotency_key)
        if earlier is not None:
            return earlier
        try:
            return _start(definition, variables, business_key, started_by, handlers, idempotency_key, start_event_id)
        except IntegrityError:
            # The same key raced in from another request, which committed first.
            raced = _started_with(idempotency_key)
            if raced is None:
                raise
            return raced
    return _start(definition, variables, business_key, started_by, handlers, None, start_event_id)


def _started_with(idempotency_key: str) -> ProcessInstance | None:
    request = StartRequest.objects.select_related("instance__definition").filter(key=idempotency_key).first()
    if request is None:
        return None
    request.instance._replayed = True  # type: ignore[attr-defined]
    return request.instance


def was_replayed(instance: ProcessInstance) -> bool:
    """Whether ``start_instance`` returned an instance started by an earlier request with the same key."""
    return bool(getattr(instance, "_replayed", False))


def _start(
    definition: ProcessDefinition,
    variables: Mapping[str, Any],
    business_key: str,
    started_by: str,
    handlers: Mapping[str, Handler] | None,
    idempotency_key: str | None,
    start_event_id: str | None,
) -> ProcessInstance:
    process = compiled_process(definition)
    now = clock.now()
    with transaction.atomic():
        instance = ProcessInstance(
            id=new_id(),
            definition=definition,
            business_key=business_key,
            started_by=started_by,
            started_at=now,
            variables={},
        )
        step = runtime.start(
            process,
            variables,
            now=now,
            new_id=new_text_id,
            handlers=handlers if handlers is not None else registered_handlers(),
            start_event_id=start_event_id,
        )
        write_step(instance, step, now=now, actor=started_by, handlers=handlers, new=True)
        if idempotency_key:
            StartRequest.objects.create(key=idempotency_key, instance=instance, created_at=now)
    return instance


def complete_wait(
    instance_id: uuid.UUID,
    token_id: str,
    variables: Mapping[str, Any],
    *,
    actor: str = "",
    expected_wait: str | None = None,
    handlers: Mapping[str, Handler] | None = None,
    locked: ProcessInstance | None = None,
    snapshot: Snapshot | None = None,
    also: Sequence[rows.Statement] = (),
    now: datetime | None = None,
) -> ProcessInstance:
    """What the token waits for happened: apply it under the instance's lock (``locked``: the
    caller holds it already, in its transaction, and read the instance with it, and its tokens
    as ``snapshot`` if given, as ``store.lock_and_load`` does). ``also``: statements of the
    caller's, written with the step; ``now``: the step's time, when the caller has taken it.

    Raises ``runtime.TriggerRejected`` or ``InstanceNotActive`` having changed nothing.
    """
    # With the caller's lock, the caller's transaction holds the change: a refusal comes before
    # anything is written, and a failure while writing aborts that transaction whole.
    with transaction.atomic() if locked is None else nullcontext():
        instance = locked if locked is not None else lock_instance(instance_id)
        if instance.state != InstanceState.ACTIVE:
            raise InstanceNotActive(f"The instance is {instance.state}.")
        process = compiled_process(instance.definition)
        now = now or clock.now()
        step = runtime.complete(
            process,
            snapshot if snapshot is not None and locked is not None else load_snapshot(instance),
            token_id,
            variables,
            now=now,
            new_id=new_text_id,
            expected_wait=expected_wait,
            handlers=handlers if handlers is not None else registered_handlers(),
        )
        write_step(instance, step, now=now, actor=actor, handlers=handlers, also=also)
    return instance
