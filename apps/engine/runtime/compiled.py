"""A process spec with its expressions compiled and its graph indexed, built once per definition."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, Protocol, cast

from apps.engine.bpmn import spec
from apps.engine.bpmn.execution_rules import SCRIPT_FORMATS


class Evaluable(Protocol):
    def evaluate(self, variables: Mapping[str, Any], *, now: Any = None) -> Any: ...


class Runnable(Protocol):
    def run(self, variables: Mapping[str, Any], *, now: Any = None) -> dict[str, Any]: ...


class CompiledProcess:
    """Read-only and shared by every run of the definition (the interpreter keeps no state here)."""

    def __init__(
        self,
        process: spec.ProcessSpec,
        compile_expression: Callable[[str], Evaluable],
        compile_script: Callable[[str], Runnable],
        messages: Mapping[str, spec.Message] | None = None,
        errors: Mapping[str, spec.ErrorSpec] | None = None,
        signals: Mapping[str, spec.Signal] | None = None,
        escalations: Mapping[str, spec.Escalation] | None = None,
    ) -> None:
        self.spec = process
        # The messages of the file, by id: what a message event or receive task waits for, by name.
        self.messages: dict[str, spec.Message] = dict(messages or {})
        # The errors of the file, by id: the code an error end event throws and a boundary catches.
        self.errors: dict[str, spec.ErrorSpec] = dict(errors or {})
        # The signals of the file, by id: what a signal event throws or catches, by name.
        self.signals: dict[str, spec.Signal] = dict(signals or {})
        self.escalations: dict[str, spec.Escalation] = dict(escalations or {})
        self.nodes: dict[str, spec.FlowNode] = dict(process.nodes)
        self.flows: dict[str, spec.SequenceFlow] = dict(process.flows)
        for subprocess in process.scopes.values():
            self.nodes.update(subprocess.nodes)
            self.flows.update(subprocess.flows)
        self.expressions: dict[spec.Expression, Evaluable] = {}
        self.scripts: dict[spec.Script, Runnable] = {}
        # Scripts written as one expression (Zeebe's FEEL scripts): the value goes to the result variable.
        self.script_expressions: dict[spec.Script, Evaluable] = {}
        for node in self.nodes.values():
            for expression in node.expressions():
                self.expressions[expression] = compile_expression(expression.text)
            if isinstance(node, spec.ScriptTask) and node.script is not None:
                if SCRIPT_FORMATS.get(node.script.script_format) == "expression":
                    self.script_expressions[node.script] = compile_expression(node.script.text)
                else:
                    self.scripts[node.script] = compile_script(node.script.text)
        for flow in self.flows.values():
            if flow.condition is not None:
                self.expressions[flow.condition] = compile_expression(flow.condition.text)
        for message in self.messages.values():
            if message.correlation_key is not None:
                self.expressions[message.correlation_key] = compile_expression(message.correlation_key.text)
        # A token at an activity may leave it by a boundary event too.
        self._successors: dict[str, tuple[str, ...]] = {
            node_id: (
                *(self.flows[flow_id].target for flow_id in node.outgoing),
                *(node.boundary_event_ids if isinstance(node, spec.Activity) else ()),
            )
            for node_id, node in self.nodes.items()
        }
        self.reaches = lru_cache(maxsize=4096)(self._reaches)
        # Whether any event waits for a condition (``conditions``): most processes skip the checks.
        self.has_conditions = any(
            isinstance(definition, spec.ConditionalEventDefinition)
            for node in self.nodes.values()
            for definition in getattr(node, "event_definitions", ())
        )
        # The start events of the event subprocesses directly inside each scope (None: the process).
        self._event_starts: dict[str | None, tuple[spec.StartEvent, ...]] = {}
        for scope in process.all_scopes():
            starts = tuple(
                start
                for node in scope.nodes.values()
                if isinstance(node, spec.SubProcess) and node.triggered_by_event
                for start in (node.nodes[start_id] for start_id in node.start_node_ids)
                if isinstance(start, spec.StartEvent) and start.event_definitions
            )
            if starts:
                self._event_starts[None if scope.id == process.id else scope.id] = starts
        # The compensation handler of each activity that has one: the activity with
        # ``isForCompensation`` its compensation boundary event's association points to.
        associations = {artifact.source: artifact.target for artifact in process.artifacts if artifact.source}
        self.compensation_handlers: dict[str, str] = {}
        for node in self.nodes.values():
            compensates = isinstance(node, spec.BoundaryEvent) and any(
                isinstance(definition, spec.CompensateEventDefinition) for definition in node.event_definitions
            )
            handler = associations.get(node.id) if compensates else None
            if handler is not None and handler in self.nodes:
                self.compensation_handlers[cast("spec.BoundaryEvent", node).attached_to] = handler
        # The start event of each subprocess's compensation event subprocess, by subprocess id.
        self.compensation_starts: dict[str, str] = {}
        for scope_id in process.scopes:
            for start in self.event_starts(scope_id):
                if any(isinstance(item, spec.CompensateEventDefinition) for item in start.event_definitions):
                    self.compensation_starts[scope_id] = start.id
        self.has_compensation = (
            bool(self.compensation_handlers)
            or bool(self.compensation_starts)
            or any(isinstance(node, spec.SubProcess) and node.tag == "transaction" for node in self.nodes.values())
        )

    @classmethod
    def from_file(
        cls,
        definitions: spec.Definitions,
        key: str,
        compile_expression: Callable[[str], Evaluable],
        compile_script: Callable[[str], Runnable],
    ) -> CompiledProcess:
        """The process ``key`` of a parsed file, with the messages, errors, signals and
        escalations the file declares for its events."""
        return cls(
            definitions.processes[key],
            compile_expression,
            compile_script,
            messages=definitions.messages,
            errors=definitions.errors,
            signals=definitions.signals,
            escalations=definitions.escalations,
        )

    def start_node_ids(self, scope_element_id: str | None) -> tuple[str, ...]:
        """The none start events of the process (None) or of an embedded subprocess."""
        if scope_element_id is None:
            candidates = self.spec.start_node_ids
        else:
            candidates = self.spec.scopes[scope_element_id].start_node_ids
        return tuple(
            node_id
            for node_id in candidates
            if isinstance(self.nodes[node_id], spec.StartEvent) and not self.nodes[node_id].event_definitions  # type: ignore[attr-defined]
        )

    def event_starts(self, scope_element_id: str | None) -> tuple[spec.StartEvent, ...]:
        """The start events of the event subprocesses inside the process (None) or a subprocess."""
        return self._event_starts.get(scope_element_id, ())

    def code_of(self, definition: spec.EventDefinition) -> str | None:
        """The code of the error or escalation a definition names (its id when it has no
        code); None: a catch-all."""
        if isinstance(definition, spec.ErrorEventDefinition) and definition.error_ref is not None:
            error = self.errors.get(definition.error_ref)
            return (error.error_code if error is not None else None) or definition.error_ref
        if isinstance(definition, spec.EscalationEventDefinition) and definition.escalation_ref is not None:
            escalation = self.escalations.get(definition.escalation_ref)
            return (escalation.escalation_code if escalation is not None else None) or definition.escalation_ref
        return None

    def _reaches(self, source: str, target: str) -> bool:
        """Whether a token at ``source`` can still arrive at ``target`` by sequence flows."""
        seen = {source}
        frontier = [source]
        while frontier:
            for successor in self._successors.get(frontier.pop(), ()):
                if successor == target:
                    return True
                if successor not in seen:
                    seen.add(successor)
                    frontier.append(successor)
        return False
