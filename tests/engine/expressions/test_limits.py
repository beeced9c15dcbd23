"""Limits on nesting, steps and sizes: refused by a limit, never a hang or a Python stack overflow.

How fast a limit is reached is a figure for bench/, not an assertion here: the step and size
limits below are what bound the work.
"""

from __future__ import annotations

from typing import Any

import pytest

from apps.engine.expressions import EvaluationError, ExpressionError, Limits, compile_expression, compile_script

ROOMY_SOURCE = Limits(max_source_length=200_000)


@pytest.mark.parametrize(
    "text",
    [
        "(" * 10_000 + "1" + ")" * 10_000,
        "[" * 10_000 + "]" * 10_000,
        "-" * 10_000 + "1",
        "!" * 10_000 + "true",
        "not " * 10_000 + "true",
        "f(" * 10_000,
        "a" + ".b" * 10_000,
        "a" + "[0]" * 10_000,
        "1" + " + 1" * 10_000,
        "a ? " * 10_000 + "1" + " : 2" * 10_000,
        "{a: " * 10_000 + "1" + "}" * 10_000,
        "${" + "(" * 10_000,
    ],
)
def test_deep_nesting_is_refused_at_compile_time(text: str) -> None:
    with pytest.raises(ExpressionError, match="nested more than 50 levels deep"):
        compile_expression(text, ROOMY_SOURCE)


def test_nesting_within_the_limit_compiles_and_runs() -> None:
    assert compile_expression("(" * 49 + "1" + ")" * 49).evaluate({}) == 1
    assert compile_expression("a" + ".b" * 48).evaluate({"a": {}}) is None


def test_long_and_or_chains_stay_shallow() -> None:
    chain = " || ".join(f"x == {number}" for number in range(500))
    assert compile_expression(chain).evaluate({"x": 499}) is True


def test_default_source_length_refuses_deep_nesting_first() -> None:
    with pytest.raises(ExpressionError, match="longer than 10000 characters"):
        compile_expression("(" * 10_000 + "1" + ")" * 10_000)


def test_text_growth_in_a_script_hits_the_text_length_limit() -> None:
    script = compile_script("s = 'xxxxxxxxxx'\n" + "s = s + s\n" * 60)
    with pytest.raises(EvaluationError, match="Text longer than 100000 characters") as raised:
        script.run({})
    assert raised.value.position is not None
    assert raised.value.position.line == 15


def test_list_growth_in_a_script_hits_the_list_length_limit() -> None:
    script = compile_script("l = [1, 2, 3, 4]\n" + "l = l + l\n" * 60)
    with pytest.raises(EvaluationError, match="List longer than 10000 items"):
        script.run({})


def test_nested_sharing_in_a_script_hits_the_result_size_limit() -> None:
    # Each line doubles the JSON size while sharing structure in memory: 2**500 if nothing stopped it.
    script = compile_script("l = ['xxxxxxxxxxxxxxxxxxxxxxxx']\n" + "l = [l, l]\n" * 500)
    with pytest.raises(EvaluationError, match=r"larger than 1000000 bytes of JSON|more than 100000 steps"):
        script.run({})


def test_many_large_results_together_hit_the_result_size_limit() -> None:
    big = "x" * 90_000
    script = compile_script("\n".join(f"v{number} = big" for number in range(12)))
    with pytest.raises(
        EvaluationError, match="The values the script assigns are larger than 1000000 bytes of JSON together"
    ) as e:
        script.run({"big": big})
    assert str(e.value.position) == "line 12, column 1"


def test_reassigning_a_name_frees_its_share_of_the_result_size() -> None:
    big = "x" * 600_000
    script = compile_script("v = big\nv = big\nv = 1")
    assert script.run({"big": big}) == {"v": 1}


def test_large_result_of_an_expression_is_refused() -> None:
    with pytest.raises(EvaluationError, match="Result larger than 1000000 bytes of JSON"):
        compile_expression("[data, data]").evaluate({"data": ["y" * 1000] * 600})


def test_large_text_result_is_refused() -> None:
    expression = compile_expression("text", Limits(max_result_bytes=100))
    assert expression.evaluate({"text": "z" * 98}) == "z" * 98
    with pytest.raises(EvaluationError, match="Result larger than 100 bytes of JSON"):
        expression.evaluate({"text": "z" * 99})


def test_walking_big_lists_costs_steps() -> None:
    data = list(range(5_000))
    expression = compile_expression("sum(data) + size(data) + max(data)", Limits(max_steps=12_000))
    assert expression.evaluate({"data": data}) == sum(data) + 5_000 + 4_999
    script = compile_script("a = sum(data)\nb = sum(data)\nc = sum(data)", Limits(max_steps=12_000))
    with pytest.raises(EvaluationError, match="Evaluation needs more than 12000 steps") as raised:
        script.run({"data": data})
    assert str(raised.value.position) == "line 3, column 5"


def test_membership_and_deep_equality_cost_steps() -> None:
    limits = Limits(max_steps=1_000)
    with pytest.raises(EvaluationError, match="more than 1000 steps"):
        compile_expression("-1 in data", limits).evaluate({"data": list(range(2_000))})
    with pytest.raises(EvaluationError, match="more than 1000 steps"):
        compile_expression("data == copy", limits).evaluate({"data": [[1]] * 600, "copy": [[1]] * 600})


def test_an_expression_larger_than_the_step_budget_is_refused_at_compile_time() -> None:
    with pytest.raises(ExpressionError, match="Expression has 7 operations, more than the 5 steps allowed"):
        compile_expression("1 + 2 + 3 + 4", Limits(max_steps=5))


def test_deeply_nested_values_are_refused_not_recursed_into() -> None:
    value: Any = 1
    for _ in range(2_000):
        value = [value]
    with pytest.raises(EvaluationError, match="Value nested more than 100 levels deep"):
        compile_expression("data").evaluate({"data": value})
    with pytest.raises(EvaluationError, match="Value nested more than 100 levels deep"):
        compile_expression("data == copy").evaluate({"data": value, "copy": [value[0]]})
    with pytest.raises(EvaluationError, match="Value nested more than 100 levels deep"):
        compile_expression("string(data)").evaluate({"data": value})


def test_string_conversion_is_bounded() -> None:
    with pytest.raises(EvaluationError, match="Text longer than 100000 characters"):
        compile_expression("string(data)").evaluate({"data": ["abcdefghij"] * 20_000})


def test_limits_are_a_frozen_dataclass_with_defaults() -> None:
    limits = Limits()
    assert (limits.max_source_length, limits.max_depth, limits.max_steps, limits.max_result_bytes) == (
        10_000,
        50,
        100_000,
        1_000_000,
    )
    with pytest.raises(AttributeError):
        limits.max_depth = 1  # type: ignore[misc]
