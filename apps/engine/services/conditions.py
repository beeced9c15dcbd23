"""Conditional start events of a process, as Camunda 7's ``POST /condition`` evaluates them.

Nothing watches a process that has not started: a caller hands the engine variables, and each
conditional start event of the newest version of each process whose condition holds with them
starts an instance there (with those variables). A condition that cannot be evaluated with
them (a variable it names is missing) does not hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from apps.engine.bpmn import spec
from apps.engine.expressions import EvaluationError
from apps.engine.models import ProcessDefinition
from apps.engine.services.compiled import compiled_process
from apps.engine.services.instances import start_instance


class NoConditionalStart(Exception):
    """No newest process version has a conditional start event (as Camunda 7 reports it)."""


def start_by_conditions(
    variables: Mapping[str, Any], *, business_key: str = "", key: str | None = None, actor: str = ""
) -> list[str]:
    """Start an instance at every conditional start event whose condition holds; their ids."""
    newest = ProcessDefinition.objects.order_by("key", "-version").distinct("key")
    if key is not None:
        newest = newest.filter(key=key)
    candidates = [
        (definition, start)
        for definition in newest.select_related("deployment")
        for start in _conditional_starts(definition)
    ]
    if not candidates:
        scope = f"the process {key!r}" if key is not None else "any process"
        raise NoConditionalStart(f"The newest version of {scope} has no conditional start event.")
    started = []
    for definition, (start_id, condition) in candidates:
        try:
            holds = compiled_process(definition).expressions[condition].evaluate(variables) is True
        except EvaluationError:
            holds = False
        if holds:
            instance = start_instance(
                definition, variables, business_key=business_key, started_by=actor, start_event_id=start_id
            )
            started.append(str(instance.id))
    return started


def _conditional_starts(definition: ProcessDefinition) -> list[tuple[str, spec.Expression]]:
    process = compiled_process(definition).spec
    starts = []
    for node_id in process.start_node_ids:
        node = cast("spec.StartEvent", process.nodes[node_id])
        definitions = node.event_definitions
        if len(definitions) == 1 and isinstance(definitions[0], spec.ConditionalEventDefinition):
            condition = definitions[0].condition
            if condition is not None:
                starts.append((node_id, condition))
    return starts
