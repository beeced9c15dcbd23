"""Literals, variables, access forms and the three dialects."""

from __future__ import annotations

from typing import Any

import pytest

from apps.engine.expressions import compile_expression
from tests.engine.expressions.helpers import evaluate


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42", 42),
        ("3.25", 3.25),
        ("1e3", 1000.0),
        ("2.5E-1", 0.25),
        ("-7", -7),
        ("true", True),
        ("false", False),
        ("null", None),
        ("'single'", "single"),
        ('"double"', "double"),
        (r'"tab\there"', "tab\there"),
        (r"'it\'s'", "it's"),
        (r'"say \"hi\""', 'say "hi"'),
        (r'"back\\slash \/ \n \r \b \f"', "back\\slash / \n \r \b \f"),
        (r'"\u00e9t\u00E9"', "été"),
        ("''", ""),
        ("[]", []),
        ("[1, 'two', [3]]", [1, "two", [3]]),
        ("[1, 2,]", [1, 2]),
        ("{}", {}),
        ('{"a": 1, b: [true], "c d": null}', {"a": 1, "b": [True], "c d": None}),
        ("{if: 1}", {"if": 1}),
    ],
)
def test_literals(text: str, expected: Any) -> None:
    assert evaluate(text) == expected
    assert type(evaluate(text)) is type(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("amount", 1500),
        ("customer.tier", "gold"),
        ("customer.address.city", "Paris"),
        ('customer["tier"]', "gold"),
        ("customer['address']['city']", "Paris"),
        ("customer.orders[0].id", 7),
        ("items[0]", 10),
        ("items[2]", 30),
        ("items[-1]", 30),
        ("items[-3]", 10),
        ("items[3]", None),
        ("items[-4]", None),
        ("name[0]", "A"),
        ("name[-1]", "e"),
        ("customer.missing", None),
        ("customer.missing.deeper", None),
        ("nothing.anything", None),
        ("nothing[0]", None),
        ('customer["no such key"]', None),
        ("[[1, 2], [3, 4]][1][0]", 3),
        ('{"a": {"b": 5}}.a.b', 5),
        ("customer.then", None),
        ("(amount)", 1500),
        ("((((amount))))", 1500),
        ("ünïcode", "yes"),
        ("_private1", 1),
    ],
)
def test_access(text: str, expected: Any) -> None:
    assert evaluate(text, ünïcode="yes", _private1=1) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Camunda 7 (JUEL) wrappers and word operators.
        ("${amount > 1000}", True),
        ("  ${ amount > 1000 }  ", True),
        ("#{amount > 1000}", True),
        ("${amount gt 1000 and customer.tier eq 'gold'}", True),
        ("${amount lt 1000 or amount ge 1500}", True),
        ("${amount le 1499}", False),
        ("${amount ne 1500}", False),
        ("${amount div 2}", 750),
        ("${amount mod 7}", 2),
        ("${empty empty_list}", True),
        ("${not empty tags}", True),
        ("${empty nothing}", True),
        ("${name.toUpperCase()}", "ADA LOVELACE"),
        ("${name.length()}", 12),
        ("${name.equals('Ada Lovelace')}", True),
        ("${ {'a': 1}.a }", 1),
        # Zeebe (FEEL) wrapper: single '=' compares, lists count from 1, multi-word functions.
        ("=amount > 1000", True),
        ("= amount = 1500", True),
        ("=amount != 1500", False),
        ("=amount == 1500", True),
        ("=items[1]", 10),
        ("=items[3]", 30),
        ("=items[0]", None),
        ("=items[-1]", 30),
        ('=starts with(name, "Ada")', True),
        ('=ends with(name, "lace")', True),
        ("=upper case(name)", "ADA LOVELACE"),
        ("=lower case(name)", "ada lovelace"),
        ("=string length(name)", 12),
        ("=count(items)", 3),
        ('=list contains(tags, "vip")', True),
        ("=is empty(empty_list)", True),
        ('=date and time("2026-01-31T10:00:00Z")', "2026-01-31T10:00:00Z"),
        ("=round half up(2.5)", 3),
        ("=not(approved)", False),
        ('=if amount > 1000 then "big" else "small"', "big"),
        ("=approved and not(rejected)", True),
        # Plain text.
        ("amount > 1000", True),
        ("amount > 1000 && customer.tier == 'gold'", True),
    ],
)
def test_dialects(text: str, expected: Any) -> None:
    assert evaluate(text) == expected


def test_plain_dialect_keeps_zero_based_lists_and_equality_with_double_equals() -> None:
    assert evaluate("items[1]") == 20
    assert evaluate("${items[1]}") == 20


def test_juel_words_are_ordinary_names_outside_the_juel_dialect() -> None:
    assert evaluate("eq + lt", eq=1, lt=2) == 3
    assert evaluate("empty", empty="yes") == "yes"


def test_feel_multi_word_names_need_a_call() -> None:
    # "date and time" without a call is the conjunction of two variables.
    assert evaluate("=date and time", date=True, time=False) is False


def test_expression_may_span_lines() -> None:
    assert evaluate("amount > 1000\n  && approved") is True


def test_constant_lists_are_not_shared_between_results() -> None:
    expression = compile_expression("[1, [2]]")
    first = expression.evaluate({})
    first[1].append(3)
    assert expression.evaluate({}) == [1, [2]]


def test_results_do_not_alias_variables() -> None:
    customer = {"tier": "gold", "tags": ["a"]}
    result = compile_expression("customer").evaluate({"customer": customer})
    result["tags"].append("b")
    assert customer == {"tier": "gold", "tags": ["a"]}
