"""Every function of the whitelist, called as a function and as a method."""

from __future__ import annotations

from typing import Any

import pytest

from apps.engine.expressions import EvaluationError, ExpressionError, compile_expression
from apps.engine.expressions.functions import FUNCTIONS
from tests.engine.expressions.helpers import evaluate

CASES: list[tuple[str, Any]] = [
    ("contains(name, 'Love')", True),
    ("contains(name, 'love')", False),
    ("name.contains('Ada')", True),
    ("contains(tags, 'vip')", True),
    ("tags.contains('none')", False),
    ("contains(customer, 'tier')", True),
    ("startsWith(name, 'Ada')", True),
    ("name.startsWith('Love')", False),
    ("endsWith(name, 'lace')", True),
    ("name.endsWith('Ada')", False),
    ("size(name)", 12),
    ("size(items)", 3),
    ("customer.size()", 3),
    ("size('')", 0),
    ("isEmpty(empty_text)", True),
    ("isEmpty(empty_list)", True),
    ("empty_object.isEmpty()", True),
    ("isEmpty(nothing)", True),
    ("isEmpty(tags)", False),
    ("isEmpty(0)", False),
    ("lower(name)", "ada lovelace"),
    ("name.upper()", "ADA LOVELACE"),
    ("trim('  padded \\n')", "padded"),
    ("equals(1, 1.0)", True),
    ("string(42)", "42"),
    ("string(2.5)", "2.5"),
    ("string(true)", "true"),
    ("string(null)", "null"),
    ("string('text')", "text"),
    ("string([1, 'a', {\"k\": null}])", '[1, "a", {"k": null}]'),
    ("string(date('2026-01-31'))", "2026-01-31"),
    ("string(duration('PT90M'))", "PT1H30M"),
    ("'#' + string(quantity)", "#4"),
    ("number('42')", 42),
    ("number(' -3.5 ')", -3.5),
    ("number('1e3')", 1000.0),
    ("number('.5')", 0.5),
    ("number(7)", 7),
    ("abs(-3)", 3),
    ("abs(2.5)", 2.5),
    ("floor(2.7)", 2),
    ("floor(-2.2)", -3),
    ("ceiling(2.2)", 3),
    ("ceiling(-2.7)", -2),
    ("round(2.5)", 3),
    ("round(-2.5)", -3),
    ("round(2.4)", 2),
    ("round(1.005, 2)", 1.01),
    ("round(2.675, 2)", 2.68),
    ("round(7)", 7),
    ("round(1e300)", int(1e300)),
    ("min(items)", 10),
    ("max(items)", 30),
    ("min(3, 1, 2)", 1),
    ("max('pear', 'apple')", "pear"),
    ("min([])", None),
    ("max(1, 2.5)", 2.5),
    ("sum(items)", 60),
    ("sum(1, 2.5)", 3.5),
    ("sum([])", 0),
    ("items.sum()", 60),
    ("now()", "2026-01-31T10:00:00Z"),
    ("today()", "2026-01-31"),
    ("date('2026-02-01')", "2026-02-01"),
    ("date(2026, 2, 28)", "2026-02-28"),
    ("duration('P3D')", "P3D"),
    ("length(name)", 12),
    ("toLowerCase(name)", "ada lovelace"),
    ("name.toUpperCase()", "ADA LOVELACE"),
    ("count(tags)", 2),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_function(text: str, expected: Any) -> None:
    result = evaluate(text)
    assert result == expected
    assert type(result) is type(expected)


def test_every_function_has_a_case() -> None:
    """Multi-word FEEL aliases of functions above are called in test_syntax.py."""
    called = " ".join(text for text, _ in [*CASES, *FEEL_CASES])
    aliases = {"starts with", "ends with", "string length", "upper case", "lower case", "list contains"}
    aliases |= {"is empty", "date and time", "round half up"}
    untested = [name for name in FUNCTIONS if name not in aliases and f"{name}(" not in called]
    assert untested == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("startsWith(1, 'a')", "startsWith() needs text, not number (at column 1)"),
        ("name.endsWith(1)", "endsWith() needs text, not number (at column 6)"),
        ("size(1)", "size() needs text, a list or an object, not number (at column 1)"),
        ("upper(null)", "upper() needs text, not null (at column 1)"),
        ("number('12abc')", "Cannot read '12abc' as a number (at column 1)"),
        ("number('1e999')", "Number out of range (at column 1)"),
        ("number(true)", "number() needs text, not boolean (at column 1)"),
        ("abs('1')", "abs() needs a number, not text (at column 1)"),
        ("round(1.5, -1)", "round() takes a whole number of digits from 0 to 15 (at column 1)"),
        ("min(1)", "min() needs a list or several values, not number (at column 1)"),
        ("max(1, 'a')", "Cannot compare text with number using 'max' (at column 1)"),
        ("sum(['1'])", "sum() needs a number, not text (at column 1)"),
        (
            "date('31/01/2026')",
            "Cannot read '31/01/2026' as a date (expected ISO 8601 such as 2026-01-31 "
            "or 2026-01-31T10:00:00Z) (at column 1)",
        ),
        ("date(2026, 2, 30)", "Not a date: day is out of range for month (at column 1)"),
        ("date(2026, '2', 3)", "date(year, month, day) needs three whole numbers (at column 1)"),
        (
            "duration('3 days')",
            "Cannot read '3 days' as a duration (expected ISO 8601 such as P3D, PT2H or P1Y2M) (at column 1)",
        ),
        (
            "duration('P1.5M')",
            "Cannot read 'P1.5M' as a duration (expected ISO 8601 such as P3D, PT2H or P1Y2M) (at column 1)",
        ),
        ("duration(3)", "duration() needs text, not number (at column 1)"),
    ],
)
def test_function_errors(text: str, message: str) -> None:
    with pytest.raises(EvaluationError) as raised:
        evaluate(text)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("eval('1')", "Unknown function 'eval' (known: "),
        ("name.__class__()", "Unknown function '__class__'"),
        ("name.split(' ')", "Unknown function 'split'"),
        ("startsWith(name)", "Wrong number of arguments to startsWith(): write startsWith(text, prefix) (at column 1)"),
        (
            "name.startsWith()",
            "Wrong number of arguments to startsWith(): write startsWith(text, prefix) (at column 6)",
        ),
        ("now(1)", "Wrong number of arguments to now(): write now() (at column 1)"),
        ("round(1, 2, 3)", "Wrong number of arguments to round(): write round(number, digits) (at column 1)"),
        ("min()", "Wrong number of arguments to min(): write min(list) or min(a, b, ...) (at column 1)"),
        ("starts with(name, 'A')", "Unexpected 'with' (at column 8)"),
    ],
)
def test_unknown_functions_and_wrong_arity_are_refused_at_compile_time(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as raised:
        compile_expression(text)
    assert str(raised.value).startswith(message)


FEEL_CASES: list[tuple[str, Any]] = [
    ('=string join(tags, ", ")', "urgent, vip"),
    ("=string join(tags)", "urgentvip"),
    ('=string join(["a", null, "b"], "-", "[", "]")', "[a-b]"),
    ("=substring(name, 5)", "Lovelace"),
    ("=substring(name, 1, 3)", "Ada"),
    ("=substring(name, -4)", "lace"),
    ('=substring before(name, " ")', "Ada"),
    ('=substring after(name, " ")', "Lovelace"),
    ('=substring after(name, "x")', ""),
    ("=index of([1, 2, 1], 1)", [1, 3]),
    ("=distinct values([1, 2, 1, 2.0])", [1, 2]),
    ("=append(items, 40)", [10, 20, 30, 40]),
    ("=concatenate(items, [1], [])", [10, 20, 30, 1]),
    ("=reverse(items)", [30, 20, 10]),
    ("=flatten([1, [2, [3]], []])", [1, 2, 3]),
    ("=sublist(items, 2)", [20, 30]),
    ("=sublist(items, 1, 2)", [10, 20]),
    ("=all([true, true])", True),
    ("=all(true, false, null)", False),
    ("=any([false, true])", True),
    ("=any([false, false])", False),
    ("=mean(items)", 20),
    ("=mean(1, 2)", 1.5),
    ('=get value(customer, "tier")', "gold"),
]


@pytest.mark.parametrize(("text", "expected"), FEEL_CASES)
def test_feel_function(text: str, expected: Any) -> None:
    result = evaluate(text)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("=string join(name)", "string join() needs a list, not text (at column 2)"),
        ("=string join([1])", "string join() needs text, not number (at column 2)"),
        ("=substring(name, 0)", "substring(text, start, length) needs a start position other than 0 and a length"),
        ("=append(name, 1)", "append() needs a list, not text (at column 2)"),
        ("=get value(items, 1)", "get value() needs an object, not list (at column 2)"),
    ],
)
def test_feel_function_errors(text: str, message: str) -> None:
    with pytest.raises(EvaluationError) as raised:
        evaluate(text)
    assert str(raised.value).startswith(message)
