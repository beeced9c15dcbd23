"""Immutable specs of a parsed BPMN model.

A spec is built once per deployed definition and shared by every instance that runs it: all
classes are frozen and slotted, collections are tuples or read-only mappings, and no instance
state ever lives here. Expressions and scripts are kept as source text with the element and
line they came from; the expression package compiles them. The execution settings of an element
(``ExtensionConfig`` and its parts) live in ``extension_spec`` and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import ClassVar, Literal, Protocol, TypeVar

from apps.engine.bpmn.extension_spec import NO_EXTENSIONS as NO_EXTENSIONS
from apps.engine.bpmn.extension_spec import CallMapping as CallMapping
from apps.engine.bpmn.extension_spec import Expression as Expression
from apps.engine.bpmn.extension_spec import ExtensionConfig as ExtensionConfig
from apps.engine.bpmn.extension_spec import Feature as Feature
from apps.engine.bpmn.extension_spec import FormConstraint as FormConstraint
from apps.engine.bpmn.extension_spec import FormField as FormField
from apps.engine.bpmn.extension_spec import FormRef as FormRef
from apps.engine.bpmn.extension_spec import Implementation as Implementation
from apps.engine.bpmn.extension_spec import IoMapping as IoMapping
from apps.engine.bpmn.extension_spec import Script as Script
from apps.engine.bpmn.extension_spec import Value as Value

K = TypeVar("K")
V = TypeVar("V")


def frozen_mapping(items: Mapping[K, V]) -> Mapping[K, V]:
    """Return a read-only copy of ``items`` (insertion order kept)."""
    return MappingProxyType(dict(items))


EMPTY_MAPPING: Mapping[str, str] = frozen_mapping({})


@dataclass(frozen=True, slots=True, kw_only=True)
class BaseElement:
    """What every element kept in a spec has: its id, its name if any, the line it starts on."""

    id: str
    name: str | None = None
    line: int | None = None


# Event definitions -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class EventDefinition:
    """What triggers or is thrown by an event. ``kind`` names the family in messages and docs."""

    kind: ClassVar[str] = "unknown"
    id: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageEventDefinition(EventDefinition):
    kind: ClassVar[str] = "message"
    message_ref: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TimerEventDefinition(EventDefinition):
    kind: ClassVar[str] = "timer"
    timer_type: Literal["date", "duration", "cycle"] | None = None
    text: str | None = None
    value: Value | None = None  # the text, or the expression that computes it


@dataclass(frozen=True, slots=True, kw_only=True)
class SignalEventDefinition(EventDefinition):
    kind: ClassVar[str] = "signal"
    signal_ref: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorEventDefinition(EventDefinition):
    kind: ClassVar[str] = "error"
    error_ref: str | None = None
    # Where a catching event keeps the code and message it caught (``camunda:errorCodeVariable``...).
    code_variable: str | None = None
    message_variable: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EscalationEventDefinition(EventDefinition):
    kind: ClassVar[str] = "escalation"
    escalation_ref: str | None = None
    code_variable: str | None = None  # ``camunda:escalationCodeVariable``


@dataclass(frozen=True, slots=True, kw_only=True)
class TerminateEventDefinition(EventDefinition):
    kind: ClassVar[str] = "terminate"


@dataclass(frozen=True, slots=True, kw_only=True)
class CompensateEventDefinition(EventDefinition):
    kind: ClassVar[str] = "compensate"
    activity_ref: str | None = None
    wait_for_completion: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class ConditionalEventDefinition(EventDefinition):
    kind: ClassVar[str] = "conditional"
    condition: Expression | None = None
    # Which variable changes wake it (``camunda:variableName``, ``camunda:variableEvents``); none: all.
    variable_name: str | None = None
    variable_events: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkEventDefinition(EventDefinition):
    kind: ClassVar[str] = "link"
    name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelEventDefinition(EventDefinition):
    kind: ClassVar[str] = "cancel"


@dataclass(frozen=True, slots=True, kw_only=True)
class UnknownEventDefinition(EventDefinition):
    """An event definition element this parser does not map (``eventDefinitionRef``, say)."""

    tag: str


# Loop characteristics ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class StandardLoop:
    line: int | None = None
    condition: Expression | None = None
    test_before: bool = False
    maximum: int | None = None

    def expressions(self) -> Iterator[Expression]:
        if self.condition is not None:
            yield self.condition


@dataclass(frozen=True, slots=True, kw_only=True)
class MultiInstance:
    """Multi-instance: Camunda's collection/elementVariable and Zeebe's loopCharacteristics, normalised."""

    line: int | None = None
    is_sequential: bool = False
    cardinality: Expression | None = None
    collection: Expression | None = None
    element_variable: str | None = None
    completion_condition: Expression | None = None
    output_collection: str | None = None
    output_element: Expression | None = None

    def expressions(self) -> Iterator[Expression]:
        for expression in (self.cardinality, self.collection, self.completion_condition, self.output_element):
            if expression is not None:
                yield expression


LoopCharacteristics = StandardLoop | MultiInstance


# Flow nodes --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowNode(BaseElement):
    """Common to every flow node. ``tag`` is the BPMN element name (``userTask``).

    ``incoming`` and ``outgoing`` are sequence flow ids, precomputed from the flows' source and
    target references, in document order.
    """

    tag: str
    incoming: tuple[str, ...] = ()
    outgoing: tuple[str, ...] = ()
    extensions: ExtensionConfig = NO_EXTENSIONS

    def expressions(self) -> Iterator[Expression]:
        """Yield every expression this node evaluates at run time."""
        yield from self.extensions.expressions()


@dataclass(frozen=True, slots=True, kw_only=True)
class Event(FlowNode):
    event_definitions: tuple[EventDefinition, ...] = ()

    def expressions(self) -> Iterator[Expression]:
        yield from FlowNode.expressions(self)
        for definition in self.event_definitions:
            if isinstance(definition, ConditionalEventDefinition) and definition.condition is not None:
                yield definition.condition
            if isinstance(definition, TimerEventDefinition) and isinstance(definition.value, Expression):
                yield definition.value


@dataclass(frozen=True, slots=True, kw_only=True)
class StartEvent(Event):
    is_interrupting: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class EndEvent(Event):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class IntermediateCatchEvent(Event):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class IntermediateThrowEvent(Event):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class BoundaryEvent(Event):
    attached_to: str = ""
    cancel_activity: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Activity(FlowNode):
    """Tasks, subprocesses and call activities: loops, default flow, boundary events attached."""

    loop: LoopCharacteristics | None = None
    default_flow: str | None = None
    is_for_compensation: bool = False
    boundary_event_ids: tuple[str, ...] = ()

    def expressions(self) -> Iterator[Expression]:
        yield from FlowNode.expressions(self)
        if self.loop is not None:
            yield from self.loop.expressions()


@dataclass(frozen=True, slots=True, kw_only=True)
class Task(Activity):
    """An abstract task: it completes as soon as it is reached."""


@dataclass(frozen=True, slots=True, kw_only=True)
class UserTask(Activity):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class ManualTask(Activity):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class ScriptTask(Activity):
    script: Script | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceTask(Activity):
    """Runs ``extensions.implementation``: a registered handler, or an external worker's topic."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SendTask(Activity):
    message_ref: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceiveTask(Activity):
    message_ref: str | None = None
    instantiate: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class BusinessRuleTask(Activity):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class SubProcess(Activity):
    """An embedded subprocess (``subProcess``, ``transaction`` or ``adHocSubProcess`` by tag).

    It is a scope of its own: its nodes and flows are not in the enclosing scope.
    """

    triggered_by_event: bool = False
    nodes: Mapping[str, FlowNode] = field(default_factory=lambda: frozen_mapping({}))
    flows: Mapping[str, SequenceFlow] = field(default_factory=lambda: frozen_mapping({}))
    start_node_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class CallActivity(Activity):
    """Calls the latest deployed process with key ``called_element`` (a literal or an expression)."""

    called_element: str | Expression | None = None

    def expressions(self) -> Iterator[Expression]:
        yield from Activity.expressions(self)
        if isinstance(self.called_element, Expression):
            yield self.called_element


