"""Camunda 7 and Zeebe extensions, read into the engine's ``ExtensionConfig``.

Two tables drive the reading, one for attributes and one for elements inside
``extensionElements``: (dialect, name) → (element tags it is read on, reader). A reader of
``None`` marks a setting that has no effect on execution (``camunda:versionTag``,
``zeebe:modelerTemplate``...). Anything in the Camunda or Zeebe namespaces without a row, or on
an element its row does not list, is recorded as unsupported, so validation can refuse it
instead of running the model without it. Other vendors' extensions are modeler metadata and are
left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from apps.engine.bpmn.extension_spec import (
    NO_EXTENSIONS,
    CallMapping,
    Expression,
    ExtensionConfig,
    Feature,
    FormConstraint,
    FormField,
    FormRef,
    Implementation,
    IoMapping,
    Script,
    Value,
)
from apps.engine.bpmn.names import CAMUNDA_NAMESPACES, ZEEBE, display_name, split_qualified
from apps.engine.bpmn.xml import Element, attribute, attribute_items, child_elements, line_of, local_name, text_of

USER_TASK = frozenset({"userTask"})
FORM_HOLDERS = frozenset({"userTask", "startEvent"})
SCRIPT_TASK = frozenset({"scriptTask"})
CALL_ACTIVITY = frozenset({"callActivity"})
BUSINESS_RULE_TASK = frozenset({"businessRuleTask"})
MULTI_INSTANCE = frozenset({"multiInstanceLoopCharacteristics"})
PROCESS = frozenset({"process"})
MESSAGE = frozenset({"message"})
# Message end and throw events take a worker the same way (they run in the next issue).
WORKER_TASKS = frozenset({"serviceTask", "sendTask", "businessRuleTask", "endEvent", "intermediateThrowEvent"})
TASKS = frozenset({"task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask"})
ACTIVITIES = TASKS | {"businessRuleTask", "subProcess", "transaction", "adHocSubProcess", "callActivity"}
EVENTS = frozenset({"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"})
GATEWAYS = frozenset({"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"})
FLOW_NODES = ACTIVITIES | EVENTS | GATEWAYS

HANDLER_EXPRESSION = re.compile(r"^[$#]\{\s*([A-Za-z_]\w*)\s*\}$")
TRUE_VALUES = frozenset({"true", "1"})
FALSE_VALUES = frozenset({"false", "0"})


@dataclass
class ExtensionReader:
    """Collects one element's settings while it is read; ``build`` freezes them.

    Besides the ``ExtensionConfig`` fields it keeps what the parser places on the node itself
    (script, called element, multi-instance collection, message correlation key).
    """

    element_id: str
    owner_tag: str
    assignee: Value | None = None
    candidate_users: list[Value] = field(default_factory=list)
    candidate_groups: list[Value] = field(default_factory=list)
    form_key: str | None = None
    form_fields: list[FormField] = field(default_factory=list)
    form_ref: FormRef | None = None
    due_date: Value | None = None
    follow_up_date: Value | None = None
    priority: Value | None = None
    initiator: str | None = None
    async_before: bool = False
    async_after: bool = False
    retry_time_cycle: str | None = None
    retries: Value | None = None
    implementations: list[tuple[Feature, Implementation]] = field(default_factory=list)
    external_type: str | None = None
    external_topic: str | None = None
    result_variable: str | None = None
    inputs: list[IoMapping] = field(default_factory=list)
    outputs: list[IoMapping] = field(default_factory=list)
    call_inputs: list[CallMapping] = field(default_factory=list)
    call_outputs: list[CallMapping] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    user_task_forms: dict[str, str] = field(default_factory=dict)
    unsupported: list[Feature] = field(default_factory=list)
    ignored: list[Feature] = field(default_factory=list)
    script: Script | None = None
    called_element: Value | None = None
    collection: Expression | None = None
    element_variable: str | None = None
    output_collection: str | None = None
    output_element: Expression | None = None
    correlation_key: Expression | None = None

    def build(self) -> ExtensionConfig:
        """Freeze what was read (lists become tuples, dicts read-only mappings).

        Most elements set nothing and share ``NO_EXTENSIONS``.
        """
        implementation, conflicts = self._choose_implementation()
        values: dict[str, Any] = {
            name: _frozen(value) for name in CONFIG_FIELDS if (value := getattr(self, name)) != READER_DEFAULTS[name]
        }
        if conflicts:
            values["ignored"] = (*values.get("ignored", ()), *conflicts)
        if implementation is None and not values:
            return NO_EXTENSIONS
        return ExtensionConfig(implementation=implementation, **values)

    def _choose_implementation(self) -> tuple[Implementation | None, tuple[Feature, ...]]:
        """Take the first implementation given (Camunda before Zeebe); any other one is ignored."""
        if not self.implementations:
            return None, ()
        chosen_feature, chosen = self.implementations[0]
        conflicts = tuple(
            Feature(
                feature.name,
                feature.line,
                f"{other.kind} '{other.name}'; {chosen_feature.name} gives {chosen.kind} '{chosen.name}'",
            )
            for feature, other in self.implementations[1:]
            if other != chosen
        )
        return chosen, conflicts


# The settings a reader hands on to ExtensionConfig as they are (the implementation is chosen).
CONFIG_FIELDS = tuple(item.name for item in fields(ExtensionConfig) if item.name != "implementation")
READER_DEFAULTS = {name: getattr(ExtensionReader("", ""), name) for name in CONFIG_FIELDS}


def _frozen(value: object) -> object:
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, dict):
        return MappingProxyType(dict(value))
    return value


def read_extensions(element: Element, tag: str, reader: ExtensionReader) -> ExtensionReader:
    """Read the Camunda/Zeebe attributes and extension elements of ``element`` into ``reader``.

    ``tag`` is the BPMN element name that decides which settings apply.
    """
    line = line_of(element)
    attributes = list(attribute_items(element))
    if tag in ("intermediateThrowEvent", "endEvent"):
        # Camunda Modeler writes a message throw or end event's implementation (camunda:type,
        # topic, delegateExpression...) on its messageEventDefinition: read it as the event's.
        for child in child_elements(element):
            if local_name(child) == "messageEventDefinition":
                attributes += list(attribute_items(child))
    for name, value in attributes:
        dialect_name = _dialect_name(name)
        if dialect_name is not None:
            read_attribute = _allowed(ATTRIBUTE_RULES.get(dialect_name), tag, display_name(name), line, reader)
            if read_attribute is not None:
                read_attribute(reader, value, line)
    for container in child_elements(element):
        if local_name(container) != "extensionElements":
            continue
        for extension in child_elements(container):
            dialect_name = _dialect_name(extension.tag)
            if dialect_name is not None:
                rule = ELEMENT_RULES.get(dialect_name)
                read_element = _allowed(rule, tag, display_name(extension.tag), line_of(extension), reader)
                if read_element is not None:
                    read_element(reader, extension)
    _resolve_camunda_external(reader, line)
    return reader


def _dialect_name(name: str) -> tuple[str, str] | None:
    """Return ("camunda"|"zeebe", local name) for an engine-namespace name, else ``None``."""
    namespace, local = split_qualified(name)
    if namespace in CAMUNDA_NAMESPACES:
        return "camunda", local
    return ("zeebe", local) if namespace == ZEEBE else None


AttributeReader = Callable[["ExtensionReader", str, int | None], None]
ElementReader = Callable[["ExtensionReader", Element], None]
R = TypeVar("R", AttributeReader, ElementReader)


@dataclass(frozen=True, slots=True)
class Rule(Generic[R]):
    """Where a setting is read (``None``: on any element) and how (``None``: it changes nothing)."""

    tags: frozenset[str] | None
    read: R | None = None


def _allowed(rule: Rule[R] | None, tag: str, name: str, line: int | None, reader: ExtensionReader) -> R | None:
    """Return the reader for a setting allowed on ``tag``; record it as unsupported otherwise."""
    if rule is None:
        reader.unsupported.append(Feature(name, line))
        return None
    if rule.tags is not None and tag not in rule.tags:
        reader.unsupported.append(Feature(name, line, f"not read on a {tag}"))
        return None
    return rule.read


# Values ------------------------------------------------------------------------------------------


def camunda_value(reader: ExtensionReader, text: str, line: int | None) -> Value:
    """A Camunda setting is an expression when it holds ``${...}`` or ``#{...}``, else a literal."""
    if "${" in text or "#{" in text:
        return Expression(text.strip(), reader.element_id, line)
    return text


