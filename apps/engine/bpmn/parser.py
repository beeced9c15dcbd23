"""Parse BPMN 2.0 XML into immutable specs.

Dispatch is by table: ``FLOW_NODES`` maps each BPMN tag to its parse function and spec class,
``ROOT_ELEMENTS`` does the same for what sits directly under ``definitions``. Supporting a new
element is a new row. A BPMN flow element without a row becomes an ``UnsupportedNode``; nothing
is dropped without a trace. Diagram interchange (DI) is not needed to run a model and is only
noted as present.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from apps.engine.bpmn.elements import (
    ParseFunction,
    ProcessContext,
    ScopeContext,
    activity_fields,
    bpmn_children,
    formal_expression,
    parse_activity,
    parse_boundary_event,
    parse_call_activity,
    parse_event,
    parse_gateway,
    parse_receive_task,
    parse_script_task,
    parse_send_task,
    parse_start_event,
    parse_unsupported,
    start_reading,
)
from apps.engine.bpmn.extensions import ExtensionReader, read_extensions
from apps.engine.bpmn.names import BPMN, BPMNDI
from apps.engine.bpmn.problems import Problem, by_line, error
from apps.engine.bpmn.spec import (
    Artifact,
    BoundaryEvent,
    BusinessRuleTask,
    CallActivity,
    Collaboration,
    ComplexGateway,
    Definitions,
    DuplicateId,
    EndEvent,
    ErrorSpec,
    Escalation,
    EventBasedGateway,
    ExclusiveGateway,
    FlowNode,
    Import,
    InclusiveGateway,
    IntermediateCatchEvent,
    IntermediateThrowEvent,
    Lane,
    ManualTask,
    Message,
    MessageFlow,
    ParallelGateway,
    Participant,
    ProcessSpec,
    ReceiveTask,
    ScriptTask,
    SendTask,
    SequenceFlow,
    ServiceTask,
    Signal,
    StartEvent,
    SubProcess,
    Task,
    UnsupportedNode,
    UserTask,
    frozen_mapping,
)
from apps.engine.bpmn.xml import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_DEPTH,
    Element,
    attribute,
    child_elements,
    line_of,
    local_name,
    namespace_of,
    read_xml,
    text_of,
)


@dataclass(frozen=True, slots=True)
class ParseResult:
    """The definitions (``None`` when the XML could not be read at all) and what was found wrong."""

    definitions: Definitions | None
    problems: tuple[Problem, ...] = ()


def parse_definitions(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_depth: int = DEFAULT_MAX_DEPTH
) -> ParseResult:
    """Parse a BPMN 2.0 document given as bytes; never raises for bad or hostile input."""
    document = read_xml(data, max_bytes=max_bytes, max_depth=max_depth)
    root = document.root
    if root is None:
        return ParseResult(None, document.problems)
    if namespace_of(root) != BPMN or local_name(root) != "definitions":
        message = f"The root element is {root.tag}, not BPMN 2.0 definitions ({{{BPMN}}}definitions)."
        return ParseResult(None, (error("not-bpmn-definitions", message, line=line_of(root)),))
    collected = _RootCollector(problems=[])
    for child in child_elements(root):
        if namespace_of(child) == BPMNDI and local_name(child) == "BPMNDiagram":
            collected.has_diagram = True
        elif namespace_of(child) == BPMN and local_name(child) in ROOT_ELEMENTS:
            ROOT_ELEMENTS[local_name(child)](child, collected)
    definitions = Definitions(
        id=attribute(root, "id"),
        name=attribute(root, "name"),
        target_namespace=attribute(root, "targetNamespace"),
        line=line_of(root),
        processes=frozen_mapping(collected.processes),
        collaborations=tuple(collected.collaborations),
        messages=frozen_mapping(collected.messages),
        errors=frozen_mapping(collected.errors),
        signals=frozen_mapping(collected.signals),
        escalations=frozen_mapping(collected.escalations),
        imports=tuple(collected.imports),
        has_diagram=collected.has_diagram,
        duplicate_ids=tuple(find_duplicate_ids(root)),
    )
    return ParseResult(definitions, tuple(sorted(collected.problems, key=by_line)))


# Root elements -----------------------------------------------------------------------------------


@dataclass
class _RootCollector:
    problems: list[Problem]
    processes: dict[str, ProcessSpec] = field(default_factory=dict)
    collaborations: list[Collaboration] = field(default_factory=list)
    messages: dict[str, Message] = field(default_factory=dict)
    errors: dict[str, ErrorSpec] = field(default_factory=dict)
    signals: dict[str, Signal] = field(default_factory=dict)
    escalations: dict[str, Escalation] = field(default_factory=dict)
    imports: list[Import] = field(default_factory=list)
    has_diagram: bool = False

    def element_id(self, element: Element) -> str | None:
        """Return the element's id, or report that it has none (the element is then skipped)."""
        element_id = attribute(element, "id")
        if not element_id:
            message = f"A {local_name(element)} has no id, so nothing can refer to it; it is skipped."
            self.problems.append(error("element-id-missing", message, line=line_of(element)))
        return element_id or None


