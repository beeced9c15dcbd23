"""The bounds every expression and script is compiled and evaluated within."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on source size, nesting, work and produced values.

    The language has no loops and no user functions, so the work of one evaluation is bounded
    by the size of the source and of the values it walks; these limits keep both small.
    """

    max_source_length: int = 10_000
    """Characters of source text, including any ``${...}`` or ``=`` wrapper."""
    max_depth: int = 50
    """Nesting of the syntax tree: parentheses, operators, accesses, calls and literals."""
    max_steps: int = 100_000
    """Evaluation steps: one per syntax node plus one per element a function or operator visits."""
    max_result_bytes: int = 1_000_000
    """Size of a result (or of each value a script assigns), measured as JSON text."""
    max_text_length: int = 100_000
    """Characters in a text value built by concatenation or conversion."""
    max_list_length: int = 10_000
    """Items in a list built by concatenation."""
    max_value_depth: int = 100
    """Nesting of list and object values that are compared, converted or returned."""
    max_integer_bits: int = 128
    """Bits in an integer produced by multiplication (and in integer literals)."""


DEFAULT_LIMITS = Limits()