def zeebe_value(reader: ExtensionReader, text: str, line: int | None) -> Value:
    """A Zeebe setting is an expression when it starts with ``=`` (kept: it selects FEEL rules), else a literal."""
    stripped = text.strip()
    if stripped.startswith("="):
        return Expression(stripped, reader.element_id, line)
    return text


def zeebe_expression(reader: ExtensionReader, text: str, line: int | None) -> Expression:
    """A Zeebe setting that is always an expression, kept as written."""
    return Expression(text.strip(), reader.element_id, line)


def split_list(text: str) -> list[str]:
    """Split a comma-separated list, keeping commas inside ``{...}`` (an expression) intact."""
    items: list[str] = []
    depth = 0
    current = ""
    for character in text:
        depth += {"{": 1, "}": -1}.get(character, 0)
        if character == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += character
    items.append(current)
    return [item.strip() for item in items if item.strip()]


def _boolean(reader: ExtensionReader, name: str, value: str, line: int | None) -> bool:
    normalised = value.strip().lower()
    if normalised not in TRUE_VALUES | FALSE_VALUES:
        reader.unsupported.append(Feature(name, line, f"'{value}' is neither true nor false"))
    return normalised in TRUE_VALUES


# Camunda attributes ------------------------------------------------------------------------------


