"""Form-js forms deployed as files of their own, and finding the one a task names.

A form file (``.form``, as Camunda Modeler saves it) is form-js JSON with an ``id`` (its key) and
``components``. Deploying one stores a new version of its key, counting from 1; a form identical
(as canonical JSON) to the latest version of its key adds none, as Zeebe does.

A user task names such a form with Camunda 7's ``camunda:formRef`` or Zeebe's ``formId``; the
engine hands the reference on, and the task keeps it in its form key as
``camunda-forms:deployed:<key>[:<binding>[:<version or tag>]]``. The form is found when someone
asks for the task's form or completes the task:

- ``latest``: the latest version of the key at that moment (Camunda 7 and Zeebe's default);
- ``version``: that version (Camunda 7's ``camunda:formRefVersion``, evaluated when the task was
  made if it is an expression);
- ``versionTag``: the latest version whose ``versionTag`` is that tag (Zeebe);
- ``deployment``: the latest version deployed at or before the task's process version. A
  deployment here holds one BPMN file, so "the form deployed with the process" is the one there
  was when the process was deployed: deploy forms before the processes that bind them so.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max

from apps.engine import clock
from apps.engine.bpmn.extension_spec import FORM_KEY_PATTERN
from apps.tasks.models import FormDefinition

DEPLOYED_FORM = "camunda-forms:deployed:"
DEEPEST = 32  # objects and lists inside one another
LONGEST_TAG = 60


class FormRefused(Exception):
    """The file is not a form this platform keeps (not JSON, no id, no components...); nothing
    was stored."""


class FormTooLarge(FormRefused):
    """The file is larger than ``APG_FORM_MAX_BYTES``."""


class FormNotFound(Exception):
    """No deployed form matches a task's reference (not deployed yet, or not that version)."""

    def __init__(self, reference: FormReference) -> None:
        super().__init__(f"No form {reference.describe()} is deployed in this tenant.")
        self.reference = reference


@dataclass(frozen=True)
class FormReference:
    key: str
    binding: str = "latest"
    version: str | None = None  # binding version: as the model or its expression gave it
    version_tag: str | None = None  # binding versionTag

    def describe(self) -> str:
        if self.binding == "version":
            return f"'{self.key}' in version {self.version}"
        if self.binding == "versionTag":
            return f"'{self.key}' with the version tag {self.version_tag!r}"
        if self.binding == "deployment":
            return f"'{self.key}' deployed before its process"
        return f"'{self.key}'"

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "binding": self.binding, "version": self.version, "version_tag": self.version_tag}


@dataclass(frozen=True)
class FormDeployResult:
    form: FormDefinition
    created: bool  # False when it is the latest version of its key already


def form_key_of(reference: dict[str, Any]) -> str:
    """The task's form key for a reference the engine handed on (``form_ref`` of its wait)."""
    binding = str(reference.get("binding") or "latest")
    key = f"{DEPLOYED_FORM}{reference.get('key', '')}"
    if binding == "version":
        return f"{key}:version:{reference.get('version') or ''}"
    if binding == "versionTag":
        return f"{key}:versionTag:{reference.get('version_tag') or ''}"
    return key if binding == "latest" else f"{key}:{binding}"


def reference_of(form_key: str) -> FormReference | None:
    """The deployed form a task's form key names, or None when it names none."""
    if not form_key.startswith(DEPLOYED_FORM):
        return None
    key, _, rest = form_key[len(DEPLOYED_FORM) :].partition(":")  # a form's key holds no ':'
    binding, _, value = rest.partition(":")
    if binding == "version":
        return FormReference(key, binding, version=value)
    if binding == "versionTag":
        return FormReference(key, binding, version_tag=value)
    return FormReference(key, binding or "latest")


def resolve(reference: FormReference, process_deployed_at: datetime) -> FormDefinition:
    """The deployed form ``reference`` names (see the module's docstring); FormNotFound if none."""
    versions = FormDefinition.objects.filter(key=reference.key).order_by("-version")
    if reference.binding == "version":
        number = _whole_number(reference.version)
        versions = versions.filter(version=number) if number is not None else versions.none()
    elif reference.binding == "versionTag":
        versions = versions.filter(version_tag=reference.version_tag or "")
    elif reference.binding == "deployment":
        versions = versions.filter(deployed_at__lte=process_deployed_at)
    elif reference.binding != "latest":
        versions = versions.none()
    found = versions.first()
    if found is None:
        raise FormNotFound(reference)
    return found


