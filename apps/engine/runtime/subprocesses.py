"""Embedded subprocesses: a scope token holds the subprocess open while its own tokens run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from apps.engine.bpmn import spec
from apps.engine.runtime.errors import TokenStopped
from apps.engine.runtime.state import Token, TokenState

if TYPE_CHECKING:
    from apps.engine.runtime.interpreter import Run


def enter_subprocess(run: Run, token: Token, node: spec.SubProcess) -> None:
    run.begin_activity(token, node)
    start_ids = run.process.start_node_ids(node.id)
    if len(start_ids) != 1:
        raise TokenStopped("no-start-event", f"The subprocess {node.id!r} has no single none start event.")
    token.state = TokenState.SCOPE
    inner = Token(run.new_id(), start_ids[0], token.id, TokenState.WAITING)
    run.arrive(inner, start_ids[0])


def complete_scope_if_empty(run: Run, scope_id: str | None) -> None:
    """When the last token inside a subprocess ends, the subprocess itself completes and moves on."""
    if scope_id is None or any(token.scope_id == scope_id for token in run.tokens.values()):
        return
    scope_token = run.tokens.get(scope_id)
    if scope_token is None or scope_token.state is not TokenState.SCOPE:
        return
    node = run.process.nodes[scope_token.element_id]
    try:
        run.activity_done(scope_token, node)
    except TokenStopped as stop:
        run.stop_with_incident(scope_token, node, stop.kind, stop.message)
