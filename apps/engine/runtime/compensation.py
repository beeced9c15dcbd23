"""Compensation and the transaction subprocess: undoing work that completed, as in Camunda 7.

An activity with a compensation boundary event (its handler: the activity with
``isForCompensation`` the boundary event's association points to) becomes *compensable* when
it completes: a COMPENSABLE token stays at it in its scope, keeping nothing open. A subprocess
that completes with compensable activities inside becomes compensable too, holding them (its
own handler, when it has one, undoes it as a whole instead: a compensation boundary event's
handler, or its compensation event subprocess, which runs inside it and may compensate what it
holds with a compensation throw of its own).

A compensation throw event (intermediate or end) compensates the completed activities of its
scope (of the scope around, when thrown from an event subprocess), or only the one its
``activityRef`` names: their handlers run one after the other, in the reverse order of
completion (a subprocess without a handler of its own: its inner activities, in reverse order),
each once. The thrower waits until they are done (``waitForCompletion``), then goes on.

A cancel end event inside a transaction subprocess cancels what still runs in it, compensates
what completed in it the same way, and then leaves the transaction by its cancel boundary event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from apps.engine.bpmn import spec
from apps.engine.runtime.errors import TokenStopped
from apps.engine.runtime.errors_thrown import interrupt
from apps.engine.runtime.flows import outgoing_after_activity
from apps.engine.runtime.state import Token, TokenState

if TYPE_CHECKING:
    from apps.engine.runtime.interpreter import Run

COMPENSATION = "compensation"  # the wait of a thrower while handlers run


def remember(run: Run, token: Token, node: spec.FlowNode) -> None:
    """``token`` completed ``node``: keep it compensable when it can be undone."""
    inner = [held for held in run.tokens.values() if held.scope_id == token.id and held.state is TokenState.COMPENSABLE]
    undoable = node.id in run.process.compensation_handlers or node.id in run.process.compensation_starts
    if not undoable and not inner:
        return
    if isinstance(node, spec.Activity) and isinstance(node.loop, spec.MultiInstance) and "instance" not in token.data:
        return  # a multi-instance body: each instance was kept as it completed
    scope_id = token.scope_id
    if "instance" in token.data:  # an instance of a multi-instance activity belongs to the body's scope
        body = run.tokens.get(token.scope_id or "")
        scope_id = body.scope_id if body is not None else None
    order = 1 + max(
        (held.data.get("order", 0) for held in run.tokens.values() if held.state is TokenState.COMPENSABLE), default=0
    )
    kept = Token(run.new_id(), node.id, scope_id, TokenState.COMPENSABLE, {"order": order})
    run.tokens[kept.id] = kept
    for held in inner:
        held.scope_id = kept.id


def enter_compensation_throw(run: Run, token: Token, node: spec.Event) -> None:
    run.begin_activity(token, node)
    (definition,) = node.event_definitions
    activity_ref = cast("spec.CompensateEventDefinition", definition).activity_ref
    scope_id = token.scope_id
    scope = run.tokens.get(scope_id or "")
    holder = run.process.nodes.get(scope.element_id) if scope is not None else None
    if isinstance(holder, spec.SubProcess) and holder.triggered_by_event:
        scope_id = scope.scope_id if scope is not None else None  # an event subprocess undoes its scope's work
    _compensate(run, token, node, _compensables(run, scope_id, activity_ref))


def enter_cancel_end(run: Run, token: Token, node: spec.EndEvent) -> None:
    """Cancel the transaction around: stop what runs in it, compensate what completed, leave by
    its cancel boundary event."""
    run.begin_activity(token, node)
    transaction = run.tokens.get(token.scope_id or "")
    if transaction is None or run.process.nodes[transaction.element_id].tag != "transaction":
        raise TokenStopped("cancel-outside-transaction", f"The cancel end event {node.id!r} is not in a transaction.")
    for other in [held for held in run.tokens.values() if held.scope_id == transaction.id]:
        if other is not token and other.state is not TokenState.COMPENSABLE and other.id in run.tokens:
            if other.state in (TokenState.SCOPE, TokenState.MULTI):
                run.remove_scope_contents(other.id)
            run.cancel_token(other)
    token.data["cancels"] = transaction.id
    _compensate(run, token, node, _compensables(run, transaction.id, None))


def handler_done(run: Run, handler: Token) -> None:
    """A compensation handler ended: its activity is undone (with what it held); the next handler
    runs, or the thrower goes on."""
    run.remove_scope_contents(handler.data["compensates"])
    run.tokens.pop(handler.data["compensates"], None)
    thrower = run.tokens.get(handler.data["thrower"])
    if thrower is not None:
        _next(run, thrower)


def _compensables(run: Run, scope_id: str | None, activity_ref: str | None) -> list[str]:
    found = [
        held
        for held in run.tokens.values()
        if held.state is TokenState.COMPENSABLE
        and held.scope_id == scope_id
        and (activity_ref is None or held.element_id == activity_ref)
    ]
    return [held.id for held in sorted(found, key=lambda held: held.data["order"], reverse=True)]


def _compensate(run: Run, thrower: Token, node: spec.FlowNode, compensables: list[str]) -> None:
    thrower.data["compensating"] = compensables
    run.wait(thrower, node, COMPENSATION)
    _next(run, thrower)


def _next(run: Run, thrower: Token) -> None:
    """Start the handler of the next compensable activity, or, none left, let the thrower go on."""
    waiting: list[str] = thrower.data["compensating"]
    while waiting:
        kept = run.tokens.get(waiting.pop(0))
        if kept is None:
            continue
        handler_id = run.process.compensation_handlers.get(kept.element_id)
        start_id = run.process.compensation_starts.get(kept.element_id)
        if handler_id is not None:
            handler = Token(run.new_id(), handler_id, kept.scope_id, TokenState.WAITING)
        elif start_id is not None:  # the subprocess's compensation event subprocess, run inside it
            handler = Token(run.new_id(), run.process.spec.scope_of[start_id], kept.id, TokenState.WAITING)
            handler.data["start_event"] = start_id
        else:  # a subprocess without a handler of its own: undo what it holds
            waiting[0:0] = _compensables(run, kept.id, None)
            del run.tokens[kept.id]
            continue
        handler.data.update(compensates=kept.id, thrower=thrower.id)
        run.arrive(handler, handler.element_id)
        return
    thrower.data.pop("compensating")
    thrower.data.pop("wait", None)
    node = run.process.nodes[thrower.element_id]
    transaction_id = thrower.data.pop("cancels", None)
    if transaction_id is not None:
        _leave_cancelled(run, thrower, transaction_id)
    elif isinstance(node, spec.EndEvent):
        run.end_activity(thrower)
        run.consume(thrower)
    else:
        run.leave(thrower, outgoing_after_activity(run, node, thrower))


def _leave_cancelled(run: Run, thrower: Token, transaction_id: str) -> None:
    transaction = run.tokens[transaction_id]
    node = cast("spec.SubProcess", run.process.nodes[transaction.element_id])
    boundary = next(
        (
            candidate
            for candidate in (cast("spec.BoundaryEvent", run.process.nodes[item]) for item in node.boundary_event_ids)
            if any(isinstance(definition, spec.CancelEventDefinition) for definition in candidate.event_definitions)
        ),
        None,
    )
    if boundary is None:
        raise TokenStopped("cancel-boundary-missing", f"The transaction {node.id!r} has no cancel boundary event.")
    run.end_activity(thrower)
    run.tokens.pop(thrower.id, None)
    interrupt(run, transaction, boundary, {})
