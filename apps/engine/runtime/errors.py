"""How a trigger or a token fails: raised by behaviours, handled by the run loop and the store."""

from __future__ import annotations


class TriggerRejected(Exception):
    """The trigger does not apply to this instance (unknown token, token not waiting). Nothing changed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class TokenStopped(Exception):
    """Raised inside a behaviour to stop the current token with an incident."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