def _camunda_assignee(reader: ExtensionReader, value: str, line: int | None) -> None:
    reader.assignee = camunda_value(reader, value, line)


def _camunda_candidate_users(reader: ExtensionReader, value: str, line: int | None) -> None:
    reader.candidate_users += [camunda_value(reader, item, line) for item in split_list(value)]


def _camunda_candidate_groups(reader: ExtensionReader, value: str, line: int | None) -> None:
    reader.candidate_groups += [camunda_value(reader, item, line) for item in split_list(value)]


def _camunda_due_date(reader: ExtensionReader, value: str, line: int | None) -> None:
    reader.due_date = camunda_value(reader, value, line)


def _camunda_follow_up_date(reader: ExtensionReader, value: str, line: int | None) -> None:
    reader.follow_up_date = camunda_value(reader, value, line)


def _camunda_priority(reader: ExtensionReader, value: str, line: int | None) -> None:
    reader.priority = camunda_value(reader, value, line)


def _camunda_form_key(reader: ExtensionReader, value: str, line: int | None) -> None:
    reader.form_key = value


def _camunda_form_ref(reader: ExtensionReader, value: str, line: int | None) -> None:
    reader.form_ref = replace(_camunda_ref(reader, line), key=value.strip())


def _camunda_form_ref_binding(reader: ExtensionReader, value: str, line: int | None) -> None:
    reader.form_ref = replace(_camunda_ref(reader, line), binding=value.strip())


def _camunda_form_ref_version(reader: ExtensionReader, value: str, line: int | None) -> None:
    reader.form_ref = replace(_camunda_ref(reader, line), version=camunda_value(reader, value.strip(), line))


def _camunda_ref(reader: ExtensionReader, line: int | None) -> FormRef:
    """The ``camunda:formRef`` read so far (its three attributes come in any order)."""
    return reader.form_ref or FormRef(source="camunda:formRef", line=line)


def _camunda_initiator(reader: ExtensionReader, value: str, line: int | None) -> None:
    reader.initiator = value


def _camunda_async_before(reader: ExtensionReader, value: str, line: int | None) -> None:
    reader.async_before = _boolean(reader, "camunda:asyncBefore", value, line)


def _camunda_async_after(reader: ExtensionReader, value: str, line: int | None) -> None:
    reader.async_after = _boolean(reader, "camunda:asyncAfter", value, line)


def _camunda_type(reader: ExtensionReader, value: str, line: int | None) -> None:
    reader.external_type = value


def _camunda_topic(reader: ExtensionReader, value: str, line: int | None) -> None:
    reader.external_topic = value


def _camunda_class(reader: ExtensionReader, value: str, line: int | None) -> None:
    reader.implementations.append((Feature("camunda:class", line), Implementation("handler", value.strip())))


