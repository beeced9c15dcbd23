"""Boundary events: subscribed while the activity they are attached to runs.

A token entering an activity subscribes its boundary events (for a timer, a job row due when
the timer is); leaving the activity, or being cancelled, withdraws them. The subscriptions
are kept with the token (``boundaries``). A multi-instance activity's boundary events belong
to its body, a looping activity's to the whole loop. A timer is a job row; a message, a
subscription row.

When one fires: an interrupting event cancels the activity (and everything inside a
subprocess, or the instance a call activity called) and the token goes on from the event; a
non-interrupting one sends a new token from the event and leaves the activity running (a
non-interrupting message event stays subscribed: each message sends another token).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from apps.engine.bpmn import spec
from apps.engine.runtime import messages, signals, timers
from apps.engine.runtime.errors import TriggerRejected
from apps.engine.runtime.flows import outgoing_after_activity
from apps.engine.runtime.state import Token, TokenState
from apps.engine.runtime.step import Wait

if TYPE_CHECKING:
    from apps.engine.runtime.interpreter import Run

BOUNDARY_TIMER = "boundary-timer"
BOUNDARY_MESSAGE = "boundary-message"
BOUNDARY_CONDITION = "boundary-condition"  # watched by the steps that change variables; no row
# The wait a boundary event (or an event subprocess's start event) makes, by its definition.
BOUNDARY_WAITS: Mapping[type[spec.EventDefinition], str] = {
    spec.TimerEventDefinition: BOUNDARY_TIMER,
    spec.MessageEventDefinition: BOUNDARY_MESSAGE,
    spec.SignalEventDefinition: signals.BOUNDARY_SIGNAL,
}


def subscribe(run: Run, token: Token, node: spec.FlowNode) -> None:
    """Subscribe the boundary events of the activity ``token`` enters (once, not per loop or instance)."""
    if not isinstance(node, spec.Activity) or not node.boundary_event_ids:
        return
    if "boundaries" in token.data or "instance" in token.data or token.data.get("subscribed_at") == node.id:
        return
    token.data["subscribed_at"] = node.id
    subscribed = [
        boundary_id
        for boundary_id in node.boundary_event_ids
        if subscribe_event(run, token, cast("spec.Event", run.process.nodes[boundary_id]))
    ]
    if subscribed:
        token.data["boundaries"] = subscribed


def subscribe_event(run: Run, token: Token, event: spec.Event) -> bool:
    """Subscribe ``event`` (a boundary event, or an event subprocess's start event) for ``token``.
    False: it needs no subscription, as errors and escalations look for their catcher when
    thrown (``errors_thrown``)."""
    wait = event_wait(run, token, event, BOUNDARY_WAITS)
    if wait is not None:
        run.add_wait(wait)
        return True
    if is_conditional(event):
        run.conditions_fresh.add((token.id, event.id))  # checked when the step settles (``conditions``)
        return True
    return False


def is_conditional(node: spec.FlowNode) -> bool:
    definitions: tuple[spec.EventDefinition, ...] = getattr(node, "event_definitions", ())
    return len(definitions) == 1 and isinstance(definitions[0], spec.ConditionalEventDefinition)


def event_wait(
    run: Run, token: Token, event: spec.Event, kinds: Mapping[type[spec.EventDefinition], str]
) -> Wait | None:
    """What ``token`` waits for to catch ``event``: a job row for a timer, a subscription row for a
    message or a signal, of the wait kind ``kinds`` gives its definition (None: not one of them)."""
    (definition,) = event.event_definitions  # validation lets only single definitions through
    kind = kinds.get(type(definition))
    if kind is None:
        return None
    if isinstance(definition, spec.TimerEventDefinition):
        details = {"due_at": timers.due_at(run, token, event, definition).isoformat()}
    elif isinstance(definition, spec.MessageEventDefinition):
        details = messages.subscription(run, token, event, definition.message_ref)
    else:
        details = {"signal_name": signals.signal_name(run, event)}
    return Wait(kind, token.id, event.id, details)


def stays_subscribed(event: spec.FlowNode) -> bool:
    """Whether a message or signal subscription of ``event`` is kept once it fired: the event
    does not interrupt, so the next message or signal fires it again."""
    if isinstance(event, spec.BoundaryEvent):
        return not event.cancel_activity
    return isinstance(event, spec.StartEvent) and not event.is_interrupting


def unsubscribe(run: Run, token: Token) -> None:
    """The activity ended or was cancelled: its boundary events no longer fire."""
    token.data.pop("subscribed_at", None)
    token.data.pop("cycles", None)
    for boundary_id in token.data.pop("boundaries", ()):
        if not is_conditional(run.process.nodes[boundary_id]):  # a condition is watched, not stored
            run.withdraw(_kind(run, boundary_id), token.id, boundary_id)


def _kind(run: Run, boundary_id: str) -> str:
    return kind_of(cast("spec.Event", run.process.nodes[boundary_id]))


def kind_of(event: spec.Event) -> str:
    """The kind of wait subscribing ``event`` makes (named as a boundary event's)."""
    (definition,) = event.event_definitions
    return (
        BOUNDARY_CONDITION
        if isinstance(definition, spec.ConditionalEventDefinition)
        else BOUNDARY_WAITS[type(definition)]
    )


def fire(run: Run, token_id: str, boundary_id: str, variables: Mapping[str, Any] | None = None) -> None:
    """The boundary event ``boundary_id`` of the activity held by ``token_id`` is triggered (a
    message's ``variables`` are set as it goes on)."""
    token = run.tokens.get(token_id)
    if token is None or boundary_id not in token.data.get("boundaries", ()):
        raise TriggerRejected("token-not-waiting", f"No running activity has the boundary event {boundary_id!r}.")
    boundary = cast("spec.BoundaryEvent", run.process.nodes[boundary_id])
    if boundary.cancel_activity or _kind(run, boundary_id) == BOUNDARY_TIMER:
        token.data["boundaries"].remove(boundary_id)  # a date or a duration fires once; its job is done
    if not boundary.cancel_activity and _kind(run, boundary_id) == BOUNDARY_TIMER:
        repeat_cycle(run, token, boundary)
    if boundary.cancel_activity:
        if token.state in (TokenState.SCOPE, TokenState.MULTI):
            run.remove_scope_contents(token.id)
        run.cancel_token(token)  # withdraws the activity's wait and its other boundary events
    event_token = Token(run.new_id(), boundary_id, token.scope_id, TokenState.WAITING)
    run.tokens[event_token.id] = event_token
    run.begin_activity(event_token, boundary)
    if variables:
        run.set_variables(variables, event_token, from_trigger=True)
    run.leave(event_token, outgoing_after_activity(run, boundary, event_token))


def repeat_cycle(run: Run, token: Token, boundary: spec.Event) -> None:
    """A non-interrupting cycle (``R3/PT1H``, cron) fires again: subscribe its next occurrence,
    counted from now (the one that fired) until its repetitions are spent."""
    (timer,) = boundary.event_definitions
    if not isinstance(timer, spec.TimerEventDefinition) or timer.timer_type != "cycle":
        return
    cycles = token.data.setdefault("cycles", {})
    fired = cycles.get(boundary.id, 0) + 1
    plan = timers.schedule_of(run, token, boundary, timer)
    following: datetime | None = None
    if plan.repetitions is None or fired < plan.repetitions:
        following, count = plan.first, fired
        while following is not None and following <= run.now:  # a cycle from a start in the past
            following, count = plan.after(following, count), count + 1
    if following is None:
        cycles.pop(boundary.id, None)
        return
    cycles[boundary.id] = fired
    token.data["boundaries"].append(boundary.id)
    run.add_wait(Wait(BOUNDARY_TIMER, token.id, boundary.id, {"due_at": following.isoformat()}))
