"""A process's start form: the form of its none start event, filled in to start an instance.

As Camunda 7's ``startForm`` and ``submit-form``: the start event's ``camunda:formData``, an
embedded form-js form (``camunda:formKey="camunda-forms:bpmn:<id>"``) or a deployed one
(``camunda:formRef``). What is submitted is checked per field exactly as a task's form is, and
nothing starts unless every value fits; the values become the instance's first variables.
"""

from __future__ import annotations

from typing import Any

from apps.engine.models import ProcessDefinition, ProcessInstance
from apps.engine.services import instances
from apps.engine.services.compiled import compiled_process
from apps.tasks import form_definitions, forms


class StartFormInvalid(Exception):
    """Submitted values do not fit the start form; ``problems`` lists them per field."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        super().__init__("Some values do not fit the start form.")
        self.problems = problems


def start_event_id(definition: ProcessDefinition) -> str | None:
    """The none start event an instance starts at, or None when there is not exactly one."""
    ids = compiled_process(definition).start_node_ids(None)
    return ids[0] if len(ids) == 1 else None


def start_form_key(definition: ProcessDefinition, element_id: str) -> str:
    """The start event's form key, as a task's would be (a deployed form's reference included)."""
    extensions = compiled_process(definition).nodes[element_id].extensions
    reference = extensions.form_ref
    if reference is None:
        return extensions.form_key or ""
    version = reference.version
    return form_definitions.form_key_of(
        {
            "key": reference.key,
            "binding": reference.binding,
            "version": None if version is None else str(version)[:20],
            "version_tag": reference.version_tag,
        }
    )


def start_form(definition: ProcessDefinition) -> tuple[list[forms.Field], dict[str, Any] | None]:
    """The start form's fields and its form-js schema as written (None: generated from the fields,
    or no form at all when there are none). A deployed form that is missing raises FormNotFound."""
    element_id = start_event_id(definition)
    if element_id is None:
        return [], None
    return forms.node_form(definition, element_id, start_form_key(definition, element_id))


def submit(definition: ProcessDefinition, values: dict[str, Any], *, business_key: str, user: str) -> ProcessInstance:
    """Start an instance with the start form's ``values``; StartFormInvalid (nothing started) if
    any does not fit its field."""
    fields, _ = start_form(definition)
    wrong = forms.problems(fields, values, {})
    if wrong:
        raise StartFormInvalid(wrong)
    return instances.start_instance(definition, values, business_key=business_key, started_by=user)
