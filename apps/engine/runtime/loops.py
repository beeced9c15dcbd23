"""Multi-instance activities and standard loops.

A multi-instance activity is a body (a MULTI token, recorded as ``multiInstanceBody``) holding
its instances: one token per instance, scoped by the body, each running the activity itself
with the local variables ``loopCounter`` (0-based, as in Camunda 7) and the element variable.
The body's local variables ``nrOfInstances``, ``nrOfActiveInstances`` and
``nrOfCompletedInstances`` are visible to every instance and to the completion condition. The
collection (or cardinality) is read once, when the body starts. The output collection holds one
entry per instance, in the order of the input collection, whatever the order of completion.

A standard loop runs the activity again on the same token while its condition holds (tested
before each run with ``testBefore``, else after it), at most ``loopMaximum`` times; the
activity sees its run number, from 0, as ``loopCounter``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from apps.engine.bpmn import spec
from apps.engine.runtime.errors import TokenStopped
from apps.engine.runtime.flows import outgoing_after_activity
from apps.engine.runtime.state import Token, TokenState

if TYPE_CHECKING:
    from apps.engine.runtime.interpreter import Run
    from apps.engine.runtime.registry import Behaviour

BODY = "multiInstanceBody"


def enter_multi_instance(behaviour: Behaviour, run: Run, token: Token, node: spec.Activity) -> None:
    """An instance token runs the activity; any other token starts the body."""
    if "instance" in token.data:
        behaviour(run, token, node)
        return
    loop = cast("spec.MultiInstance", node.loop)
    run.begin_activity(token, node, element_type=BODY)
    items = _instance_inputs(run, token, node, loop)
    token.state = TokenState.MULTI
    count = len(items) if items is not None else _cardinality(run, token, node, loop)
    token.data["locals"] = {"nrOfInstances": count, "nrOfActiveInstances": 0, "nrOfCompletedInstances": 0}
    token.data["multi"] = {"items": items, "started": 0, "results": [None] * count}
    if count == 0:
        _finish_body(run, token, node)
    elif loop.is_sequential:
        _start_instance(run, token, node)
    else:
        for _ in range(count):
            _start_instance(run, token, node)


def _instance_inputs(run: Run, token: Token, node: spec.Activity, loop: spec.MultiInstance) -> list[Any] | None:
    if loop.collection is None:
        return None
    items = run.evaluate(loop.collection, token)
    if not isinstance(items, list):
        message = f"The collection of {node.id!r} ({loop.collection.text!r}) gave {type(items).__name__}, not a list."
        raise TokenStopped("collection-not-a-list", message)
    return items


def _cardinality(run: Run, token: Token, node: spec.Activity, loop: spec.MultiInstance) -> int:
    # Validation requires a collection or a cardinality.
    count = run.evaluate(cast("spec.Expression", loop.cardinality), token)
    if isinstance(count, float) and count.is_integer():
        count = int(count)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        message = f"The loop cardinality of {node.id!r} gave {count!r}, not a whole number of at least 0."
        raise TokenStopped("cardinality-invalid", message)
    return count


def _start_instance(run: Run, body: Token, node: spec.FlowNode) -> None:
    loop = cast("spec.MultiInstance", cast("spec.Activity", node).loop)
    multi = body.data["multi"]
    index = multi["started"]
    multi["started"] = index + 1
    body.data["locals"]["nrOfActiveInstances"] += 1
    local_variables: dict[str, Any] = {"loopCounter": index}
    if multi["items"] is not None and loop.element_variable:
        local_variables[loop.element_variable] = multi["items"][index]
    instance = Token(run.new_id(), node.id, body.id, TokenState.WAITING, {"instance": index})
    run.arrive(instance, node.id)
    run.set_variables(local_variables, instance, local=True)


def instance_done(run: Run, token: Token, node: spec.FlowNode) -> None:
    """One instance finished: collect its output, then start the next one or finish the body."""
    loop = cast("spec.MultiInstance", cast("spec.Activity", node).loop)
    body = run.tokens[token.scope_id or ""]
    multi, counters = body.data["multi"], body.data["locals"]
    if loop.output_element is not None:
        multi["results"][token.data["instance"]] = run.evaluate(loop.output_element, token)
    run.apply_outputs(token, node)
    counters["nrOfActiveInstances"] -= 1
    counters["nrOfCompletedInstances"] += 1
    # All done, or (parallel) nothing left running because an operator cancelled the rest, as in Camunda 7.
    done = counters["nrOfCompletedInstances"] == counters["nrOfInstances"] or (
        not loop.is_sequential and counters["nrOfActiveInstances"] == 0
    )
    if not done and loop.completion_condition is not None:
        done = _holds(run, loop.completion_condition, token, node, "completion condition")
    run.end_activity(token)
    run.tokens.pop(token.id, None)
    if done:
        run.remove_scope_contents(body.id)  # the instances still running, when the condition ended it early
        _finish_body(run, body, node)
    elif loop.is_sequential:
        _start_instance(run, body, node)


def instance_cancelled(run: Run, token: Token) -> None:
    """An operator cancelled ``token``: when it is an instance of a running body, the body stops
    counting on it (``nrOfActiveInstances``) and completes once the other instances have."""
    body = run.tokens.get(token.scope_id or "")
    if "instance" in token.data and body is not None and body.state is TokenState.MULTI:
        body.data["locals"]["nrOfActiveInstances"] -= 1


def _finish_body(run: Run, body: Token, node: spec.FlowNode) -> None:
    loop = cast("spec.MultiInstance", cast("spec.Activity", node).loop)
    multi = body.data.pop("multi")
    body.data.pop("locals", None)
    body.state = TokenState.WAITING
    if loop.output_collection:
        run.set_variables({loop.output_collection: multi["results"]}, body)
    run.leave(body, outgoing_after_activity(run, node, body))


def _holds(run: Run, condition: spec.Expression, token: Token, node: spec.FlowNode, what: str) -> bool:
    result = run.evaluate(condition, token)
    if not isinstance(result, bool):
        raise TokenStopped("condition-not-boolean", f"The {what} of {node.id!r} gave {result!r}, not true or false.")
    return result


def enter_standard_loop(behaviour: Behaviour, run: Run, token: Token, node: spec.Activity) -> None:
    loop = cast("spec.StandardLoop", node.loop)
    counter = token.data.setdefault("loop", 0)
    token.data["locals"] = {"loopCounter": counter}
    tested = loop.test_before and loop.condition is not None
    if tested and not _holds(run, cast("spec.Expression", loop.condition), token, node, "loop condition"):
        token.data.pop("locals")
        token.data.pop("loop")
        run.leave(token, outgoing_after_activity(run, node, token))
        return
    behaviour(run, token, node)


def iteration_done(run: Run, token: Token, node: spec.Activity) -> None:
    """One run of a looping activity finished: run it again, or leave."""
    loop = cast("spec.StandardLoop", node.loop)
    runs = token.data["loop"] + 1
    again = loop.maximum is None or runs < loop.maximum
    if again and not loop.test_before and loop.condition is not None:
        token.data["locals"] = {"loopCounter": runs - 1}
        again = _holds(run, loop.condition, token, node, "loop condition")
        token.data.pop("locals")
    if again:
        run.end_activity(token)
        token.data["loop"] = runs
        run.arrive(token, node.id)
        return
    token.data.pop("loop")
    run.leave(token, outgoing_after_activity(run, node, token))
