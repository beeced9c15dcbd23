"""XML namespaces this package reads, and helpers for qualified names."""

from __future__ import annotations

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
# Camunda 7 reads the Activiti namespace as its own, and so do we.
ACTIVITI = "http://activiti.org/bpmn"
ZEEBE = "http://camunda.org/schema/zeebe/1.0"

CAMUNDA_NAMESPACES = frozenset({CAMUNDA, ACTIVITI})
# Namespaces whose attributes and elements change how a model runs: what we do not map is reported.
ENGINE_NAMESPACES = CAMUNDA_NAMESPACES | {ZEEBE}


def qualified(namespace: str, local: str) -> str:
    """Return the Clark notation ``{namespace}local`` lxml uses for tags and attributes."""
    return f"{{{namespace}}}{local}"


def split_qualified(name: str) -> tuple[str, str]:
    """Split ``{namespace}local`` into its namespace and local name (namespace '' when absent)."""
    if name.startswith("{"):
        namespace, _, local = name[1:].partition("}")
        return namespace, local
    return "", name


def display_name(name: str) -> str:
    """Write an engine-namespace name the way Camunda Modeler users know it: ``camunda:assignee``."""
    namespace, local = split_qualified(name)
    if namespace in CAMUNDA_NAMESPACES:
        return f"camunda:{local}"
    if namespace == ZEEBE:
        return f"zeebe:{local}"
    return local
