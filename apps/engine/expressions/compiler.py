"""Compile expressions and scripts once (at deploy); evaluate them many times."""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from apps.engine.expressions.context import EvaluationContext
from apps.engine.expressions.conversion import to_json, to_sized_json
from apps.engine.expressions.errors import EvaluationError, ExpressionError, Position
from apps.engine.expressions.evaluator import Evaluator, compile_tree
from apps.engine.expressions.lexer import tokenize
from apps.engine.expressions.limits import DEFAULT_LIMITS, Limits
from apps.engine.expressions.nodes import Node, Variable, children
from apps.engine.expressions.parser import Parser
from apps.engine.expressions.source import PLAIN, Source, read_dialect


def compile_expression(text: str, limits: Limits | None = None) -> Expression:
    """Compile ``text``: plain (``a > 1``), Camunda style (``${a > 1}``) or Zeebe style (``=a > 1``).

    Raise ``ExpressionError`` naming the problem and its column (line and column when the text
    spans lines).
    """
    limits = limits or DEFAULT_LIMITS
    _check_length(text, limits, "Expression")
    dialect, start = read_dialect(text)
    source = Source(text, is_script=False)
    tree = Parser(source, tokenize(source, start, dialect, limits), dialect, limits).parse_expression()
    size, names = _measure(tree, source, limits)
    return Expression(text, limits, size, names, compile_tree(tree, source))


def compile_script(text: str, limits: Limits | None = None) -> Script:
    """Compile a script: assignments ``name = expression``, one per line or separated by ``;``.

    Lines starting with ``#`` are comments. Anything else (``import os``, a JavaScript or Groovy
    body, a bare expression) raises ``ExpressionError`` with its line and column.
    """
    limits = limits or DEFAULT_LIMITS
    _check_length(text, limits, "Script")
    source = Source(text, is_script=True)
    assignments = Parser(source, tokenize(source, 0, PLAIN, limits), PLAIN, limits).parse_script()
    statements: list[_Statement] = []
    names_read: set[str] = set()
    written: set[str] = set()
    total_size = 0
    for assignment in assignments:
        size, names = _measure(assignment.value, source, limits)
        total_size += size
        names_read |= names - written
        written.add(assignment.name)
        position = source.position(assignment.offset)
        statements.append(_Statement(assignment.name, compile_tree(assignment.value, source), position))
    _check_size(total_size, limits, source)
    return Script(text, limits, total_size, frozenset(names_read), frozenset(written), tuple(statements))


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class _Compiled:
    """What expressions and scripts share: read-only, equal when compiled from the same text and limits."""

    source: str
    """The text it was compiled from."""
    _limits: Limits
    _size: int  # syntax nodes, each a step

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, _Compiled)  # noqa: S101 - for the type checker
        return (self.source, self._limits) == (other.source, other._limits)

    def __hash__(self) -> int:
        return hash((type(self), self.source, self._limits))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.source!r})"


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Expression(_Compiled):
    """A compiled expression: immutable, shareable between threads, cheap to evaluate."""

    names: frozenset[str]
    """The top-level variables it reads."""
    _evaluate: Evaluator

    def evaluate(self, variables: Mapping[str, Any], *, now: datetime | None = None) -> Any:
        """Evaluate against ``variables``; return JSON data (dates and durations as ISO 8601 text).

        ``now`` is what ``now()`` and ``today()`` read (UTC if naive); the current time by
        default. Raise ``EvaluationError`` naming the problem and where it is.
        """
        context = EvaluationContext(variables, self._limits, now, self._size)
        return to_json(self._evaluate(context), context)

    def __reduce__(self) -> tuple[Any, ...]:
        return compile_expression, (self.source, self._limits)


@dataclass(frozen=True, slots=True)
class _Statement:
    name: str
    evaluate: Evaluator
    position: Position


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Script(_Compiled):
    """A compiled script: assignments run in order, each seeing the ones before it."""

    names_read: frozenset[str]
    """The variables it reads from the instance (not those it assigned before reading them)."""
    names_written: frozenset[str]
    """The variables it assigns."""
    _statements: tuple[_Statement, ...]

    def run(self, variables: Mapping[str, Any], *, now: datetime | None = None) -> dict[str, Any]:
        """Run the assignments against ``variables`` and return the assigned values as JSON data.

        ``variables`` is not changed; a later assignment sees the values of earlier ones. The
        returned values together must stay within the result size limit.
        """
        assigned: dict[str, Any] = {}
        # ChainMap wants mutable maps but only writes to the first; ``variables`` is only read.
        scope = ChainMap(assigned, cast("MutableMapping[str, Any]", variables))
        context = EvaluationContext(scope, self._limits, now, self._size)
        results: dict[str, Any] = {}
        sizes: dict[str, int] = {}
        room = self._limits.max_result_bytes
        too_large = f"The values the script assigns are larger than {room} bytes of JSON together"
        for statement in self._statements:
            value = statement.evaluate(context)
            room += sizes.get(statement.name, 0)
            try:
                results[statement.name], sizes[statement.name] = to_sized_json(value, context, room, too_large)
            except EvaluationError as error:
                raise error.at(statement.position) from None
            room -= sizes[statement.name]
            assigned[statement.name] = value
        return results

    def __reduce__(self) -> tuple[Any, ...]:
        return compile_script, (self.source, self._limits)


def _check_length(text: str, limits: Limits, kind: str) -> None:
    if len(text) > limits.max_source_length:
        raise ExpressionError(f"{kind} longer than {limits.max_source_length} characters ({len(text)})")


def _measure(root: Node, source: Source, limits: Limits) -> tuple[int, frozenset[str]]:
    """Count the nodes of a tree (its steps) and collect the variables it reads."""
    size = 0
    names: set[str] = set()
    pending = [root]
    while pending:
        node = pending.pop()
        size += 1
        if isinstance(node, Variable):
            names.add(node.name)
        pending.extend(children(node))
    _check_size(size, limits, source)
    return size, frozenset(names)


def _check_size(size: int, limits: Limits, source: Source) -> None:
    if size > limits.max_steps:
        kind = "Script" if source.is_script else "Expression"
        raise ExpressionError(f"{kind} has {size} operations, more than the {limits.max_steps} steps allowed")