def _whole_number(text: str | None) -> int | None:
    try:
        number = float(text or "")
    except ValueError:
        return None
    return int(number) if number.is_integer() and number >= 1 else None


def deploy_form(data: bytes, *, name: str = "", deployed_by: str = "") -> FormDeployResult:
    """Store ``data`` (a form file) as the next version of its key, unless it is the latest
    version already. FormRefused (nothing stored) when it is not a form this platform keeps."""
    schema = read_form(data)
    key = schema["id"]
    canonical = json.dumps(schema, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    checksum = hashlib.sha256(canonical.encode()).hexdigest()
    tag = schema.get("versionTag")
    with transaction.atomic():
        with connection.cursor() as cursor:  # deployments of one key, one at a time
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{connection.schema_name}:form:{key}"])
        latest = FormDefinition.objects.filter(key=key).order_by("-version").first()
        if latest is not None and latest.checksum == checksum:
            return FormDeployResult(latest, created=False)
        version = (FormDefinition.objects.filter(key=key).aggregate(latest=Max("version"))["latest"] or 0) + 1
        form = FormDefinition.objects.create(
            key=key,
            version=version,
            version_tag=tag if isinstance(tag, str) else "",
            name=name[:255],
            schema=schema,
            checksum=checksum,
            deployed_by=deployed_by,
            deployed_at=clock.now(),
        )
    return FormDeployResult(form, created=True)


def read_form(data: bytes) -> dict[str, Any]:
    """The form-js form in ``data``, checked: JSON within the size cap, nested at most ``DEEPEST``
    deep, with no NUL character and no NaN or infinity (which PostgreSQL's JSON does not hold),
    an ``id`` that can be referenced, and ``components`` that are a list of objects."""
    limit = max_bytes()
    if len(data) > limit:
        raise FormTooLarge(f"A form file is at most {limit} bytes; this one has {len(data)}.")
    try:
        schema = json.loads(data, parse_constant=_refuse_constant)
    except RecursionError as deep:
        raise FormRefused(f"The form is nested deeper than {DEEPEST} levels.") from deep
    except (UnicodeDecodeError, ValueError) as invalid:
        raise FormRefused(f"The form is not JSON: {invalid}") from invalid
    if not isinstance(schema, dict):
        raise FormRefused("A form is a JSON object with an id and components.")
    _check_content(schema)
    key, components, tag = schema.get("id"), schema.get("components"), schema.get("versionTag")
    if not isinstance(key, str) or not re.fullmatch(FORM_KEY_PATTERN, key):
        raise FormRefused("A form needs an id of letters, digits, '_', '-' and '.' (at most 150): its key.")
    if not isinstance(components, list) or not all(isinstance(component, dict) for component in components):
        raise FormRefused("A form's components are a list of objects.")
    if tag is not None and (not isinstance(tag, str) or len(tag) > LONGEST_TAG):
        raise FormRefused(f"A form's versionTag is text of at most {LONGEST_TAG} characters.")
    return schema


def max_bytes() -> int:
    """The largest form file accepted (``APG_FORM_MAX_BYTES``)."""
    return int(settings.APG_FORM_MAX_BYTES)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _check_content(schema: dict[str, Any]) -> None:
    pending: list[tuple[Any, int]] = [(schema, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > DEEPEST:
            raise FormRefused(f"The form is nested deeper than {DEEPEST} levels.")
        if isinstance(value, dict):
            pending += [(key, depth) for key in value]
            pending += [(item, depth + 1) for item in value.values()]
        elif isinstance(value, list):
            pending += [(item, depth + 1) for item in value]
        elif isinstance(value, str) and ("\x00" in value or not _is_unicode(value)):
            raise FormRefused("The form holds a NUL character or a lone surrogate (\\u0000, \\ud800...).")


def _is_unicode(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True
