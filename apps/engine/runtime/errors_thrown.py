"""BPMN errors and escalations: thrown by end (and, for escalations, intermediate throw) events
or by a worker, caught by boundary events.

The error goes from where it was thrown outward: the boundary events of the activity that
threw it (a task a worker reported the error on), then those of each enclosing subprocess. The
first error boundary event whose error has the thrown code, or that names no error (a
catch-all), interrupts its activity and the token goes on from it. An error nothing catches
stops the thrower with an incident ``error-unhandled``, as in Camunda 7 and Zeebe.
Escalations go outward the same way; a catch may leave its subprocess running, and one nothing
catches is no failure.
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
        boundary = _catcher(run, run.process.nodes[holder.element_id], spec.ErrorEventDefinition, code)
        if boundary is not None:
            if holder is not token:  # an end event threw it: it ends, inside the scope the error interrupts
                run.end_activity(token)
                run.tokens.pop(token.id, None)
            _interrupt(run, holder, boundary)
            return
        holder = run.tokens.get(holder.scope_id or "")
    run.step.escaped_error = (code, message)  # the instance that called this one may catch it
    raise TokenStopped("error-unhandled", f"The BPMN error {code!r} was not caught: {message}".rstrip(": "))


def escalation_code(run: Run, definition: spec.EscalationEventDefinition) -> str | None:
    """The code of the escalation a definition names (its id when it has no code); None: catch-all."""
    if definition.escalation_ref is None:
        return None
    escalation = run.process.escalations.get(definition.escalation_ref)
    return (escalation.escalation_code if escalation is not None else None) or definition.escalation_ref


def escalate(run: Run, token: Token, node: spec.Event, *, ends: bool) -> None:
    """An escalation throw (``ends``: an end event) event: the nearest escalation boundary event
    of an enclosing subprocess that matches catches it, interrupting that subprocess or not. The
    thrower goes on (or ends) unless an interrupting catch took its scope away. An escalation
    nothing catches is only recorded in the history: it is not an error."""
    (definition,) = node.event_definitions
    code = escalation_code(run, definition) or ""  # type: ignore[arg-type]
    holder = run.tokens.get(token.scope_id or "")
    while holder is not None:
        boundary = _catcher(run, run.process.nodes[holder.element_id], spec.EscalationEventDefinition, code)
        if boundary is not None:
            if boundary.cancel_activity:
                run.end_activity(token)
                run.tokens.pop(token.id, None)
                _interrupt(run, holder, boundary)
                return
            _start_from(run, boundary, holder.scope_id)
            break
        holder = run.tokens.get(holder.scope_id or "")
    run.end_activity(token)
    if ends:
        run.consume(token)
    else:
        run.leave(token, outgoing_after_activity(run, node, token))


def _catcher(run: Run, node: spec.FlowNode, kind: type[spec.EventDefinition], code: str) -> spec.BoundaryEvent | None:
    if not isinstance(node, spec.Activity):
        return None
    catch_all = None
    for boundary_id in node.boundary_event_ids:
        boundary = cast("spec.BoundaryEvent", run.process.nodes[boundary_id])
        for definition in boundary.event_definitions:
            if not isinstance(definition, kind):
                continue
            if isinstance(definition, spec.ErrorEventDefinition):
                caught = error_code(run, definition)
            else:
                caught = escalation_code(run, cast("spec.EscalationEventDefinition", definition))
            if caught == code:
                return boundary
            if caught is None and catch_all is None:
                catch_all = boundary
    return catch_all


def _interrupt(run: Run, holder: Token, boundary: spec.BoundaryEvent) -> None:
    if holder.state in (TokenState.SCOPE, TokenState.MULTI):
        run.remove_scope_contents(holder.id)
    run.cancel_token(holder)
    _start_from(run, boundary, holder.scope_id)


def _start_from(run: Run, boundary: spec.BoundaryEvent, scope_id: str | None) -> None:
    event_token = Token(run.new_id(), boundary.id, scope_id, TokenState.WAITING)
    run.tokens[event_token.id] = event_token
    run.begin_activity(event_token, boundary)
    run.leave(event_token, outgoing_after_activity(run, boundary, event_token))
