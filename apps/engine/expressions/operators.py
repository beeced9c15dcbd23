"""The operators' meaning over runtime values: arithmetic, ordering, equality, membership, access.

Each checks its operand types explicitly (``true + 1`` is an error, not 2) and raises
``EvaluationError`` with a message in the language's own type names. Numbers are tested with
``type(x) is int or type(x) is float`` so that booleans never pass as numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from apps.engine.expressions.context import EvaluationContext
from apps.engine.expressions.errors import EvaluationError
from apps.engine.expressions.values import (
    Duration,
    add_duration,
    add_durations,
    as_date_time,
    duration_order_key,
    is_temporal_point,
    read_temporal_property,
    scale_duration,
    subtract_dates,
    type_name,
)

BinaryOperator = Callable[[Any, Any, EvaluationContext], Any]


def is_number(value: Any) -> bool:
    """Tell whether ``value`` is a number (an int or float, never a boolean)."""
    kind = type(value)
    return kind is int or kind is float


def add(left: Any, right: Any, context: EvaluationContext) -> Any:
    """``+``: numbers, text and lists concatenate, durations add to dates and durations."""
    left_type = type(left)
    right_type = type(right)
    if left_type is int and right_type is int:
        return left + right
    if (left_type is int or left_type is float) and (right_type is int or right_type is float):
        return _finite(left + right)
    if left_type is str and right_type is str:
        if len(left) + len(right) > context.limits.max_text_length:
            raise EvaluationError(f"Text longer than {context.limits.max_text_length} characters")
        return left + right
    if left_type is list and right_type is list:
        if len(left) + len(right) > context.limits.max_list_length:
            raise EvaluationError(f"List longer than {context.limits.max_list_length} items")
        return left + right
    if right_type is Duration:
        if left_type is Duration:
            return add_durations(left, right)
        if is_temporal_point(left):
            return add_duration(left, right)
    if left_type is Duration and is_temporal_point(right):
        return add_duration(right, left)
    raise EvaluationError(f"Cannot add {type_name(left)} and {type_name(right)}")


def subtract(left: Any, right: Any, context: EvaluationContext) -> Any:
    """``-``: numbers; a duration from a date or duration; a date from a date gives a duration."""
    if is_number(left) and is_number(right):
        return _finite(left - right)
    if type(right) is Duration:
        if type(left) is Duration:
            return add_durations(left, -right)
        if is_temporal_point(left):
            return add_duration(left, -right)
    if is_temporal_point(left) and is_temporal_point(right):
        return subtract_dates(left, right)
    raise EvaluationError(f"Cannot subtract {type_name(right)} from {type_name(left)}")


def multiply(left: Any, right: Any, context: EvaluationContext) -> Any:
    """``*``: numbers, and a duration scaled by a number."""
    if is_number(left) and is_number(right):
        product = left * right
        if type(product) is int and product.bit_length() > context.limits.max_integer_bits:
            raise EvaluationError(f"Integer result larger than {context.limits.max_integer_bits} bits")
        return _finite(product)
    if type(left) is Duration and is_number(right):
        return scale_duration(left, right)
    if is_number(left) and type(right) is Duration:
        return scale_duration(right, left)
    raise EvaluationError(f"Cannot multiply {type_name(left)} by {type_name(right)}")


def divide(left: Any, right: Any, context: EvaluationContext) -> Any:
    """``/``: numbers; whole numbers that divide exactly stay whole (``6 / 3`` is ``2``)."""
    if not (is_number(left) and is_number(right)):
        raise EvaluationError(f"Cannot divide {type_name(left)} by {type_name(right)}")
    if right == 0:
        raise EvaluationError("Division by zero")
    if type(left) is int and type(right) is int:
        quotient, remainder = divmod(left, right)
        if remainder == 0:
            return quotient
    try:
        return _finite(left / right)
    except OverflowError:
        raise EvaluationError("Number out of range") from None


def remainder(left: Any, right: Any, context: EvaluationContext) -> Any:
    """``%``: the remainder of a floored division, so it has the sign of the divisor."""
    if not (is_number(left) and is_number(right)):
        raise EvaluationError(f"Cannot take the remainder of {type_name(left)} divided by {type_name(right)}")
    if right == 0:
        raise EvaluationError("Division by zero")
    return _finite(left % right)


def negate(value: Any) -> Any:
    """Unary ``-``: numbers and durations."""
    if is_number(value) or type(value) is Duration:
        return -value
    raise EvaluationError(f"Cannot negate {type_name(value)}")


def less(left: Any, right: Any, context: EvaluationContext) -> bool:
    if _plainly_ordered(left, right):
        return bool(left < right)
    first, second = _ordering_keys(left, right, "<")
    return bool(first < second)


def less_or_equal(left: Any, right: Any, context: EvaluationContext) -> bool:
    if _plainly_ordered(left, right):
        return bool(left <= right)
    first, second = _ordering_keys(left, right, "<=")
    return bool(first <= second)


def greater(left: Any, right: Any, context: EvaluationContext) -> bool:
    if _plainly_ordered(left, right):
        return bool(left > right)
    first, second = _ordering_keys(left, right, ">")
    return bool(first > second)


def greater_or_equal(left: Any, right: Any, context: EvaluationContext) -> bool:
    if _plainly_ordered(left, right):
        return bool(left >= right)
    first, second = _ordering_keys(left, right, ">=")
    return bool(first >= second)


def equal(left: Any, right: Any, context: EvaluationContext) -> bool:
    """``==``: JSON equality (``1 == 1.0``, ``null == null``, never ``1 == true``), deep for lists and objects."""
    return _equal(left, right, context, 0)


def not_equal(left: Any, right: Any, context: EvaluationContext) -> bool:
    return not _equal(left, right, context, 0)


def contains(container: Any, item: Any, context: EvaluationContext) -> bool:
    """``item in container``: list membership, substring, or object key."""
    container_type = type(container)
    if container_type is list:
        context.charge(len(container))
        return any(_equal(element, item, context, 1) for element in container)
    if container_type is str and type(item) is str:
        return item in container
    if container_type is dict or isinstance(container, Mapping):
        if type(item) is not str:
            raise EvaluationError(f"Object keys are text; cannot look for {type_name(item)} among them")
        return item in container
    raise EvaluationError(f"Cannot look for {type_name(item)} in {type_name(container)}")


def is_in(item: Any, container: Any, context: EvaluationContext) -> bool:
    return contains(container, item, context)


def is_not_in(item: Any, container: Any, context: EvaluationContext) -> bool:
    return not contains(container, item, context)


def order_pair(left: Any, right: Any, symbol: str) -> tuple[Any, Any]:
    """Return ``left`` and ``right`` in a form Python orders correctly, or raise if they have no order."""
    if _plainly_ordered(left, right):
        return left, right
    return _ordering_keys(left, right, symbol)


def read_member(target: Any, name: str) -> Any:
    """``target.name``: an object's key (null when missing), null on null, a date or duration component."""
    if type(target) is dict:
        return target.get(name)
    if target is None:
        return None
    if isinstance(target, Mapping):
        return target.get(name)
    if isinstance(target, date | Duration):
        return read_temporal_property(target, name)
    raise EvaluationError(f"Cannot read property '{name}' of {type_name(target)}")


