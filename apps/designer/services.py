"""What designers do with process models: create, save versions, compare, restore, lint, deploy.

Every change happens here, in one transaction. A save names the version it was based on; a save
on a stale base is refused (``VersionConflict``) instead of overwriting a colleague's work. A
version may hold a model the engine would refuse (work in progress: the lint shows what is
wrong), but never something that is not a BPMN document, and nothing over the size cap.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from apps.designer import templates
from apps.designer.models import ModelDeployment, ModelVersion, ProcessModel, TenantTemplate
from apps.engine import clock
from apps.engine.bpmn import Problem, parse_definitions
from apps.engine.services import deployments
from apps.engine.services.deployments import DeployResult


class ModelRefused(Exception):
    """Not a BPMN document (or hostile XML): nothing was saved. ``problems`` says why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("The file is not a BPMN model this platform can keep.")
        self.problems = tuple(problems)


class ModelTooLarge(Exception):
    """The model is larger than ``APG_MODEL_MAX_BYTES``."""


class VersionConflict(Exception):
    """The save was based on a version that is no longer the latest."""

    def __init__(self, current: int) -> None:
        super().__init__(f"The model is at version {current} now: load it, then save again.")
        self.current = current


class BaseVersionMissing(Exception):
    """A save must name the version it was based on."""


class KeyTaken(Exception):
    """Another model of the tenant has this key."""


class TemplateUnknown(Exception):
    """No starter or tenant template has this key."""


def max_model_bytes() -> int:
    return int(settings.APG_MODEL_MAX_BYTES)


def read_model(xml: bytes) -> tuple[Problem, ...]:
    """Refuse what cannot be kept: over the size cap, not XML, hostile XML, not BPMN. The
    problems of a model that can be kept (the engine's parser's warnings) come back."""
    if len(xml) > max_model_bytes():
        raise ModelTooLarge(f"The model is {len(xml):,} bytes; at most {max_model_bytes():,} are kept.")
    result = parse_definitions(xml, max_bytes=max_model_bytes())
    if result.definitions is None:
        raise ModelRefused(result.problems)
    return result.problems


def create_model(
    *,
    name: str,
    owner: str,
    key: str = "",
    description: str = "",
    tags: Sequence[str] = (),
    xml: bytes | None = None,
    template: str = "",
) -> ProcessModel:
    """A new model with its first version: ``xml``, else a template's, else an empty process."""
    key = key or slugify(name)[:200] or "model"
    if xml is None and template:
        xml = templates.xml_of(template)
        if xml is None:
            raise TemplateUnknown(f"No template {template!r}.")
    if xml is None:
        xml = blank_model(key, name)
    read_model(xml)
    now = clock.now()
    try:
        with transaction.atomic():
            model = ProcessModel.objects.create(
                key=key,
                name=name,
                description=description,
                tags=list(tags),
                owner=owner,
                latest_version=1,
                created_at=now,
                updated_at=now,
            )
            ModelVersion.objects.create(
                model=model,
                number=1,
                xml=xml.decode(),
                checksum=_checksum(xml),
                author=owner,
                message="Created",
                created_at=now,
            )
    except IntegrityError as taken:
        raise KeyTaken(f"A model with the key {key!r} exists already.") from taken
    return model


def import_model(xml: bytes, *, name: str, owner: str) -> ProcessModel:
    """A new model from a .bpmn file: named ``name``, else by its first process; its key is
    free (``-2``, ``-3``... when taken)."""
    read_model(xml)
    definitions = parse_definitions(xml, max_bytes=max_model_bytes()).definitions
    processes = list(definitions.processes.values()) if definitions is not None else []
    name = name or (processes[0].name or processes[0].id if processes else "") or "Imported model"
    base = slugify(name)[:190] or "model"
    taken = set(ProcessModel.objects.filter(key__startswith=base).values_list("key", flat=True))
    key = next(candidate for number in range(1, len(taken) + 2) if (candidate := _numbered(base, number)) not in taken)
    return create_model(name=name, owner=owner, key=key, xml=xml)


