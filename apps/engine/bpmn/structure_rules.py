"""Structural rules, run on every process: is the graph well formed and can it finish?

Each rule takes one scope (a process or an embedded subprocess) and yields problems; the
severity comes from ``ProcessCheck.structural``.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterator

from apps.engine.bpmn.checking import ProcessCheck, describe_scope
from apps.engine.bpmn.problems import Problem
from apps.engine.bpmn.spec import (
    Activity,
    BoundaryEvent,
    EndEvent,
    ErrorEventDefinition,
    EscalationEventDefinition,
    Event,
    EventBasedGateway,
    ExclusiveGateway,
    FlowNode,
    Gateway,
    InclusiveGateway,
    IntermediateCatchEvent,
    IntermediateThrowEvent,
    LinkEventDefinition,
    MessageEventDefinition,
    ParallelGateway,
    ReceiveTask,
    Scope,
    SendTask,
    SignalEventDefinition,
    StartEvent,
    SubProcess,
)
from apps.engine.bpmn.support import describe_node

# Sources whose outgoing conditions BPMN ignores.
UNCONDITIONAL_SOURCES = (ParallelGateway, EventBasedGateway, Event)


def check_start_events(scope: Scope, check: ProcessCheck) -> Iterator[Problem]:
    if not scope.start_node_ids:
        message = f"The {describe_scope(scope)} has no start event, so it cannot be started."
        yield check.structural("no-start-event", message, scope.id, scope.line)


def check_flow_references(scope: Scope, check: ProcessCheck) -> Iterator[Problem]:
    ends = (("sourceRef", "starts", "flow-source-unknown"), ("targetRef", "ends", "flow-target-unknown"))
    for flow in scope.flows.values():
        for (attribute, verb, code), reference in zip(ends, (flow.source, flow.target), strict=True):
            if not reference:
                yield check.structural(code, f"Sequence flow '{flow.id}' has no {attribute}.", flow.id, flow.line)
            elif reference not in scope.nodes:
                message = (
                    f"Sequence flow '{flow.id}' {verb} at '{reference}', "
                    f"which is not a flow node of the {describe_scope(scope)}."
                )
                yield check.structural(code, message, flow.id, flow.line)


def check_event_flow_direction(scope: Scope, check: ProcessCheck) -> Iterator[Problem]:
    for node in scope.nodes.values():
        if isinstance(node, StartEvent | BoundaryEvent) and node.incoming:
            message = f"The {describe_node(node)} '{node.id}' has incoming sequence flows; it can only start a path."
            yield check.structural("start-event-has-incoming", message, node.id, node.line)
        if isinstance(node, EndEvent) and node.outgoing:
            message = f"The {describe_node(node)} '{node.id}' has outgoing sequence flows; it can only end a path."
            yield check.structural("end-event-has-outgoing", message, node.id, node.line)


def check_default_flows(scope: Scope, check: ProcessCheck) -> Iterator[Problem]:
    for node in scope.nodes.values():
        default_flow = node.default_flow if isinstance(node, Gateway | Activity) else None
        if default_flow is None:
            continue
        if default_flow not in node.outgoing:
            message = (
                f"The default flow '{default_flow}' of {describe_node(node)} '{node.id}' "
                "is not one of its outgoing flows."
            )
            yield check.structural("default-flow-not-outgoing", message, node.id, node.line)
            continue
        flow = scope.flows[default_flow]
        if flow.condition is not None:
            message = (
                f"Sequence flow '{flow.id}' is the default flow of {describe_node(node)} '{node.id}' and also has "
                "a condition; a default flow is taken when no condition holds, so it must not have one."
            )
            yield check.structural("default-flow-has-condition", message, flow.id, flow.line)


def check_gateway_conditions(scope: Scope, check: ProcessCheck) -> Iterator[Problem]:
    """An exclusive or inclusive split needs a condition on every flow but its default."""
    for node in scope.nodes.values():
        if not isinstance(node, ExclusiveGateway | InclusiveGateway) or len(node.outgoing) < 2:
            continue
        for flow_id in node.outgoing:
            flow = scope.flows.get(flow_id)
            if flow is not None and flow.condition is None and flow_id != node.default_flow:
                message = (
                    f"Sequence flow '{flow_id}' leaves the {describe_node(node)} '{node.id}' without a condition "
                    "and is not its default flow: give it a condition or make it the default."
                )
                yield check.structural("gateway-condition-missing", message, flow_id, flow.line)


def check_conditions_allowed(scope: Scope, check: ProcessCheck) -> Iterator[Problem]:
    for flow in scope.flows.values():
        source = scope.nodes.get(flow.source)
        if flow.condition is not None and isinstance(source, UNCONDITIONAL_SOURCES):
            message = (
                f"Sequence flow '{flow.id}' has a condition, but it leaves the {describe_node(source)} "
                f"'{source.id}', which takes every outgoing flow regardless of conditions."
            )
            yield check.structural("condition-not-allowed", message, flow.id, flow.condition.line or flow.line)


def check_boundary_attachments(scope: Scope, check: ProcessCheck) -> Iterator[Problem]:
    for node in scope.nodes.values():
        if isinstance(node, BoundaryEvent) and not isinstance(scope.nodes.get(node.attached_to), Activity):
            message = (
                f"The boundary event '{node.id}' is attached to '{node.attached_to}', which is not an activity here."
            )
            yield check.structural("boundary-attachment-unknown", message, node.id, node.line)


def check_references(scope: Scope, check: ProcessCheck) -> Iterator[Problem]:
    """Message, signal, error and escalation references must name a root element of the file."""
    definitions = check.context.definitions
    known = {
        "message": definitions.messages,
        "signal": definitions.signals,
        "error": definitions.errors,
        "escalation": definitions.escalations,
    }
    for node in scope.nodes.values():
        for kind, reference, line in _references(node):
            if reference is not None and reference not in known[kind]:
                message = f"The {describe_node(node)} '{node.id}' refers to {kind} '{reference}', which is not defined."
                yield check.structural(f"{kind}-ref-unknown", message, node.id, line)


def _references(node: FlowNode) -> Iterator[tuple[str, str | None, int | None]]:
    if isinstance(node, SendTask | ReceiveTask):
        yield "message", node.message_ref, node.line
    for definition in node.event_definitions if isinstance(node, Event) else ():
        if isinstance(definition, MessageEventDefinition):
            yield "message", definition.message_ref, definition.line
        elif isinstance(definition, SignalEventDefinition):
            yield "signal", definition.signal_ref, definition.line
        elif isinstance(definition, ErrorEventDefinition):
            yield "error", definition.error_ref, definition.line
        elif isinstance(definition, EscalationEventDefinition):
            yield "escalation", definition.escalation_ref, definition.line


def check_reachability(scope: Scope, check: ProcessCheck) -> Iterator[Problem]:
    """Every node must be reachable from a start event, and some end must be reachable."""
    if not scope.start_node_ids:
        return  # check_start_events already reports this scope
    reached = _reachable(scope)
    for node in scope.nodes.values():
        if node.id not in reached:
            message = (
                f"The {describe_node(node)} '{node.id}' cannot be reached "
                f"from a start event of the {describe_scope(scope)}."
            )
            yield check.structural("unreachable-element", message, node.id, node.line)
    if not any(_ends_a_path(scope.nodes[node_id]) for node_id in reached):
        message = f"No end event (nor any node without outgoing flows) can be reached in the {describe_scope(scope)}."
        yield check.structural("no-reachable-end", message, scope.id, scope.line)


def _reachable(scope: Scope) -> set[str]:
    """Walk forward from the roots over flows, boundary attachments and link events."""
    roots = [
        node.id
        for node in scope.nodes.values()
        if isinstance(node, StartEvent)
        or (isinstance(node, SubProcess) and node.triggered_by_event)
        or (isinstance(node, Activity) and node.is_for_compensation)
    ]
    link_targets: dict[str, list[str]] = defaultdict(list)
    for node in scope.nodes.values():
        if isinstance(node, IntermediateCatchEvent) and (name := _link_name(node)) is not None:
            link_targets[name].append(node.id)
    reached = set(roots)
    queue = deque(roots)
    while queue:
        node = scope.nodes[queue.popleft()]
        following = [scope.flows[flow_id].target for flow_id in node.outgoing]
        if isinstance(node, Activity):
            following += node.boundary_event_ids
        if isinstance(node, IntermediateThrowEvent) and (name := _link_name(node)) is not None:
            following += link_targets.get(name, [])
        for node_id in following:
            if node_id in scope.nodes and node_id not in reached:
                reached.add(node_id)
                queue.append(node_id)
    return reached


def _link_name(event: Event) -> str | None:
    for definition in event.event_definitions:
        if isinstance(definition, LinkEventDefinition):
            return definition.name or ""
    return None


def _ends_a_path(node: FlowNode) -> bool:
    if isinstance(node, EndEvent):
        return True
    jumps = isinstance(node, IntermediateThrowEvent) and _link_name(node) is not None
    return not node.outgoing and not jumps
