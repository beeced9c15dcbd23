"""What one trigger changed: the interpreter's only output, applied by the store in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from apps.engine.runtime.state import Snapshot, Token


class Outcome(StrEnum):
    COMPLETED = "completed"  # every token reached an end
    TERMINATED = "terminated"  # a terminate end event ended the process
    CANCELLED = "cancelled"  # an operator's modification left no token


@dataclass(slots=True)
class ActivityRecord:
    """History of one visit of an element. A record whose ``ended_at`` is None is still active."""

    id: str
    element_id: str
    element_type: str
    element_name: str
    token_id: str
    started_at: datetime
    ended_at: datetime | None = None
    state: str = "active"
    started_here: bool = True  # False: started by an earlier trigger, only its end is new


@dataclass(frozen=True, slots=True)
class Wait:
    """Something the shell must create for a token that now waits: a human task, an external
    task, a message subscription or a child instance, named by ``kind``."""

    kind: str
    token_id: str
    element_id: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class IncidentRecord:
    token_id: str
    element_id: str
    kind: str
    message: str


@dataclass(frozen=True, slots=True)
class VariableChangeRecord:
    name: str
    value: Any
    activity_id: str | None
    from_trigger: bool  # given by whoever sent the trigger, not computed by the process
    scope_token_id: str | None = None  # the token holding it as a local variable; None: the instance


@dataclass(slots=True)
class Step:
    """The diff of one trigger. ``visited`` lists the element ids entered, in order."""

    tokens_added: dict[str, Token] = field(default_factory=dict)
    tokens_changed: dict[str, Token] = field(default_factory=dict)
    tokens_removed: set[str] = field(default_factory=set)
    variables: dict[str, Any] = field(default_factory=dict)  # the last value of each variable set
    variable_changes: list[VariableChangeRecord] = field(default_factory=list)  # every assignment, in order
    activities: dict[str, ActivityRecord] = field(default_factory=dict)
    waits: list[Wait] = field(default_factory=list)
    cancelled_waits: list[Wait] = field(default_factory=list)
    completed_waits: list[Wait] = field(default_factory=list)  # what happened (a task completed...)
    incidents: list[IncidentRecord] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)
    outcome: Outcome | None = None
    signals: list[str] = field(default_factory=list)  # names of the signals thrown, broadcast after the commit
    # A BPMN error nothing in the instance caught (code, message): a called instance's caller may.
    escaped_error: tuple[str, str] | None = None
    # Escalations nothing in the instance caught (their codes): a called instance's caller may.
    escaped_escalations: list[str] = field(default_factory=list)
    halted: bool = False  # the instance goes on but only an operator can move it (``state.halted``)


def apply_step(snapshot: Snapshot, step: Step) -> Snapshot:
    """The snapshot after ``step``: what the store writes, done in memory (tests, benchmarks)."""
    tokens = {
        token_id: token.copy() for token_id, token in snapshot.tokens.items() if token_id not in step.tokens_removed
    }
    for token_id, token in (*step.tokens_added.items(), *step.tokens_changed.items()):
        tokens[token_id] = token.copy()
    return Snapshot(tokens=tokens, variables={**snapshot.variables, **step.variables})
