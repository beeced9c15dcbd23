"""Scripts: assignments only, run in order, with line and column in every error."""

from __future__ import annotations

import pytest

from apps.engine.expressions import EvaluationError, ExpressionError, compile_script
from tests.engine.expressions.helpers import NOW

RULE = "scripts contain only assignments 'name = expression', one per line or separated by ';'"


def test_assignments_run_in_order_and_later_lines_see_earlier_ones() -> None:
    script = compile_script("total = price * quantity\nvat = total * 0.2")
    assert script.names_read == frozenset({"price", "quantity"})
    assert script.names_written == frozenset({"total", "vat"})
    assert script.run({"price": 10, "quantity": 3}) == {"total": 30, "vat": 6.0}


def test_semicolons_blank_lines_comments_and_bracketed_line_breaks() -> None:
    script = compile_script(
        """
        # prices in cents
        net = 1000; tax = net / 5;

        lines = [
            net,
            tax,
        ]
        summary = {"count": size(lines),
                   "total": sum(lines)}  # both
        """
    )
    assert script.run({}) == {"net": 1000, "tax": 200, "lines": [1000, 200], "summary": {"count": 2, "total": 1200}}


def test_a_name_read_before_it_is_assigned_is_read_from_the_instance() -> None:
    script = compile_script("counter = counter + 1\ncounter = counter * 10\ndouble = counter * 2")
    assert script.names_read == frozenset({"counter"})
    assert script.names_written == frozenset({"counter", "double"})
    assert script.run({"counter": 4}) == {"counter": 50, "double": 100}


def test_the_variables_given_are_not_changed() -> None:
    variables = {"items": [1, 2]}
    result = compile_script("items = items + [3]").run(variables)
    assert result == {"items": [1, 2, 3]}
    assert variables == {"items": [1, 2]}


def test_empty_script_assigns_nothing() -> None:
    script = compile_script("  \n# nothing to do\n;\n")
    assert (script.names_read, script.names_written, script.run({})) == (frozenset(), frozenset(), {})


def test_results_are_json_and_dates_become_iso_text() -> None:
    result = compile_script("due = now() + duration('P1D'); wait = duration('PT1H')").run({}, now=NOW)
    assert result == {"due": "2026-02-01T10:00:00Z", "wait": "PT1H"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("import os", f"'import os' is not an assignment: {RULE} (at line 1, column 1)"),
        ("x = 1; y", f"Expected '=' after 'y': {RULE} (at line 1, column 9)"),
        ("x = 1\ny", f"Expected '=' after 'y': {RULE} (at line 2, column 2)"),
        ("amount > 1000", f"Expected '=' after 'amount': {RULE} (at line 1, column 8)"),
        ("var total = price * quantity;", f"'var total' is not an assignment: {RULE} (at line 1, column 1)"),
        ("def total = price * quantity", f"'def total' is not an assignment: {RULE} (at line 1, column 1)"),
        (
            "x = 1\nexecution.setVariable('total', price * quantity);",
            f"Expected '=' after 'execution': {RULE} (at line 2, column 10)",
        ),
        ("println 'hello'", f"Expected '=' after 'println': {RULE} (at line 1, column 9)"),
        ("if (x) { y = 1 }", f"'if' statements are not supported: {RULE} (at line 1, column 1)"),
        ("x += 1", f"Expected '=' after 'x': {RULE} (at line 1, column 3)"),
        ("a.b = 1", f"Expected '=' after 'a': {RULE} (at line 1, column 2)"),
        ("x == 1", f"Expected '=' after 'x': {RULE} (at line 1, column 3)"),
        ("1 = x", f"Expected a variable name to assign to, found '1': {RULE} (at line 1, column 1)"),
        ("x = 1 y = 2", f"Unexpected 'y' after the assignment: {RULE} (at line 1, column 7)"),
        ("x = a = 1", "Unexpected '=': compare with '==' (at line 1, column 7)"),
        ("x =", "Unexpected end of script (at line 1, column 4)"),
        ("x = 1\ny = (2 +\n", "Unexpected end of script (at line 3, column 1)"),
        ("x = 1 +\n2", "Unexpected end of line (at line 1, column 8)"),
        ("x = unknown(1)", "Unknown function 'unknown'"),
        ("return x", f"'return x' is not an assignment: {RULE} (at line 1, column 1)"),
        ("for i in items:\n  total = i", f"'for i' is not an assignment: {RULE} (at line 1, column 1)"),
        ("function f() { return 1 }", f"'function f' is not an assignment: {RULE} (at line 1, column 1)"),
    ],
)
def test_anything_but_assignments_is_refused(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as raised:
        compile_script(text)
    assert str(raised.value).startswith(message)


def test_run_time_errors_name_the_line_and_column() -> None:
    script = compile_script("a = 1\nb = a + missing\nc = 2")
    with pytest.raises(EvaluationError) as raised:
        script.run({})
    assert str(raised.value) == "Unknown variable 'missing' (at line 2, column 9)"


def test_a_failing_line_stops_the_script() -> None:
    script = compile_script("a = 1\nb = a / 0")
    with pytest.raises(EvaluationError, match=r"Division by zero \(at line 2, column 7\)"):
        script.run({})


def test_scripts_use_the_plain_dialect() -> None:
    with pytest.raises(ExpressionError, match=r"Unexpected '\$'"):
        compile_script("x = ${a}")
