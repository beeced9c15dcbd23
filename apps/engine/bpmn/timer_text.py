"""Reading timer texts: ISO 8601 dates, durations and repeating cycles, and cron expressions.

Deploying checks the texts written in a model with these; the interpreter computes due times
with them (isodate and croniter read the texts). Cron expressions and dates without a zone are
read in the zone of the ``now`` they are given (the tenant's); durations are exact elapsed time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

import isodate
from croniter import croniter


def moment(text: str, zone: tzinfo | None = None) -> datetime:
    """A date-time (or a date, at midnight); without a zone, in ``zone`` (UTC when none)."""
    if "T" in text:
        moment: datetime = isodate.parse_datetime(text)
    else:
        day: date = isodate.parse_date(text)
        moment = datetime(day.year, day.month, day.day)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone or UTC)


@dataclass(frozen=True)
class Schedule:
    """When a start timer fires: once (a date, or a duration from when it was scheduled), or on
    a cycle: ISO 8601 repetitions (``R5/PT10M``, ``R/PT1H``, ``R3/2026-12-01T09:00:00Z/P1D``) or
    a cron expression (five fields, or Quartz's six or seven with seconds first, as Camunda
    models write them)."""

    first: datetime
    interval: timedelta | isodate.Duration | None = None
    repetitions: int | None = None  # None: for ever
    cron: str | None = None
    zone: tzinfo = UTC  # where a cron expression and the calendar are read

    def after(self, due: datetime, fired: int) -> datetime | None:
        """The next time after the occurrence ``due``, the ``fired``-th; None when there is none."""
        if self.repetitions is not None and fired >= self.repetitions:
            return None
        due = due.astimezone(self.zone)  # a due time read back from the database is in UTC
        if self.cron is not None:
            return _cron(self.cron, due).get_next(datetime)  # type: ignore[no-any-return]
        if self.interval is not None:
            return later(due, self.interval)
        return None


def schedule(timer_type: str | None, text: str, now: datetime) -> Schedule:
    """Read a start timer's text; ``ValueError`` (or an isodate error) when it is not valid."""
    text = text.strip()
    zone = now.tzinfo or UTC
    if timer_type == "date":
        return Schedule(moment(text, zone), zone=zone)
    if timer_type == "duration":
        return Schedule(later(now, isodate.parse_duration(text)), zone=zone)
    if timer_type != "cycle":
        raise ValueError("no timeDate, timeDuration or timeCycle")
    if not text.startswith("R"):
        return Schedule(_cron(text, now).get_next(datetime), cron=text, zone=zone)
    parts = text.split("/")
    count = parts[0][1:]
    repetitions = int(count) if count else None
    if repetitions is not None and repetitions < 1:
        raise ValueError(f"{parts[0]!r} repeats less than once")
    if len(parts) == 2:
        interval = isodate.parse_duration(parts[1])
        return Schedule(later(now, interval), interval, repetitions, zone=zone)
    if len(parts) == 3:
        interval = isodate.parse_duration(parts[2])
        return Schedule(moment(parts[1], zone), interval, repetitions, zone=zone)
    raise ValueError("a repeating cycle is R[n]/duration or R[n]/start/duration")


def later(moment: datetime, duration: timedelta | isodate.Duration) -> datetime:
    """``duration`` after ``moment``: days, hours and less as elapsed time (a day that changes
    the clocks lasts 23 or 25 hours); months and years on the calendar of ``moment``'s zone."""
    if isinstance(duration, isodate.Duration):
        on_the_calendar: datetime = moment + duration
        return on_the_calendar
    return (moment.astimezone(UTC) + duration).astimezone(moment.tzinfo)


def _cron(text: str, start: datetime) -> croniter:
    fields = text.split()
    if len(fields) == 5:
        return croniter(text, start)
    if len(fields) in (6, 7):  # Quartz: seconds first, and a year we do not read
        return croniter(" ".join(fields[:6]), start, second_at_beginning=True)
    raise ValueError(f"a cron expression has 5, 6 or 7 fields, not {len(fields)}")


@dataclass(frozen=True)
class RetryPlan:
    """How a failing job is tried again (Camunda's ``failedJobRetryTimeCycle``): ``R3/PT5M`` is
    at most three attempts, five minutes apart; ``PT1M,PT5M,PT10M`` is a first attempt and three
    more after those waits."""

    attempts: int
    delays: tuple[timedelta | isodate.Duration, ...]

    def delay(self, failed: int) -> timedelta | isodate.Duration:
        """The wait before the attempt after the ``failed``-th failure."""
        return self.delays[min(failed, len(self.delays)) - 1]


def retry_plan(text: str) -> RetryPlan:
    """Read a retry cycle; ``ValueError`` (or an isodate error) when it is not one."""
    text = text.strip()
    if text.startswith("R"):
        count, _, interval = text[1:].partition("/")
        attempts = int(count) if count else 0
        if attempts < 1 or not interval:
            raise ValueError("a retry cycle is R<attempts>/<duration>, such as R3/PT5M")
        return RetryPlan(attempts, (isodate.parse_duration(interval),))
    delays = tuple(isodate.parse_duration(item.strip()) for item in text.split(","))
    return RetryPlan(len(delays) + 1, delays)
