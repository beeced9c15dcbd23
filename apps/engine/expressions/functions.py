"""The whitelist of functions: one row per name, callable as ``f(x, ...)`` or as a method ``x.f(...)``.

Nothing outside this table can be called. Each implementation takes the evaluation context first
and checks its arguments' types itself. Aliases (Java's ``toUpperCase``, FEEL's ``upper case``)
are rows of their own so that models written for Camunda 7 or Zeebe run unchanged.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from apps.engine.expressions import operators
from apps.engine.expressions.context import EvaluationContext
from apps.engine.expressions.conversion import to_text
from apps.engine.expressions.errors import EvaluationError
from apps.engine.expressions.values import Duration, parse_date, parse_duration, type_name

_NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_LONGEST_NUMBER_TEXT = 100
_MOST_ROUNDING_DIGITS = 15


@dataclass(frozen=True, slots=True)
class Function:
    """A callable name: its implementation, how many arguments it takes, and how it is written."""

    name: str
    implementation: Callable[..., Any]
    min_arguments: int
    max_arguments: int | None  # None: any number
    usage: str


def _text(function: str, value: Any) -> str:
    if type(value) is not str:
        raise EvaluationError(f"{function}() needs text, not {type_name(value)}")
    return str(value)


def _number(function: str, value: Any) -> int | float:
    if not operators.is_number(value):
        raise EvaluationError(f"{function}() needs a number, not {type_name(value)}")
    return value  # type: ignore[no-any-return]


def _contains(context: EvaluationContext, container: Any, item: Any) -> bool:
    return operators.contains(container, item, context)


def _starts_with(context: EvaluationContext, text: Any, prefix: Any) -> bool:
    return _text("startsWith", text).startswith(_text("startsWith", prefix))


def _ends_with(context: EvaluationContext, text: Any, suffix: Any) -> bool:
    return _text("endsWith", text).endswith(_text("endsWith", suffix))


def _size(context: EvaluationContext, value: Any) -> int:
    if type(value) in (str, list, dict) or isinstance(value, Mapping):
        return len(value)
    raise EvaluationError(f"size() needs text, a list or an object, not {type_name(value)}")


def _is_empty(context: EvaluationContext, value: Any) -> bool:
    if value is None:
        return True
    if type(value) in (str, list, dict) or isinstance(value, Mapping):
        return len(value) == 0
    return False


def _lower(context: EvaluationContext, text: Any) -> str:
    return _text("lower", text).lower()


def _upper(context: EvaluationContext, text: Any) -> str:
    return _text("upper", text).upper()


def _trim(context: EvaluationContext, text: Any) -> str:
    return _text("trim", text).strip()


def _equals(context: EvaluationContext, left: Any, right: Any) -> bool:
    return operators.equal(left, right, context)


def _string(context: EvaluationContext, value: Any) -> str:
    return to_text(value, context)


def _to_number(context: EvaluationContext, value: Any) -> int | float:
    if operators.is_number(value):
        return value  # type: ignore[no-any-return]
    text = _text("number", value).strip()
    match = _NUMBER_TEXT.fullmatch(text) if len(text) <= _LONGEST_NUMBER_TEXT else None
    if match is None:
        raise EvaluationError(f"Cannot read {value[:40]!r} as a number")
    if not any(mark in text for mark in ".eE"):
        whole = int(text)
        if whole.bit_length() > context.limits.max_integer_bits:
            raise EvaluationError(f"Integer larger than {context.limits.max_integer_bits} bits")
        return whole
    fraction = float(text)
    if not math.isfinite(fraction):
        raise EvaluationError("Number out of range")
    return fraction


def _abs(context: EvaluationContext, value: Any) -> int | float:
    return abs(_number("abs", value))


def _floor(context: EvaluationContext, value: Any) -> int:
    return math.floor(_number("floor", value))


def _ceiling(context: EvaluationContext, value: Any) -> int:
    return math.ceil(_number("ceiling", value))


def _round(context: EvaluationContext, value: Any, digits: Any = 0) -> int | float:
    """Round half away from zero (``round(2.5)`` is 3), to ``digits`` decimals."""
    number = _number("round", value)
    if type(digits) is not int or not 0 <= digits <= _MOST_ROUNDING_DIGITS:
        raise EvaluationError(f"round() takes a whole number of digits from 0 to {_MOST_ROUNDING_DIGITS}")
    if type(number) is int:
        return number
    if abs(number) >= 2.0**52:  # already whole; Decimal would need more precision than it has
        return int(number) if digits == 0 else number
    rounded = Decimal(repr(number)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return int(rounded) if digits == 0 else float(rounded)


def _items(function: str, context: EvaluationContext, arguments: tuple[Any, ...]) -> list[Any]:
    """Read ``f([a, b, c])`` and ``f(a, b, c)`` alike."""
    if len(arguments) == 1:
        if type(arguments[0]) is not list:
            raise EvaluationError(f"{function}() needs a list or several values, not {type_name(arguments[0])}")
        items: list[Any] = arguments[0]
    else:
        items = list(arguments)
    context.charge(len(items))
    return items


def _min(context: EvaluationContext, *arguments: Any) -> Any:
    return _extreme("min", context, arguments, lambda candidate, best: candidate < best)


def _max(context: EvaluationContext, *arguments: Any) -> Any:
    return _extreme("max", context, arguments, lambda candidate, best: candidate > best)


def _extreme(
    function: str, context: EvaluationContext, arguments: tuple[Any, ...], better: Callable[[Any, Any], bool]
) -> Any:
    items = _items(function, context, arguments)
    if not items:
        return None
    best = items[0]
    for item in items[1:]:
        if better(*operators.order_pair(item, best, function)):
            best = item
    return best


def _sum(context: EvaluationContext, *arguments: Any) -> int | float:
    total: int | float = 0
    for item in _items("sum", context, arguments):
        total = operators.add(total, _number("sum", item), context)
    return total


def _now(context: EvaluationContext) -> date:
    return context.current_time()


def _today(context: EvaluationContext) -> date:
    return context.current_time().astimezone(UTC).date()


def _date(context: EvaluationContext, value: Any, month: Any = None, day: Any = None) -> date:
    if month is not None or day is not None:
        parts = (value, month, day)
        if not all(type(part) is int for part in parts):
            raise EvaluationError("date(year, month, day) needs three whole numbers")
        try:
            return date(value, month, day)
        except ValueError as error:
            raise EvaluationError(f"Not a date: {error}") from None
    if isinstance(value, date):
        return value
    return parse_date(_text("date", value))


def _duration(context: EvaluationContext, value: Any) -> Duration:
    if type(value) is Duration:
        return value
    return parse_duration(_text("duration", value))


def _list(function: str, value: Any) -> list[Any]:
    if type(value) is not list:
        raise EvaluationError(f"{function}() needs a list, not {type_name(value)}")
    items: list[Any] = value
    return items


def _bounded_text(context: EvaluationContext, text: str) -> str:
    if len(text) > context.limits.max_text_length:
        raise EvaluationError(f"Text longer than {context.limits.max_text_length} characters")
    return text


def _bounded_list(context: EvaluationContext, items: list[Any]) -> list[Any]:
    context.charge(len(items))
    if len(items) > context.limits.max_list_length:
        raise EvaluationError(f"List longer than {context.limits.max_list_length} items")
    return items


def _string_join(
    context: EvaluationContext, items: Any, delimiter: Any = "", prefix: Any = "", suffix: Any = ""
) -> str:
    """FEEL's ``string join``: the texts of the list (nulls left out) between the delimiter."""
    texts = [_text("string join", item) for item in _list("string join", items) if item is not None]
    context.charge(len(texts))
    separator = _text("string join", delimiter if delimiter is not None else "")
    joined = _text("string join", prefix) + separator.join(texts) + _text("string join", suffix)
    return _bounded_text(context, joined)


