"""Every operator on the types it accepts, and the errors for those it refuses."""

from __future__ import annotations

from typing import Any

import pytest

from apps.engine.expressions import EvaluationError
from tests.engine.expressions.helpers import evaluate


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2", 3),
        ("1 + 2.5", 3.5),
        ("'a' + 'b'", "ab"),
        ("[1] + [2, 3]", [1, 2, 3]),
        ("10 - 4", 6),
        ("0.5 - 1", -0.5),
        ("6 * 7", 42),
        ("price * quantity", 50.0),
        ("6 / 3", 2),
        ("7 / 2", 3.5),
        ("1.5 / 0.5", 3.0),
        ("-6 / 4", -1.5),
        ("7 % 3", 1),
        ("-7 % 3", 2),
        ("7 % -3", -2),
        ("7.5 % 2", 1.5),
        ("-amount", -1500),
        ("--3", 3),
        ("-(2 + 3)", -5),
        ("2 + 3 * 4", 14),
        ("(2 + 3) * 4", 20),
        ("10 - 3 - 2", 5),
        ("24 / 4 / 2", 3),
        ("2 * 3 % 4", 2),
    ],
)
def test_arithmetic(text: str, expected: Any) -> None:
    result = evaluate(text)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 == 1", True),
        ("1 == 1.0", True),
        ("1 == 2", False),
        ("1 != 2", True),
        ("'a' == 'a'", True),
        ("'a' == \"a\"", True),
        ("'1' == 1", False),
        ("1 == true", False),
        ("0 == false", False),
        ("true == true", True),
        ("null == null", True),
        ("nothing == null", True),
        ("0 == null", False),
        ("'' == null", False),
        ("customer.missing == null", True),
        ("[1, [2, 'x']] == [1, [2, 'x']]", True),
        ("[1, 2] == [2, 1]", False),
        ("[1] == [true]", False),
        ("[1] == [1.0]", True),
        ('{"a": 1, "b": [2]} == {"b": [2], "a": 1}', True),
        ('{"a": 1} == {"a": 2}', False),
        ('{"a": 1} == {"b": 1}', False),
        ("customer == customer", True),
        ("[] == {}", False),
        ("1 < 2", True),
        ("2 <= 2", True),
        ("3 > 2.5", True),
        ("2 >= 3", False),
        ("'apple' < 'banana'", True),
        ("'b' >= 'a'", True),
        ("amount > 1000", True),
        ("1000 < amount", True),
        ("amount == 1500", True),
        ("amount != 1500.0", False),
    ],
)
def test_comparison(text: str, expected: bool) -> None:
    assert evaluate(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true && true", True),
        ("true && false", False),
        ("false || true", True),
        ("false || false", False),
        ("true and false", False),
        ("false or true", True),
        ("!true", False),
        ("!!true", True),
        ("not false", True),
        ("not (1 > 2)", True),
        ("approved && !rejected", True),
        ("true || false && false", True),
        ("(true || false) && false", False),
        ("true and true and true and false", False),
        ("false or false or false or true", True),
        # Short-circuit: the right side is never evaluated.
        ("false && unknown_variable", False),
        ("true || unknown_variable", True),
        ("false and 1 / 0 == 1", False),
    ],
)
def test_logic(text: str, expected: bool) -> None:
    assert evaluate(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20 in items", True),
        ("25 in items", False),
        ("20.0 in items", True),
        ("'vip' in tags", True),
        ("[1] in [[1], [2]]", True),
        ("'Love' in name", True),
        ("'love' in name", False),
        ("'' in name", True),
        ("'tier' in customer", True),
        ("'gold' in customer", False),
        ("25 not in items", True),
        ("'tier' not in customer", False),
        ("1 + 1 in [2]", True),
    ],
)
def test_membership(text: str, expected: bool) -> None:
    assert evaluate(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("approved ? 'yes' : 'no'", "yes"),
        ("rejected ? 'yes' : 'no'", "no"),
        ("amount > 2000 ? 'large' : amount > 1000 ? 'medium' : 'small'", "medium"),
        ("false ? unknown_variable : 1", 1),
        ("if approved then 1 else 2", 1),
        ("if rejected then 1 else if approved then 2 else 3", 2),
        ("if true then 1 else 2 + 3", 1),
        ("(if false then 1 else 2) + 3", 5),
        ("1 + (approved ? 1 : 0)", 2),
    ],
)
def test_conditional(text: str, expected: Any) -> None:
    assert evaluate(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1 + 'a'", "Cannot add number and text (at column 3)"),
        ("'a' + 1", "Cannot add text and number (at column 5)"),
        ("true + 1", "Cannot add boolean and number (at column 6)"),
        ("null + 1", "Cannot add null and number (at column 6)"),
        ("customer + 1", "Cannot add object and number (at column 10)"),
        ("'a' - 'b'", "Cannot subtract text from text (at column 5)"),
        ("'ab' * 3", "Cannot multiply text by number (at column 6)"),
        ("[1] * 2", "Cannot multiply list by number (at column 5)"),
        ("'6' / 2", "Cannot divide text by number (at column 5)"),
        ("1 / 0", "Division by zero (at column 3)"),
        ("1.5 / 0.0", "Division by zero (at column 5)"),
        ("5 % 0", "Division by zero (at column 3)"),
        ("true % 2", "Cannot take the remainder of boolean divided by number (at column 6)"),
        ("-'a'", "Cannot negate text (at column 1)"),
        ("1 < 'a'", "Cannot compare number with text using '<' (at column 3)"),
        ("true > false", "Cannot compare boolean with boolean using '>' (at column 6)"),
        ("null <= 1", "Cannot compare null with number using '<=' (at column 6)"),
        ("[1] >= [0]", "Cannot compare list with list using '>=' (at column 5)"),
        ("1 && true", "Each side of 'and' must be true or false, not number (at column 1)"),
        ("true and 'yes'", "Each side of 'and' must be true or false, not text (at column 10)"),
        ("false || null", "Each side of 'or' must be true or false, not null (at column 10)"),
        ("!1", "The operand of 'not' must be true or false, not number (at column 1)"),
        ("nothing ? 1 : 2", "A condition must be true or false, not null (at column 1)"),
        ("if 'x' then 1 else 2", "A condition must be true or false, not text (at column 4)"),
        ("1 in 2", "Cannot look for number in number (at column 3)"),
        ("1 in name", "Cannot look for number in text (at column 3)"),
        ("1 in customer", "Object keys are text; cannot look for number among them (at column 3)"),
        ("amount.value", "Cannot read property 'value' of number (at column 8)"),
        ("name.first", "Cannot read property 'first' of text (at column 6)"),
        ("items.size", "Cannot read property 'size' of list; to call the function, write .size() (at column 7)"),
        ("items['a']", "A list index must be a whole number, not text (at column 6)"),
        ("items[1.0]", "A list index must be a whole number, not number (at column 6)"),
        ("items[true]", "Filters such as list[condition] are not supported; index with a number (at column 6)"),
        ("customer[0]", "Object keys are text; cannot read key number (at column 9)"),
        ("amount[0]", "Cannot index into number (at column 7)"),
        ("unknown_variable", "Unknown variable 'unknown_variable' (at column 1)"),
        ("1 + missing.field", "Unknown variable 'missing' (at column 5)"),
    ],
)
def test_operator_errors(text: str, message: str) -> None:
    with pytest.raises(EvaluationError) as raised:
        evaluate(text)
    assert str(raised.value) == message


def test_numbers_overflowing_are_refused() -> None:
    with pytest.raises(EvaluationError, match="Number out of range"):
        evaluate("1e300 * 1e300")
    with pytest.raises(EvaluationError, match="Integer result larger than 128 bits"):
        evaluate("big * big * big", big=2**60)