def _camunda_delegate_expression(reader: ExtensionReader, value: str, line: int | None) -> None:
    match = HANDLER_EXPRESSION.match(value.strip())
    if match is None:
        detail = f"'{value}': only a handler name, ${{name}}, is supported"
        reader.unsupported.append(Feature("camunda:delegateExpression", line, detail))
        return
    implementation = Implementation("handler", match.group(1))
    reader.implementations.append((Feature("camunda:delegateExpression", line), implementation))


def _camunda_decision_ref(reader: ExtensionReader, value: str, line: int | None) -> None:
    reader.implementations.append((Feature("camunda:decisionRef", line), Implementation("decision", value.strip())))


def _camunda_result_variable(reader: ExtensionReader, value: str, line: int | None) -> None:
    reader.result_variable = value


def _camunda_called_element_binding(reader: ExtensionReader, value: str, line: int | None) -> None:
    if value.strip() != "latest":
        detail = f"'{value}': a call activity always calls the latest version"
        reader.unsupported.append(Feature("camunda:calledElementBinding", line, detail))


def _camunda_collection(reader: ExtensionReader, value: str, line: int | None) -> None:
    reader.collection = Expression(value.strip(), reader.element_id, line)


def _camunda_element_variable(reader: ExtensionReader, value: str, line: int | None) -> None:
    reader.element_variable = value.strip()


def _resolve_camunda_external(reader: ExtensionReader, line: int | None) -> None:
    """Turn ``camunda:type="external"`` with ``camunda:topic`` into an external implementation."""
    kind, topic = reader.external_type, reader.external_topic
    reader.external_type = reader.external_topic = None
    if kind is None and topic is None:
        return
    if kind == "external" and topic:
        reader.implementations.insert(0, (Feature("camunda:topic", line), Implementation("external", topic.strip())))
    elif kind == "external":
        reader.unsupported.append(Feature("camunda:type", line, "'external' needs a camunda:topic"))
    elif kind is not None:
        reader.unsupported.append(Feature("camunda:type", line, f"'{kind}'; only 'external' is supported"))
    else:
        reader.unsupported.append(Feature("camunda:topic", line, 'needs camunda:type="external"'))


# Camunda extension elements ----------------------------------------------------------------------


def _camunda_input_output(reader: ExtensionReader, element: Element) -> None:
    for parameter in child_elements(element):
        kind = local_name(parameter)
        target = reader.inputs if kind == "inputParameter" else reader.outputs if kind == "outputParameter" else None
        name = attribute(parameter, "name")
        if target is None or not name:
            reader.unsupported.append(Feature(display_name(parameter.tag), line_of(parameter)))
            continue
        nested = next(child_elements(parameter), None)
        if nested is not None:
            detail = f"{display_name(nested.tag)} in parameter '{name}'; only text values are supported"
            reader.unsupported.append(Feature(f"camunda:{kind}", line_of(nested), detail))
            continue
        text = text_of(parameter)
        target.append(IoMapping(name, camunda_value(reader, text, line_of(parameter)) if text else None))


def _camunda_form_data(reader: ExtensionReader, element: Element) -> None:
    for form_field in child_elements(element):
        if local_name(form_field) != "formField":
            reader.unsupported.append(Feature(display_name(form_field.tag), line_of(form_field)))
            continue
        constraints: list[FormConstraint] = []
        properties: dict[str, str] = {}
        values: list[tuple[str, str | None]] = []
        for part in child_elements(form_field):
            items = list(child_elements(part))
            if local_name(part) == "validation":
                constraints += [FormConstraint(attribute(i, "name") or "", attribute(i, "config")) for i in items]
            elif local_name(part) == "properties":
                properties.update(key_values(part, "id", "value"))
            elif local_name(part) == "value":
                values.append((attribute(part, "id") or "", attribute(part, "name")))
        reader.form_fields.append(
            FormField(
                id=attribute(form_field, "id") or "",
                label=attribute(form_field, "label"),
                type=attribute(form_field, "type"),
                default_value=attribute(form_field, "defaultValue"),
                constraints=tuple(constraints),
                properties=MappingProxyType(properties),
                values=tuple(values),
            )
        )


