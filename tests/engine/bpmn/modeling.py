"""Helpers for the BPMN tests: read the hand-written models, stand in for the expression compiler."""

from __future__ import annotations

from pathlib import Path

from apps.engine.bpmn.parser import parse_definitions
from apps.engine.bpmn.problems import Problem
from apps.engine.bpmn.spec import Definitions
from apps.engine.bpmn.validation import validate

MODELS = Path(__file__).parent / "models"


class StandInCompileError(Exception):
    """Shaped like the expression package's error: a message and a position."""

    def __init__(self, message: str, position: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


def refuse_at_signs(text: str) -> object:
    """A stand-in compiler for expressions and scripts: any text containing '@@' does not compile."""
    if "@@" in text:
        raise StandInCompileError("unexpected '@@'")
    return text


def read_model(name: str) -> bytes:
    return (MODELS / name).read_bytes()


def parse_model(name: str) -> Definitions:
    """Parse a model that must parse cleanly."""
    result = parse_definitions(read_model(name))
    assert result.problems == ()
    assert result.definitions is not None
    return result.definitions


def validate_model(name: str, known_process_keys: frozenset[str] = frozenset()) -> tuple[Problem, ...]:
    return validate(
        parse_model(name),
        compile_expression=refuse_at_signs,
        compile_script=refuse_at_signs,
        known_process_keys=known_process_keys,
    )


def summarize(problems: tuple[Problem, ...]) -> list[tuple[str, str, str | None, int | None]]:
    """Reduce problems to (severity, code, element id, line) for exact comparison."""
    return [(str(problem.severity), problem.code, problem.element_id, problem.line) for problem in problems]
