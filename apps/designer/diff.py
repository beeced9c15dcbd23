"""Two versions of a model compared element by element: added, removed, changed.

Elements are the model's parts that have an ``id`` (tasks, events, gateways, flows, lanes,
messages...); diagram interchange (DI) shapes count for the element they draw, so moving a task
changes it. A change names what changed: an attribute (``name: 'Check' -> 'Check the claim'``),
a part inside it without an id of its own (``conditionExpression``, ``extensionElements``), or
its place on the diagram. Both documents go through the engine's hardened XML reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from apps.engine.bpmn.names import BPMNDI
from apps.engine.bpmn.xml import Element, attribute_items, child_elements, local_name, namespace_of, read_xml

DI_NAMESPACES = frozenset({BPMNDI, "http://www.omg.org/spec/DD/20100524/DC", "http://www.omg.org/spec/DD/20100524/DI"})


@dataclass
class _Part:
    type: str
    name: str
    attributes: dict[str, str]
    details: dict[str, str]  # the serialized children without an id, by tag
    drawing: str = ""  # the DI shape's bounds or the edge's waypoints
    changes: list[str] = field(default_factory=list)


class NotComparable(Exception):
    """A version could not be read (it is always readable once saved; a guard)."""


def compare(old_xml: bytes, new_xml: bytes) -> dict[str, list[dict[str, Any]]]:
    """What ``new_xml`` added, removed and changed against ``old_xml``."""
    old, new = _parts(old_xml), _parts(new_xml)
    added = [_summary(element_id, new[element_id]) for element_id in new if element_id not in old]
    removed = [_summary(element_id, old[element_id]) for element_id in old if element_id not in new]
    changed = []
    for element_id, now in new.items():
        before = old.get(element_id)
        if before is None:
            continue
        changes = _changes(before, now)
        if changes:
            changed.append({**_summary(element_id, now), "changes": changes})
    return {"added": added, "removed": removed, "changed": changed}


def _summary(element_id: str, part: _Part) -> dict[str, Any]:
    return {"id": element_id, "type": part.type, "name": part.name}


def _parts(xml: bytes) -> dict[str, _Part]:
    document = read_xml(xml)
    if document.root is None:
        raise NotComparable("; ".join(str(problem) for problem in document.problems))
    parts: dict[str, _Part] = {}
    drawings: dict[str, str] = {}
    for element in document.root.iter():
        if not isinstance(element.tag, str):
            continue
        if namespace_of(element) in DI_NAMESPACES:
            drawn = element.get("bpmnElement")
            if drawn and local_name(element) in ("BPMNShape", "BPMNEdge"):
                drawings[drawn] = _drawing(element)
            continue
        element_id = element.get("id")
        if element_id:
            parts[element_id] = _part(element)
    for element_id, drawing in drawings.items():
        if element_id in parts:
            parts[element_id].drawing = drawing
    return parts


def _part(element: Element) -> _Part:
    attributes = {_attribute_name(name): value for name, value in attribute_items(element) if name != "id"}
    details: dict[str, str] = {}
    for child in child_elements(element):
        if child.get("id") or namespace_of(child) in DI_NAMESPACES:
            continue  # compared on its own
        tag = local_name(child)
        details[tag] = details.get(tag, "") + etree.tostring(child, method="c14n").decode()
    return _Part(local_name(element), attributes.get("name", ""), attributes, details)


def _attribute_name(name: str) -> str:
    namespace, _, local = name.rpartition("}")
    if not namespace:
        return local
    prefix = "camunda:" if "camunda" in namespace else "zeebe:" if "zeebe" in namespace else ""
    return f"{prefix}{local}"


def _drawing(element: Element) -> str:
    points = []
    for child in element.iter():
        if isinstance(child.tag, str) and local_name(child) in ("Bounds", "waypoint"):
            points.append(",".join(child.get(name, "") for name in ("x", "y", "width", "height")))
    return ";".join(points)


def _changes(before: _Part, now: _Part) -> list[str]:
    changes = []
    for name in sorted(set(before.attributes) | set(now.attributes)):
        old, new = before.attributes.get(name), now.attributes.get(name)
        if old != new:
            changes.append(f"{name}: {_shown(old)} -> {_shown(new)}")
    for tag in sorted(set(before.details) | set(now.details)):
        if before.details.get(tag) != now.details.get(tag):
            verb = "added" if tag not in before.details else "removed" if tag not in now.details else "changed"
            changes.append(f"{tag} {verb}")
    if before.drawing != now.drawing and before.drawing and now.drawing:
        changes.append("moved or resized on the diagram")
    return changes


def _shown(value: str | None) -> str:
    return "(none)" if value is None else repr(value)
