"""The engine's expression language: safe, bounded, compiled once at deploy.

Conditions, script tasks and assignments are written in it. It reads JSON values (plus dates and
durations), has no loops, no user functions and no access to Python objects, and never uses
``eval``. ``docs/expressions.md`` describes the language.
"""

from apps.engine.expressions.compiler import Expression, Script, compile_expression, compile_script
from apps.engine.expressions.errors import EvaluationError, ExpressionError, Position
from apps.engine.expressions.limits import DEFAULT_LIMITS, Limits

__all__ = [
    "DEFAULT_LIMITS",
    "EvaluationError",
    "Expression",
    "ExpressionError",
    "Limits",
    "Position",
    "Script",
    "compile_expression",
    "compile_script",
]