def _collect_process(element: Element, collected: _RootCollector) -> None:
    process_id = collected.element_id(element)
    if process_id is not None and process_id not in collected.processes:
        collected.processes[process_id] = parse_process(element, process_id, collected.problems)


def _collect_collaboration(element: Element, collected: _RootCollector) -> None:
    collaboration_id = collected.element_id(element)
    if collaboration_id is None:
        return
    participants = tuple(
        Participant(
            id=attribute(child, "id") or "",
            name=attribute(child, "name"),
            process_ref=attribute(child, "processRef"),
            line=line_of(child),
        )
        for child in bpmn_children(element, "participant")
    )
    message_flows = tuple(
        MessageFlow(
            id=attribute(child, "id") or "",
            source=attribute(child, "sourceRef") or "",
            target=attribute(child, "targetRef") or "",
            name=attribute(child, "name"),
            message_ref=attribute(child, "messageRef"),
            line=line_of(child),
        )
        for child in bpmn_children(element, "messageFlow")
    )
    collaboration = Collaboration(
        id=collaboration_id,
        name=attribute(element, "name"),
        line=line_of(element),
        participants=participants,
        message_flows=message_flows,
    )
    collected.collaborations.append(collaboration)


def _collect_message(element: Element, collected: _RootCollector) -> None:
    message_id = collected.element_id(element)
    if message_id is not None:
        reader = read_extensions(element, "message", ExtensionReader(message_id, owner_tag="message"))
        name, line = attribute(element, "name"), line_of(element)
        message = Message(id=message_id, name=name, line=line, correlation_key=reader.correlation_key)
        collected.messages.setdefault(message_id, message)


def _collect_error(element: Element, collected: _RootCollector) -> None:
    error_id = collected.element_id(element)
    if error_id is not None:
        name, code = attribute(element, "name"), attribute(element, "errorCode")
        collected.errors.setdefault(error_id, ErrorSpec(id=error_id, name=name, error_code=code, line=line_of(element)))


def _collect_signal(element: Element, collected: _RootCollector) -> None:
    signal_id = collected.element_id(element)
    if signal_id is not None:
        signal = Signal(id=signal_id, name=attribute(element, "name"), line=line_of(element))
        collected.signals.setdefault(signal_id, signal)


def _collect_escalation(element: Element, collected: _RootCollector) -> None:
    escalation_id = collected.element_id(element)
    if escalation_id is not None:
        name, code = attribute(element, "name"), attribute(element, "escalationCode")
        escalation = Escalation(id=escalation_id, name=name, escalation_code=code, line=line_of(element))
        collected.escalations.setdefault(escalation_id, escalation)


def _collect_import(element: Element, collected: _RootCollector) -> None:
    collected.imports.append(
        Import(
            namespace=attribute(element, "namespace"),
            location=attribute(element, "location"),
            import_type=attribute(element, "importType"),
            line=line_of(element),
        )
    )


# Other root elements (item definitions, resources, data stores, interfaces, global tasks...) are
# not needed to run a process: their ids are still checked for duplicates.
ROOT_ELEMENTS: Mapping[str, Callable[[Element, _RootCollector], None]] = {
    "process": _collect_process,
    "collaboration": _collect_collaboration,
    "message": _collect_message,
    "error": _collect_error,
    "signal": _collect_signal,
    "escalation": _collect_escalation,
    "import": _collect_import,
}


# Processes and scopes ----------------------------------------------------------------------------


