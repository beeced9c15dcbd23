"""Call activities: the token waits while another process runs as a child instance.

The interpreter only decides what to pass: the wait (kind ``call-activity``) names the process
key, the variables and the business key for the child; the store starts the child in the same
transaction and, when the child completes, hands its variables back with ``return_from_call``.

Mappings as in Camunda 7 (``camunda:in``/``camunda:out``: a variable by name, an expression,
``variables="all"``, ``local="true"``, ``businessKey``) and Zeebe (``zeebe:input``/``output``;
every variable both ways unless ``propagateAll...Variables="false"``). A Camunda call activity
without mappings passes nothing, as Camunda 7 does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from apps.engine.bpmn import spec
from apps.engine.runtime.compiled import CompiledProcess
from apps.engine.runtime.errors import TokenStopped
from apps.engine.runtime.state import Snapshot
from apps.engine.runtime.step import Step

if TYPE_CHECKING:
    from apps.engine.runtime.interpreter import Run, ServiceHandler
    from apps.engine.runtime.state import Token


def enter_call_activity(run: Run, token: Token, node: spec.CallActivity) -> None:
    run.begin_activity(token, node)
    key = run.value(node.called_element, token)
    if not isinstance(key, str) or not key:
        message = f"The call activity {node.id!r} gave {key!r} as the process to call."
        raise TokenStopped("called-element-invalid", message)
    visible = run.visible(token)
    own = token.data.get("locals", {})
    variables: dict[str, Any] = {}
    business_key: Any = None
    for mapping in node.extensions.call_inputs:
        if mapping.business_key is not None:
            business_key = run.value(mapping.business_key, token)
        variables.update(_mapped(run.evaluate, mapping, visible, own, token))
    if business_key is not None and not isinstance(business_key, str):
        business_key = str(business_key)
    details = {"process_key": key, "business_key": business_key or ""}
    run.wait(token, node, "call-activity", details)
    run.step.waits[-1].details["variables"] = variables  # for the child only; not kept with the token


def _mapped(
    evaluate: Callable[..., Any],
    mapping: spec.CallMapping,
    visible: Mapping[str, Any],
    own: Mapping[str, Any],
    *context: Any,
) -> dict[str, Any]:
    if mapping.all_variables:
        return dict(own if mapping.local else visible)
    target = mapping.target or mapping.source
    if target is None:
        return {}
    if mapping.source_expression is not None:
        return {target: evaluate(mapping.source_expression, *context)}
    if mapping.source is not None:
        return {target: visible.get(mapping.source)}
    return {}


def return_from_call(
    process: CompiledProcess,
    snapshot: Snapshot,
    token_id: str,
    child_variables: Mapping[str, Any],
    *,
    now: datetime,
    new_id: Callable[[], str],
    handlers: Mapping[str, ServiceHandler] | None = None,
) -> Step:
    """The child instance of the call activity at ``token_id`` completed: hand its variables back
    through the output mappings and move on."""
    from apps.engine.expressions import EvaluationError
    from apps.engine.runtime.interpreter import resume  # the interpreter imports this module

    run, token, node = resume(process, snapshot, token_id, "call-activity", now=now, new_id=new_id, handlers=handlers)

    def evaluate(expression: spec.Expression) -> Any:
        try:
            return process.expressions[expression].evaluate(child_variables, now=now)
        except EvaluationError as error:
            raise TokenStopped("expression-failed", f"{expression.text!r} failed: {error}") from error

    try:
        outputs: dict[str, Any] = {}
        for mapping in node.extensions.call_outputs:
            outputs.update(_mapped(evaluate, mapping, child_variables, child_variables))
        run.set_variables(outputs, token, local=bool(node.extensions.outputs))
        run.activity_done(token, node)
    except TokenStopped as stop:
        run.stop_with_incident(token, node, stop.kind, stop.message)
    return run.settle()
