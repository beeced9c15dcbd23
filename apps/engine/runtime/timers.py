"""When a timer in an instance is due: its text, written in the model or computed by an
expression from the variables, read by ``bpmn.timer_text``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import isodate

from apps.engine.bpmn import spec
from apps.engine.bpmn.timer_text import moment
from apps.engine.runtime.errors import TokenStopped

if TYPE_CHECKING:
    from apps.engine.runtime.interpreter import Run
    from apps.engine.runtime.state import Token


def due_at(run: Run, token: Token, node: spec.FlowNode, timer: spec.TimerEventDefinition) -> datetime:
    """The moment ``timer`` of ``node`` fires, counted from now for a duration."""
    value = run.value(timer.value, token)
    text = value.strip() if isinstance(value, str) else value
    if not isinstance(text, str) or not text:
        raise TokenStopped("timer-invalid", f"The timer of {node.id!r} gave {value!r}, not ISO 8601 text.")
    try:
        if timer.timer_type == "date":
            return moment(text)
        if timer.timer_type == "duration":
            later: datetime = run.now + isodate.parse_duration(text)
            return later
    except (isodate.ISO8601Error, ValueError, OverflowError) as error:
        message = f"The timer of {node.id!r}: {text!r} is not a {timer.timer_type}: {error}"
        raise TokenStopped("timer-invalid", message) from error
    raise TokenStopped("timer-invalid", f"The timer of {node.id!r} has a {timer.timer_type or 'missing'} definition.")