def parse_process(element: Element, process_id: str, problems: list[Problem]) -> ProcessSpec:
    context = ProcessContext(process_id, executable=False, problems=problems)
    context.executable = context.boolean(element, "isExecutable", False)
    extensions = read_extensions(element, "process", ExtensionReader(process_id, owner_tag="process")).build()
    scope = parse_scope(element, process_id, context)
    return ProcessSpec(
        id=process_id,
        name=attribute(element, "name"),
        is_executable=context.executable,
        line=line_of(element),
        nodes=frozen_mapping(scope.nodes),
        flows=frozen_mapping(scope.flows),
        start_node_ids=scope.start_node_ids(),
        scopes=frozen_mapping(context.subprocesses),
        scope_of=frozen_mapping(context.scope_of),
        lanes=tuple(context.lanes),
        artifacts=tuple(context.artifacts),
        extensions=extensions,
    )


@dataclass
class ScopeParts:
    nodes: dict[str, FlowNode] = field(default_factory=dict)
    flows: dict[str, SequenceFlow] = field(default_factory=dict)

    def start_node_ids(self) -> tuple[str, ...]:
        return tuple(node_id for node_id, node in self.nodes.items() if isinstance(node, StartEvent))


def parse_scope(element: Element, scope_id: str, context: ProcessContext) -> ScopeParts:
    """Parse the flows, then the nodes of a process or subprocess (nested scopes recursively)."""
    parts = ScopeParts()
    incoming: dict[str, list[str]] = defaultdict(list)
    outgoing: dict[str, list[str]] = defaultdict(list)
    boundaries: dict[str, list[str]] = defaultdict(list)
    children = list(bpmn_children(element))
    for child in children:
        tag = local_name(child)
        if tag == "sequenceFlow":
            flow = parse_sequence_flow(child, context)
            if flow is not None and flow.id not in parts.flows:
                parts.flows[flow.id] = flow
                context.scope_of.setdefault(flow.id, scope_id)
                outgoing[flow.source].append(flow.id)
                incoming[flow.target].append(flow.id)
        elif tag == "boundaryEvent" and attribute(child, "id"):
            boundaries[attribute(child, "attachedToRef") or ""].append(attribute(child, "id") or "")
    scope = ScopeContext(context, scope_id, incoming, outgoing, boundaries)
    for child in children:
        tag = local_name(child)
        if tag in FLOW_NODES or tag not in NOT_FLOW_NODES:
            node = _parse_node(child, tag, scope)
            if node is not None and node.id not in parts.nodes:
                parts.nodes[node.id] = node
                context.scope_of.setdefault(node.id, scope_id)
        elif tag in ARTIFACTS:
            context.artifacts.append(_artifact(child))
        elif tag == "laneSet":
            context.lanes += parse_lane_set(child, parent_lane_id=None)
    return parts


def _parse_node(element: Element, tag: str, scope: ScopeContext) -> FlowNode | None:
    node_id = attribute(element, "id")
    if not node_id:
        message = f"A {tag} has no id, so no flow can reach it; it is skipped."
        scope.process.report("element-id-missing", message, None, line_of(element))
        return None
    parse, spec_class = FLOW_NODES.get(tag, (parse_unsupported, UnsupportedNode))
    return parse(element, spec_class, scope)


def parse_sequence_flow(element: Element, context: ProcessContext) -> SequenceFlow | None:
    flow_id = attribute(element, "id")
    if not flow_id:
        context.report("element-id-missing", "A sequenceFlow has no id; it is skipped.", None, line_of(element))
        return None
    return SequenceFlow(
        id=flow_id,
        source=attribute(element, "sourceRef") or "",
        target=attribute(element, "targetRef") or "",
        condition=formal_expression(next(bpmn_children(element, "conditionExpression"), None), flow_id),
        name=attribute(element, "name"),
        line=line_of(element),
        extensions=start_reading(element).build(),
    )


def parse_subprocess(element: Element, spec_class: type[SubProcess], scope: ScopeContext) -> SubProcess:
    """Parse an embedded subprocess: a scope of its own, registered with the process."""
    fields = activity_fields(element, scope, start_reading(element))
    inner = parse_scope(element, fields["id"], scope.process)
    subprocess = spec_class(
        **fields,
        triggered_by_event=scope.process.boolean(element, "triggeredByEvent", False),
        nodes=frozen_mapping(inner.nodes),
        flows=frozen_mapping(inner.flows),
        start_node_ids=inner.start_node_ids(),
    )
    scope.process.subprocesses.setdefault(subprocess.id, subprocess)
    return subprocess


