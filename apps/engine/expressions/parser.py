"""A Pratt parser from tokens to the syntax tree, with positions in every error.

Prefix and infix forms are rows in two tables keyed by token kind; binding powers order the
operators (loosest first): conditional, ``or``, ``and``, equality, ordering and ``in``, ``+ -``,
``* / %``, unary ``- not``, then access and calls.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from apps.engine.expressions.errors import ExpressionError
from apps.engine.expressions.functions import FUNCTIONS, MULTI_WORD_NAMES
from apps.engine.expressions.lexer import COMPOSITE_UNSUPPORTED, Token
from apps.engine.expressions.limits import Limits
from apps.engine.expressions.nodes import (
    Assignment,
    Binary,
    Call,
    Conditional,
    Index,
    ListLiteral,
    Literal,
    Logical,
    Member,
    Node,
    ObjectLiteral,
    Unary,
    Variable,
)
from apps.engine.expressions.source import Dialect, Source

CONDITIONAL, OR, AND, EQUALITY, ORDERING, SUM, PRODUCT, PREFIX, ACCESS = (10, 20, 30, 40, 50, 60, 70, 80, 90)
_SEPARATORS = frozenset({"newline", ";"})
_SCRIPT_RULE = "scripts contain only assignments 'name = expression', one per line or separated by ';'"
_LONGEST_FUNCTION_NAME = 3  # words, as in FEEL's "date and time"


class Parser:
    """Parse one expression or script from its tokens."""

    def __init__(self, source: Source, tokens: Iterator[Token], dialect: Dialect, limits: Limits) -> None:
        self.source = source
        self.dialect = dialect
        self.limits = limits
        self.depth = 0
        self._tokens = tokens
        self._upcoming: deque[Token] = deque()

    def parse_expression(self) -> Node:
        """Parse the whole text as one expression (inside ``${`` and ``}`` in that dialect)."""
        if self.peek().kind in ("end", self.dialect.closing):
            raise self.error("Empty expression", self.peek())
        node = self.expression()
        if self.dialect.closing is not None:
            self.expect(self.dialect.closing, "'}' to close '${'")
            if self.peek().kind != "end":
                raise self.error(f"Text after the closing '}}': {COMPOSITE_UNSUPPORTED}", self.peek())
        if self.peek().kind != "end":
            raise self.unexpected(self.peek())
        return node

    def parse_script(self) -> list[Assignment]:
        """Parse a sequence of assignments separated by line breaks or ``;``."""
        statements: list[Assignment] = []
        while True:
            while self.peek().kind in _SEPARATORS:
                self.advance()
            if self.peek().kind == "end":
                return statements
            statements.append(self.assignment())
            following = self.peek()
            if following.kind == "=":
                raise self.unexpected(following)
            if following.kind not in _SEPARATORS and following.kind != "end":
                raise self.error(
                    f"Unexpected {self.describe(following)} after the assignment: {_SCRIPT_RULE}", following
                )

    def assignment(self) -> Assignment:
        target = self.advance()
        following = self.peek()
        if target.kind != "name":
            if target.text.isidentifier():
                raise self.error(f"'{target.text}' statements are not supported: {_SCRIPT_RULE}", target)
            raise self.error(
                f"Expected a variable name to assign to, found {self.describe(target)}: {_SCRIPT_RULE}", target
            )
        if following.kind == "name":
            raise self.error(f"'{target.text} {following.text}' is not an assignment: {_SCRIPT_RULE}", target)
        if following.kind != "=":
            raise self.error(f"Expected '=' after '{target.text}': {_SCRIPT_RULE}", following)
        self.advance()
        return Assignment(target.text, self.expression(), target.offset)

    def expression(self, binding_power: int = 0) -> Node:
        """Parse operators that bind tighter than ``binding_power``, Pratt style.

        Refuse nesting past the depth limit as soon as it is reached, whether by recursion
        (parentheses, prefix operators, operands) or by a long chain such as ``a.b.c...``, so
        that no later pass over the tree can exhaust Python's stack.
        """
        self.depth += 1
        if self.depth > self.limits.max_depth:
            raise self.too_deep()
        token = self.advance()
        prefix = _PREFIX.get(token.kind)
        if prefix is None:
            raise self.unexpected(token)
        left = prefix(self, token)
        depth = self.depth
        while True:
            infix = _INFIX.get(self.peek().kind)
            if infix is None or infix.binding_power <= binding_power:
                break
            depth += 1  # each operator applied here nests the operand so far one level deeper
            if depth > self.limits.max_depth:
                raise self.too_deep()
            left = infix.parse(self, left, self.advance())
        self.depth -= 1
        return left

    def peek(self, ahead: int = 0) -> Token:
        """Return the token ``ahead`` places on, reading no further than needed; the end repeats."""
        while len(self._upcoming) <= ahead:
            if self._upcoming and self._upcoming[-1].kind == "end":
                return self._upcoming[-1]
            self._upcoming.append(next(self._tokens))
        return self._upcoming[ahead]

    def advance(self) -> Token:
        token = self.peek()
        if token.kind != "end":
            self._upcoming.popleft()
        return token

    def expect(self, kind: str, what: str) -> Token:
        if self.peek().kind == "=" and kind != "=":
            raise self.unexpected(self.peek())
        if self.peek().kind != kind:
            raise self.error(f"Expected {what}, found {self.describe(self.peek())}", self.peek())
        return self.advance()

    def error(self, message: str, token: Token) -> ExpressionError:
        return ExpressionError(message, self.source.position(token.offset))

    def too_deep(self) -> ExpressionError:
        return self.error(f"Expression nested more than {self.limits.max_depth} levels deep", self.peek())

    def unexpected(self, token: Token) -> ExpressionError:
        if token.kind == "=":
            return self.error("Unexpected '=': compare with '=='", token)
        return self.error(f"Unexpected {self.describe(token)}", token)

    def describe(self, token: Token) -> str:
        if token.kind == "end":
            return "end of script" if self.source.is_script else "end of expression"
        if token.kind == "newline":
            return "end of line"
        return repr(token.text)

    def arguments(self, closing: str) -> tuple[Node, ...]:
        """Parse ``a, b, c`` up to ``closing``; a trailing comma is allowed."""
        items: list[Node] = []
        while self.peek().kind != closing:
            items.append(self.expression())
            if self.peek().kind != ",":
                break
            self.advance()
        self.expect(closing, f"',' or '{closing}'")
        return tuple(items)

    def call(self, name: str, arguments: tuple[Node, ...], token: Token) -> Call:
        function = FUNCTIONS.get(name)
        if function is None:
            known = ", ".join(sorted(name for name in FUNCTIONS if " " not in name))
            raise self.error(f"Unknown function '{name}' (known: {known})", token)
        most = function.max_arguments
        if len(arguments) < function.min_arguments or (most is not None and len(arguments) > most):
            raise self.error(f"Wrong number of arguments to {name}(): write {function.usage}", token)
        return Call(name, arguments, token.offset)

    def function_name(self, first: Token) -> str:
        """Read a FEEL function name of several words (``starts with``) if one is being called."""
        name = first.text
        words = [first.text]
        taken = 0
        for ahead in range(_LONGEST_FUNCTION_NAME - 1):
            word = self.peek(ahead)
            if not word.text.isidentifier():
                break
            words.append(word.text)
            candidate = " ".join(words)
            if candidate in MULTI_WORD_NAMES and self.peek(ahead + 1).kind == "(":
                name, taken = candidate, ahead + 1
        for _ in range(taken):
            self.advance()
        return name


# Prefix forms: the token that starts an operand.


def _literal(parser: Parser, token: Token) -> Node:
    return Literal(token.value, token.offset)


def _keyword_literal(parser: Parser, token: Token) -> Node:
    return Literal({"true": True, "false": False, "null": None}[token.kind], token.offset)


def _name(parser: Parser, token: Token) -> Node:
    name = parser.function_name(token) if parser.dialect.multi_word_functions else token.text
    if parser.peek().kind == "(":
        parser.advance()
        return parser.call(name, parser.arguments(")"), token)
    return Variable(name, token.offset)


def _group(parser: Parser, token: Token) -> Node:
    inner = parser.expression()
    parser.expect(")", "')'")
    return inner


def _list(parser: Parser, token: Token) -> Node:
    return ListLiteral(parser.arguments("]"), token.offset)


def _object(parser: Parser, token: Token) -> Node:
    entries: dict[str, Node] = {}
    while parser.peek().kind != "}":
        key = parser.advance()
        if key.kind != "string" and not key.text.isidentifier():
            raise parser.error(f"Expected a key (a name or quoted text), found {parser.describe(key)}", key)
        name = key.value if key.kind == "string" else key.text
        if name in entries:
            raise parser.error(f"Key '{name}' appears twice", key)
        parser.expect(":", "':' after the key")
        entries[name] = parser.expression()
        if parser.peek().kind != ",":
            break
        parser.advance()
    parser.expect("}", "',' or '}'")
    return ObjectLiteral(tuple(entries.items()), token.offset)


def _negation(parser: Parser, token: Token) -> Node:
    operand = parser.expression(PREFIX)
    if isinstance(operand, Literal) and type(operand.value) in (int, float):
        return Literal(-operand.value, token.offset)
    return Unary("-", operand, token.offset)


def _not(parser: Parser, token: Token) -> Node:
    return Unary("not", parser.expression(PREFIX), token.offset)


def _empty(parser: Parser, token: Token) -> Node:
    return Call("isEmpty", (parser.expression(PREFIX),), token.offset)


def _if(parser: Parser, token: Token) -> Node:
    condition = parser.expression()
    parser.expect("then", "'then'")
    then = parser.expression()
    parser.expect("else", "'else'")
    return Conditional(condition, then, parser.expression(), token.offset)


_PREFIX: dict[str, Callable[[Parser, Token], Node]] = {
    "number": _literal,
    "string": _literal,
    "true": _keyword_literal,
    "false": _keyword_literal,
    "null": _keyword_literal,
    "name": _name,
    "(": _group,
    "[": _list,
    "{": _object,
    "-": _negation,
    "not": _not,
    "empty": _empty,
    "if": _if,
}


# Infix forms: the token that follows a complete operand.


@dataclass(frozen=True, slots=True)
class _Infix:
    binding_power: int
    parse: Callable[[Parser, Node, Token], Node]


def _binary(binding_power: int) -> _Infix:
    def parse(parser: Parser, left: Node, token: Token) -> Node:
        return Binary(token.kind, left, parser.expression(binding_power), token.offset)

    return _Infix(binding_power, parse)


def _comparison(binding_power: int, operator: str | None = None) -> _Infix:
    """Comparisons do not chain: ``a < b < c`` is refused rather than read as ``(a < b) < c``."""

    def parse(parser: Parser, left: Node, token: Token) -> Node:
        if operator == "not in":
            parser.expect("in", "'in' after 'not'")
        node = Binary(operator or token.kind, left, parser.expression(binding_power), token.offset)
        following = _INFIX.get(parser.peek().kind)
        if following is not None and following.binding_power == binding_power:
            raise parser.error(
                "Comparisons cannot be chained: join them with 'and', as in a < b and b < c", parser.peek()
            )
        return node

    return _Infix(binding_power, parse)


def _logical(binding_power: int) -> _Infix:
    """``a and b and c`` is one node with three operands, so long chains stay shallow."""

    def parse(parser: Parser, left: Node, token: Token) -> Node:
        operands = [left, parser.expression(binding_power)]
        while parser.peek().kind == token.kind:
            parser.advance()
            operands.append(parser.expression(binding_power))
        return Logical(token.kind, tuple(operands), token.offset)

    return _Infix(binding_power, parse)


def _conditional(parser: Parser, left: Node, token: Token) -> Node:
    then = parser.expression()
    parser.expect(":", "':' of the conditional")
    return Conditional(left, then, parser.expression(CONDITIONAL - 1), token.offset)


def _member(parser: Parser, left: Node, token: Token) -> Node:
    name = parser.advance()
    if not name.text.isidentifier():
        raise parser.error(f"Expected a property name after '.', found {parser.describe(name)}", name)
    if parser.peek().kind == "(":
        parser.advance()
        return parser.call(name.text, (left, *parser.arguments(")")), name)
    return Member(left, name.text, name.offset)


def _index(parser: Parser, left: Node, token: Token) -> Node:
    index = parser.expression()
    parser.expect("]", "']'")
    return Index(left, index, parser.dialect.one_based_index, token.offset)


def _call_of_value(parser: Parser, left: Node, token: Token) -> Node:
    raise parser.error("Only functions can be called, by name: f(x) or x.f()", token)


_INFIX: dict[str, _Infix] = {
    "?": _Infix(CONDITIONAL, _conditional),
    "or": _logical(OR),
    "and": _logical(AND),
    "==": _comparison(EQUALITY),
    "!=": _comparison(EQUALITY),
    "<": _comparison(ORDERING),
    "<=": _comparison(ORDERING),
    ">": _comparison(ORDERING),
    ">=": _comparison(ORDERING),
    "in": _comparison(ORDERING),
    "not": _comparison(ORDERING, "not in"),
    "+": _binary(SUM),
    "-": _binary(SUM),
    "*": _binary(PRODUCT),
    "/": _binary(PRODUCT),
    "%": _binary(PRODUCT),
    ".": _Infix(ACCESS, _member),
    "[": _Infix(ACCESS, _index),
    "(": _Infix(ACCESS, _call_of_value),
}
