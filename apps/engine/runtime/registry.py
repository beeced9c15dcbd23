"""Which behaviour runs when a token enters an element: one row per spec class."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from apps.engine.bpmn import spec
from apps.engine.runtime import (
    activities,
    calls,
    compensation,
    conditions,
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


# Events with one definition, by event and definition class. A start event's trigger (its timer,
# message or signal) started the instance or its event subprocess, so entering it only passes through; so does a link
# catch event, which a link throw event sent the token to.
EVENT_BEHAVIOURS: dict[tuple[type[spec.Event], type[spec.EventDefinition]], Behaviour] = {
    (spec.StartEvent, spec.TimerEventDefinition): events.enter_pass_through_event,
    (spec.StartEvent, spec.MessageEventDefinition): events.enter_pass_through_event,
    (spec.StartEvent, spec.SignalEventDefinition): events.enter_pass_through_event,
    (spec.StartEvent, spec.ErrorEventDefinition): events.enter_pass_through_event,  # of an event subprocess
    (spec.StartEvent, spec.EscalationEventDefinition): events.enter_pass_through_event,
    (spec.StartEvent, spec.ConditionalEventDefinition): events.enter_pass_through_event,
    (spec.StartEvent, spec.CompensateEventDefinition): events.enter_pass_through_event,
    (spec.IntermediateCatchEvent, spec.TimerEventDefinition): events.enter_timer_catch,
    (spec.IntermediateCatchEvent, spec.MessageEventDefinition): messages.enter_message_catch,
    (spec.IntermediateCatchEvent, spec.SignalEventDefinition): signals.enter_signal_catch,
    (spec.IntermediateCatchEvent, spec.LinkEventDefinition): events.enter_pass_through_event,
    (spec.IntermediateCatchEvent, spec.ConditionalEventDefinition): conditions.enter_condition_catch,
    (spec.IntermediateThrowEvent, spec.MessageEventDefinition): activities.enter_service_task,  # as a send task
    (spec.IntermediateThrowEvent, spec.SignalEventDefinition): signals.enter_signal_throw,
    (spec.IntermediateThrowEvent, spec.EscalationEventDefinition): events.enter_escalation_throw,
    (spec.IntermediateThrowEvent, spec.LinkEventDefinition): events.enter_link_throw,
    (spec.IntermediateThrowEvent, spec.CompensateEventDefinition): compensation.enter_compensation_throw,
}


def _not_yet(feature: str) -> Behaviour:
    def refuse(run: Run, token: Token, node: spec.FlowNode) -> None:
        raise TokenStopped("not-executable", f"{node.id!r}: {feature} does not run in this version of the engine.")

    return refuse


def behaviour_for(node: spec.FlowNode) -> Behaviour:
    """The behaviour of ``node``; features still missing stop the token with an incident, never silently."""
    if isinstance(node, spec.Event) and node.event_definitions and not isinstance(node, spec.EndEvent):
        definitions = node.event_definitions
        behaviour = EVENT_BEHAVIOURS.get((type(node), type(definitions[0]))) if len(definitions) == 1 else None
        if behaviour is not None:
            return behaviour
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