def _substring(context: EvaluationContext, text: Any, start: Any, length: Any = None) -> str:
    """FEEL's ``substring``: from the 1-based ``start`` (from the end when negative)."""
    value = _text("substring", text)
    if type(start) is not int or start == 0 or (length is not None and (type(length) is not int or length < 0)):
        raise EvaluationError("substring(text, start, length) needs a start position other than 0 and a length")
    begin = start - 1 if start > 0 else max(len(value) + start, 0)
    return value[begin:] if length is None else value[begin : begin + length]


def _substring_before(context: EvaluationContext, text: Any, match: Any) -> str:
    value, found = _text("substring before", text), _text("substring before", match)
    return value.split(found, 1)[0] if found in value else ""


def _substring_after(context: EvaluationContext, text: Any, match: Any) -> str:
    value, found = _text("substring after", text), _text("substring after", match)
    return value.split(found, 1)[1] if found in value else ""


def _index_of(context: EvaluationContext, items: Any, match: Any) -> list[int]:
    values = _list("index of", items)
    context.charge(len(values))
    return [position for position, item in enumerate(values, 1) if operators.equal(item, match, context)]


def _distinct_values(context: EvaluationContext, items: Any) -> list[Any]:
    kept: list[Any] = []
    for item in _list("distinct values", items):
        context.charge(len(kept) + 1)
        if not any(operators.equal(item, seen, context) for seen in kept):
            kept.append(item)
    return kept


