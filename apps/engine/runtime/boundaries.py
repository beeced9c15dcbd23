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


def subscribe(run: Run, token: Token, node: spec.FlowNode) -> None:
    """Subscribe the boundary events of the activity ``token`` enters (once, not per loop or instance)."""
    if not isinstance(node, spec.Activity) or not node.boundary_event_ids:
        return
    if "boundaries" in token.data or "instance" in token.data or token.data.get("subscribed_at") == node.id:
        return
    token.data["subscribed_at"] = node.id
    subscribed = []
    for boundary_id in node.boundary_event_ids:
        boundary = cast("spec.BoundaryEvent", run.process.nodes[boundary_id])
        (definition,) = boundary.event_definitions  # validation lets only single definitions through
        if isinstance(definition, spec.TimerEventDefinition):
            due = timers.due_at(run, token, boundary, definition)
            run.step.waits.append(Wait(BOUNDARY_TIMER, token.id, boundary_id, {"due_at": due.isoformat()}))
            subscribed.append(boundary_id)
        elif isinstance(definition, spec.MessageEventDefinition):
            details = messages.subscription(run, token, boundary, definition.message_ref)
            run.step.waits.append(Wait(BOUNDARY_MESSAGE, token.id, boundary_id, details))
            subscribed.append(boundary_id)
        elif isinstance(definition, spec.SignalEventDefinition):
            details = {"signal_name": signals.signal_name(run, boundary)}
            run.step.waits.append(Wait(signals.BOUNDARY_SIGNAL, token.id, boundary_id, details))
            subscribed.append(boundary_id)
        # An error boundary event needs no subscription: a thrown error looks for it (errors_thrown).
    if subscribed:
        token.data["boundaries"] = subscribed


def unsubscribe(run: Run, token: Token) -> None:
    """The activity ended or was cancelled: its boundary events no longer fire."""
    token.data.pop("subscribed_at", None)
    token.data.pop("cycles", None)
    for boundary_id in token.data.pop("boundaries", ()):
        run.step.cancelled_waits.append(Wait(_kind(run, boundary_id), token.id, boundary_id))


def _kind(run: Run, boundary_id: str) -> str:
    (definition,) = cast("spec.BoundaryEvent", run.process.nodes[boundary_id]).event_definitions
    if isinstance(definition, spec.SignalEventDefinition):
        return signals.BOUNDARY_SIGNAL
    return BOUNDARY_MESSAGE if isinstance(definition, spec.MessageEventDefinition) else BOUNDARY_TIMER


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
        _repeat(run, token, boundary)
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


def _repeat(run: Run, token: Token, boundary: spec.BoundaryEvent) -> None:
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
    run.step.waits.append(Wait(BOUNDARY_TIMER, token.id, boundary.id, {"due_at": following.isoformat()}))