@dataclass(frozen=True, slots=True, kw_only=True)
class Gateway(FlowNode):
    default_flow: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ExclusiveGateway(Gateway):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class ParallelGateway(Gateway):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class InclusiveGateway(Gateway):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class EventBasedGateway(Gateway):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class ComplexGateway(Gateway):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class UnsupportedNode(FlowNode):
    """A BPMN flow element this parser has no row for; kept so validation can name it."""


# Flows, scopes, processes ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SequenceFlow(BaseElement):
    source: str
    target: str
    condition: Expression | None = None
    extensions: ExtensionConfig = NO_EXTENSIONS


class Scope(Protocol):
    """What a process and an embedded subprocess have in common: their own nodes and flows."""

    @property
    def id(self) -> str: ...
    @property
    def line(self) -> int | None: ...
    @property
    def nodes(self) -> Mapping[str, FlowNode]: ...
    @property
    def flows(self) -> Mapping[str, SequenceFlow]: ...
    @property
    def start_node_ids(self) -> tuple[str, ...]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Lane(BaseElement):
    flow_node_ids: tuple[str, ...] = ()
    parent_lane_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Artifact(BaseElement):
    """A data object, data store reference, annotation, association or group: shown, not run.
    An association links ``source`` to ``target`` (a compensation boundary event to its handler)."""

    tag: str
    source: str | None = None
    target: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessSpec(BaseElement):
    """One process; ``id`` is the key processes are started and called by.

    ``scopes`` holds every embedded subprocess at any depth by id, and ``scope_of`` tells which
    scope (the process id or a subprocess id) holds each node and flow id.
    """

    is_executable: bool = False
    nodes: Mapping[str, FlowNode] = field(default_factory=lambda: frozen_mapping({}))
    flows: Mapping[str, SequenceFlow] = field(default_factory=lambda: frozen_mapping({}))
    start_node_ids: tuple[str, ...] = ()
    scopes: Mapping[str, SubProcess] = field(default_factory=lambda: frozen_mapping({}))
    scope_of: Mapping[str, str] = field(default_factory=lambda: frozen_mapping({}))
    lanes: tuple[Lane, ...] = ()
    artifacts: tuple[Artifact, ...] = ()
    extensions: ExtensionConfig = NO_EXTENSIONS

    def scope(self, scope_id: str) -> Scope:
        """Return the process itself or the subprocess with ``scope_id``."""
        return self if scope_id == self.id else self.scopes[scope_id]

    def find_node(self, node_id: str) -> FlowNode | None:
        scope_id = self.scope_of.get(node_id)
        return None if scope_id is None else self.scope(scope_id).nodes.get(node_id)

    def all_scopes(self) -> Iterator[Scope]:
        yield self
        yield from self.scopes.values()