def _append(context: EvaluationContext, items: Any, *more: Any) -> list[Any]:
    return _bounded_list(context, [*_list("append", items), *more])


def _concatenate(context: EvaluationContext, *lists: Any) -> list[Any]:
    return _bounded_list(context, [item for items in lists for item in _list("concatenate", items)])


def _reverse(context: EvaluationContext, items: Any) -> list[Any]:
    return _bounded_list(context, list(reversed(_list("reverse", items))))


def _flatten(context: EvaluationContext, items: Any) -> list[Any]:
    flat: list[Any] = []

    def walk(values: list[Any], depth: int) -> None:
        if depth > context.limits.max_value_depth:
            raise EvaluationError(f"Lists nested deeper than {context.limits.max_value_depth}")
        for value in values:
            if type(value) is list:
                walk(value, depth + 1)
            else:
                flat.append(value)
                context.charge(1)

    walk(_list("flatten", items), 1)
    return _bounded_list(context, flat)


def _sublist(context: EvaluationContext, items: Any, start: Any, length: Any = None) -> list[Any]:
    values = _list("sublist", items)
    if type(start) is not int or start == 0 or (length is not None and (type(length) is not int or length < 0)):
        raise EvaluationError("sublist(list, start, length) needs a start position other than 0 and a length")
    begin = start - 1 if start > 0 else max(len(values) + start, 0)
    return _bounded_list(context, values[begin:] if length is None else values[begin : begin + length])


def _all(context: EvaluationContext, *arguments: Any) -> bool | None:
    """FEEL's ``all``: true when every item is true, false when one is false, else null."""
    items = _items("all", context, arguments)
    if any(item is False for item in items):
        return False
    return True if all(item is True for item in items) else None


def _any(context: EvaluationContext, *arguments: Any) -> bool | None:
    """FEEL's ``any``: true when one item is true, false when every item is false, else null."""
    items = _items("any", context, arguments)
    if any(item is True for item in items):
        return True
    return False if all(item is False for item in items) else None


def _mean(context: EvaluationContext, *arguments: Any) -> int | float | None:
    items = _items("mean", context, arguments)
    if not items:
        return None
    mean: int | float = operators.divide(_sum(context, items), len(items), context)
    return mean


def _get_value(context: EvaluationContext, entries: Any, key: Any) -> Any:
    if type(entries) is not dict:
        raise EvaluationError(f"get value() needs an object, not {type_name(entries)}")
    return entries.get(_text("get value", key))


