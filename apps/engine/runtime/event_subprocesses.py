"""Event subprocesses: started inside their scope (the process or a subprocess) by the trigger of
their start event, as in Camunda 7.

While a scope runs, each start event of its event subprocesses that waits for something from
outside (a timer, a message, a signal) is subscribed by a LISTENING token in the scope. A
listener does not keep its scope open: when the last other token in the scope ends, the
listeners are withdrawn and the scope completes. Error and escalation start events need no
subscription: a thrown error or escalation looks for them (``errors_thrown``).

When a start event fires, an interrupting one cancels everything else in its scope (tokens,
listeners, event subprocesses already running) and its event subprocess is what the scope runs
from then on: when it ends, the scope completes. A non-interrupting one starts its event
subprocess beside what runs, and listens on: for the next message or signal, or the next time
of a cycle (a date or a duration fires once).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from apps.engine.bpmn import spec
from apps.engine.runtime import boundaries
from apps.engine.runtime.errors import TokenStopped
from apps.engine.runtime.state import Token, TokenState

if TYPE_CHECKING:
    from apps.engine.runtime.interpreter import Run


def listen(run: Run, scope: Token | None, scope_element_id: str | None) -> None:
    """The scope ``scope`` (None: the process) begins: subscribe its event subprocesses' start
    events. When one cannot be (its timer or correlation key fails), none is."""
    listeners: list[Token] = []
    try:
        for start in run.process.event_starts(scope_element_id):
            listener = Token(run.new_id(), start.id, scope.id if scope is not None else None, TokenState.LISTENING)
            if boundaries.subscribe_event(run, listener, start):
                listener.data["boundaries"] = [start.id]
                run.tokens[listener.id] = listener
                listeners.append(listener)
    except TokenStopped:
        for listener in listeners:
            run.cancel_token(listener)
        raise


def fire(run: Run, listener: Token, start: spec.StartEvent, variables: Mapping[str, Any] | None) -> None:
    """The trigger ``listener`` waits for happened: start its event subprocess (a message's or
    signal's ``variables`` are set first, where the scope sees them)."""
    if variables:
        run.set_variables(variables, listener, from_trigger=True)
    scope_id = listener.scope_id
    if start.is_interrupting:
        run.remove_scope_contents(scope_id)  # the listener goes with the rest
    elif boundaries.kind_of(start) == boundaries.BOUNDARY_TIMER:
        listener.data["boundaries"].remove(start.id)  # its job is done
        boundaries.repeat_cycle(run, listener, start)
        if not listener.data["boundaries"]:
            del run.tokens[listener.id]
    begin(run, start, scope_id)


def begin(run: Run, start: spec.StartEvent, scope_id: str | None, variables: dict[str, Any] | None = None) -> None:
    """Start the event subprocess of ``start`` in the scope ``scope_id``; ``variables`` (what an
    error or escalation start event keeps of what it caught) are set as it starts."""
    holder = Token(run.new_id(), run.process.spec.scope_of[start.id], scope_id, TokenState.WAITING)
    holder.data["start_event"] = start.id
    if variables:
        holder.data["caught"] = variables
    run.arrive(holder, holder.element_id)
