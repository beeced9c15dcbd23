"""Call activities in the store: the called instance starts, ends and is cancelled in the
transaction of the trigger that caused it.

A call activity's token waits (``call-activity``) while a child instance of the latest version
of the called key runs, with ``parent``, ``parent_token_id`` and ``root`` set. When the child
completes (a terminate end event included), the parent's token is moved on in the same
transaction with the child's variables through the output mappings. Cancelling the parent, or
the call activity's token, cancels the child and its own children. A child cannot be cancelled
on its own (cancel the instance that called it, as in Zeebe); suspending or resuming an
instance does the same to the instances it called.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial

from apps.engine import runtime
from apps.engine.handlers import Handler, registered_handlers
from apps.engine.models import Incident, InstanceState, ProcessDefinition, ProcessInstance, Token, new_id, new_text_id
from apps.engine.runtime import Outcome, Step, Wait
from apps.engine.services import outbox, store
from apps.engine.services.compiled import compiled_process

CALL = "call-activity"
# Instances calling instances, counted from the root: a process that calls itself for ever
# gets an incident instead of exhausting the stack.
MAX_CALL_DEPTH = 32


def involved(instance: ProcessInstance, step: Step) -> bool:
    """Whether ``step`` starts, cancels or returns from a called instance."""
    called = instance.parent_id is not None
    ended = step.outcome in (Outcome.COMPLETED, Outcome.TERMINATED) and called
    waits = (*step.waits, *step.cancelled_waits)
    escaped = step.escaped_error is not None or bool(step.escaped_escalations)
    return ended or (called and escaped) or any(wait.kind == CALL for wait in waits)


def follow_up(
    instance: ProcessInstance, step: Step, *, now: datetime, actor: str, handlers: Mapping[str, Handler] | None
) -> None:
    cancelled = {(wait.token_id, wait.element_id) for wait in step.cancelled_waits if wait.kind == CALL}
    for wait in step.cancelled_waits:
        if wait.kind == CALL:
            for child in ProcessInstance.objects.filter(parent=instance, parent_token_id=uuid.UUID(wait.token_id)):
                cancel_tree(child, now=now, actor=actor)
    for wait in step.waits:
        if wait.kind == CALL and (wait.token_id, wait.element_id) not in cancelled:
            _start_child(instance, wait, now=now, actor=actor, handlers=handlers)
    if instance.parent_id is not None:
        _tell_parent(instance, step, now=now, actor=actor, handlers=handlers)
    # A child that completed at once has moved this instance on already; reread what it changed.
    instance.refresh_from_db(fields=["state", "ended_at", "variables", "revision"])


def _tell_parent(
    child: ProcessInstance, step: Step, *, now: datetime, actor: str, handlers: Mapping[str, Handler] | None
) -> None:
    """What the caller of ``child`` hears of its step: an error or escalations it did not catch
    (thrown before it ended, so first), then its end, unless an escalation's interrupting catch
    took the call activity away meanwhile (the child ended at its escalation end event: nothing
    is returned)."""
    if step.escaped_error is not None:
        _throw_to_parent(child, *step.escaped_error, now=now, actor=actor, handlers=handlers)
    for code in step.escaped_escalations:
        _escalate_to_parent(child, code, now=now, actor=actor, handlers=handlers)
    if step.outcome in (Outcome.COMPLETED, Outcome.TERMINATED):
        if step.escaped_escalations and not Token.objects.filter(id=child.parent_token_id).exists():
            return
        _return_to_parent(child, now=now, actor=actor, handlers=handlers)


def _start_child(
    parent: ProcessInstance,
    wait: Wait,
    *,
    now: datetime,
    actor: str,
    handlers: Mapping[str, Handler] | None,
) -> None:
    key = wait.details["process_key"]
    definition = ProcessDefinition.objects.filter(key=key).order_by("-version").first()
    if definition is None:
        message = f"No process with key {key!r} is deployed."
        _stop_with_incident(parent, wait, "called-process-unknown", message, now=now)
        return
    if _depth(parent) >= MAX_CALL_DEPTH:
        message = f"Calling {key!r} would nest called instances deeper than {MAX_CALL_DEPTH}."
        _stop_with_incident(parent, wait, "call-depth", message, now=now)
        return
    child = ProcessInstance(
        id=new_id(),
        definition=definition,
        business_key=wait.details.get("business_key") or "",
        started_by=actor,
        started_at=now,
        variables={},
        parent=parent,
        parent_token_id=uuid.UUID(wait.token_id),
        root_id=parent.root_id or parent.id,
    )
    chosen = handlers if handlers is not None else registered_handlers()
    child_step = runtime.start(
        compiled_process(definition), wait.details.get("variables", {}), now=now, new_id=new_text_id, handlers=chosen
    )
    store.write_step(child, child_step, now=now, actor=actor, handlers=handlers, new=True)


def _depth(instance: ProcessInstance) -> int:
    depth, parent_id = 0, instance.parent_id
    while parent_id is not None and depth < MAX_CALL_DEPTH:
        depth += 1
        parent_id = ProcessInstance.objects.filter(id=parent_id).values_list("parent_id", flat=True).first()
    return depth


def _stop_with_incident(parent: ProcessInstance, wait: Wait, kind: str, message: str, *, now: datetime) -> None:
    """The child cannot start: the call activity's token stops with an incident, as a failing expression does."""
    token = Token.objects.get(id=uuid.UUID(wait.token_id))
    token.data = {**token.data, "wait": "incident"}
    token.data.pop("details", None)
    token.save(update_fields=["data"])
    incident = Incident.objects.create(
        instance=parent, token_id=token.id, element_id=wait.element_id, kind=kind, message=message, created_at=now
    )
    events = [outbox.incident_created(incident)]
    if parent.state == InstanceState.ACTIVE and runtime.halted(store.load_snapshot(parent).tokens.values()):
        parent.state = InstanceState.FAILED
        ProcessInstance.objects.filter(id=parent.id).update(state=parent.state)
        events.append(outbox.state_event(parent))
    outbox.record(parent, events, now=now)


