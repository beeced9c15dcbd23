"""Parse functions for flow nodes, event definitions and loop characteristics.

Each function reads one BPMN element into the spec class its row in ``parser.FLOW_NODES`` names.
Problems (a missing id, an attribute that is not a boolean) go to the process context with the
element's id and line; settings the engine will not execute go into the node's
``ExtensionConfig`` for validation to judge.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

from apps.engine.bpmn.extensions import TRUE_VALUES, ExtensionReader, camunda_value, read_extensions, split_list
from apps.engine.bpmn.names import BPMN, CAMUNDA_NAMESPACES, qualified
from apps.engine.bpmn.problems import Problem, Severity
from apps.engine.bpmn.spec import (
    Activity,
    Artifact,
    BoundaryEvent,
    CallActivity,
    CancelEventDefinition,
    CompensateEventDefinition,
    ConditionalEventDefinition,
    ErrorEventDefinition,
    EscalationEventDefinition,
    Event,
    EventDefinition,
    Expression,
    ExtensionConfig,
    Feature,
    FlowNode,
    Gateway,
    Lane,
    LinkEventDefinition,
    LoopCharacteristics,
    MessageEventDefinition,
    MultiInstance,
    ReceiveTask,
    Script,
    ScriptTask,
    SendTask,
    SignalEventDefinition,
    StandardLoop,
    StartEvent,
    SubProcess,
    TerminateEventDefinition,
    TimerEventDefinition,
    UnknownEventDefinition,
    UnsupportedNode,
)
from apps.engine.bpmn.xml import Element, attribute, child_elements, line_of, local_name, namespace_of, text_of

BOOLEAN_VALUES = {"true": True, "1": True, "false": False, "0": False}
TIMER_TYPES: Mapping[str, Literal["date", "duration", "cycle"]] = {
    "timeDate": "date",
    "timeDuration": "duration",
    "timeCycle": "cycle",
}
DATA_ASSOCIATIONS = frozenset({"dataInputAssociation", "dataOutputAssociation"})
PERFORMERS = frozenset({"performer", "humanPerformer", "potentialOwner"})


@dataclass
class ProcessContext:
    """What parsing one process collects besides its top-level nodes."""

    process_id: str
    executable: bool
    problems: list[Problem]
    subprocesses: dict[str, SubProcess] = field(default_factory=dict)
    scope_of: dict[str, str] = field(default_factory=dict)
    lanes: list[Lane] = field(default_factory=list)
    artifacts: list[Artifact] = field(default_factory=list)

    def report(self, code: str, message: str, element_id: str | None, line: int | None) -> None:
        """Record a parse problem: an error in an executable process, a warning elsewhere."""
        severity = Severity.ERROR if self.executable else Severity.WARNING
        self.problems.append(Problem(severity, code, message, element_id, line))

    def boolean(self, element: Element, name: str, default: bool) -> bool:
        value = attribute(element, name)
        if value is None:
            return default
        parsed = BOOLEAN_VALUES.get(value.strip().lower())
        if parsed is None:
            message = f"Attribute {name}='{value}' is neither true nor false; {str(default).lower()} is used."
            self.report("attribute-invalid", message, attribute(element, "id"), line_of(element))
            return default
        return parsed

    def integer(self, element: Element, name: str, owner_id: str) -> int | None:
        value = attribute(element, name)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            message = f"Attribute {name}='{value}' is not a whole number."
            self.report("attribute-invalid", message, owner_id, line_of(element))
            return None


@dataclass
class ScopeContext:
    """The scope a node is parsed in: flows by source and target, boundary events by host."""

    process: ProcessContext
    scope_id: str
    incoming: Mapping[str, list[str]]
    outgoing: Mapping[str, list[str]]
    boundaries: Mapping[str, list[str]]


class NodeFields(TypedDict):
    id: str
    tag: str
    name: str | None
    line: int | None
    incoming: tuple[str, ...]
    outgoing: tuple[str, ...]
    extensions: ExtensionConfig


class ActivityFields(NodeFields):
    loop: LoopCharacteristics | None
    default_flow: str | None
    is_for_compensation: bool
    boundary_event_ids: tuple[str, ...]


ParseFunction = Callable[[Element, Any, ScopeContext], FlowNode]


def bpmn_children(element: Element, *tags: str) -> Iterator[Element]:
    """Yield BPMN-namespace children, only those named ``tags`` when given."""
    for child in child_elements(element):
        if namespace_of(child) == BPMN and (not tags or local_name(child) in tags):
            yield child


def formal_expression(element: Element | None, owner_id: str) -> Expression | None:
    """Read a condition-like element as written (a Zeebe ``=`` prefix too); an empty one is ``None``."""
    if element is None:
        return None
    text = text_of(element)
    if not text:
        return None
    return Expression(text, owner_id, line_of(element), attribute(element, "language"))


def node_fields(element: Element, scope: ScopeContext, extensions: ExtensionConfig) -> NodeFields:
    node_id = attribute(element, "id") or ""
    return NodeFields(
        id=node_id,
        tag=local_name(element),
        name=attribute(element, "name"),
        line=line_of(element),
        incoming=tuple(scope.incoming.get(node_id, ())),
        outgoing=tuple(scope.outgoing.get(node_id, ())),
        extensions=extensions,
    )


def start_reading(element: Element) -> ExtensionReader:
    tag = local_name(element)
    return read_extensions(element, tag, ExtensionReader(attribute(element, "id") or "", owner_tag=tag))


# Events ------------------------------------------------------------------------------------------


def parse_event(element: Element, spec_class: type[Event], scope: ScopeContext) -> Event:
    reader = start_reading(element)
    note_event_features(element, reader)
    return spec_class(
        **node_fields(element, scope, reader.build()),
        event_definitions=tuple(parse_event_definitions(element, scope)),
    )


def parse_start_event(element: Element, spec_class: type[StartEvent], scope: ScopeContext) -> StartEvent:
    reader = start_reading(element)
    note_event_features(element, reader)
    return spec_class(
        **node_fields(element, scope, reader.build()),
        event_definitions=tuple(parse_event_definitions(element, scope)),
        is_interrupting=scope.process.boolean(element, "isInterrupting", True),
    )


def parse_boundary_event(element: Element, spec_class: type[BoundaryEvent], scope: ScopeContext) -> BoundaryEvent:
    reader = start_reading(element)
    note_event_features(element, reader)
    return spec_class(
        **node_fields(element, scope, reader.build()),
        event_definitions=tuple(parse_event_definitions(element, scope)),
        attached_to=attribute(element, "attachedToRef") or "",
        cancel_activity=scope.process.boolean(element, "cancelActivity", True),
    )


def note_event_features(element: Element, reader: ExtensionReader) -> None:
    if (attribute(element, "parallelMultiple") or "").lower() in TRUE_VALUES:
        reader.unsupported.append(Feature("parallelMultiple", line_of(element)))
    note_data_associations(element, reader)


def parse_event_definitions(element: Element, scope: ScopeContext) -> Iterator[EventDefinition]:
    for child in bpmn_children(element):
        tag = local_name(child)
        if tag == "eventDefinitionRef":
            yield UnknownEventDefinition(tag=tag, id=text_of(child) or None, line=line_of(child))
        elif tag.endswith("EventDefinition"):
            parse = EVENT_DEFINITIONS.get(tag)
            definition_id = attribute(child, "id")
            if parse is None:
                yield UnknownEventDefinition(tag=tag, id=definition_id, line=line_of(child))
            else:
                yield parse(child, definition_id, scope)


def _message_definition(element: Element, definition_id: str | None, scope: ScopeContext) -> EventDefinition:
    return MessageEventDefinition(id=definition_id, line=line_of(element), message_ref=attribute(element, "messageRef"))


def _timer_definition(element: Element, definition_id: str | None, scope: ScopeContext) -> EventDefinition:
    owner_id = attribute(element.getparent(), "id") or ""
    for child in bpmn_children(element, *TIMER_TYPES):
        text = text_of(child)
        # ``${...}`` (Camunda) or ``=...`` (Zeebe) computes the date, duration or cycle; else it is ISO 8601 text.
        value = Expression(text, owner_id, line_of(child)) if text.startswith(("${", "#{", "=")) else text
        return TimerEventDefinition(
            id=definition_id, line=line_of(element), timer_type=TIMER_TYPES[local_name(child)], text=text, value=value
        )
    return TimerEventDefinition(id=definition_id, line=line_of(element))


def _signal_definition(element: Element, definition_id: str | None, scope: ScopeContext) -> EventDefinition:
    return SignalEventDefinition(id=definition_id, line=line_of(element), signal_ref=attribute(element, "signalRef"))


def _error_definition(element: Element, definition_id: str | None, scope: ScopeContext) -> EventDefinition:
    return ErrorEventDefinition(
        id=definition_id,
        line=line_of(element),
        error_ref=attribute(element, "errorRef"),
        code_variable=_camunda_attribute(element, "errorCodeVariable"),
        message_variable=_camunda_attribute(element, "errorMessageVariable"),
    )


def _escalation_definition(element: Element, definition_id: str | None, scope: ScopeContext) -> EventDefinition:
    return EscalationEventDefinition(
        id=definition_id,
        line=line_of(element),
        escalation_ref=attribute(element, "escalationRef"),
        code_variable=_camunda_attribute(element, "escalationCodeVariable"),
    )


def _camunda_attribute(element: Element, name: str) -> str | None:
    """An attribute of an event definition in the Camunda (or Activiti) namespace; blank is none."""
    for namespace in CAMUNDA_NAMESPACES:
        value: str | None = element.get(qualified(namespace, name))
        if value is not None and value.strip():
            return value.strip()
    return None


def _terminate_definition(element: Element, definition_id: str | None, scope: ScopeContext) -> EventDefinition:
    return TerminateEventDefinition(id=definition_id, line=line_of(element))


def _compensate_definition(element: Element, definition_id: str | None, scope: ScopeContext) -> EventDefinition:
    return CompensateEventDefinition(
        id=definition_id,
        line=line_of(element),
        activity_ref=attribute(element, "activityRef"),
        wait_for_completion=scope.process.boolean(element, "waitForCompletion", True),
    )


def _conditional_definition(element: Element, definition_id: str | None, scope: ScopeContext) -> EventDefinition:
    owner_id = attribute(element.getparent(), "id") or ""
    condition = formal_expression(next(bpmn_children(element, "condition"), None), owner_id)
    events = _camunda_attribute(element, "variableEvents") or ""
    return ConditionalEventDefinition(
        id=definition_id,
        line=line_of(element),
        condition=condition,
        variable_name=_camunda_attribute(element, "variableName"),
        variable_events=tuple(event.strip().lower() for event in events.split(",") if event.strip()),
    )


def _link_definition(element: Element, definition_id: str | None, scope: ScopeContext) -> EventDefinition:
    return LinkEventDefinition(id=definition_id, line=line_of(element), name=attribute(element, "name"))


def _cancel_definition(element: Element, definition_id: str | None, scope: ScopeContext) -> EventDefinition:
    return CancelEventDefinition(id=definition_id, line=line_of(element))


EVENT_DEFINITIONS: Mapping[str, Callable[[Element, str | None, ScopeContext], EventDefinition]] = {
    "messageEventDefinition": _message_definition,
    "timerEventDefinition": _timer_definition,
    "signalEventDefinition": _signal_definition,
    "errorEventDefinition": _error_definition,
    "escalationEventDefinition": _escalation_definition,
    "terminateEventDefinition": _terminate_definition,
    "compensateEventDefinition": _compensate_definition,
    "conditionalEventDefinition": _conditional_definition,
    "linkEventDefinition": _link_definition,
    "cancelEventDefinition": _cancel_definition,
}


# Activities --------------------------------------------------------------------------------------


def activity_fields(element: Element, scope: ScopeContext, reader: ExtensionReader) -> ActivityFields:
    """Read what every activity has; call after all extensions went into ``reader``."""
    loop = parse_loop(element, scope, reader)
    note_activity_features(element, reader)
    fields = node_fields(element, scope, reader.build())
    return ActivityFields(
        **fields,
        loop=loop,
        default_flow=attribute(element, "default"),
        is_for_compensation=scope.process.boolean(element, "isForCompensation", False),
        boundary_event_ids=tuple(scope.boundaries.get(fields["id"], ())),
    )


def parse_activity(element: Element, spec_class: type[Activity], scope: ScopeContext) -> Activity:
    return spec_class(**activity_fields(element, scope, start_reading(element)))


def parse_script_task(element: Element, spec_class: type[ScriptTask], scope: ScopeContext) -> ScriptTask:
    reader = start_reading(element)
    script = reader.script
    for child in bpmn_children(element, "script"):
        script_format = (attribute(element, "scriptFormat") or "").strip().lower()
        script = Script(text_of(child), script_format, reader.element_id, line_of(child))
    return spec_class(**activity_fields(element, scope, reader), script=script)


def parse_send_task(element: Element, spec_class: type[SendTask], scope: ScopeContext) -> SendTask:
    fields = activity_fields(element, scope, start_reading(element))
    return spec_class(**fields, message_ref=attribute(element, "messageRef"))


def parse_receive_task(element: Element, spec_class: type[ReceiveTask], scope: ScopeContext) -> ReceiveTask:
    fields = activity_fields(element, scope, start_reading(element))
    instantiate = scope.process.boolean(element, "instantiate", False)
    return spec_class(**fields, message_ref=attribute(element, "messageRef"), instantiate=instantiate)


def parse_call_activity(element: Element, spec_class: type[CallActivity], scope: ScopeContext) -> CallActivity:
    reader = start_reading(element)
    called_element = attribute(element, "calledElement")
    if called_element:
        reader.called_element = camunda_value(reader, called_element.strip(), line_of(element))
    return spec_class(**activity_fields(element, scope, reader), called_element=reader.called_element)


def note_activity_features(element: Element, reader: ExtensionReader) -> None:
    """Record BPMN-level settings the engine does not execute, and read task performers."""
    line = line_of(element)
    for name in ("startQuantity", "completionQuantity"):
        value = attribute(element, name)
        if value is not None and value.strip() != "1":
            reader.unsupported.append(Feature(name, line, f"'{value}'; only 1 is supported"))
    note_data_associations(element, reader)
    for performer in bpmn_children(element, *PERFORMERS):
        read_performer(performer, reader)


def note_data_associations(element: Element, reader: ExtensionReader) -> None:
    for association in bpmn_children(element, *DATA_ASSOCIATIONS):
        tag, line = local_name(association), line_of(association)
        logic = [local_name(part) for part in bpmn_children(association, "transformation", "assignment")]
        if logic:
            reader.unsupported.append(Feature(tag, line, f"its {' and '.join(sorted(set(logic)))} is not executed"))
        else:
            detail = "data associations are not executed; use input/output mappings"
            reader.ignored.append(Feature(tag, line, detail))


def read_performer(performer: Element, reader: ExtensionReader) -> None:
    """Map humanPerformer/potentialOwner expressions the way Camunda 7 does.

    ``humanPerformer`` gives the assignee; ``potentialOwner`` gives candidates written
    ``user(name)`` or ``group(name)``, a bare name being a group.
    """
    tag, line = local_name(performer), line_of(performer)
    expression = None
    for assignment in bpmn_children(performer, "resourceAssignmentExpression"):
        expression = next(bpmn_children(assignment), None)
    text = text_of(expression) if expression is not None else ""
    if reader.owner_tag != "userTask":
        reader.ignored.append(Feature(tag, line, "performers are read on user tasks only"))
    elif tag == "performer":
        reader.ignored.append(Feature(tag, line, "use humanPerformer or potentialOwner"))
    elif not text:
        resource = next((text_of(ref) for ref in bpmn_children(performer, "resourceRef")), "")
        detail = f"resource '{resource}' without a resourceAssignmentExpression" if resource else "no expression"
        reader.ignored.append(Feature(tag, line, detail))
    elif tag == "humanPerformer":
        reader.assignee = camunda_value(reader, text, line_of(expression))
    else:
        expression_line = line_of(expression)
        for item in split_list(text):
            if item.startswith("user(") and item.endswith(")"):
                reader.candidate_users.append(camunda_value(reader, item[5:-1].strip(), expression_line))
            else:
                group = item[6:-1].strip() if item.startswith("group(") and item.endswith(")") else item
                reader.candidate_groups.append(camunda_value(reader, group, expression_line))


def parse_loop(element: Element, scope: ScopeContext, reader: ExtensionReader) -> LoopCharacteristics | None:
    owner_id = reader.element_id
    for child in bpmn_children(element, "standardLoopCharacteristics"):
        return StandardLoop(
            line=line_of(child),
            condition=formal_expression(next(bpmn_children(child, "loopCondition"), None), owner_id),
            test_before=scope.process.boolean(child, "testBefore", False),
            maximum=scope.process.integer(child, "loopMaximum", owner_id),
        )
    for child in bpmn_children(element, "multiInstanceLoopCharacteristics"):
        read_extensions(child, "multiInstanceLoopCharacteristics", reader)
        for data_reference in bpmn_children(child, "loopDataInputRef", "inputDataItem", "loopDataOutputRef"):
            detail = "use camunda:collection or zeebe:loopCharacteristics"
            reader.unsupported.append(Feature(local_name(data_reference), line_of(data_reference), detail))
        return MultiInstance(
            line=line_of(child),
            is_sequential=scope.process.boolean(child, "isSequential", False),
            cardinality=formal_expression(next(bpmn_children(child, "loopCardinality"), None), owner_id),
            collection=reader.collection,
            element_variable=reader.element_variable,
            completion_condition=formal_expression(next(bpmn_children(child, "completionCondition"), None), owner_id),
            output_collection=reader.output_collection,
            output_element=reader.output_element,
        )
    return None


# Gateways and the rest ---------------------------------------------------------------------------


def parse_gateway(element: Element, spec_class: type[Gateway], scope: ScopeContext) -> Gateway:
    fields = node_fields(element, scope, start_reading(element).build())
    return spec_class(**fields, default_flow=attribute(element, "default"))


def parse_unsupported(element: Element, spec_class: type[UnsupportedNode], scope: ScopeContext) -> UnsupportedNode:
    return spec_class(**node_fields(element, scope, start_reading(element).build()))
