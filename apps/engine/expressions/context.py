"""The state of one evaluation: variables in scope, the clock, and the steps left to spend."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from apps.engine.expressions.errors import EvaluationError
from apps.engine.expressions.limits import Limits


class EvaluationContext:
    """What compiled code reads while it runs; one per ``evaluate`` or ``run`` call."""

    __slots__ = ("_now", "limits", "steps_left", "variables")

    def __init__(self, variables: Mapping[str, Any], limits: Limits, now: datetime | None, spent: int = 0) -> None:
        self.variables = variables
        self.limits = limits
        self.steps_left = limits.max_steps - spent
        if now is not None and now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        self._now = now

    def charge(self, steps: int) -> None:
        """Spend ``steps`` evaluation steps; raise once the budget is exhausted."""
        self.steps_left -= steps
        if self.steps_left < 0:
            raise EvaluationError(f"Evaluation needs more than {self.limits.max_steps} steps")

    def current_time(self) -> datetime:
        """Return the evaluation's clock: the ``now`` it was given, else the UTC time of first use."""
        if self._now is None:
            self._now = datetime.now(UTC)
        return self._now