def _return_to_parent(
    child: ProcessInstance, *, now: datetime, actor: str, handlers: Mapping[str, Handler] | None
) -> None:
    from apps.engine.services.instances import InstanceNotActive

    parent = (
        ProcessInstance.objects.select_for_update(of=("self",)).select_related("definition").get(id=child.parent_id)
    )
    if parent.state != InstanceState.ACTIVE:
        raise InstanceNotActive(f"The instance that called this one is {parent.state}.")
    step = runtime.return_from_call(
        compiled_process(parent.definition),
        store.load_snapshot(parent),
        str(child.parent_token_id),
        child.variables,
        now=now,
        new_id=new_text_id,
        handlers=handlers if handlers is not None else registered_handlers(),
    )
    store.write_step(parent, step, now=now, actor=actor, handlers=handlers)


def _throw_to_parent(
    child: ProcessInstance,
    code: str,
    message: str,
    *,
    now: datetime,
    actor: str,
    handlers: Mapping[str, Handler] | None,
) -> None:
    """A BPMN error nothing in ``child`` caught: throw it at the call activity that called it.
    An error boundary event there (or around it) interrupts the call activity, which cancels
    the child; uncaught there too, the call activity's token stops with an incident as well."""
    _trigger_parent(child, partial(runtime.throw_error, code=code, message=message), now, actor, handlers)


def _escalate_to_parent(
    child: ProcessInstance, code: str, *, now: datetime, actor: str, handlers: Mapping[str, Handler] | None
) -> None:
    """An escalation nothing in ``child`` caught goes to the call activity that called it, as in
    Camunda 7: an escalation boundary event there (or around it) catches it, interrupting the
    call activity (which cancels the child) or not; uncaught, it goes on up, or is only history."""
    _trigger_parent(child, partial(runtime.escalate_from_call, code=code), now, actor, handlers)


def _trigger_parent(
    child: ProcessInstance,
    trigger: Callable[..., Step],
    now: datetime,
    actor: str,
    handlers: Mapping[str, Handler] | None,
) -> None:
    """Apply ``trigger`` to the call activity's token in the instance that called ``child``."""
    parent = (
        ProcessInstance.objects.select_for_update(of=("self",)).select_related("definition").get(id=child.parent_id)
    )
    if parent.state != InstanceState.ACTIVE:
        return  # the child's own incident (or history) stands
    step = trigger(
        compiled_process(parent.definition),
        store.load_snapshot(parent),
        str(child.parent_token_id),
        now=now,
        new_id=new_text_id,
        handlers=handlers if handlers is not None else registered_handlers(),
    )
    store.write_step(parent, step, now=now, actor=actor, handlers=handlers)


def cancel_tree(instance: ProcessInstance, *, now: datetime, actor: str) -> None:
    """Cancel ``instance`` (locked here) and every instance it called, deepest first."""
    from apps.engine.services.operations import end_as_cancelled

    locked = ProcessInstance.objects.select_for_update().get(id=instance.id)
    if locked.state not in (InstanceState.ACTIVE, InstanceState.SUSPENDED, InstanceState.FAILED):
        return
    for child in ProcessInstance.objects.filter(parent=locked):
        cancel_tree(child, now=now, actor=actor)
    end_as_cancelled(locked, now=now, actor=actor, reason="The instance that called it was cancelled.")


def descendants(instance: ProcessInstance) -> list[ProcessInstance]:
    """Every instance ``instance`` called, directly or not, that has not ended."""
    found: list[ProcessInstance] = []
    frontier = [instance.id]
    running = (InstanceState.ACTIVE, InstanceState.SUSPENDED, InstanceState.FAILED)
    while frontier:
        children = list(ProcessInstance.objects.select_for_update().filter(parent_id__in=frontier, state__in=running))
        found += children
        frontier = [child.id for child in children]
    return found
