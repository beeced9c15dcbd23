"""BPMN errors and escalations: thrown by end (and, for escalations, intermediate throw) events
or by a worker, caught by boundary events and by the start events of event subprocesses.

The error goes from where it was thrown outward: the boundary events of the activity that
threw it (a task a worker reported the error on), then, scope by scope, the event subprocesses
of the scope it is in and the boundary events of that scope's subprocess, as in Camunda 7. (An
error coming out of an event subprocess skips the event subprocesses beside it.) The first
catcher whose error has the thrown code, or that names no error (a catch-all), takes it: a
boundary event interrupts its activity and the token goes on from it; an event subprocess
interrupts its scope and runs in it. An error nothing catches stops the thrower with an
incident ``error-unhandled``, as in Camunda 7 and Zeebe. Escalations go outward the same way;
a catch may leave its scope running, and one nothing catches is no failure.

A catching event may keep what it caught in variables (``camunda:errorCodeVariable``,
``camunda:errorMessageVariable``, ``camunda:escalationCodeVariable``), set as Camunda sets them:
where the scope already holds them, else on the instance.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from apps.engine.bpmn import spec
from apps.engine.runtime import event_subprocesses
from apps.engine.runtime.errors import TokenStopped
from apps.engine.runtime.flows import outgoing_after_activity
from apps.engine.runtime.state import Token, TokenState

if TYPE_CHECKING:
    from apps.engine.runtime.interpreter import Run

Catcher = spec.BoundaryEvent | spec.StartEvent
CatcherT = TypeVar("CatcherT", spec.BoundaryEvent, spec.StartEvent)


def throw(run: Run, token: Token, code: str, message: str, *, from_activity: bool) -> None:
    """Throw the error ``code`` from where ``token`` is; ``from_activity``: the token's own
    activity threw it (its boundary events come first)."""
    if from_activity and "instance" not in token.data:
        boundary = _boundary_catcher(run, token, spec.ErrorEventDefinition, code)
        if boundary is not None:
            interrupt(run, token, boundary, _caught(boundary, code, message))
            return
    found = _catcher_around(run, token, spec.ErrorEventDefinition, code)
    if found is not None:
        scope, catcher = found
        if not from_activity:  # an end event threw it: it ends, inside the scope the error interrupts
            run.end_activity(token)
            run.tokens.pop(token.id, None)
        variables = _caught(catcher, code, message)
        if isinstance(catcher, spec.StartEvent):
            run.remove_scope_contents(scope.id if scope is not None else None)
            event_subprocesses.begin(run, catcher, scope.id if scope is not None else None, variables)
        else:
            interrupt(run, cast("Token", scope), catcher, variables)
        return
    run.step.escaped_error = (code, message)  # the instance that called this one may catch it
    raise TokenStopped("error-unhandled", f"The BPMN error {code!r} was not caught: {message}".rstrip(": "))


def escalate(run: Run, token: Token, node: spec.Event, *, ends: bool) -> None:
    """An escalation throw (``ends``: an end event) event: the nearest matching catcher around
    it, an event subprocess of an enclosing scope or an escalation boundary event of an enclosing
    subprocess, takes it, interrupting that scope or not. The thrower goes on (or ends) unless an
    interrupting catch took its scope away. An escalation nothing catches is only recorded in the
    history: it is not an error."""
    (definition,) = node.event_definitions
    if _catch_escalation(run, token, run.process.code_of(definition) or "", from_activity=False):
        return
    run.end_activity(token)
    if ends:
        run.consume(token)
    else:
        run.leave(token, outgoing_after_activity(run, node, token))


def escalate_from_activity(run: Run, token: Token, code: str) -> None:
    """The instance the call activity at ``token`` called escalated ``code`` and caught nothing:
    the call activity's escalation boundary events, then those around it, may catch it."""
    _catch_escalation(run, token, code, from_activity=True)