def parse_lane_set(element: Element, parent_lane_id: str | None) -> list[Lane]:
    lanes: list[Lane] = []
    for lane in bpmn_children(element, "lane"):
        lane_id = attribute(lane, "id") or ""
        node_ids = tuple(text_of(reference) for reference in bpmn_children(lane, "flowNodeRef"))
        lanes.append(
            Lane(
                id=lane_id,
                name=attribute(lane, "name"),
                line=line_of(lane),
                flow_node_ids=node_ids,
                parent_lane_id=parent_lane_id,
            )
        )
        for child_set in bpmn_children(lane, "childLaneSet"):
            lanes += parse_lane_set(child_set, parent_lane_id=lane_id)
    return lanes


def _artifact(element: Element) -> Artifact:
    return Artifact(
        id=attribute(element, "id") or "",
        tag=local_name(element),
        name=attribute(element, "name"),
        line=line_of(element),
        source=attribute(element, "sourceRef"),
        target=attribute(element, "targetRef"),
    )


FLOW_NODES: Mapping[str, tuple[ParseFunction, type[FlowNode]]] = {
    "startEvent": (parse_start_event, StartEvent),
    "endEvent": (parse_event, EndEvent),
    "intermediateCatchEvent": (parse_event, IntermediateCatchEvent),
    "intermediateThrowEvent": (parse_event, IntermediateThrowEvent),
    "boundaryEvent": (parse_boundary_event, BoundaryEvent),
    "task": (parse_activity, Task),
    "userTask": (parse_activity, UserTask),
    "manualTask": (parse_activity, ManualTask),
    "scriptTask": (parse_script_task, ScriptTask),
    "serviceTask": (parse_activity, ServiceTask),
    "sendTask": (parse_send_task, SendTask),
    "receiveTask": (parse_receive_task, ReceiveTask),
    "businessRuleTask": (parse_activity, BusinessRuleTask),
    "subProcess": (parse_subprocess, SubProcess),
    "transaction": (parse_subprocess, SubProcess),
    "adHocSubProcess": (parse_subprocess, SubProcess),
    "callActivity": (parse_call_activity, CallActivity),
    "exclusiveGateway": (parse_gateway, ExclusiveGateway),
    "parallelGateway": (parse_gateway, ParallelGateway),
    "inclusiveGateway": (parse_gateway, InclusiveGateway),
    "eventBasedGateway": (parse_gateway, EventBasedGateway),
    "complexGateway": (parse_gateway, ComplexGateway),
}
ARTIFACTS = frozenset(
    {"dataObject", "dataObjectReference", "dataStoreReference", "textAnnotation", "association", "group"}
)
# BPMN children of a process or subprocess that are not flow nodes; any other BPMN child
# becomes an UnsupportedNode. (Some exporters also write incoming/outgoing at process level.)
NOT_FLOW_NODES = ARTIFACTS | {
    "sequenceFlow",
    "laneSet",
    "documentation",
    "extensionElements",
    "auditing",
    "monitoring",
    "property",
    "ioSpecification",
    "ioBinding",
    "supports",
    "correlationSubscription",
    "performer",
    "humanPerformer",
    "potentialOwner",
    "resourceRole",
    "categoryValueRef",
    "multiInstanceLoopCharacteristics",
    "standardLoopCharacteristics",
    "dataInputAssociation",
    "dataOutputAssociation",
    "incoming",
    "outgoing",
}


# Duplicate ids -----------------------------------------------------------------------------------


def find_duplicate_ids(root: Element) -> Iterator[DuplicateId]:
    """Yield every BPMN element whose id an earlier one already has (extensions and DI aside)."""
    first_seen: dict[str, tuple[int | None, str | None]] = {}
    for element, process_id in _semantic_elements(root):
        element_id = attribute(element, "id")
        if not element_id:
            continue
        first = first_seen.get(element_id)
        if first is None:
            first_seen[element_id] = (line_of(element), process_id)
            continue
        yield DuplicateId(
            element_id=element_id,
            tag=local_name(element),
            line=line_of(element),
            first_line=first[0],
            process_id=process_id,
            first_process_id=first[1],
        )


def _semantic_elements(root: Element) -> Iterator[tuple[Element, str | None]]:
    """Walk BPMN-namespace elements depth first with the id of the process holding them."""
    stack: list[tuple[Element, str | None]] = [(root, None)]
    while stack:
        element, process_id = stack.pop()
        if local_name(element) == "process":
            process_id = attribute(element, "id")
        yield element, process_id
        children = [
            child
            for child in child_elements(element)
            if namespace_of(child) == BPMN and local_name(child) != "extensionElements"
        ]
        stack += [(child, process_id) for child in reversed(children)]
