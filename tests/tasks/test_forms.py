"""Form checks that need no database: types, bounds and patterns, per field."""

from __future__ import annotations

from apps.tasks.forms import Field, problems


def test_a_pattern_that_would_backtrack_for_ever_is_cut_short_and_refuses_the_value() -> None:
    field = Field(id="code", label="Code", type="string", constraints={"pattern": "(a+)+$"})

    found = problems([field], {"code": "a" * 40 + "!"}, {})

    assert found == {"code": ["Give text that matches (a+)+$."]}


def test_required_fields_take_the_current_value_or_the_default_and_types_are_strict() -> None:
    fields = [
        Field(id="count", label="Count", type="long", constraints={"required": None}),
        Field(id="ratio", label="Ratio", type="double", constraints={"min": "0", "max": "1"}),
        Field(id="when", label="When", type="date"),
        Field(id="flag", label="Flag", type="boolean", default="false", constraints={"required": None}),
        Field(id="locked", label="Locked", type="string", constraints={"readonly": None}),
    ]

    assert problems(fields, {}, {"count": 3}) == {}
    assert problems(fields, {"count": True, "ratio": 1.5, "when": "tomorrow", "locked": "x"}, {"locked": "y"}) == {
        "count": ["Give a whole number."],
        "ratio": ["Give at most 1."],
        "when": ["Give a date (ISO 8601, such as 2026-12-01 or 2026-12-01T09:00:00Z)."],
        "locked": ["This field is read-only."],
    }
    assert problems(fields, {"count": 1, "ratio": 0.5, "when": "2026-12-01T09:00:00Z"}, {}) == {}
