"""The form of a task, and checking what a person submits against it before the process moves on.

A user task's generated form is its ``camunda:formData``: fields with an id, a label, a type
(``string``, ``long``, ``double``, ``boolean``, ``date``, ``enum``), a default value, the enum's
values and validation constraints (``required``, ``readonly``, ``minlength``, ``maxlength``,
``min``, ``max``, and ``pattern`` (or ``regex``), a regular expression the whole text must match).
A form-js form embedded in the process (``zeebe:userTaskForm``, named by the user task's form key
``camunda-forms:bpmn:<id>``), or deployed as a file of its own and named by ``camunda:formRef``
or Zeebe's ``formId`` (``apps.tasks.form_definitions``), is read into the same fields
(``FORM_JS_TYPES``).
Submitted values are checked per field; the problems come back per field, and nothing moves.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import regex

from apps.engine.bpmn import spec
from apps.engine.models import ProcessDefinition, ProcessInstance
from apps.engine.services.compiled import compiled_process
from apps.tasks import form_definitions
from apps.tasks.models import Task

PATTERN_SECONDS = 0.05  # a pattern that takes longer on one value is refused, not run further
LONGEST_PATTERN = 500


@dataclass(frozen=True)
class Field:
    id: str
    label: str
    type: str
    default: str | None = None
    values: list[dict[str, str]] = field(default_factory=list)  # an enum's choices: id and name
    constraints: dict[str, str | None] = field(default_factory=dict)

    @property
    def required(self) -> bool:
        return "required" in self.constraints

    @property
    def readonly(self) -> bool:
        return "readonly" in self.constraints


EMBEDDED_FORM = "camunda-forms:bpmn:"
# form-js component types and the field types they give; other components (text, images,
# buttons, spacers) hold no value. Groups are read through.
FORM_JS_TYPES = {
    "textfield": "string",
    "textarea": "string",
    "number": "double",
    "checkbox": "boolean",
    "select": "enum",
    "radio": "enum",
    "datetime": "date",
    "checklist": "list",
    "taglist": "list",
}
VALIDATION_PATTERNS = {"email": r"[^@\s]+@[^@\s]+\.[^@\s]+", "phone": r"\+?[0-9 ()./-]{5,}"}


def fields_of(task: Task, instance: ProcessInstance | None = None) -> list[Field]:
    """The form of ``task``: its ``camunda:formData``, else its form-js form (empty: none).
    ``instance``: the task's instance, when the caller has read it already."""
    return form_of(task, instance)[0]


def form_of(task: Task, instance: ProcessInstance | None = None) -> tuple[list[Field], dict[str, Any] | None]:
    """The fields of ``task``'s form and its form-js form as written (see ``node_form``)."""
    return node_form((instance or task.instance).definition, task.element_id, task.form_key)


def node_form(
    definition: ProcessDefinition, element_id: str, form_key: str
) -> tuple[list[Field], dict[str, Any] | None]:
    """The form of the element ``element_id`` (a user task or a start event) whose form key is
    ``form_key``: its fields (its ``camunda:formData``, else its form-js form's; empty: none),
    and its form-js form as its author wrote it (None: it has none)."""
    schema = node_form_js_schema(definition, element_id, form_key)
    if schema is not None:
        components = schema.get("components")
        return list(_form_js_fields(components if isinstance(components, list) else [])), schema
    node = compiled_process(definition).nodes.get(element_id)
    form_fields: tuple[spec.FormField, ...] = node.extensions.form_fields if node is not None else ()
    fields = [
        Field(
            id=form_field.id,
            label=form_field.label or form_field.id,
            type=(form_field.type or "string").lower(),
            default=form_field.default_value,
            values=[{"id": value_id, "name": name or value_id} for value_id, name in form_field.values],
            constraints={constraint.name.lower(): constraint.config for constraint in form_field.constraints},
        )
        for form_field in form_fields
    ]
    return fields, None


