"""Embedded subprocesses: a scope token holds the subprocess open while its own tokens run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from apps.engine.bpmn import spec
from apps.engine.runtime import event_subprocesses
from apps.engine.runtime.errors import TokenStopped
from apps.engine.runtime.state import PASSIVE, Token, TokenState

if TYPE_CHECKING:
    from apps.engine.runtime.interpreter import Run


def enter_subprocess(run: Run, token: Token, node: spec.SubProcess) -> None:
    """Open the scope and start its none start event (an event subprocess: the start event
    that fired, named by ``event_subprocesses.begin``)."""
    run.begin_activity(token, node)
    start_event = token.data.pop("start_event", None)
    start_ids = (start_event,) if start_event is not None else run.process.start_node_ids(node.id)
    if len(start_ids) != 1:
        raise TokenStopped("no-start-event", f"The subprocess {node.id!r} has no single none start event.")
    token.state = TokenState.SCOPE
    caught = token.data.pop("caught", None)
    if caught:
        run.set_variables(caught, token)
    event_subprocesses.listen(run, token, node.id)
    inner = Token(run.new_id(), start_ids[0], token.id, TokenState.WAITING)
    run.arrive(inner, start_ids[0])


def complete_scope_if_empty(run: Run, scope_id: str | None) -> None:
    """When the last token inside a subprocess (or the process) ends, its event subprocesses
    stop listening and the subprocess itself completes and moves on."""
    tokens = run.tokens.values()
    if any(token.scope_id == scope_id and token.state not in PASSIVE for token in tokens):
        return
    scope_token = run.tokens.get(scope_id) if scope_id is not None else None
    if scope_id is not None and (scope_token is None or scope_token.state is not TokenState.SCOPE):
        return  # a scope that is no subprocess running (a compensable one a handler ran in)
    for passive in [token for token in tokens if token.scope_id == scope_id]:
        if scope_id is None or passive.state is TokenState.LISTENING:  # compensables go with their subprocess
            run.remove_scope_contents(passive.id)
            run.cancel_token(passive)
    if scope_token is None:
        return
    node = run.process.nodes[scope_token.element_id]
    try:
        run.activity_done(scope_token, node)
    except TokenStopped as stop:
        run.stop_with_incident(scope_token, node, stop.kind, stop.message)
