"""Run a model file through the interpreter in memory, the way the store does between requests:
each trigger starts from the snapshot the previous step left (a reload between steps)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apps.engine.bpmn.parser import parse_definitions
from apps.engine.expressions import compile_expression, compile_script
from apps.engine.runtime import CompiledProcess, Snapshot, Step, apply_step, complete, start
from apps.engine.runtime.interpreter import ServiceHandler

MODELS = Path(__file__).parent / "models"
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def load(name: str) -> CompiledProcess:
    result = parse_definitions((MODELS / f"{name}.bpmn").read_bytes())
    assert result.definitions is not None, result.problems
    assert [problem for problem in result.problems if problem.severity == "error"] == []
    (process,) = result.definitions.processes.values()
    return CompiledProcess(process, compile_expression, compile_script)


@dataclass
class Instance:
    """An instance driven in memory; ``visited`` and ``steps`` accumulate over triggers."""

    process: CompiledProcess
    handlers: dict[str, ServiceHandler] = field(default_factory=dict)
    snapshot: Snapshot = field(default_factory=Snapshot)
    visited: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    ids: Any = field(default_factory=lambda: (f"id-{n}" for n in itertools.count(1)))

    def _apply(self, step: Step) -> Step:
        self.snapshot = apply_step(self.snapshot, step)
        self.visited += step.visited
        self.steps.append(step)
        return step

    def start(self, **variables: Any) -> Step:
        return self._apply(
            start(self.process, variables, now=NOW, new_id=lambda: next(self.ids), handlers=self.handlers)
        )

    def complete(self, element_id: str, **variables: Any) -> Step:
        (token_id,) = [token.id for token in self.snapshot.tokens.values() if token.element_id == element_id]
        step = complete(
            self.process,
            self.snapshot,
            token_id,
            variables,
            now=NOW,
            new_id=lambda: next(self.ids),
            handlers=self.handlers,
        )
        return self._apply(step)

    @property
    def waiting_at(self) -> list[str]:
        return sorted(token.element_id for token in self.snapshot.tokens.values())
