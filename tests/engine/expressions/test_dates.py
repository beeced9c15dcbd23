"""Dates, date-times and durations, against a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from apps.engine.expressions import EvaluationError, compile_expression, compile_script
from tests.engine.expressions.helpers import NOW, evaluate


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now()", "2026-01-31T10:00:00Z"),
        ("date('2026-01-31')", "2026-01-31"),
        ("date('2026-01-31T10:00:00Z')", "2026-01-31T10:00:00Z"),
        ("date('2026-01-31T10:00:00')", "2026-01-31T10:00:00Z"),
        ("date('2026-01-31T10:00:00+02:00')", "2026-01-31T10:00:00+02:00"),
        ("date('2026-01-31T10:00:00.250Z')", "2026-01-31T10:00:00.250000Z"),
        ("date(date('2026-01-31'))", "2026-01-31"),
        ("duration('P3D')", "P3D"),
        ("duration('PT2H')", "PT2H"),
        ("duration('PT36H')", "P1DT12H"),
        ("duration('P1Y2M3DT4H5M6S')", "P1Y2M3DT4H5M6S"),
        ("duration('P2W')", "P14D"),
        ("duration('-P3D')", "-P3D"),
        ("duration('PT0S')", "PT0S"),
        ("duration('PT1.5S')", "PT1.5S"),
        ("duration(duration('P1D'))", "P1D"),
        # date + duration and date - duration
        ("now() + duration('P3D')", "2026-02-03T10:00:00Z"),
        ("duration('PT2H') + now()", "2026-01-31T12:00:00Z"),
        ("now() - duration('PT30M')", "2026-01-31T09:30:00Z"),
        ("date('2026-01-31') + duration('P1D')", "2026-02-01"),
        ("date('2026-01-31') + duration('PT12H')", "2026-01-31T12:00:00Z"),
        ("date('2026-01-31') + duration('P1M')", "2026-02-28"),
        ("date('2024-01-31') + duration('P1M')", "2024-02-29"),
        ("date('2026-03-31') - duration('P1M')", "2026-02-28"),
        ("date('2026-01-15') + duration('P1Y')", "2027-01-15"),
        ("date('2026-01-31') + duration('P1M1D')", "2026-03-01"),
        # date - date gives a duration
        ("date('2026-02-03') - date('2026-01-31')", "P3D"),
        ("date('2026-01-31') - date('2026-02-03')", "-P3D"),
        ("now() - date('2026-01-31')", "PT10H"),
        ("date('2026-01-31T12:00:00Z') - date('2026-01-31T10:30:00+01:00')", "PT2H30M"),
        # duration arithmetic
        ("duration('P1D') + duration('PT12H')", "P1DT12H"),
        ("duration('P1D') - duration('PT12H')", "PT12H"),
        ("duration('P1Y') + duration('P2M')", "P1Y2M"),
        ("duration('PT1H') * 3", "PT3H"),
        ("2 * duration('P1M')", "P2M"),
        ("duration('PT1H') * 1.5", "PT1H30M"),
        ("-duration('P1D')", "-P1D"),
        # comparisons
        ("now() > date('2026-01-31')", True),
        ("date('2026-01-31') < date('2026-02-01')", True),
        ("date('2026-01-31') == date('2026-01-31T00:00:00Z')", True),
        ("date('2026-01-31T10:00:00Z') == date('2026-01-31T11:00:00+01:00')", True),
        ("date('2026-01-31') != date('2026-02-01')", True),
        ("duration('PT25H') > duration('P1D')", True),
        ("duration('P1Y') == duration('P12M')", True),
        ("duration('P1M') < duration('P1Y')", True),
        ("duration('P1D') == duration('PT24H')", True),
        ("now() - date('2026-01-01') > duration('P30D')", True),
        ("now() + duration('P1D') in [date('2026-02-01T10:00:00Z')]", True),
        # components
        ("now().year", 2026),
        ("now().month", 1),
        ("now().day", 31),
        ("now().hour", 10),
        ("now().minute", 0),
        ("now().second", 0),
        ("date('2026-01-31').weekday", 6),
        ("duration('P1Y2M').years", 1),
        ("duration('P1Y2M').months", 2),
        ("duration('P1DT2H3M4S').days", 1),
        ("duration('P1DT2H3M4S').hours", 2),
        ("duration('P1DT2H3M4S').minutes", 3),
        ("duration('P1DT2H3M4S').seconds", 4),
        ("duration('-PT2H').hours", -2),
        ("min(date('2026-02-01'), date('2026-01-01'))", "2026-01-01"),
        ("max([duration('PT1H'), duration('PT2H')])", "PT2H"),
    ],
)
def test_dates_and_durations(text: str, expected: Any) -> None:
    assert evaluate(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("now() + 1", "Cannot add date-time and number (at column 7)"),
        ("now() + now()", "Cannot add date-time and date-time (at column 7)"),
        ("duration('P1D') - now()", "Cannot subtract date-time from duration (at column 17)"),
        ("now() < '2026-02-01'", "Cannot compare date-time with text using '<' (at column 7)"),
        (
            "duration('P1M') < duration('P30D')",
            "Cannot order a duration in months against one in days or time (at column 17)",
        ),
        (
            "duration('P1M1D') > duration('P1D')",
            "Cannot order a duration that mixes months with days or time (at column 19)",
        ),
        (
            "duration('P1M') - duration('P1D')",
            "A duration cannot mix positive months with a negative time span (or the reverse) (at column 17)",
        ),
        ("duration('P1M') * 0.5", "Cannot multiply a duration with months by a fraction (at column 17)"),
        ("date('9999-12-31') + duration('P1D')", "Date out of range (years 1 to 9999) (at column 20)"),
        ("date('9999-12-31') + duration('P1M')", "Date out of range (years 1 to 9999) (at column 20)"),
        (
            "now().week",
            "A date-time has no property 'week' (it has: day, hour, minute, month, second, weekday, "
            "year) (at column 7)",
        ),
    ],
)
def test_date_errors(text: str, message: str) -> None:
    with pytest.raises(EvaluationError) as raised:
        evaluate(text)
    assert str(raised.value) == message


def test_now_is_the_given_clock_and_naive_clocks_are_utc() -> None:
    expression = compile_expression("now()")
    assert expression.evaluate({}, now=datetime(2026, 5, 1, 8, 30)) == "2026-05-01T08:30:00Z"
    offset = timezone(timedelta(hours=2))
    assert expression.evaluate({}, now=datetime(2026, 5, 1, 8, 30, tzinfo=offset)) == "2026-05-01T08:30:00+02:00"


def test_now_defaults_to_the_current_utc_time_and_is_stable_within_one_evaluation() -> None:
    before = datetime.now(UTC)
    result = compile_expression("[now(), now() - now()]").evaluate({})
    after = datetime.now(UTC)
    assert before <= datetime.fromisoformat(result[0]) <= after
    assert result[1] == "PT0S"


def test_script_lines_see_dates_as_dates_and_results_are_iso_text() -> None:
    script = compile_script("due = now() + duration('P2D')\nlate = due < date('2026-02-01')\nleft = due - now()")
    assert script.run({}, now=NOW) == {"due": "2026-02-02T10:00:00Z", "late": False, "left": "P2D"}
