"""Compile the syntax tree into nested Python closures, once, so evaluation is a few calls.

Each closure takes the ``EvaluationContext`` and returns a runtime value. Errors raised by an
operator or function get the position of the node that raised them on the way out; Python's
zero-cost ``try`` keeps that free while nothing goes wrong.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from apps.engine.expressions.context import EvaluationContext
from apps.engine.expressions.errors import EvaluationError, Position
from apps.engine.expressions.functions import FUNCTIONS
from apps.engine.expressions.nodes import (
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
from apps.engine.expressions.operators import OPERATORS, negate, read_item, read_member
from apps.engine.expressions.source import Source
from apps.engine.expressions.values import type_name

Evaluator = Callable[[EvaluationContext], Any]

# Comparisons against a number literal skip the generic type checks when the other side is a number.
_NUMBER_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


def compile_tree(node: Node, source: Source) -> Evaluator:
    """Return the closure that evaluates ``node``; the tree's depth has been checked already."""
    return _Compiler(source).closure_for(node)


def require_boolean(value: Any, role: str, position: Position) -> bool:
    """Return ``value`` if it is a boolean, else raise naming what needed one."""
    if value is True or value is False:
        return value
    raise EvaluationError(f"{role} must be true or false, not {type_name(value)}", position)


class _Compiler:
    def __init__(self, source: Source) -> None:
        self.source = source

    def closure_for(self, node: Node) -> Evaluator:
        return _BUILDERS[type(node)](self, node)

    def literal(self, node: Literal) -> Evaluator:
        value = node.value
        return lambda context: value

    def variable(self, node: Variable) -> Evaluator:
        name = node.name
        position = self.source.position(node.offset)

        def read_variable(context: EvaluationContext) -> Any:
            try:
                return context.variables[name]
            except KeyError:
                raise EvaluationError(f"Unknown variable '{name}'", position) from None

        return read_variable

    def member(self, node: Member) -> Evaluator:
        target = self.closure_for(node.target)
        name = node.name
        position = self.source.position(node.offset)
        hint = f"; to call the function, write .{name}()" if name in FUNCTIONS else ""

        def read_property(context: EvaluationContext) -> Any:
            value = target(context)
            if type(value) is dict:
                return value.get(name)
            try:
                return read_member(value, name)
            except EvaluationError as error:
                raise EvaluationError(error.message + hint, position) from None

        return read_property

    def index(self, node: Index) -> Evaluator:
        target = self.closure_for(node.target)
        index = self.closure_for(node.index)
        one_based = node.one_based
        position = self.source.position(node.offset)

        def read_indexed(context: EvaluationContext) -> Any:
            try:
                return read_item(target(context), index(context), one_based)
            except EvaluationError as error:
                raise error.at(position) from None

        return read_indexed

    def call(self, node: Call) -> Evaluator:
        function = FUNCTIONS[node.function].implementation
        arguments = [self.closure_for(argument) for argument in node.arguments]
        position = self.source.position(node.offset)
        if len(arguments) == 1:
            (only,) = arguments

            def call_with_one(context: EvaluationContext) -> Any:
                try:
                    return function(context, only(context))
                except EvaluationError as error:
                    raise error.at(position) from None

            return call_with_one

        def call(context: EvaluationContext) -> Any:
            try:
                return function(context, *[argument(context) for argument in arguments])
            except EvaluationError as error:
                raise error.at(position) from None

        return call

    def unary(self, node: Unary) -> Evaluator:
        operand = self.closure_for(node.operand)
        position = self.source.position(node.offset)
        if node.operator == "not":

            def invert(context: EvaluationContext) -> bool:
                return not require_boolean(operand(context), "The operand of 'not'", position)

            return invert

        def negative(context: EvaluationContext) -> Any:
            try:
                return negate(operand(context))
            except EvaluationError as error:
                raise error.at(position) from None

        return negative

    def binary(self, node: Binary) -> Evaluator:
        left = self.closure_for(node.left)
        function = OPERATORS[node.operator]
        position = self.source.position(node.offset)
        constant = node.right.value if isinstance(node.right, Literal) else None
        fast_compare = _NUMBER_COMPARISONS.get(node.operator)
        if fast_compare is not None and type(constant) in (int, float):

            def compare_to_number(context: EvaluationContext) -> Any:
                value = left(context)
                if type(value) is int or type(value) is float:
                    return fast_compare(value, constant)
                try:
                    return function(value, constant, context)
                except EvaluationError as error:
                    raise error.at(position) from None

            return compare_to_number
        if node.operator in ("==", "!=") and type(constant) is str:
            # Text equals only the same text, so Python's own equality is JSON equality here.
            if node.operator == "==":
                return lambda context: left(context) == constant
            return lambda context: left(context) != constant
        right = self.closure_for(node.right)

        def apply(context: EvaluationContext) -> Any:
            try:
                return function(left(context), right(context), context)
            except EvaluationError as error:
                raise error.at(position) from None

        return apply

    def logical(self, node: Logical) -> Evaluator:
        operands = [(self.closure_for(operand), self.source.position(operand.offset)) for operand in node.operands]
        role = f"Each side of '{node.operator}'"
        deciding = node.operator == "or"  # the value that ends the chain: true for 'or', false for 'and'

        def decide(context: EvaluationContext) -> Any:
            for operand, position in operands:
                value = operand(context)
                if value is deciding:
                    return deciding
                if type(value) is not bool:
                    require_boolean(value, role, position)
            return not deciding

        return decide

    def conditional(self, node: Conditional) -> Evaluator:
        condition = self.closure_for(node.condition)
        then = self.closure_for(node.then)
        otherwise = self.closure_for(node.otherwise)
        position = self.source.position(node.condition.offset)

        def choose(context: EvaluationContext) -> Any:
            if require_boolean(condition(context), "A condition", position):
                return then(context)
            return otherwise(context)

        return choose

    def list_literal(self, node: ListLiteral) -> Evaluator:
        items = [self.closure_for(item) for item in node.items]
        return lambda context: [item(context) for item in items]

    def object_literal(self, node: ObjectLiteral) -> Evaluator:
        entries = [(key, self.closure_for(value)) for key, value in node.entries]
        return lambda context: {key: value(context) for key, value in entries}


_BUILDERS: dict[type, Callable[[_Compiler, Any], Evaluator]] = {
    Literal: _Compiler.literal,
    Variable: _Compiler.variable,
    Member: _Compiler.member,
    Index: _Compiler.index,
    Call: _Compiler.call,
    Unary: _Compiler.unary,
    Binary: _Compiler.binary,
    Logical: _Compiler.logical,
    Conditional: _Compiler.conditional,
    ListLiteral: _Compiler.list_literal,
    ObjectLiteral: _Compiler.object_literal,
}
"""How each kind of node becomes a closure."""
