"""Which parsed elements the engine executes now, which come later, and which it does not run.

The answer is data, one row per spec class or event definition, so widening support is a
change of row. docs/bpmn-support.md describes the same tables in prose.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum

from apps.engine.bpmn.spec import (
    Activity,
    BoundaryEvent,
    BusinessRuleTask,
    CallActivity,
    CancelEventDefinition,
    CompensateEventDefinition,
    ComplexGateway,
    ConditionalEventDefinition,
    EndEvent,
    ErrorEventDefinition,
    EscalationEventDefinition,
    Event,
    EventBasedGateway,
    EventDefinition,
    ExclusiveGateway,
    FlowNode,
    InclusiveGateway,
    IntermediateCatchEvent,
    IntermediateThrowEvent,
    LinkEventDefinition,
    ManualTask,
    MessageEventDefinition,
    ParallelGateway,
    ReceiveTask,
    ScriptTask,
    SendTask,
    ServiceTask,
    SignalEventDefinition,
    StartEvent,
    SubProcess,
    Task,
    TerminateEventDefinition,
    TimerEventDefinition,
    UnknownEventDefinition,
    UnsupportedNode,
    UserTask,
)


class Support(StrEnum):
    EXECUTABLE = "executable"
    NOT_YET = "not-executable-yet"
    UNSUPPORTED = "unsupported"


NODE_SUPPORT: Mapping[type[FlowNode], Support] = {
    Task: Support.EXECUTABLE,
    UserTask: Support.EXECUTABLE,
    ManualTask: Support.EXECUTABLE,
    ScriptTask: Support.EXECUTABLE,
    ServiceTask: Support.EXECUTABLE,
    SendTask: Support.EXECUTABLE,
    ReceiveTask: Support.EXECUTABLE,
    BusinessRuleTask: Support.EXECUTABLE,
    CallActivity: Support.EXECUTABLE,
    ExclusiveGateway: Support.EXECUTABLE,
    ParallelGateway: Support.EXECUTABLE,
    InclusiveGateway: Support.EXECUTABLE,
    EventBasedGateway: Support.EXECUTABLE,
    ComplexGateway: Support.UNSUPPORTED,
    UnsupportedNode: Support.UNSUPPORTED,
}
# An event without an event definition (a "none" event).
NONE_EVENT_SUPPORT: Mapping[type[Event], Support] = {
    StartEvent: Support.EXECUTABLE,
    EndEvent: Support.EXECUTABLE,
    IntermediateThrowEvent: Support.EXECUTABLE,
    IntermediateCatchEvent: Support.UNSUPPORTED,
    BoundaryEvent: Support.UNSUPPORTED,
}
# What ``_event_support`` does not settle: the combinations BPMN has no meaning for (an error
# start event outside an event subprocess, a non-interrupting message start event) and those to come.
EVENT_DEFINITION_SUPPORT: Mapping[type[EventDefinition], Support] = {
    MessageEventDefinition: Support.UNSUPPORTED,
    TimerEventDefinition: Support.UNSUPPORTED,
    SignalEventDefinition: Support.UNSUPPORTED,
    ErrorEventDefinition: Support.UNSUPPORTED,
    EscalationEventDefinition: Support.EXECUTABLE,  # throw, end and boundary events; not a start event
    CompensateEventDefinition: Support.UNSUPPORTED,
    ConditionalEventDefinition: Support.UNSUPPORTED,
    LinkEventDefinition: Support.UNSUPPORTED,
    CancelEventDefinition: Support.UNSUPPORTED,
    UnknownEventDefinition: Support.UNSUPPORTED,
}
SUBPROCESS_SUPPORT: Mapping[str, Support] = {
    "subProcess": Support.EXECUTABLE,
    "transaction": Support.EXECUTABLE,
    "adHocSubProcess": Support.UNSUPPORTED,
}


# The start event of an event subprocess, by its one definition: interrupting, and not.
EVENT_SUBPROCESS_START_SUPPORT: Mapping[type[EventDefinition], tuple[Support, Support]] = {
    TimerEventDefinition: (Support.EXECUTABLE, Support.EXECUTABLE),
    MessageEventDefinition: (Support.EXECUTABLE, Support.EXECUTABLE),
    SignalEventDefinition: (Support.EXECUTABLE, Support.EXECUTABLE),
    ErrorEventDefinition: (Support.EXECUTABLE, Support.UNSUPPORTED),  # an error always interrupts
    EscalationEventDefinition: (Support.EXECUTABLE, Support.EXECUTABLE),
    ConditionalEventDefinition: (Support.EXECUTABLE, Support.EXECUTABLE),
    CompensateEventDefinition: (Support.EXECUTABLE, Support.UNSUPPORTED),  # compensation always interrupts
}


def node_support(node: FlowNode, *, in_event_subprocess: bool = False) -> Support:
    """Tell whether the engine executes ``node`` in an executable process (``in_event_subprocess``:
    directly inside an event subprocess, where start events have triggers of their own)."""
    if isinstance(node, StartEvent) and in_event_subprocess:
        return _event_subprocess_start_support(node)
    if isinstance(node, Event):
        return _event_support(node)
    if isinstance(node, Activity) and node.is_for_compensation:
        # A compensation handler: a task (no loops, calls or subprocesses among handlers yet).
        plain = not isinstance(node, (CallActivity, SubProcess)) and node.loop is None
        return NODE_SUPPORT.get(type(node), Support.UNSUPPORTED) if plain else Support.UNSUPPORTED
    if isinstance(node, SubProcess):
        if node.triggered_by_event:
            return Support.EXECUTABLE if node.tag == "subProcess" else Support.UNSUPPORTED
        return SUBPROCESS_SUPPORT.get(node.tag, Support.UNSUPPORTED)
    return NODE_SUPPORT.get(type(node), Support.UNSUPPORTED)


def _event_subprocess_start_support(start: StartEvent) -> Support:
    if len(start.event_definitions) != 1:
        return Support.UNSUPPORTED  # none (structure_rules says so) or several
    (definition,) = start.event_definitions
    if isinstance(definition, TimerEventDefinition) and definition.timer_type is None:
        return Support.UNSUPPORTED
    interrupting, not_interrupting = EVENT_SUBPROCESS_START_SUPPORT.get(
        type(definition), (Support.UNSUPPORTED, Support.UNSUPPORTED)
    )
    return interrupting if start.is_interrupting else not_interrupting


def _event_support(event: Event) -> Support:
    definitions = event.event_definitions
    if not definitions:
        return NONE_EVENT_SUPPORT.get(type(event), Support.UNSUPPORTED)
    if len(definitions) > 1:
        return Support.UNSUPPORTED
    definition = definitions[0]
    if isinstance(definition, TerminateEventDefinition):
        return Support.EXECUTABLE if isinstance(event, EndEvent) else Support.UNSUPPORTED
    if isinstance(definition, TimerEventDefinition) and isinstance(event, IntermediateCatchEvent):
        # A catch event waits once: a date or a duration (a cycle repeats, which only start and boundary events do).
        return Support.EXECUTABLE if definition.timer_type in ("date", "duration") else Support.UNSUPPORTED
    if isinstance(definition, TimerEventDefinition) and isinstance(event, StartEvent) and event.is_interrupting:
        return Support.EXECUTABLE if definition.timer_type is not None else Support.UNSUPPORTED
    if isinstance(definition, LinkEventDefinition):
        return (
            Support.EXECUTABLE
            if isinstance(event, (IntermediateThrowEvent, IntermediateCatchEvent))
            else Support.UNSUPPORTED
        )
    if isinstance(definition, SignalEventDefinition):
        if isinstance(event, StartEvent):
            return Support.EXECUTABLE if event.is_interrupting else Support.UNSUPPORTED
        return Support.EXECUTABLE  # catch, throw, boundary (interrupting or not) and end events
    if isinstance(definition, EscalationEventDefinition):
        return Support.UNSUPPORTED if isinstance(event, (StartEvent, IntermediateCatchEvent)) else Support.EXECUTABLE
    if isinstance(definition, ErrorEventDefinition) and isinstance(event, EndEvent):
        return Support.EXECUTABLE
    if isinstance(definition, ErrorEventDefinition) and isinstance(event, BoundaryEvent):
        return Support.EXECUTABLE if event.cancel_activity else Support.UNSUPPORTED  # an error always interrupts
    if isinstance(definition, MessageEventDefinition) and isinstance(event, (IntermediateThrowEvent, EndEvent)):
        return Support.EXECUTABLE  # sent by a handler or an external worker, as a send task is
    if isinstance(definition, MessageEventDefinition) and isinstance(event, (IntermediateCatchEvent, BoundaryEvent)):
        return Support.EXECUTABLE
    if isinstance(definition, MessageEventDefinition) and isinstance(event, StartEvent) and event.is_interrupting:
        return Support.EXECUTABLE
    if isinstance(definition, CompensateEventDefinition) and isinstance(
        event, (IntermediateThrowEvent, EndEvent, BoundaryEvent)
    ):
        return Support.EXECUTABLE  # thrown, or (a boundary event) naming the handler of its activity
    if isinstance(definition, CancelEventDefinition) and isinstance(event, (EndEvent, BoundaryEvent)):
        return Support.EXECUTABLE  # in and on a transaction subprocess
    if isinstance(definition, ConditionalEventDefinition) and isinstance(
        event, (IntermediateCatchEvent, BoundaryEvent, StartEvent)
    ):
        # Watched while the token waits or the activity runs; a process's start event is evaluated
        # when asked (``POST /api/v1/conditions/``).
        return Support.EXECUTABLE
    if isinstance(definition, TimerEventDefinition) and isinstance(event, BoundaryEvent):
        return Support.EXECUTABLE if definition.timer_type is not None else Support.UNSUPPORTED
    return EVENT_DEFINITION_SUPPORT.get(type(definition), Support.UNSUPPORTED)


def describe_node(node: FlowNode) -> str:
    """Name the kind of node the way a modeler shows it: 'timer start event', 'event subprocess'."""
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", node.tag).lower()
    if isinstance(node, Activity) and node.is_for_compensation:
        return f"compensation {words}"
    if isinstance(node, SubProcess) and node.triggered_by_event:
        return "event subprocess"
    if isinstance(node, Event) and len(node.event_definitions) > 1:
        return f"multiple {words}"
    if isinstance(node, Event) and node.event_definitions:
        definition = node.event_definitions[0]
        kind = definition.tag if isinstance(definition, UnknownEventDefinition) else definition.kind
        return f"{kind} {words}"
    return words
