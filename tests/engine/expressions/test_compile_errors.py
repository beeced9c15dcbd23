"""Compile-time problems: a clear message and the column (or line and column) they are at."""

from __future__ import annotations

import pytest

from apps.engine.expressions import ExpressionError, Position, compile_expression


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Empty expression (at column 1)"),
        ("   ", "Empty expression (at column 4)"),
        ("${}", "Empty expression (at column 3)"),
        ("=", "Empty expression (at column 2)"),
        ("1 +", "Unexpected end of expression (at column 4)"),
        ("(1 + 2", "Expected ')', found end of expression (at column 7)"),
        ("[1, 2", "Expected ',' or ']', found end of expression (at column 6)"),
        ("{'a' 1}", "Expected ':' after the key, found '1' (at column 6)"),
        ("{1: 2}", "Expected a key (a name or quoted text), found '1' (at column 2)"),
        ("{a: 1, a: 2}", "Key 'a' appears twice (at column 8)"),
        ("1 2", "Unexpected '2' (at column 3)"),
        ("a = 1", "Unexpected '=': compare with '==' (at column 3)"),
        ("${a = 1}", "Unexpected '=': compare with '==' (at column 5)"),
        ("a === b", "Unexpected '=': compare with '==' (at column 5)"),
        ("1 < 2 < 3", "Comparisons cannot be chained: join them with 'and', as in a < b and b < c (at column 7)"),
        ("a == b != c", "Comparisons cannot be chained: join them with 'and', as in a < b and b < c (at column 8)"),
        ("a @ b", "Unexpected character '@' (at column 3)"),
        ("'open", "Unterminated text: a quote is not closed on its line (at column 1)"),
        (
            '"bad \\x escape"',
            "Unknown escape '\\x' in text (known: \\n \\t \\r \\b \\f \\\\ \\' \\\" \\/ \\uXXXX) (at column 6)",
        ),
        (
            "${a} and ${b}",
            "Text after the closing '}': text mixed with ${...} (such as 'Hello ${name}') is not "
            "supported (at column 6)",
        ),
        (
            "Hello ${name}",
            "Unexpected '$': text mixed with ${...} (such as 'Hello ${name}') is not supported (at column 7)",
        ),
        ("${a", "Expected '}' to close '${', found end of expression (at column 4)"),
        ("a.", "Expected a property name after '.', found end of expression (at column 3)"),
        ("a.1", "Expected a property name after '.', found '1' (at column 3)"),
        ("a not b", "Expected 'in' after 'not', found 'b' (at column 7)"),
        ("a ? b", "Expected ':' of the conditional, found end of expression (at column 6)"),
        ("if a then b", "Expected 'else', found end of expression (at column 12)"),
        ("if a b else c", "Expected 'then', found 'b' (at column 6)"),
        ("(a)(1)", "Only functions can be called, by name: f(x) or x.f() (at column 4)"),
        ("a; b", "Unexpected ';' (at column 2)"),
        ("a # note", "Unexpected '#': comments are allowed only in scripts (at column 3)"),
        ("import os", "Unexpected 'os' (at column 8)"),
        ("__import__('os')", "Unknown function '__import__'"),
        ("x.__class__", ""),  # a property name like any other: compiles, and reads null at run time
        ("1" * 101, "Number longer than 100 characters (at column 1)"),
        ("1" * 40, "Integer larger than 128 bits (at column 1)"),
        ("1e999", "Number out of range (at column 1)"),
        ('"\\ud800"', "Unknown escape '\\u' in text"),
        ("1 +\n  * 2", "Unexpected '*' (at line 2, column 3)"),
    ],
)
def test_compile_errors(text: str, message: str) -> None:
    if not message:
        compile_expression(text)
        return
    with pytest.raises(ExpressionError) as raised:
        compile_expression(text)
    assert str(raised.value).startswith(message)


def test_errors_carry_the_message_and_position_separately() -> None:
    with pytest.raises(ExpressionError) as raised:
        compile_expression("amount >")
    assert raised.value.message == "Unexpected end of expression"
    assert raised.value.position == Position(None, 9)
    assert str(raised.value.position) == "column 9"


def test_source_length_is_limited() -> None:
    with pytest.raises(ExpressionError) as raised:
        compile_expression("1 + " * 2500 + "1")
    assert str(raised.value) == "Expression longer than 10000 characters (10001)"
    assert raised.value.position is None
