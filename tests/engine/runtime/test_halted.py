"""When only an operator can move an instance on: the rule behind the ``failed`` state."""

from __future__ import annotations

from apps.engine.runtime import Token, TokenState, halted


def waiting(token_id: str, wait: str, scope_id: str | None = None) -> Token:
    return Token(token_id, f"at-{token_id}", scope_id, TokenState.WAITING, {"wait": wait})


def test_a_token_stopped_by_an_incident_alone_halts_the_instance() -> None:
    assert halted([waiting("a", "incident")])


def test_a_token_waiting_for_the_outside_keeps_it_going() -> None:
    for wait in ("user-task", "external-task", "receive", "call-activity"):
        assert not halted([waiting("a", "incident"), waiting("b", wait)])


def test_joins_and_scopes_wait_for_the_tokens_they_hold() -> None:
    join = Token("j", "join", None, TokenState.JOINING)
    scope = Token("s", "sub", None, TokenState.SCOPE)
    body = Token("m", "review", None, TokenState.MULTI)
    assert halted([join, scope, body, waiting("a", "incident", "s")])
    assert not halted([join, scope, body])  # nothing is stopped by an incident


def test_no_token_is_not_halted() -> None:
    assert not halted([])