def _numbered(base: str, number: int) -> str:
    return base if number == 1 else f"{base}-{number}"


def save_version(model_id: Any, xml: bytes, *, author: str, message: str, base: int | None) -> ModelVersion:
    """Save ``xml`` as the model's next version, based on version ``base``. Saving what the
    latest version holds already makes no new version."""
    if base is None:
        raise BaseVersionMissing("Say which version the change is based on (If-Match).")
    read_model(xml)
    with transaction.atomic():
        model = ProcessModel.objects.select_for_update().get(id=model_id)
        if base != model.latest_version:
            raise VersionConflict(model.latest_version)
        latest = model.versions.get(number=model.latest_version)
        if latest.checksum == _checksum(xml):
            return latest
        model.latest_version += 1
        model.updated_at = clock.now()
        model.save(update_fields=["latest_version", "updated_at"])
        return ModelVersion.objects.create(
            model=model,
            number=model.latest_version,
            xml=xml.decode(),
            checksum=_checksum(xml),
            author=author,
            message=message[:500],
            created_at=model.updated_at,
        )


def restore(model_id: Any, number: int, *, author: str, base: int | None) -> ModelVersion:
    """Make version ``number``'s content the latest again, as a new version."""
    old = ModelVersion.objects.get(model_id=model_id, number=number)
    return save_version(model_id, old.xml.encode(), author=author, message=f"Restored version {number}", base=base)


def lint(xml: bytes) -> tuple[Problem, ...]:
    """Every problem the engine would find deploying ``xml`` (nothing stored)."""
    read_model(xml)
    return deployments.check_model(xml)


def deploy(model_id: Any, *, version: int | None, user: str) -> tuple[ModelVersion, DeployResult]:
    """Deploy a version (the latest by default) to the engine; ``DeploymentRefused`` lists its
    problems when the engine refuses it."""
    model = ProcessModel.objects.get(id=model_id)
    chosen = model.versions.get(number=version or model.latest_version)
    with transaction.atomic():
        result = deployments.deploy(
            chosen.xml.encode(), name=f"{model.name} (version {chosen.number})", deployed_by=user
        )
        already = ModelDeployment.objects.filter(model=model, deployment=result.deployment).exists()
        if not already:
            ModelDeployment.objects.create(
                model=model, version=chosen.number, deployment=result.deployment, deployed_by=user
            )
    return chosen, result


def save_as_template(model_id: Any, *, key: str, name: str, description: str, user: str) -> TenantTemplate:
    """Keep the model's latest version as a template of the tenant."""
    model = ProcessModel.objects.get(id=model_id)
    latest = model.versions.get(number=model.latest_version)
    key = key or slugify(name or model.name)[:200] or model.key
    if templates.is_starter(key):
        raise KeyTaken(f"{key!r} is the key of a starter template.")
    template, _ = TenantTemplate.objects.update_or_create(
        key=key,
        defaults={"name": name or model.name, "description": description, "xml": latest.xml, "created_by": user},
    )
    return template


def blank_model(key: str, name: str) -> bytes:
    """An empty process with one start event, laid out, as a new model starts."""
    process_id = _ncname(key)
    label = _xml_text(name or key)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  id="Definitions_{process_id}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{process_id}" name="{label}" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1"/>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="{process_id}">
      <bpmndi:BPMNShape id="StartEvent_1_di" bpmnElement="StartEvent_1">
        <dc:Bounds x="180" y="160" width="36" height="36"/>
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
""".encode()


def _ncname(key: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "_", key)
    return cleaned if re.match(r"[A-Za-z_]", cleaned) else f"Process_{cleaned}"


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


def _checksum(xml: bytes) -> str:
    return hashlib.sha256(xml).hexdigest()
