"""Which behaviour runs when a token enters an element: one row per spec class."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from apps.engine.bpmn import spec
from apps.engine.runtime import (
    activities,
    calls,
    event_gateway,
    events,
    gateways,
    loops,
    messages,
    signals,
    subprocesses,
)
from apps.engine.runtime.errors import TokenStopped

if TYPE_CHECKING:
    from apps.engine.runtime.interpreter import Run
    from apps.engine.runtime.state import Token

# Each behaviour takes the spec class of its row; the table pairs them.
Behaviour = Callable[["Run", "Token", Any], None]

BEHAVIOURS: dict[type[spec.FlowNode], Behaviour] = {
    spec.StartEvent: events.enter_pass_through_event,
    spec.IntermediateThrowEvent: events.enter_pass_through_event,
    spec.EndEvent: events.enter_end_event,
    spec.Task: activities.enter_pass_through,
    spec.ManualTask: activities.enter_pass_through,
    spec.ScriptTask: activities.enter_script_task,
    spec.ServiceTask: activities.enter_service_task,
    spec.SendTask: activities.enter_service_task,
    spec.BusinessRuleTask: activities.enter_service_task,
    spec.UserTask: activities.enter_user_task,
    spec.ReceiveTask: messages.enter_receive_task,
    spec.CallActivity: calls.enter_call_activity,
    spec.ExclusiveGateway: gateways.enter_exclusive_gateway,
    spec.ParallelGateway: gateways.enter_parallel_gateway,
    spec.InclusiveGateway: gateways.enter_inclusive_gateway,
    spec.EventBasedGateway: event_gateway.enter,
    spec.SubProcess: subprocesses.enter_subprocess,
}


def _not_yet(feature: str) -> Behaviour:
    def refuse(run: Run, token: Token, node: spec.FlowNode) -> None:
        raise TokenStopped("not-executable", f"{node.id!r}: {feature} does not run in this version of the engine.")

    return refuse


def behaviour_for(node: spec.FlowNode) -> Behaviour:
    """The behaviour of ``node``; features still missing stop the token with an incident, never silently."""
    if isinstance(node, spec.Event) and node.event_definitions and not isinstance(node, spec.EndEvent):
        if isinstance(node, spec.IntermediateCatchEvent) and _only_timer(node):
            return events.enter_timer_catch
        if isinstance(node, spec.StartEvent) and (_only_timer(node) or _only_message(node)):
            return events.enter_pass_through_event  # its timer fired, or its message came: that started it
        if isinstance(node, spec.IntermediateCatchEvent) and _only_message(node):
            return messages.enter_message_catch
        if isinstance(node, spec.IntermediateCatchEvent) and _only(node, spec.SignalEventDefinition):
            return signals.enter_signal_catch
        if isinstance(node, spec.IntermediateThrowEvent) and _only(node, spec.SignalEventDefinition):
            return signals.enter_signal_throw
        if isinstance(node, spec.StartEvent) and _only(node, spec.SignalEventDefinition):
            return events.enter_pass_through_event  # a thrown signal started the instance here
        if isinstance(node, spec.IntermediateThrowEvent) and _only_message(node):
            return activities.enter_service_task  # sends the message as a send task does
        if isinstance(node, spec.IntermediateThrowEvent) and _only(node, spec.EscalationEventDefinition):
            return events.enter_escalation_throw
        if isinstance(node, spec.IntermediateThrowEvent) and _only_link(node):
            return events.enter_link_throw
        if isinstance(node, spec.IntermediateCatchEvent) and _only_link(node):
            return events.enter_pass_through_event  # a link throw event sent the token here
        return _not_yet(f"a {node.event_definitions[0].kind} event")
    behaviour = BEHAVIOURS.get(type(node))
    if behaviour is None:
        return _not_yet(f"a {node.tag}")
    if isinstance(node, spec.Activity):
        if isinstance(node.loop, spec.MultiInstance):
            return partial(loops.enter_multi_instance, behaviour)
        if isinstance(node.loop, spec.StandardLoop):
            return partial(loops.enter_standard_loop, behaviour)
    return behaviour


def _only_timer(node: spec.Event) -> bool:
    return len(node.event_definitions) == 1 and isinstance(node.event_definitions[0], spec.TimerEventDefinition)


def _only_message(node: spec.Event) -> bool:
    return len(node.event_definitions) == 1 and isinstance(node.event_definitions[0], spec.MessageEventDefinition)


def _only_link(node: spec.Event) -> bool:
    return len(node.event_definitions) == 1 and isinstance(node.event_definitions[0], spec.LinkEventDefinition)


def _only(node: spec.Event, kind: type[spec.EventDefinition]) -> bool:
    return len(node.event_definitions) == 1 and isinstance(node.event_definitions[0], kind)
