"""Source text, its positions, and the dialect its wrapper selects (plain, ``${...}`` or ``=...``)."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from apps.engine.expressions.errors import Position


@dataclass(frozen=True, slots=True)
class Dialect:
    """The few places where Camunda 7 (JUEL) and Zeebe (FEEL) models read differently."""

    name: str
    closing: str | None
    """The token that must end the expression: ``}`` for ``${...}``."""
    single_equals_compares: bool
    """FEEL writes equality as ``a = 1``."""
    one_based_index: bool
    """FEEL's ``list[1]`` is the first item."""
    word_operators: bool
    """JUEL's ``eq ne lt gt le ge div mod empty``."""
    multi_word_functions: bool
    """FEEL's ``starts with(...)``, ``upper case(...)`` and friends."""


PLAIN = Dialect("plain", None, False, False, False, False)
JUEL = Dialect("${...}", "}", False, False, True, False)
FEEL = Dialect("=...", None, True, True, False, True)


def read_dialect(text: str) -> tuple[Dialect, int]:
    """Return the dialect ``text`` is written in and the offset where its expression starts."""
    start = len(text) - len(text.lstrip())
    if text.startswith(("${", "#{"), start):
        return JUEL, start + 2
    if text.startswith("=", start):
        return FEEL, start + 1
    return PLAIN, 0


class Source:
    """The text being compiled; turns offsets into the positions errors report."""

    __slots__ = ("_line_starts", "is_script", "text")

    def __init__(self, text: str, *, is_script: bool) -> None:
        self.text = text
        self.is_script = is_script
        self._line_starts = [0] + [match.end() for match in re.finditer("\n", text)]

    def position(self, offset: int) -> Position:
        """Return the 1-based line (for scripts and multi-line text) and column of ``offset``."""
        line = bisect_right(self._line_starts, offset)
        column = offset - self._line_starts[line - 1] + 1
        if not self.is_script and len(self._line_starts) == 1:
            return Position(None, column)
        return Position(line, column)
