"""The state of one instance as the interpreter sees it: its waiting tokens and its variables."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class TokenState(StrEnum):
    WAITING = "waiting"  # at a user, receive, external or call activity, for its trigger
    JOINING = "joining"  # arrived at a joining gateway, for the other branches
    SCOPE = "scope"  # holds an embedded subprocess open while tokens run inside it
    MULTI = "multi-instance"  # holds a multi-instance body open while its instances run inside it
    # At the start event of an event subprocess, subscribed while its scope runs; it does not
    # keep the scope open (``event_subprocesses``).
    LISTENING = "listening"
    # At an activity that completed and a compensation may undo (``compensation``); keeps nothing open.
    COMPENSABLE = "compensable"


# Tokens that wait for nothing and keep no scope open: they go when their scope ends.
PASSIVE = frozenset({TokenState.LISTENING, TokenState.COMPENSABLE})


@dataclass(slots=True)
class Token:
    """A token. ``scope_id`` is the id of the SCOPE (or MULTI) token it runs in (None: the
    process itself). ``data`` holds what the element needs across triggers: the activity
    instance it started, the flow it arrived by, its local variables (``locals``), loop and
    multi-instance counters."""

    id: str
    element_id: str
    scope_id: str | None
    state: TokenState
    data: dict[str, Any] = field(default_factory=dict)

    def copy(self) -> Token:
        """A copy sharing nothing mutable: a run changes counters and locals in place."""
        return Token(self.id, self.element_id, self.scope_id, self.state, _copy_json(self.data))


def _copy_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy_json(item) for item in value]
    return value


@dataclass(slots=True)
class Snapshot:
    """What a trigger starts from: the instance's waiting tokens by id and its variables."""

    tokens: dict[str, Token] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)


def halted(tokens: Iterable[Token]) -> bool:
    """Whether nothing can move these tokens on but an operator: at least one is stopped by an
    incident, none waits for anything from outside (a task, a message, a called instance, a job)
    and no boundary event is subscribed.

    Joining, subprocess and multi-instance tokens move only when the tokens they wait for do.
    """
    stopped = False
    for token in tokens:
        if token.data.get("boundaries"):
            return False  # a boundary event of its activity can still fire
        if token.state is TokenState.WAITING:
            wait = token.data.get("wait")
            if wait != "incident":
                return False
            stopped = True
    return stopped
