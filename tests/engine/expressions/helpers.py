"""Shorthands for the expression tests: evaluate text against keyword variables at a fixed time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from apps.engine.expressions import compile_expression

NOW = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)

VARIABLES: dict[str, Any] = {
    "amount": 1500,
    "price": 12.5,
    "quantity": 4,
    "name": "Ada Lovelace",
    "approved": True,
    "rejected": False,
    "nothing": None,
    "items": [10, 20, 30],
    "tags": ["urgent", "vip"],
    "customer": {"tier": "gold", "address": {"city": "Paris"}, "orders": [{"id": 7}]},
    "empty_text": "",
    "empty_list": [],
    "empty_object": {},
}


def evaluate(text: str, **variables: Any) -> Any:
    """Evaluate ``text`` against ``VARIABLES`` overridden by ``variables``, with ``now()`` at ``NOW``."""
    return compile_expression(text).evaluate(VARIABLES | variables, now=NOW)