# Collaboration and root elements -----------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Participant(BaseElement):
    """A pool; ``process_ref`` names the process it shows (``None`` for a black-box pool)."""

    process_ref: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageFlow(BaseElement):
    source: str
    target: str
    message_ref: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Collaboration(BaseElement):
    participants: tuple[Participant, ...] = ()
    message_flows: tuple[MessageFlow, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Message(BaseElement):
    correlation_key: Expression | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorSpec(BaseElement):
    error_code: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Signal(BaseElement):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class Escalation(BaseElement):
    escalation_code: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Import:
    namespace: str | None = None
    location: str | None = None
    import_type: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DuplicateId:
    """A second (third...) element with an id already used; the spec keeps the first.

    ``process_id`` and ``first_process_id`` name the processes holding the two elements
    (``None`` outside any process).
    """

    element_id: str
    tag: str
    line: int | None
    first_line: int | None
    process_id: str | None
    first_process_id: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Definitions:
    id: str | None = None
    name: str | None = None
    target_namespace: str | None = None
    line: int | None = None
    processes: Mapping[str, ProcessSpec] = field(default_factory=lambda: frozen_mapping({}))
    collaborations: tuple[Collaboration, ...] = ()
    messages: Mapping[str, Message] = field(default_factory=lambda: frozen_mapping({}))
    errors: Mapping[str, ErrorSpec] = field(default_factory=lambda: frozen_mapping({}))
    signals: Mapping[str, Signal] = field(default_factory=lambda: frozen_mapping({}))
    escalations: Mapping[str, Escalation] = field(default_factory=lambda: frozen_mapping({}))
    imports: tuple[Import, ...] = ()
    has_diagram: bool = False
    duplicate_ids: tuple[DuplicateId, ...] = ()

    def executable_processes(self) -> Iterator[ProcessSpec]:
        return (process for process in self.processes.values() if process.is_executable)