def _catch_escalation(run: Run, token: Token, code: str, *, from_activity: bool) -> bool:
    """Let the nearest catcher of the escalation ``code`` take it; whether it interrupted the
    thrower's scope. One nothing catches is recorded in the step: the instance that called this
    one may catch it."""
    if from_activity and "instance" not in token.data:
        boundary = _boundary_catcher(run, token, spec.EscalationEventDefinition, code)
        if boundary is not None:
            found: tuple[Token | None, Catcher] | None = (token, boundary)
        else:
            found = _catcher_around(run, token, spec.EscalationEventDefinition, code)
    else:
        found = _catcher_around(run, token, spec.EscalationEventDefinition, code)
    if found is None:
        run.step.escaped_escalations.append(code)
        return False
    scope, catcher = found
    scope_id = scope.id if scope is not None else None
    variables = _caught(catcher, code, "")
    interrupting = catcher.is_interrupting if isinstance(catcher, spec.StartEvent) else catcher.cancel_activity
    if interrupting and not from_activity:
        run.end_activity(token)
        run.tokens.pop(token.id, None)
    if isinstance(catcher, spec.StartEvent):
        if interrupting:
            run.remove_scope_contents(scope_id)
        event_subprocesses.begin(run, catcher, scope_id, variables)
    elif interrupting:
        interrupt(run, cast("Token", scope), catcher, variables)
    else:
        _start_from(run, catcher, cast("Token", scope).scope_id, variables)
    return interrupting


def _catcher_around(
    run: Run, token: Token, kind: type[spec.EventDefinition], code: str
) -> tuple[Token | None, Catcher] | None:
    """The first catcher of ``code`` outward from ``token``, with the scope token it belongs to
    (None: the process): an event subprocess's start event inside that scope, or a boundary
    event of the subprocess the scope token runs."""
    came_from, scope = token, run.tokens.get(token.scope_id or "")
    while True:
        in_event_subprocess = _is_event_subprocess(run, came_from)
        if (scope is None or scope.state is TokenState.SCOPE) and not in_event_subprocess:
            starts = run.process.event_starts(scope.element_id if scope is not None else None)
            start = _first_catching(run, starts, kind, code)
            if start is not None:
                return scope, start
        if scope is None:
            return None
        if "instance" not in scope.data:  # a multi-instance activity's boundary events belong to its body
            boundary = _boundary_catcher(run, scope, kind, code)
            if boundary is not None:
                return scope, boundary
        came_from, scope = scope, run.tokens.get(scope.scope_id or "")


def _is_event_subprocess(run: Run, token: Token) -> bool:
    node = run.process.nodes.get(token.element_id)
    return token.state is TokenState.SCOPE and isinstance(node, spec.SubProcess) and node.triggered_by_event


def _boundary_catcher(
    run: Run, holder: Token, kind: type[spec.EventDefinition], code: str
) -> spec.BoundaryEvent | None:
    node = run.process.nodes[holder.element_id]
    if not isinstance(node, spec.Activity):
        return None
    boundaries = [cast("spec.BoundaryEvent", run.process.nodes[boundary_id]) for boundary_id in node.boundary_event_ids]
    return _first_catching(run, boundaries, kind, code)


def _first_catching(
    run: Run, events: Iterable[CatcherT], kind: type[spec.EventDefinition], code: str
) -> CatcherT | None:
    """The event of ``events`` that catches ``code`` of ``kind``: the one naming the code, else
    the first naming none (a catch-all)."""
    catch_all = None
    for event in events:
        (definition,) = event.event_definitions
        if not isinstance(definition, kind):
            continue
        caught = run.process.code_of(definition)
        if caught == code:
            return event
        if caught is None and catch_all is None:
            catch_all = event
    return catch_all


def _caught(catcher: Catcher, code: str, message: str) -> dict[str, Any]:
    """The variables a catching event asks to keep what it caught in."""
    (definition,) = catcher.event_definitions
    variables: dict[str, Any] = {}
    if isinstance(definition, (spec.ErrorEventDefinition, spec.EscalationEventDefinition)) and definition.code_variable:
        variables[definition.code_variable] = code
    if isinstance(definition, spec.ErrorEventDefinition) and definition.message_variable:
        variables[definition.message_variable] = message
    return variables


def interrupt(run: Run, holder: Token, boundary: spec.BoundaryEvent, variables: dict[str, Any]) -> None:
    if holder.state in (TokenState.SCOPE, TokenState.MULTI):
        run.remove_scope_contents(holder.id)
    run.cancel_token(holder)
    _start_from(run, boundary, holder.scope_id, variables)


def _start_from(run: Run, boundary: spec.BoundaryEvent, scope_id: str | None, variables: dict[str, Any]) -> None:
    event_token = Token(run.new_id(), boundary.id, scope_id, TokenState.WAITING)
    run.tokens[event_token.id] = event_token
    run.begin_activity(event_token, boundary)
    if variables:
        run.set_variables(variables, event_token)
    run.leave(event_token, outgoing_after_activity(run, boundary, event_token))
