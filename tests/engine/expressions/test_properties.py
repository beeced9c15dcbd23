"""Properties over generated input: only our own errors ever escape, and arithmetic is exact."""

from __future__ import annotations

import contextlib
import json
import operator
from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from apps.engine.expressions import ExpressionError, Script, compile_expression, compile_script
from tests.engine.expressions.helpers import NOW, VARIABLES

FAST = settings(max_examples=100, deadline=None, derandomize=True, database=None)

TOKENS = [
    *("0", "1", "2.5", "-1", "1e3", "'a'", '"text"', "''", "true", "false", "null"),
    *("amount", "name", "items", "customer", "nothing", "tags", "empty_list", "missing"),
    *("+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "!", "and", "or", "not", "in"),
    *("?", ":", "if", "then", "else", "(", ")", "[", "]", "{", "}", ",", ".", "=", ";", "${", "#"),
    *("size(", "contains(", "date(", "duration(", "now()", "string(", "number(", "min(", "sum(", "round("),
    *(".tier", ".size()", ".upper()", "[0]", "[-1]", "'2026-01-31'", "'P1D'", "'PT2H'"),
]


def _compile_and_run(compile_text: Callable[[str], Any], text: str) -> None:
    """Compile and run ``text``; only our own errors may escape, and results must be JSON."""
    try:
        compiled = compile_text(text)
    except ExpressionError:
        return
    with contextlib.suppress(ExpressionError):
        if isinstance(compiled, Script):
            json.dumps(compiled.run(VARIABLES, now=NOW), allow_nan=False)
        else:
            json.dumps(compiled.evaluate(VARIABLES, now=NOW), allow_nan=False)


@FAST
@given(st.lists(st.sampled_from(TOKENS), max_size=12).map(" ".join), st.sampled_from(["", "${", "="]))
def test_any_token_soup_compiles_or_fails_with_an_expression_error(body: str, prefix: str) -> None:
    _compile_and_run(compile_expression, prefix + body + ("}" if prefix == "${" else ""))


@FAST
@given(st.text(max_size=40))
def test_any_text_compiles_or_fails_with_an_expression_error(text: str) -> None:
    _compile_and_run(compile_script, text)
    _compile_and_run(compile_expression, text)


_OPERATIONS: dict[str, Callable[[Any, Any], Any]] = {"+": operator.add, "-": operator.sub, "*": operator.mul}
_Tree = int | tuple[str, "_Tree", "_Tree"]


def _trees() -> st.SearchStrategy[_Tree]:
    leaves = st.integers(min_value=-1000, max_value=1000)
    return st.recursive(
        leaves,
        lambda children: st.tuples(st.sampled_from(sorted(_OPERATIONS)), children, children),
        max_leaves=12,
    )


def _render(tree: _Tree) -> str:
    if isinstance(tree, int):
        return f"({tree})" if tree < 0 else str(tree)
    symbol, left, right = tree
    return f"({_render(left)} {symbol} {_render(right)})"


def _reference(tree: _Tree) -> int:
    if isinstance(tree, int):
        return tree
    symbol, left, right = tree
    return int(_OPERATIONS[symbol](_reference(left), _reference(right)))


@FAST
@given(_trees())
def test_integer_arithmetic_is_exact(tree: _Tree) -> None:
    assert compile_expression(_render(tree)).evaluate({}) == _reference(tree)


@FAST
@given(st.text(max_size=30))
def test_json_string_literals_read_back_as_written(text: str) -> None:
    literal = json.dumps(text, ensure_ascii=False)
    assert compile_expression(literal).evaluate({}) == text
    assert compile_expression(f"size({literal})").evaluate({}) == len(text)


@FAST
@given(st.integers(min_value=-(2**40), max_value=2**40), st.integers(min_value=-(2**40), max_value=2**40))
def test_division_and_remainder_agree(dividend: int, divisor: int) -> None:
    if divisor == 0:
        return
    quotient = compile_expression("a / b").evaluate({"a": dividend, "b": divisor})
    remainder = compile_expression("a % b").evaluate({"a": dividend, "b": divisor})
    assert remainder == dividend % divisor
    if dividend % divisor == 0:
        assert quotient == dividend // divisor
        assert type(quotient) is int
    else:
        assert quotient == dividend / divisor