def read_item(target: Any, index: Any, one_based: bool) -> Any:
    """``target[index]``: list item or character by position (negative from the end), object key.

    A position outside the list, a missing key and any index into null give null.
    """
    target_type = type(target)
    if target_type is list or target_type is str:
        if type(index) is not int:
            if type(index) is bool:
                raise EvaluationError("Filters such as list[condition] are not supported; index with a number")
            raise EvaluationError(f"A {type_name(target)} index must be a whole number, not {type_name(index)}")
        if one_based:
            if index == 0:
                return None
            if index > 0:
                index -= 1
        if -len(target) <= index < len(target):
            return target[index]
        return None
    if target_type is dict or isinstance(target, Mapping):
        if type(index) is not str:
            raise EvaluationError(f"Object keys are text; cannot read key {type_name(index)}")
        return target.get(index)
    if target is None:
        return None
    raise EvaluationError(f"Cannot index into {type_name(target)}")


def _finite(number: Any) -> Any:
    if type(number) is float and not math.isfinite(number):
        raise EvaluationError("Number out of range")
    return number


def _plainly_ordered(left: Any, right: Any) -> bool:
    left_type = type(left)
    right_type = type(right)
    if left_type is int or left_type is float:
        return right_type is int or right_type is float
    return left_type is str and right_type is str


def _ordering_keys(left: Any, right: Any, symbol: str) -> tuple[Any, Any]:
    if is_temporal_point(left) and is_temporal_point(right):
        if type(left) is type(right):
            return left, right
        return as_date_time(left), as_date_time(right)
    if type(left) is Duration and type(right) is Duration:
        first, second = duration_order_key(left), duration_order_key(right)
        if type(first) is type(second):
            return first, second
        raise EvaluationError("Cannot order a duration in months against one in days or time")
    raise EvaluationError(f"Cannot compare {type_name(left)} with {type_name(right)} using '{symbol}'")


def _equal(left: Any, right: Any, context: EvaluationContext, depth: int) -> bool:
    left_type = type(left)
    right_type = type(right)
    if left_type is right_type:
        if left_type is list:
            return _lists_equal(left, right, context, depth)
        if left_type is dict:
            return _objects_equal(left, right, context, depth)
        return bool(left == right)
    if (left_type is int and right_type is float) or (left_type is float and right_type is int):
        return bool(left == right)
    if is_temporal_point(left) and is_temporal_point(right):
        return as_date_time(left) == as_date_time(right)
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return _objects_equal(left, right, context, depth)
    return False


def _lists_equal(left: list[Any], right: list[Any], context: EvaluationContext, depth: int) -> bool:
    if len(left) != len(right):
        return False
    _descend(context, depth, len(left))
    return all(_equal(first, second, context, depth + 1) for first, second in zip(left, right, strict=True))


def _objects_equal(left: Mapping[str, Any], right: Mapping[str, Any], context: EvaluationContext, depth: int) -> bool:
    if len(left) != len(right):
        return False
    _descend(context, depth, len(left))
    return all(key in right and _equal(value, right[key], context, depth + 1) for key, value in left.items())


def _descend(context: EvaluationContext, depth: int, items: int) -> None:
    if depth >= context.limits.max_value_depth:
        raise EvaluationError(f"Value nested more than {context.limits.max_value_depth} levels deep")
    context.charge(items)


OPERATORS: dict[str, BinaryOperator] = {
    "+": add,
    "-": subtract,
    "*": multiply,
    "/": divide,
    "%": remainder,
    "<": less,
    "<=": less_or_equal,
    ">": greater,
    ">=": greater_or_equal,
    "==": equal,
    "!=": not_equal,
    "in": is_in,
    "not in": is_not_in,
}
"""Binary operators by the symbol the parser gives them; ``and``/``or`` short-circuit elsewhere."""
