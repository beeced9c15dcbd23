"""When a timer is due: ISO 8601 dates and durations, written in the model or computed by an
expression from the variables (isodate parses them; a date without a zone is UTC)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import isodate

from apps.engine.bpmn import spec
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
            return _moment(text)
        if timer.timer_type == "duration":
            moment: datetime = run.now + isodate.parse_duration(text)
            return moment
    except (isodate.ISO8601Error, ValueError, OverflowError) as error:
        message = f"The timer of {node.id!r}: {text!r} is not a {timer.timer_type}: {error}"
        raise TokenStopped("timer-invalid", message) from error
    raise TokenStopped("timer-invalid", f"The timer of {node.id!r} has a {timer.timer_type or 'missing'} definition.")


def _moment(text: str) -> datetime:
    """A date-time (or a date, at midnight); without a zone, UTC."""
    if "T" in text:
        moment: datetime = isodate.parse_datetime(text)
    else:
        day: date = isodate.parse_date(text)
        moment = datetime(day.year, day.month, day.day)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
