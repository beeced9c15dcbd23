"""BPMN errors: thrown by an error end event or by a worker, caught by an error boundary event.

The error goes from where it was thrown outward: the boundary events of the activity that
threw it (a task a worker reported the error on), then those of each enclosing subprocess. The
first error boundary event whose error has the thrown code, or that names no error (a
catch-all), interrupts its activity and the token goes on from it. An error nothing catches
stops the thrower with an incident ``error-unhandled``, as in Camunda 7 and Zeebe.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from apps.engine.bpmn import spec
from apps.engine.runtime.errors import TokenStopped
from apps.engine.runtime.flows import outgoing_after_activity
from apps.engine.runtime.state import Token, TokenState

if TYPE_CHECKING:
    from apps.engine.runtime.interpreter import Run


def error_code(run: Run, definition: spec.ErrorEventDefinition) -> str | None:
    """The code of the error a definition names (its id when it has no code); None: catch-all."""
    if definition.error_ref is None:
        return None
    error = run.process.errors.get(definition.error_ref)
    return (error.error_code if error is not None else None) or definition.error_ref


def throw(run: Run, token: Token, code: str, message: str, *, from_activity: bool) -> None:
    """Throw the error ``code`` from where ``token`` is; ``from_activity``: the token's own
    activity threw it (its boundary events come first)."""
    holder: Token | None = token if from_activity else run.tokens.get(token.scope_id or "")
    while holder is not None:
        boundary = _catcher(run, run.process.nodes[holder.element_id], code)
        if boundary is not None:
            if holder is not token:  # an end event threw it: it ends, inside the scope the error interrupts
                run.end_activity(token)
                run.tokens.pop(token.id, None)
            _interrupt(run, holder, boundary)
            return
        holder = run.tokens.get(holder.scope_id or "")
    raise TokenStopped("error-unhandled", f"The BPMN error {code!r} was not caught: {message}".rstrip(": "))


def _catcher(run: Run, node: spec.FlowNode, code: str) -> spec.BoundaryEvent | None:
    if not isinstance(node, spec.Activity):
        return None
    catch_all = None
    for boundary_id in node.boundary_event_ids:
        boundary = cast("spec.BoundaryEvent", run.process.nodes[boundary_id])
        for definition in boundary.event_definitions:
            if isinstance(definition, spec.ErrorEventDefinition):
                caught = error_code(run, definition)
                if caught == code:
                    return boundary
                if caught is None and catch_all is None:
                    catch_all = boundary
    return catch_all


def _interrupt(run: Run, holder: Token, boundary: spec.BoundaryEvent) -> None:
    if holder.state in (TokenState.SCOPE, TokenState.MULTI):
        run.remove_scope_contents(holder.id)
    run.cancel_token(holder)
    event_token = Token(run.new_id(), boundary.id, holder.scope_id, TokenState.WAITING)
    run.tokens[event_token.id] = event_token
    run.begin_activity(event_token, boundary)
    run.leave(event_token, outgoing_after_activity(run, boundary, event_token))
