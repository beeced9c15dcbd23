"""Problems found while reading or validating a BPMN model.

A problem names a stable rule code (kebab-case, listed in docs/bpmn-support.md), the element it
is about and the source line, so the designer can point at it. Nothing in this package raises for
a bad model: every finding is a Problem.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    severity: Severity
    code: str
    message: str
    element_id: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line is not None else ""
        element = f" [{self.element_id}]" if self.element_id else ""
        return f"{self.severity}: {self.code}{element}{where}: {self.message}"


def error(code: str, message: str, element_id: str | None = None, line: int | None = None) -> Problem:
    return Problem(Severity.ERROR, code, message, element_id, line)


def warning(code: str, message: str, element_id: str | None = None, line: int | None = None) -> Problem:
    return Problem(Severity.WARNING, code, message, element_id, line)


def by_line(problem: Problem) -> int:
    """Sort key putting problems in document order (those without a line first)."""
    return problem.line if problem.line is not None else 0


def has_errors(problems: Iterable[Problem]) -> bool:
    """Tell whether any problem blocks deployment."""
    return any(problem.severity is Severity.ERROR for problem in problems)