def _camunda_call_mapping(element: Element, reader: ExtensionReader) -> CallMapping:
    line = line_of(element)
    source_expression = attribute(element, "sourceExpression")
    business_key = attribute(element, "businessKey")
    return CallMapping(
        source=attribute(element, "source"),
        source_expression=Expression(source_expression.strip(), reader.element_id, line) if source_expression else None,
        target=attribute(element, "target"),
        all_variables=attribute(element, "variables") == "all",
        local=(attribute(element, "local") or "").lower() in TRUE_VALUES,
        business_key=camunda_value(reader, business_key, line) if business_key else None,
    )


def _camunda_in(reader: ExtensionReader, element: Element) -> None:
    reader.call_inputs.append(_camunda_call_mapping(element, reader))


def _camunda_out(reader: ExtensionReader, element: Element) -> None:
    reader.call_outputs.append(_camunda_call_mapping(element, reader))


def _camunda_retry_time_cycle(reader: ExtensionReader, element: Element) -> None:
    reader.retry_time_cycle = text_of(element) or None


def key_values(element: Element, key: str, value: str) -> dict[str, str]:
    """Read children such as ``<property name="..." value="..."/>`` into a dict."""
    pairs = ((attribute(item, key), attribute(item, value) or "") for item in child_elements(element))
    return {name: text for name, text in pairs if name is not None}


def _read_properties(reader: ExtensionReader, element: Element) -> None:
    reader.properties.update(key_values(element, "name", "value"))


# Zeebe extension elements ------------------------------------------------------------------------


def _zeebe_task_definition(reader: ExtensionReader, element: Element) -> None:
    line = line_of(element)
    kind = attribute(element, "type") or ""
    if not kind.strip() or kind.strip().startswith("="):
        reader.unsupported.append(Feature("zeebe:taskDefinition", line, f"type '{kind}' must be a literal topic"))
    else:
        reader.implementations.append((Feature("zeebe:taskDefinition", line), Implementation("external", kind.strip())))
    retries = attribute(element, "retries")
    if retries:
        reader.retries = zeebe_value(reader, retries, line)


def _zeebe_task_headers(reader: ExtensionReader, element: Element) -> None:
    reader.headers.update(key_values(element, "key", "value"))


def _zeebe_assignment(reader: ExtensionReader, element: Element) -> None:
    line = line_of(element)
    assignee = attribute(element, "assignee")
    if assignee:
        reader.assignee = zeebe_value(reader, assignee, line)
    for name, target in (("candidateUsers", reader.candidate_users), ("candidateGroups", reader.candidate_groups)):
        value = attribute(element, name)
        if value and value.strip().startswith("="):
            target.append(zeebe_value(reader, value, line))
        elif value:
            target += split_list(value)


def _zeebe_task_schedule(reader: ExtensionReader, element: Element) -> None:
    line = line_of(element)
    due_date, follow_up_date = attribute(element, "dueDate"), attribute(element, "followUpDate")
    if due_date:
        reader.due_date = zeebe_value(reader, due_date, line)
    if follow_up_date:
        reader.follow_up_date = zeebe_value(reader, follow_up_date, line)


def _zeebe_priority(reader: ExtensionReader, element: Element) -> None:
    priority = attribute(element, "priority")
    if priority:
        reader.priority = zeebe_value(reader, priority, line_of(element))


def _zeebe_form(reader: ExtensionReader, element: Element) -> None:
    """``formKey`` (an embedded form) or ``externalReference`` is the form key; ``formId`` names a
    form deployed on its own, by ``bindingType`` (``latest`` by default) and ``versionTag``."""
    keys = (attribute(element, name) for name in ("formKey", "externalReference"))
    reader.form_key = next((key for key in keys if key), reader.form_key)
    form_id = attribute(element, "formId")
    if form_id:
        reader.form_ref = FormRef(
            source="zeebe:formDefinition",
            key=form_id.strip(),
            binding=(attribute(element, "bindingType") or "latest").strip(),
            version_tag=attribute(element, "versionTag"),
            line=line_of(element),
        )


def _zeebe_user_task_form(reader: ExtensionReader, element: Element) -> None:
    """A form-js form embedded in the process; a user task names it ``camunda-forms:bpmn:<id>``."""
    form_id = attribute(element, "id")
    if form_id:
        reader.user_task_forms[form_id] = text_of(element)


