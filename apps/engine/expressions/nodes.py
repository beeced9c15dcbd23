"""The syntax tree: immutable nodes, each with the source offset it starts at."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any  # null, boolean, number or text
    offset: int


@dataclass(frozen=True, slots=True)
class ListLiteral:
    items: tuple[Node, ...]
    offset: int


@dataclass(frozen=True, slots=True)
class ObjectLiteral:
    entries: tuple[tuple[str, Node], ...]
    offset: int


@dataclass(frozen=True, slots=True)
class Variable:
    name: str
    offset: int


@dataclass(frozen=True, slots=True)
class Member:
    """``target.name``."""

    target: Node
    name: str
    offset: int


@dataclass(frozen=True, slots=True)
class Index:
    """``target[index]``; ``one_based`` in the FEEL dialect, where ``list[1]`` is the first item."""

    target: Node
    index: Node
    one_based: bool
    offset: int


@dataclass(frozen=True, slots=True)
class Call:
    """``function(arguments)``; a method call ``x.f(a)`` is ``f(x, a)``."""

    function: str
    arguments: tuple[Node, ...]
    offset: int


@dataclass(frozen=True, slots=True)
class Unary:
    operator: str  # "-" or "not"
    operand: Node
    offset: int


@dataclass(frozen=True, slots=True)
class Binary:
    operator: str  # a key of operators.OPERATORS
    left: Node
    right: Node
    offset: int


@dataclass(frozen=True, slots=True)
class Logical:
    """A chain of ``and`` or of ``or``, evaluated left to right until the outcome is known."""

    operator: str  # "and" or "or"
    operands: tuple[Node, ...]
    offset: int


@dataclass(frozen=True, slots=True)
class Conditional:
    """``condition ? then : otherwise`` and ``if condition then then else otherwise``."""

    condition: Node
    then: Node
    otherwise: Node
    offset: int


@dataclass(frozen=True, slots=True)
class Assignment:
    """One statement of a script: ``name = value``."""

    name: str
    value: Node
    offset: int


Node = Literal | ListLiteral | ObjectLiteral | Variable | Member | Index | Call | Unary | Binary | Logical | Conditional


def children(node: Node) -> Iterator[Node]:
    """Yield the direct sub-expressions of ``node``."""
    match node:
        case ListLiteral(items=items) | Call(arguments=items) | Logical(operands=items):
            yield from items
        case ObjectLiteral(entries=entries):
            for _, value in entries:
                yield value
        case Member(target=target) | Unary(operand=target):
            yield target
        case Index(target=target, index=index):
            yield target
            yield index
        case Binary(left=left, right=right):
            yield left
            yield right
        case Conditional(condition=condition, then=then, otherwise=otherwise):
            yield condition
            yield then
            yield otherwise
