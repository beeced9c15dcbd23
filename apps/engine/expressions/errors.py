"""Errors raised while compiling (``ExpressionError``) and evaluating (``EvaluationError``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self


@dataclass(frozen=True, slots=True)
class Position:
    """Where in the source a problem is: a 1-based column, and a 1-based line for scripts.

    ``line`` is ``None`` for an expression written on one line, where only the column matters.
    """

    line: int | None
    column: int

    def __str__(self) -> str:
        if self.line is None:
            return f"column {self.column}"
        return f"line {self.line}, column {self.column}"


class ExpressionError(Exception):
    """A problem found while compiling an expression or script: what is wrong and where."""

    def __init__(self, message: str, position: Position | None = None) -> None:
        super().__init__(message, position)
        self.message = message
        self.position = position

    def __str__(self) -> str:
        if self.position is None:
            return self.message
        return f"{self.message} (at {self.position})"

    def at(self, position: Position) -> Self:
        """Return this error placed at ``position`` unless it already names a place."""
        if self.position is None:
            self.position = position
        return self


class EvaluationError(ExpressionError):
    """A problem met while evaluating: unknown variable, wrong types, division by zero, a limit."""
