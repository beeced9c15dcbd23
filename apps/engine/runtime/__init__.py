"""The engine's interpreter: pure functions from (compiled process, snapshot, trigger) to a diff."""

from apps.engine.runtime.calls import return_from_call
from apps.engine.runtime.compiled import CompiledProcess
from apps.engine.runtime.errors import TriggerRejected
from apps.engine.runtime.interpreter import (
    complete,
    continue_job,
    deliver,
    escalate_from_call,
    fire_boundary,
    fire_gateway_event,
    modify,
    retry,
    set_variables,
    start,
    throw_error,
)
from apps.engine.runtime.state import Snapshot, Token, TokenState, halted
from apps.engine.runtime.step import ActivityRecord, IncidentRecord, Outcome, Step, Wait, apply_step

__all__ = [
    "ActivityRecord",
    "CompiledProcess",
    "IncidentRecord",
    "Outcome",
    "Snapshot",
    "Step",
    "Token",
    "TokenState",
    "TriggerRejected",
    "Wait",
    "apply_step",
    "complete",
    "continue_job",
    "deliver",
    "escalate_from_call",
    "fire_boundary",
    "fire_gateway_event",
    "halted",
    "modify",
    "retry",
    "return_from_call",
    "set_variables",
    "start",
    "throw_error",
]
