"""When a timer in an instance is due: its text, written in the model or computed by an
expression from the variables, read by ``bpmn.timer_text``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import isodate

from apps.engine.bpmn import spec
from apps.engine.bpmn.timer_text import Schedule, schedule
from apps.engine.runtime.errors import TokenStopped

if TYPE_CHECKING:
    from apps.engine.runtime.interpreter import Run
    from apps.engine.runtime.state import Token


def due_at(run: Run, token: Token, node: spec.FlowNode, timer: spec.TimerEventDefinition) -> datetime:
    """The moment ``timer`` of ``node`` fires (first), counted from now for a duration or a cycle."""
    return schedule_of(run, token, node, timer).first


def schedule_of(run: Run, token: Token, node: spec.FlowNode, timer: spec.TimerEventDefinition) -> Schedule:
    """When ``timer`` of ``node`` fires: once, or (a cycle) again and again."""
    value = run.value(timer.value, token)
    text = value.strip() if isinstance(value, str) else value
    if not isinstance(text, str) or not text:
        raise TokenStopped("timer-invalid", f"The timer of {node.id!r} gave {value!r}, not ISO 8601 text.")
    if timer.timer_type is None:
        raise TokenStopped("timer-invalid", f"The timer of {node.id!r} has no date, duration or cycle.")
    try:
        return schedule(timer.timer_type, text, run.now)
    except (isodate.ISO8601Error, ValueError, OverflowError, KeyError) as error:
        message = f"The timer of {node.id!r}: {text!r} is not a {timer.timer_type}: {error}"
        raise TokenStopped("timer-invalid", message) from error
