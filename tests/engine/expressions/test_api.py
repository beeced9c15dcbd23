"""The public API: what compiled expressions and scripts expose, and what the package never does."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest

import apps.engine.expressions as expressions
from apps.engine.expressions import (
    EvaluationError,
    Expression,
    ExpressionError,
    Limits,
    Script,
    compile_expression,
    compile_script,
)

PACKAGE = Path(expressions.__file__).parent


def test_expression_exposes_its_source_and_the_variables_it_reads() -> None:
    expression = compile_expression("${amount > 1000 && customer.tier == 'gold' && size(items.all) > 0}")
    assert isinstance(expression, Expression)
    assert expression.source == "${amount > 1000 && customer.tier == 'gold' && size(items.all) > 0}"
    assert expression.names == frozenset({"amount", "customer", "items"})
    assert compile_expression("=now() > date('2026-01-01')").names == frozenset()


def test_the_three_dialects_of_one_condition_agree() -> None:
    variables = {"amount": 1200, "customer": {"tier": "gold"}}
    results = {
        text: compile_expression(text).evaluate(variables)
        for text in (
            "amount > 1000 && customer.tier == 'gold'",
            "${amount > 1000 && customer.tier == 'gold'}",
            '=amount > 1000 and customer.tier = "gold"',
        )
    }
    assert set(results.values()) == {True}


def test_evaluation_errors_are_expression_errors() -> None:
    assert issubclass(EvaluationError, ExpressionError)
    with pytest.raises(ExpressionError):
        compile_expression("missing").evaluate({})


def test_compiled_objects_compare_hash_and_pickle_by_source_and_limits() -> None:
    expression = compile_expression("a + 1")
    assert expression == compile_expression("a + 1")
    assert expression != compile_expression("a + 2")
    assert expression != compile_expression("a + 1", Limits(max_steps=10))
    assert hash(expression) == hash(compile_expression("a + 1"))
    assert repr(expression) == "Expression('a + 1')"
    copy = pickle.loads(pickle.dumps(expression))  # noqa: S301 - our own object
    assert copy == expression
    assert copy.evaluate({"a": 1}) == 2

    script = compile_script("b = a + 1")
    assert isinstance(script, Script)
    assert script == compile_script("b = a + 1")
    assert repr(script) == "Script('b = a + 1')"
    assert pickle.loads(pickle.dumps(script)).run({"a": 1}) == {"b": 2}  # noqa: S301 - our own object


def test_compiled_objects_are_read_only() -> None:
    expression = compile_expression("1")
    script = compile_script("a = 1")
    with pytest.raises(AttributeError):
        expression.source = "2"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        script.names_written = frozenset()  # type: ignore[misc]


def test_variables_may_be_any_mapping() -> None:
    class Lookup(dict[str, int]):
        pass

    assert compile_expression("a * 2").evaluate(Lookup(a=21)) == 42


def _package_sources() -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted(PACKAGE.glob("*.py"))}


def test_the_package_never_calls_eval_exec_compile_or_ast() -> None:
    forbidden = re.compile(r"(?<![\w.])(eval|exec|compile|__import__)\(|\bimport ast\b|\bfrom ast\b")
    offenders = {name: forbidden.findall(text) for name, text in _package_sources().items() if forbidden.search(text)}
    assert offenders == {}


def test_the_package_does_not_import_django() -> None:
    offenders = [
        name for name, text in _package_sources().items() if re.search(r"^\s*(from|import) django", text, re.M)
    ]
    assert offenders == []
