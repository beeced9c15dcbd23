"""Exclusive, parallel and inclusive gateways, splitting and joining.

The inclusive join waits only for tokens that can still arrive: it fires once no other token
of its scope has a path to it. That can only be judged when nothing else moves, so the run
loop asks ``fire_ready_inclusive_joins`` each time its queue is empty.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from apps.engine.bpmn import spec
from apps.engine.runtime.errors import TokenStopped
from apps.engine.runtime.flows import outgoing_of_exclusive, outgoing_of_inclusive
from apps.engine.runtime.state import TokenState

if TYPE_CHECKING:
    from apps.engine.runtime.interpreter import Run
    from apps.engine.runtime.state import Token


def enter_exclusive_gateway(run: Run, token: Token, node: spec.Gateway) -> None:
    run.begin_activity(token, node)
    run.leave(token, outgoing_of_exclusive(run, node, token))


def _joining_at(run: Run, node: spec.FlowNode, scope_id: str | None) -> list[Token]:
    return [
        other
        for other in run.tokens.values()
        if other.state is TokenState.JOINING and other.element_id == node.id and other.scope_id == scope_id
    ]


def _merge(run: Run, survivor: Token, merged: list[Token]) -> None:
    for other in merged:
        if other is not survivor:
            run.tokens.pop(other.id, None)
    survivor.state = TokenState.WAITING


def enter_parallel_gateway(run: Run, token: Token, node: spec.Gateway) -> None:
    """Join: wait until a token has arrived by every incoming flow, then go on with one. Split: all."""
    if len(node.incoming) > 1:
        token.state = TokenState.JOINING
        first_by_flow: dict[str, Token] = {}
        for other in _joining_at(run, node, token.scope_id):
            first_by_flow.setdefault(other.data.get("via", ""), other)
        if any(flow_id not in first_by_flow for flow_id in node.incoming):
            return
        _merge(run, token, list(first_by_flow.values()))
    run.begin_activity(token, node)
    run.leave(token, list(node.outgoing))


def enter_inclusive_gateway(run: Run, token: Token, node: spec.Gateway) -> None:
    if len(node.incoming) > 1:
        token.state = TokenState.JOINING  # fire_ready_inclusive_joins decides
        return
    _split_inclusive(run, token, node)


def _split_inclusive(run: Run, token: Token, node: spec.Gateway) -> None:
    run.begin_activity(token, node)
    run.leave(token, outgoing_of_inclusive(run, node, token))


def fire_ready_inclusive_joins(run: Run) -> bool:
    """Fire every inclusive join that no other token can still reach; True if one fired."""
    waiting: dict[tuple[str, str | None], list[Token]] = {}
    for token in run.tokens.values():
        if token.state is TokenState.JOINING:
            node = run.process.nodes[token.element_id]
            if isinstance(node, spec.InclusiveGateway):
                waiting.setdefault((node.id, token.scope_id), []).append(token)
    fired = False
    for (node_id, scope_id), joined in waiting.items():
        if any(_may_still_arrive(run, other, node_id, scope_id) for other in run.tokens.values()):
            continue
        node = run.process.nodes[node_id]
        if not isinstance(node, spec.Gateway):
            continue
        survivor = joined[0]
        _merge(run, survivor, joined)
        try:
            _split_inclusive(run, survivor, node)
        except TokenStopped as stop:
            run.stop_with_incident(survivor, node, stop.kind, stop.message)
        fired = True
    return fired


def _may_still_arrive(run: Run, token: Token, join_id: str, scope_id: str | None) -> bool:
    if token.scope_id != scope_id:
        return False  # tokens of inner scopes are represented by their scope token
    if token.element_id == join_id and token.state is TokenState.JOINING:
        return False
    return bool(run.process.reaches(token.element_id, join_id))
