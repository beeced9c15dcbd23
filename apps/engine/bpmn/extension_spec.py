"""Source text and execution settings of an element, normalised from BPMN, Camunda 7 and Zeebe.

``ExtensionConfig`` is the one shape the runtime reads, whichever dialect the model was written
in: a Camunda ``camunda:assignee`` and a Zeebe ``zeebe:assignmentDefinition assignee`` both end
up in ``assignee``. What the element asks for and the engine does not do is listed in
``unsupported`` (blocks deployment of an executable process) or ``ignored`` (a warning).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal


@dataclass(frozen=True, slots=True)
class Expression:
    """An expression exactly as written, with the element and line it is on.

    The text keeps its dialect marks (Camunda ``${...}``, Zeebe's leading ``=``): the expression
    package reads them. ``language`` is the ``language`` attribute of a formal expression.
    """

    text: str
    element_id: str
    line: int | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class Script:
    """A script task's source; ``script_format`` is lower case, '' when the model gives none."""

    text: str
    script_format: str
    element_id: str
    line: int | None = None


# A literal string, or an expression evaluated at run time (Camunda ``${...}``, Zeebe ``=...``).
# Camunda 7 and Zeebe both treat a setting without those marks as a literal, and so do we.
Value = str | Expression


@dataclass(frozen=True, slots=True)
class IoMapping:
    """One input or output mapping: set variable ``target`` from ``source`` (``None``: null)."""

    target: str
    source: Value | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallMapping:
    """One variable passing between a call activity and the process it calls (in or out)."""

    source: str | None = None
    source_expression: Expression | None = None
    target: str | None = None
    all_variables: bool = False
    local: bool = False
    business_key: Value | None = None


@dataclass(frozen=True, slots=True)
class FormConstraint:
    name: str
    config: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FormField:
    id: str
    label: str | None = None
    type: str | None = None
    default_value: str | None = None
    constraints: tuple[FormConstraint, ...] = ()
    properties: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    values: tuple[tuple[str, str | None], ...] = ()


# The id of a form deployed on its own, as a reference names it: letters, digits, '_', '-', '.'.
FORM_KEY_PATTERN = r"[A-Za-z0-9_.-]{1,150}"
# How a reference picks the version of its form, per dialect.
FORM_BINDINGS = {
    "camunda:formRef": ("latest", "deployment", "version"),
    "zeebe:formDefinition": ("latest", "deployment", "versionTag"),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class FormRef:
    """A form-js form deployed as a file of its own that a user task names: Camunda 7's
    ``camunda:formRef`` (with ``formRefBinding`` and ``formRefVersion``) or Zeebe's
    ``zeebe:formDefinition formId`` (with ``bindingType`` and ``versionTag``).

    ``binding`` is as written (validation refuses one ``FORM_BINDINGS`` does not list);
    ``version`` is a number or an expression evaluated when the task is made."""

    source: str  # camunda:formRef or zeebe:formDefinition
    key: str = ""
    binding: str = "latest"
    version: Value | None = None
    version_tag: str | None = None
    line: int | None = None


ImplementationKind = Literal["handler", "external", "decision"]


@dataclass(frozen=True, slots=True)
class Implementation:
    """How a service-like task runs: a registered handler, an external topic, or a decision key."""

    kind: ImplementationKind
    name: str


@dataclass(frozen=True, slots=True)
class Feature:
    """Something an element asks for, named as the modeler shows it (``camunda:taskListener``)."""

    name: str
    line: int | None = None
    detail: str | None = None

    def describe(self) -> str:
        return f"{self.name} ({self.detail})" if self.detail else self.name


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtensionConfig:
    assignee: Value | None = None
    candidate_users: tuple[Value, ...] = ()
    candidate_groups: tuple[Value, ...] = ()
    form_key: str | None = None
    form_fields: tuple[FormField, ...] = ()
    form_ref: FormRef | None = None
    due_date: Value | None = None
    follow_up_date: Value | None = None
    priority: Value | None = None
    initiator: str | None = None
    async_before: bool = False
    async_after: bool = False
    retry_time_cycle: str | None = None
    retries: Value | None = None
    implementation: Implementation | None = None
    result_variable: str | None = None
    inputs: tuple[IoMapping, ...] = ()
    outputs: tuple[IoMapping, ...] = ()
    call_inputs: tuple[CallMapping, ...] = ()
    call_outputs: tuple[CallMapping, ...] = ()
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    properties: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # A process's embedded form-js forms (``zeebe:userTaskForm``), by id, as JSON text.
    user_task_forms: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    unsupported: tuple[Feature, ...] = ()
    ignored: tuple[Feature, ...] = ()

    def expressions(self) -> Iterator[Expression]:
        """Yield every expression in these settings, in document-independent but stable order."""
        values: list[Value | None] = [self.assignee, *self.candidate_users, *self.candidate_groups]
        values += [self.due_date, self.follow_up_date, self.priority, self.retries]
        values += [self.form_ref.version] if self.form_ref is not None else []
        values += [mapping.source for mapping in (*self.inputs, *self.outputs)]
        for mapping in (*self.call_inputs, *self.call_outputs):
            values += [mapping.source_expression, mapping.business_key]
        for value in values:
            if isinstance(value, Expression):
                yield value


NO_EXTENSIONS = ExtensionConfig()
