"""Turn runtime values into JSON data and text, within the size limits."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from apps.engine.expressions.context import EvaluationContext
from apps.engine.expressions.errors import EvaluationError
from apps.engine.expressions.values import Duration, format_date, format_duration, type_name


def to_json(value: Any, context: EvaluationContext) -> Any:
    """Return ``value`` as JSON data: dates and durations as ISO 8601 text, lists and objects copied.

    Raise when its JSON text would be larger than the result limit.
    """
    kind = type(value)
    if kind is bool or kind is int or kind is float or value is None:
        return value
    if kind is str and len(value) + 2 <= context.limits.max_result_bytes:
        return value
    limit = context.limits.max_result_bytes
    return to_sized_json(value, context, limit, f"Result larger than {limit} bytes of JSON")[0]


def to_sized_json(value: Any, context: EvaluationContext, budget: int, too_large: str) -> tuple[Any, int]:
    """Return ``value`` as JSON data and the size of its JSON text; refuse it past ``budget`` bytes.

    The size is approximate (escapes are not counted) and measuring stops as soon as the budget is
    spent, so even a value that shares structure exponentially is refused quickly. ``too_large``
    is the message of the error raised past the budget.
    """
    writer = _JsonWriter(context, budget, too_large)
    return writer.convert(value, 0), writer.size


def to_text(value: Any, context: EvaluationContext) -> str:
    """Write any value as text: text as itself, others as their JSON (``true``, ``[1, 2]``, ISO dates)."""
    kind = type(value)
    if kind is str:
        return str(value)
    if kind is bool:
        return "true" if value else "false"
    if value is None:
        return "null"
    if kind is int or kind is float:
        return repr(value)
    if isinstance(value, date):
        return format_date(value)
    if kind is Duration:
        return format_duration(value)
    limit = context.limits.max_text_length
    data, _ = to_sized_json(value, context, limit, f"Text longer than {limit} characters")
    text = json.dumps(data, ensure_ascii=False)
    if len(text) > context.limits.max_text_length:
        raise EvaluationError(f"Text longer than {context.limits.max_text_length} characters")
    return text


class _JsonWriter:
    """Copy a value into JSON data, counting its size and charging a step per item."""

    def __init__(self, context: EvaluationContext, limit: int, too_large: str) -> None:
        self.context = context
        self.limit = limit
        self.too_large = too_large
        self.size = 0

    def convert(self, value: Any, depth: int) -> Any:
        kind = type(value)
        if kind is str:
            self._grow(len(value) + 2)
            return value
        if kind is bool or value is None:
            self._grow(5)
            return value
        if kind is int or kind is float:
            self._grow(len(repr(value)))
            return value
        if kind is list or kind is dict or isinstance(value, Mapping):
            if depth >= self.context.limits.max_value_depth:
                raise EvaluationError(f"Value nested more than {self.context.limits.max_value_depth} levels deep")
            self.context.charge(len(value))
            self._grow(len(value) + 2)
            if kind is list:
                return [self.convert(item, depth + 1) for item in value]
            return {self._key(key): self.convert(item, depth + 1) for key, item in value.items()}
        if isinstance(value, date):
            return self.convert(format_date(value), depth)
        if kind is Duration:
            return self.convert(format_duration(value), depth)
        raise EvaluationError(f"Cannot store a value of type {type_name(value)}")

    def _key(self, key: Any) -> str:
        if type(key) is not str:
            raise EvaluationError(f"Object keys must be text, not {type_name(key)}")
        self._grow(len(key) + 3)
        return key

    def _grow(self, size: int) -> None:
        self.size += size
        if self.size > self.limit:
            raise EvaluationError(self.too_large)
