"""What every validation rule is given: the definitions, the compilers, and the process at hand."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from apps.engine.bpmn.problems import Problem, Severity
from apps.engine.bpmn.spec import Definitions, ProcessSpec, Scope, SubProcess

Compile = Callable[[str], object]


@dataclass(frozen=True, slots=True)
class ValidationContext:
    definitions: Definitions
    compile_expression: Compile | None = None
    compile_script: Compile | None = None
    known_process_keys: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ProcessCheck:
    """One process under validation.

    Structural findings are errors in an executable process and warnings in any other, which is
    only read and shown, never run.
    """

    process: ProcessSpec
    context: ValidationContext

    def structural(self, code: str, message: str, element_id: str | None, line: int | None) -> Problem:
        severity = Severity.ERROR if self.process.is_executable else Severity.WARNING
        return Problem(severity, code, message, element_id, line)


def describe_scope(scope: Scope) -> str:
    """Name a scope in a message: "process 'Invoice'" or "subprocess 'Review'"."""
    kind = "subprocess" if isinstance(scope, SubProcess) else "process"
    return f"{kind} '{scope.id}'"