_ROWS = (
    Function("contains", _contains, 2, 2, "contains(text or list, item)"),
    Function("startsWith", _starts_with, 2, 2, "startsWith(text, prefix)"),
    Function("endsWith", _ends_with, 2, 2, "endsWith(text, suffix)"),
    Function("size", _size, 1, 1, "size(text, list or object)"),
    Function("isEmpty", _is_empty, 1, 1, "isEmpty(value)"),
    Function("lower", _lower, 1, 1, "lower(text)"),
    Function("upper", _upper, 1, 1, "upper(text)"),
    Function("trim", _trim, 1, 1, "trim(text)"),
    Function("equals", _equals, 2, 2, "equals(value, other)"),
    Function("string", _string, 1, 1, "string(value)"),
    Function("number", _to_number, 1, 1, "number(text or number)"),
    Function("abs", _abs, 1, 1, "abs(number)"),
    Function("floor", _floor, 1, 1, "floor(number)"),
    Function("ceiling", _ceiling, 1, 1, "ceiling(number)"),
    Function("round", _round, 1, 2, "round(number, digits)"),
    Function("min", _min, 1, None, "min(list) or min(a, b, ...)"),
    Function("max", _max, 1, None, "max(list) or max(a, b, ...)"),
    Function("sum", _sum, 1, None, "sum(list) or sum(a, b, ...)"),
    Function("now", _now, 0, 0, "now()"),
    Function("today", _today, 0, 0, "today()"),
    Function("date", _date, 1, 3, "date(text) or date(year, month, day)"),
    Function("duration", _duration, 1, 1, "duration(text)"),
    # Java method names that Camunda 7 (JUEL) models call on strings and collections.
    Function("length", _size, 1, 1, "length(text)"),
    Function("toLowerCase", _lower, 1, 1, "toLowerCase(text)"),
    Function("toUpperCase", _upper, 1, 1, "toUpperCase(text)"),
    # FEEL names that Zeebe models use; the multi-word ones are read only in the `=` dialect.
    Function("count", _size, 1, 1, "count(list)"),
    Function("starts with", _starts_with, 2, 2, "starts with(text, prefix)"),
    Function("ends with", _ends_with, 2, 2, "ends with(text, suffix)"),
    Function("string length", _size, 1, 1, "string length(text)"),
    Function("upper case", _upper, 1, 1, "upper case(text)"),
    Function("lower case", _lower, 1, 1, "lower case(text)"),
    Function("list contains", _contains, 2, 2, "list contains(list, item)"),
    Function("is empty", _is_empty, 1, 1, "is empty(list)"),
    Function("date and time", _date, 1, 1, "date and time(text)"),
    Function("round half up", _round, 1, 2, "round half up(number, digits)"),
    Function("string join", _string_join, 1, 4, "string join(list, delimiter, prefix, suffix)"),
    Function("substring", _substring, 2, 3, "substring(text, start, length)"),
    Function("substring before", _substring_before, 2, 2, "substring before(text, match)"),
    Function("substring after", _substring_after, 2, 2, "substring after(text, match)"),
    Function("index of", _index_of, 2, 2, "index of(list, match)"),
    Function("distinct values", _distinct_values, 1, 1, "distinct values(list)"),
    Function("append", _append, 1, None, "append(list, item, ...)"),
    Function("concatenate", _concatenate, 1, None, "concatenate(list, list, ...)"),
    Function("reverse", _reverse, 1, 1, "reverse(list)"),
    Function("flatten", _flatten, 1, 1, "flatten(list)"),
    Function("sublist", _sublist, 2, 3, "sublist(list, start, length)"),
    Function("all", _all, 1, None, "all(list) or all(a, b, ...)"),
    Function("any", _any, 1, None, "any(list) or any(a, b, ...)"),
    Function("mean", _mean, 1, None, "mean(list) or mean(a, b, ...)"),
    Function("get value", _get_value, 2, 2, "get value(object, key)"),
)

FUNCTIONS: Mapping[str, Function] = {row.name: row for row in _ROWS}
"""Every callable name. A name not here is refused when the expression is compiled."""

MULTI_WORD_NAMES: frozenset[str] = frozenset(name for name in FUNCTIONS if " " in name)
"""FEEL function names made of several words, which the parser joins in the ``=`` dialect."""
