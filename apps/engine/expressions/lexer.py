"""Split source text into tokens; one regular expression with no backtracking traps."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any, NamedTuple

from apps.engine.expressions.errors import ExpressionError
from apps.engine.expressions.limits import Limits
from apps.engine.expressions.source import Dialect, Source


class Token(NamedTuple):
    """A token: its kind, the text as written, where it starts and, for literals, its value.

    ``kind`` is ``number``, ``string``, ``name``, ``newline``, ``end``, or the operator or keyword
    itself in its canonical spelling (``&&`` and ``and`` are both ``and``; JUEL's ``eq`` is ``==``).
    """

    kind: str
    text: str
    offset: int
    value: Any = None


_TOKEN = re.compile(
    r"""
      (?P<space>[ \t\r\f\v]+)
    | (?P<newline>\n)
    | (?P<comment>\#[^\n]*)
    | (?P<number>[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)
    | (?P<name>[^\W\d]\w*)
    | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    | (?P<operator>&&|\|\||==|!=|<=|>=|[-+*/%<>!?:.,()\[\]{}=;])
    """,
    re.VERBOSE,
)

_KEYWORDS = {word: word for word in ("true", "false", "null", "and", "or", "not", "in", "if", "then", "else")}
_JUEL_WORDS = {
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "gt": ">",
    "le": "<=",
    "ge": ">=",
    "div": "/",
    "mod": "%",
    "empty": "empty",
}
_OPERATOR_KINDS = {"&&": "and", "||": "or", "!": "not"}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "\\": "\\", "'": "'", '"': '"', "/": "/"}
_OPENING = frozenset("([{")
_CLOSING = frozenset(")]}")
_LONGEST_NUMBER = 100
COMPOSITE_UNSUPPORTED = "text mixed with ${...} (such as 'Hello ${name}') is not supported"


def tokenize(source: Source, start: int, dialect: Dialect, limits: Limits) -> Iterator[Token]:
    """Yield the tokens of ``source.text`` from ``start``, ending with an ``end`` token.

    Lazily, so that a parse error stops the reading. In scripts a line break outside brackets is
    a ``newline`` token and ``#`` starts a comment; in expressions line breaks are spaces and
    ``#`` is refused.
    """
    text = source.text
    words = _KEYWORDS | _JUEL_WORDS if dialect.word_operators else _KEYWORDS
    open_brackets = 0
    offset = start
    while offset < len(text):
        match = _TOKEN.match(text, offset)
        if match is None:
            raise _unreadable(source, offset)
        kind = match.lastgroup
        lexeme = match.group()
        if kind == "name":
            yield Token(words.get(lexeme, "name"), lexeme, offset)
        elif kind == "operator":
            yield Token(_operator_kind(lexeme, dialect), lexeme, offset)
            if lexeme in _OPENING:
                open_brackets += 1
            elif lexeme in _CLOSING and open_brackets:
                open_brackets -= 1
        elif kind == "number":
            yield Token("number", lexeme, offset, _read_number(source, lexeme, offset, limits))
        elif kind == "string":
            yield Token("string", lexeme, offset, _read_string(source, lexeme, offset))
        elif kind == "newline" and source.is_script and not open_brackets:
            yield Token("newline", lexeme, offset)
        elif kind == "comment" and not source.is_script:
            raise ExpressionError("Unexpected '#': comments are allowed only in scripts", source.position(offset))
        offset = match.end()
    yield Token("end", "", len(text))


def _operator_kind(lexeme: str, dialect: Dialect) -> str:
    if lexeme == "=" and dialect.single_equals_compares:
        return "=="
    return _OPERATOR_KINDS.get(lexeme, lexeme)


def _unreadable(source: Source, offset: int) -> ExpressionError:
    character = source.text[offset]
    if character in "\"'":
        return ExpressionError("Unterminated text: a quote is not closed on its line", source.position(offset))
    if character == "$":
        return ExpressionError(f"Unexpected '$': {COMPOSITE_UNSUPPORTED}", source.position(offset))
    return ExpressionError(f"Unexpected character {character!r}", source.position(offset))


def _read_number(source: Source, lexeme: str, offset: int, limits: Limits) -> int | float:
    if len(lexeme) > _LONGEST_NUMBER:
        raise ExpressionError(f"Number longer than {_LONGEST_NUMBER} characters", source.position(offset))
    if "." in lexeme or "e" in lexeme or "E" in lexeme:
        value = float(lexeme)
        if not math.isfinite(value):
            raise ExpressionError("Number out of range", source.position(offset))
        return value
    whole = int(lexeme)
    if whole.bit_length() > limits.max_integer_bits:
        raise ExpressionError(f"Integer larger than {limits.max_integer_bits} bits", source.position(offset))
    return whole


def _read_string(source: Source, lexeme: str, offset: int) -> str:
    body = lexeme[1:-1]
    if "\\" not in body:
        return body
    parts: list[str] = []
    index = 0
    while index < len(body):
        backslash = body.find("\\", index)
        if backslash < 0:
            parts.append(body[index:])
            break
        parts.append(body[index:backslash])
        code = body[backslash + 1]
        if code in _ESCAPES:
            parts.append(_ESCAPES[code])
            index = backslash + 2
            continue
        digits = body[backslash + 2 : backslash + 6]
        if code == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", digits) and not 0xD800 <= int(digits, 16) <= 0xDFFF:
            parts.append(chr(int(digits, 16)))
            index = backslash + 6
            continue
        raise ExpressionError(
            f"Unknown escape '\\{code}' in text (known: \\n \\t \\r \\b \\f \\\\ \\' \\\" \\/ \\uXXXX)",
            source.position(offset + 1 + backslash),
        )
    return "".join(parts)