def node_form_js_schema(definition: ProcessDefinition, element_id: str, form_key: str) -> dict[str, Any] | None:
    """The form-js form of the element as its author wrote it, or None when it has none (its
    ``camunda:formData``, if any, wins, as in Camunda 7). An unreadable embedded form is an empty
    one; a deployed form the element names that is not there raises ``FormNotFound``."""
    reference = form_definitions.reference_of(form_key)
    if reference is None and not form_key.startswith(EMBEDDED_FORM):
        return None
    process = compiled_process(definition)
    node = process.nodes.get(element_id)
    if node is not None and node.extensions.form_fields:
        return None
    if reference is not None:
        return form_definitions.resolve(reference, definition.deployed_at).schema  # type: ignore[no-any-return]
    text = process.spec.extensions.user_task_forms.get(form_key[len(EMBEDDED_FORM) :], "")
    try:
        schema = json.loads(text) if text else {}
    except ValueError:
        schema = {}
    return schema if isinstance(schema, dict) else {}


def _form_js_fields(components: list[Any]) -> Iterator[Field]:
    for component in components:
        if not isinstance(component, dict):
            continue
        if isinstance(component.get("components"), list):  # a group
            yield from _form_js_fields(component["components"])
        kind = FORM_JS_TYPES.get(str(component.get("type", "")))
        key = component.get("key")
        if kind is None or not isinstance(key, str) or not key:
            continue
        validate = component.get("validate") if isinstance(component.get("validate"), dict) else {}
        constraints: dict[str, str | None] = {}
        for ours, theirs in (("min", "min"), ("max", "max"), ("minlength", "minLength"), ("maxlength", "maxLength")):
            if validate.get(theirs) is not None:
                constraints[ours] = str(validate[theirs])
        if validate.get("required"):
            constraints["required"] = None
        pattern = validate.get("pattern") or VALIDATION_PATTERNS.get(str(validate.get("validationType", "")))
        if pattern:
            constraints["pattern"] = str(pattern)
        if component.get("readonly") or component.get("disabled"):
            constraints["readonly"] = None
        values = component.get("values") if isinstance(component.get("values"), list) else []
        default = component.get("defaultValue")
        yield Field(
            id=key,
            label=str(component.get("label") or key),
            type=kind,
            default=None if default is None else str(default),
            values=[
                {"id": str(value.get("value")), "name": str(value.get("label") or value.get("value"))}
                for value in values
                if isinstance(value, dict)
            ],
            constraints=constraints,
        )


def _choice(value: dict[str, Any]) -> dict[str, str]:
    return {"id": str(value.get("value")), "name": str(value.get("label") or value.get("value"))}


def problems(fields: list[Field], submitted: dict[str, Any], current: dict[str, Any]) -> dict[str, list[str]]:
    """What is wrong with ``submitted`` against the form, per field id (empty: nothing)."""
    found: dict[str, list[str]] = {}
    for form_field in fields:
        messages = _check(form_field, submitted, current)
        if messages:
            found[form_field.id] = messages
    return found


def _check(form_field: Field, submitted: dict[str, Any], current: dict[str, Any]) -> list[str]:
    present = form_field.id in submitted and submitted[form_field.id] not in (None, "")
    value = submitted.get(form_field.id)
    if form_field.readonly and form_field.id in submitted and value != current.get(form_field.id):
        return ["This field is read-only."]
    if not present:
        has_value = current.get(form_field.id) not in (None, "") or form_field.default not in (None, "")
        return ["This field is required."] if form_field.required and not has_value else []
    kind = _type_problem(form_field, value)
    if kind:
        return [kind]
    return _constraint_problems(form_field, value)


def _type_problem(form_field: Field, value: Any) -> str | None:
    kind = form_field.type
    if kind == "string" and not isinstance(value, str):
        return "Give text."
    if kind == "long" and (type(value) is not int):
        return "Give a whole number."
    if kind == "double" and (isinstance(value, bool) or not isinstance(value, int | float)):
        return "Give a number."
    if kind == "boolean" and not isinstance(value, bool):
        return "Give true or false."
    if kind == "date" and not _is_date(value):
        return "Give a date (ISO 8601, such as 2026-12-01 or 2026-12-01T09:00:00Z)."
    choices = [choice["id"] for choice in form_field.values]
    if kind == "list" and (
        not isinstance(value, list) or (choices and any(str(item) not in choices for item in value))
    ):
        return f"Give a list of {', '.join(choices)}." if choices else "Give a list."
    if kind == "enum" and value not in choices:
        choices = ", ".join(choice["id"] for choice in form_field.values)
        return f"Choose one of {choices}."
    return None


