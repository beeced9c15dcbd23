"""Service task handlers: Python functions registered by name; a model can only name them.

    @register_handler("creditScore")
    def credit_score(variables): return {"score": 720}

A handler receives a copy of the instance's variables and returns the variables to set
(or None). It runs inside the trigger's transaction; what it raises becomes an incident.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Handler = Callable[[Mapping[str, Any]], Mapping[str, Any] | None]

_handlers: dict[str, Handler] = {}


def register_handler(name: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        if name in _handlers and _handlers[name] is not function:
            raise ValueError(f"A handler is already registered as {name!r}.")
        _handlers[name] = function
        return function

    return register


def registered_handlers() -> Mapping[str, Handler]:
    return _handlers
