"""The event-based gateway: the token waits for the first of the events after it.

Each flow out of the gateway leads to a timer, message or signal catch event or a receive task;
the token subscribes to all of them at once (a job row per timer, a subscription row per message
or signal, each named by the event's id). The first to happen wins: the token goes on through that event,
and the others are withdrawn in the same step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from apps.engine.bpmn import spec
from apps.engine.runtime import boundaries, messages
from apps.engine.runtime.errors import TokenStopped, TriggerRejected
from apps.engine.runtime.state import TokenState
from apps.engine.runtime.step import Wait

if TYPE_CHECKING:
    from apps.engine.runtime.interpreter import Run
    from apps.engine.runtime.state import Token

EVENT_GATEWAY = "event-gateway"
GATEWAY_TIMER = "gateway-timer"
GATEWAY_MESSAGE = "gateway-message"
GATEWAY_SIGNAL = "gateway-signal"
GATEWAY_WAITS: Mapping[type[spec.EventDefinition], str] = {
    spec.TimerEventDefinition: GATEWAY_TIMER,
    spec.MessageEventDefinition: GATEWAY_MESSAGE,
    spec.SignalEventDefinition: GATEWAY_SIGNAL,
}


def enter(run: Run, token: Token, node: spec.Gateway) -> None:
    run.begin_activity(token, node)
    waits = []
    for flow_id in node.outgoing:
        target = run.process.nodes[run.process.flows[flow_id].target]
        event = isinstance(target, spec.IntermediateCatchEvent) and len(target.event_definitions) == 1
        if event and (wait := boundaries.event_wait(run, token, cast("spec.Event", target), GATEWAY_WAITS)):
            waits.append(wait)
        elif isinstance(target, spec.ReceiveTask):
            waits.append(
                Wait(
                    GATEWAY_MESSAGE, token.id, target.id, messages.subscription(run, token, target, target.message_ref)
                )
            )
        else:
            raise TokenStopped(
                "event-gateway-target-invalid", f"{target.id!r} is not an event the gateway can wait for."
            )
    token.state = TokenState.WAITING
    token.data["wait"] = EVENT_GATEWAY
    token.data["gateway_events"] = [wait.element_id for wait in waits]
    for wait in waits:
        run.add_wait(wait)


def fire(run: Run, token_id: str, event_id: str, variables: Mapping[str, Any] | None = None) -> None:
    """``event_id``, one of the events after the gateway ``token_id`` waits at, happened."""
    token = run.tokens.get(token_id)
    if token is None or token.data.get("wait") != EVENT_GATEWAY or event_id not in token.data.get("gateway_events", ()):
        raise TriggerRejected("token-not-waiting", f"No token waits at an event-based gateway for {event_id!r}.")
    for other in token.data.pop("gateway_events"):
        if other != event_id:
            run.withdraw(_kind(run, other), token.id, other)
    token.data.pop("wait")
    run.end_activity(token)  # the gateway
    flow_id = next(
        flow for flow in run.process.nodes[token.element_id].outgoing if run.process.flows[flow].target == event_id
    )
    token.element_id, token.data["via"] = event_id, flow_id
    event = run.process.nodes[event_id]
    run.begin_activity(token, event)
    if variables:
        run.set_variables(variables, token, from_trigger=True)
    run.activity_done(token, event)


def _kind(run: Run, event_id: str) -> str:
    event = run.process.nodes[event_id]
    if isinstance(event, spec.IntermediateCatchEvent):
        return GATEWAY_WAITS[type(event.event_definitions[0])]
    return GATEWAY_MESSAGE  # a receive task