def _is_date(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _constraint_problems(form_field: Field, value: Any) -> list[str]:
    found = []
    constraints = form_field.constraints
    for name, describe in (("minlength", "at least {} characters"), ("maxlength", "at most {} characters")):
        bound = _number(constraints.get(name))
        if name in constraints and bound is not None and isinstance(value, str):
            too_short = name == "minlength" and len(value) < bound
            too_long = name == "maxlength" and len(value) > bound
            if too_short or too_long:
                found.append(f"Give {describe.format(int(bound))}.")
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    for name in ("min", "max"):
        bound = _number(constraints.get(name))
        if not numeric or bound is None:
            continue
        if (name == "min" and value < bound) or (name == "max" and value > bound):
            found.append(f"Give {'at least' if name == 'min' else 'at most'} {_show(bound)}.")
    pattern = constraints.get("pattern") or constraints.get("regex")
    if pattern and isinstance(value, str) and not _matches(pattern, value):
        found.append(f"Give text that matches {pattern}.")
    return found


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


def _show(number: float) -> str:
    return str(int(number)) if number == int(number) else str(number)


def _matches(pattern: str, value: str) -> bool:
    """Whether the whole of ``value`` matches ``pattern``; a pattern too long, invalid, or too slow
    on the value does not match (the model's author sees the field refused)."""
    if len(pattern) > LONGEST_PATTERN:
        return False
    try:
        return cast("bool", regex.fullmatch(pattern, value, timeout=PATTERN_SECONDS) is not None)
    except (regex.error, TimeoutError):
        return False


# The form-js component that shows a generated form's field of each type.
GENERATED_COMPONENTS = {
    "string": "textfield",
    "long": "number",
    "double": "number",
    "boolean": "checkbox",
    "date": "datetime",
    "enum": "select",
}


def generated_schema(fields: list[Field]) -> dict[str, Any]:
    """A form-js form showing ``fields`` of a ``camunda:formData`` form, so that one renderer shows
    every task's form. Its validation mirrors the server's, which stays the judge."""
    components = []
    for form_field in fields:
        component: dict[str, Any] = {
            "id": f"field_{form_field.id}",
            "key": form_field.id,
            "label": form_field.label,
            "type": GENERATED_COMPONENTS.get(form_field.type, "textfield"),
        }
        validate: dict[str, Any] = {}
        if form_field.required:
            validate["required"] = True
        for ours, theirs in (("min", "min"), ("max", "max"), ("minlength", "minLength"), ("maxlength", "maxLength")):
            bound = _number(form_field.constraints.get(ours))
            if bound is not None:
                validate[theirs] = int(bound) if bound == int(bound) else bound
        pattern = form_field.constraints.get("pattern") or form_field.constraints.get("regex")
        if pattern:
            validate["pattern"] = pattern
        if validate:
            component["validate"] = validate
        if form_field.readonly:
            component["readonly"] = True
        if form_field.type == "long":
            component["decimalDigits"] = 0
        if form_field.type == "date":
            component.update(subtype="date", dateLabel=form_field.label)
            del component["label"]
        if form_field.type == "enum":
            component["values"] = [{"label": choice["name"], "value": choice["id"]} for choice in form_field.values]
        if form_field.default is not None:
            component["defaultValue"] = _typed_default(form_field)
        components.append(component)
    return {"type": "default", "id": "generated", "schemaVersion": 16, "components": components}


def _typed_default(form_field: Field) -> Any:
    text = form_field.default or ""
    if form_field.type in ("long", "double"):
        number = _number(text)
        return None if number is None else (int(number) if form_field.type == "long" else number)
    if form_field.type == "boolean":
        return text.strip().lower() == "true"
    return text


def as_json(fields: list[Field], current: dict[str, Any], schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """The form as the API shows it: each field with its current value (the variable, else the
    default), and the form-js ``schema`` that renders it (the task's own, else one generated)."""
    return {
        "schema": schema if schema is not None else generated_schema(fields),
        "fields": [
            {
                "id": form_field.id,
                "label": form_field.label,
                "type": form_field.type,
                "required": form_field.required,
                "readonly": form_field.readonly,
                "default": form_field.default,
                "values": form_field.values,
                "constraints": form_field.constraints,
                "value": current.get(form_field.id, form_field.default),
            }
            for form_field in fields
        ],
    }
