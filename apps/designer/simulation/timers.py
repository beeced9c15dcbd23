"""How long a timer written as a literal ISO 8601 duration waits, in minutes: the simulator's
default for a timer catch event, and the moment a boundary timer fires during its activity's work.
A date, a cycle or an expression has no duration known before the run: None."""

from __future__ import annotations

from datetime import datetime

import isodate

from apps.engine.bpmn.spec import EventDefinition, TimerEventDefinition

# Months and years have no fixed length; they are counted from this date.
REFERENCE = datetime(2001, 1, 1)


def timer_minutes(definitions: tuple[EventDefinition, ...]) -> float | None:
    for definition in definitions:
        if not isinstance(definition, TimerEventDefinition) or definition.timer_type != "duration":
            continue
        text = (definition.text or "").strip()
        if not text or any(mark in text for mark in "$#{="):
            return None
        try:
            parsed = isodate.parse_duration(text)
        except (isodate.ISO8601Error, ValueError, OverflowError):
            return None
        if isinstance(parsed, isodate.Duration):
            parsed = parsed.totimedelta(start=REFERENCE)
        minutes = float(parsed.total_seconds()) / 60
        return minutes if minutes >= 0 else None
    return None