def _zeebe_io_mapping(reader: ExtensionReader, element: Element) -> None:
    """Read Zeebe mappings; on a call activity they pass variables to and from the called process."""
    for mapping in child_elements(element):
        line = line_of(mapping)
        kind, source, target = local_name(mapping), attribute(mapping, "source") or "", attribute(mapping, "target")
        if kind not in ("input", "output") or not target:
            reader.unsupported.append(Feature(display_name(mapping.tag), line, "needs a target"))
            continue
        value = zeebe_value(reader, source, line) if source.strip() else None
        if reader.owner_tag != "callActivity":
            (reader.inputs if kind == "input" else reader.outputs).append(IoMapping(target, value))
        elif isinstance(value, Expression):
            call_mapping = CallMapping(source_expression=value, target=target)
            (reader.call_inputs if kind == "input" else reader.call_outputs).append(call_mapping)
        else:
            detail = f"'{target}' on a call activity needs an expression source (=...)"
            reader.unsupported.append(Feature(f"zeebe:{kind}", line, detail))


def _zeebe_called_element(reader: ExtensionReader, element: Element) -> None:
    line = line_of(element)
    process_id = attribute(element, "processId")
    if process_id and reader.called_element is None:
        reader.called_element = zeebe_value(reader, process_id, line)
    # Zeebe passes all variables both ways unless told otherwise.
    if (attribute(element, "propagateAllParentVariables") or "true").lower() != "false":
        reader.call_inputs.append(CallMapping(all_variables=True))
    if (attribute(element, "propagateAllChildVariables") or "true").lower() != "false":
        reader.call_outputs.append(CallMapping(all_variables=True))


def _zeebe_loop(reader: ExtensionReader, element: Element) -> None:
    line = line_of(element)
    collection, element_variable = attribute(element, "inputCollection"), attribute(element, "inputElement")
    output_collection, output_element = attribute(element, "outputCollection"), attribute(element, "outputElement")
    if collection:
        reader.collection = zeebe_expression(reader, collection, line)
    reader.element_variable = element_variable or reader.element_variable
    reader.output_collection = output_collection or reader.output_collection
    if output_element:
        reader.output_element = zeebe_expression(reader, output_element, line)


def _zeebe_called_decision(reader: ExtensionReader, element: Element) -> None:
    line = line_of(element)
    decision = attribute(element, "decisionId") or ""
    reader.implementations.append((Feature("zeebe:calledDecision", line), Implementation("decision", decision)))
    reader.result_variable = attribute(element, "resultVariable") or reader.result_variable


def _zeebe_script(reader: ExtensionReader, element: Element) -> None:
    line = line_of(element)
    expression = (attribute(element, "expression") or "").strip()
    reader.script = Script(expression, "feel", reader.element_id, line)
    reader.result_variable = attribute(element, "resultVariable") or reader.result_variable


def _zeebe_subscription(reader: ExtensionReader, element: Element) -> None:
    key = attribute(element, "correlationKey")
    if key:
        reader.correlation_key = zeebe_expression(reader, key, line_of(element))


# Tables ------------------------------------------------------------------------------------------

CAMUNDA_ATTRIBUTES: Mapping[str, Rule[AttributeReader]] = {
    "assignee": Rule(USER_TASK, _camunda_assignee),
    "candidateUsers": Rule(USER_TASK, _camunda_candidate_users),
    "candidateGroups": Rule(USER_TASK, _camunda_candidate_groups),
    "dueDate": Rule(USER_TASK, _camunda_due_date),
    "followUpDate": Rule(USER_TASK, _camunda_follow_up_date),
    "priority": Rule(USER_TASK, _camunda_priority),
    "formKey": Rule(FORM_HOLDERS, _camunda_form_key),
    "formRef": Rule(FORM_HOLDERS, _camunda_form_ref),
    "formRefBinding": Rule(FORM_HOLDERS, _camunda_form_ref_binding),
    "formRefVersion": Rule(FORM_HOLDERS, _camunda_form_ref_version),
    "initiator": Rule(frozenset({"startEvent"}), _camunda_initiator),
    "async": Rule(FLOW_NODES, _camunda_async_before),
    "asyncBefore": Rule(FLOW_NODES, _camunda_async_before),
    "asyncAfter": Rule(FLOW_NODES, _camunda_async_after),
    "exclusive": Rule(FLOW_NODES),
    "jobPriority": Rule(FLOW_NODES | PROCESS),
    "type": Rule(WORKER_TASKS, _camunda_type),
    "topic": Rule(WORKER_TASKS, _camunda_topic),
    "taskPriority": Rule(WORKER_TASKS | PROCESS),
    "class": Rule(WORKER_TASKS, _camunda_class),
    "delegateExpression": Rule(WORKER_TASKS, _camunda_delegate_expression),
    "resultVariable": Rule(WORKER_TASKS | SCRIPT_TASK, _camunda_result_variable),
    "decisionRef": Rule(BUSINESS_RULE_TASK, _camunda_decision_ref),
    "decisionRefBinding": Rule(BUSINESS_RULE_TASK),
    "decisionRefVersion": Rule(BUSINESS_RULE_TASK),
    "decisionRefVersionTag": Rule(BUSINESS_RULE_TASK),
    "mapDecisionResult": Rule(BUSINESS_RULE_TASK),
    "calledElementBinding": Rule(CALL_ACTIVITY, _camunda_called_element_binding),
    "collection": Rule(MULTI_INSTANCE, _camunda_collection),
    "elementVariable": Rule(MULTI_INSTANCE, _camunda_element_variable),
    "versionTag": Rule(PROCESS),
    "historyTimeToLive": Rule(PROCESS),
    "isStartableInTasklist": Rule(PROCESS),
    "candidateStarterGroups": Rule(PROCESS),
    "candidateStarterUsers": Rule(PROCESS),
}
ZEEBE_ATTRIBUTES: Mapping[str, Rule[AttributeReader]] = {
    "modelerTemplate": Rule(None),
    "modelerTemplateVersion": Rule(None),
    "modelerTemplateIcon": Rule(None),
}
ATTRIBUTE_RULES: Mapping[tuple[str, str], Rule[AttributeReader]] = {
    **{("camunda", name): rule for name, rule in CAMUNDA_ATTRIBUTES.items()},
    **{("zeebe", name): rule for name, rule in ZEEBE_ATTRIBUTES.items()},
}

CAMUNDA_ELEMENTS: Mapping[str, Rule[ElementReader]] = {
    "inputOutput": Rule(ACTIVITIES | EVENTS, _camunda_input_output),
    "formData": Rule(FORM_HOLDERS, _camunda_form_data),
    "in": Rule(CALL_ACTIVITY, _camunda_in),
    "out": Rule(CALL_ACTIVITY, _camunda_out),
    "failedJobRetryTimeCycle": Rule(FLOW_NODES, _camunda_retry_time_cycle),
    "properties": Rule(None, _read_properties),
}
ZEEBE_ELEMENTS: Mapping[str, Rule[ElementReader]] = {
    "taskDefinition": Rule(WORKER_TASKS, _zeebe_task_definition),
    "taskHeaders": Rule(WORKER_TASKS, _zeebe_task_headers),
    "assignmentDefinition": Rule(USER_TASK, _zeebe_assignment),
    "taskSchedule": Rule(USER_TASK, _zeebe_task_schedule),
    "priorityDefinition": Rule(USER_TASK, _zeebe_priority),
    "userTask": Rule(USER_TASK),
    "formDefinition": Rule(FORM_HOLDERS, _zeebe_form),
    "ioMapping": Rule(ACTIVITIES | EVENTS, _zeebe_io_mapping),
    "calledElement": Rule(CALL_ACTIVITY, _zeebe_called_element),
    "loopCharacteristics": Rule(MULTI_INSTANCE, _zeebe_loop),
    "calledDecision": Rule(BUSINESS_RULE_TASK, _zeebe_called_decision),
    "script": Rule(SCRIPT_TASK, _zeebe_script),
    "subscription": Rule(MESSAGE, _zeebe_subscription),
    "properties": Rule(None, _read_properties),
    "userTaskForm": Rule(PROCESS, _zeebe_user_task_form),
    "versionTag": Rule(PROCESS),
}
ELEMENT_RULES: Mapping[tuple[str, str], Rule[ElementReader]] = {
    **{("camunda", name): rule for name, rule in CAMUNDA_ELEMENTS.items()},
    **{("zeebe", name): rule for name, rule in ZEEBE_ELEMENTS.items()},
}
