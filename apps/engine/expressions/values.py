"""Runtime values beyond JSON: dates, date-times and durations; and the user-facing names of types.

Dates are ``datetime.date``, date-times are timezone-aware ``datetime.datetime`` (a date-time read
without an offset is taken as UTC) and durations are ``Duration``. All three become ISO 8601 text
when a result leaves the language.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import isodate

from apps.engine.expressions.errors import EvaluationError

_LONGEST_TEMPORAL_TEXT = 64
_NO_TIME = timedelta(0)
_MOST_MONTHS = 12 * 10_000  # longer than any date can move


@dataclass(frozen=True, slots=True)
class Duration:
    """An ISO 8601 duration: whole calendar months (a year is 12) plus an exact time span.

    Months have no fixed length, so they only make sense added to a date; two durations are
    ordered only when both are months-only or both are time-only. Months and span never have
    opposite signs, so every duration has one ISO 8601 form.
    """

    months: int = 0
    span: timedelta = _NO_TIME

    def __post_init__(self) -> None:
        if abs(self.months) > _MOST_MONTHS:
            raise EvaluationError("Duration out of range")
        if (self.months > 0 and self.span < _NO_TIME) or (self.months < 0 and self.span > _NO_TIME):
            raise EvaluationError("A duration cannot mix positive months with a negative time span (or the reverse)")

    def __neg__(self) -> Duration:
        return Duration(-self.months, -self.span)

    def __str__(self) -> str:
        return format_duration(self)


def type_name(value: Any) -> str:
    """Name the type of ``value`` the way error messages and documentation do."""
    return _TYPE_NAMES.get(type(value)) or ("object" if isinstance(value, Mapping) else type(value).__name__)


_TYPE_NAMES: dict[type, str] = {
    type(None): "null",
    bool: "boolean",
    int: "number",
    float: "number",
    str: "text",
    list: "list",
    dict: "object",
    date: "date",
    datetime: "date-time",
    Duration: "duration",
}


def is_temporal_point(value: Any) -> bool:
    """Tell whether ``value`` is a date or a date-time."""
    kind = type(value)
    return kind is date or kind is datetime


def parse_date(text: str) -> date:
    """Read an ISO 8601 date (``2026-01-31``) or date-time (``2026-01-31T10:00:00Z``)."""
    try:
        if len(text) <= 10 and "T" not in text:
            return date.fromisoformat(text)
        if len(text) <= _LONGEST_TEMPORAL_TEXT:
            value = datetime.fromisoformat(text)
            return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    except ValueError:
        pass
    raise EvaluationError(
        f"Cannot read {_shorten(text)} as a date (expected ISO 8601 such as 2026-01-31 or 2026-01-31T10:00:00Z)"
    )


def parse_duration(text: str) -> Duration:
    """Read an ISO 8601 duration such as ``P3D``, ``PT2H30M``, ``P1Y2M`` or ``-P1W``."""
    try:
        if len(text) > _LONGEST_TEMPORAL_TEXT:
            raise ValueError(text)
        parsed = isodate.parse_duration(text)
        if isinstance(parsed, timedelta):
            return Duration(0, parsed)
        months = Decimal(parsed.years) * 12 + Decimal(parsed.months)
        if months != months.to_integral_value():
            raise ValueError(text)
        return Duration(int(months), parsed.tdelta)
    except (ValueError, ArithmeticError):
        pass
    raise EvaluationError(f"Cannot read {_shorten(text)} as a duration (expected ISO 8601 such as P3D, PT2H or P1Y2M)")


def format_date(value: date) -> str:
    """Write a date or date-time as ISO 8601 text, UTC as ``Z``."""
    if type(value) is datetime:
        if value.utcoffset() == _NO_TIME:
            return value.replace(tzinfo=None).isoformat() + "Z"
        return value.isoformat()
    return value.isoformat()


def format_duration(value: Duration) -> str:
    """Write a duration as ISO 8601 text: ``P1Y2M3DT4H5M6.5S``, ``-P3D``, ``PT0S``."""
    negative = value.months < 0 or value.span < _NO_TIME
    years, months = divmod(abs(value.months), 12)
    span = abs(value.span)
    hours, rest = divmod(span.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    second_text = f"{seconds}.{span.microseconds:06d}".rstrip("0") if span.microseconds else str(seconds)
    day_part = "".join(f"{count}{unit}" for count, unit in ((years, "Y"), (months, "M"), (span.days, "D")) if count)
    time_part = "".join(f"{count}{unit}" for count, unit in ((hours, "H"), (minutes, "M")) if count)
    if seconds or span.microseconds:
        time_part += f"{second_text}S"
    text = "P" + day_part + ("T" + time_part if time_part else "")
    return ("-" if negative else "") + (text if text != "P" else "PT0S")


def as_date_time(value: date) -> datetime:
    """Return a date-time unchanged and a date as its midnight in UTC."""
    if type(value) is datetime:
        return value
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def add_duration(point: date, duration: Duration) -> date:
    """Move a date or date-time by a duration: calendar months first, then the exact span.

    A month step keeps the day of the month where it exists and otherwise takes the month's last
    day (``2026-01-31`` plus ``P1M`` is ``2026-02-28``). A date stays a date unless the span has
    hours, minutes or seconds, in which case it becomes a UTC date-time.
    """
    try:
        if duration.months:
            point = _add_months(point, duration.months)
        span = duration.span
        if not span:
            return point
        if type(point) is date and not (span.seconds or span.microseconds):
            return point + timedelta(days=span.days)
        return as_date_time(point) + span
    except OverflowError:
        raise EvaluationError("Date out of range (years 1 to 9999)") from None


def subtract_dates(left: date, right: date) -> Duration:
    """Return the time span from ``right`` to ``left`` as a duration."""
    if type(left) is date and type(right) is date:
        return Duration(0, left - right)
    return Duration(0, as_date_time(left) - as_date_time(right))


def add_durations(left: Duration, right: Duration) -> Duration:
    """Add two durations component by component."""
    try:
        return Duration(left.months + right.months, left.span + right.span)
    except OverflowError:
        raise EvaluationError("Duration out of range") from None


def scale_duration(duration: Duration, factor: int | float) -> Duration:
    """Multiply a duration by a number; months must stay whole."""
    months = duration.months * factor
    try:
        if months != int(months):
            raise EvaluationError("Cannot multiply a duration with months by a fraction")
        return Duration(int(months), duration.span * factor)
    except OverflowError:
        raise EvaluationError("Duration out of range") from None


def duration_order_key(duration: Duration) -> int | timedelta:
    """Return what orders a duration: its months or its span, whichever it has alone."""
    if not duration.span:
        return duration.months
    if not duration.months:
        return duration.span
    raise EvaluationError("Cannot order a duration that mixes months with days or time")


def read_temporal_property(value: Any, name: str) -> Any:
    """Read a component of a date, date-time or duration (``d.year``, ``span.hours``)."""
    reader = _PROPERTIES.get((type(value), name))
    if reader is None:
        known = sorted(field for kind, field in _PROPERTIES if kind is type(value))
        raise EvaluationError(f"A {type_name(value)} has no property '{name}' (it has: {', '.join(known)})")
    return reader(value)


_DATE_PROPERTIES: dict[str, Any] = {
    "year": lambda value: value.year,
    "month": lambda value: value.month,
    "day": lambda value: value.day,
    "weekday": lambda value: value.isoweekday(),
}
_TIME_PROPERTIES: dict[str, Any] = {
    "hour": lambda value: value.hour,
    "minute": lambda value: value.minute,
    "second": lambda value: value.second,
}
_DURATION_PROPERTIES: dict[str, Any] = {
    "years": lambda value: int(value.months / 12),
    "months": lambda value: value.months - 12 * int(value.months / 12),
    "days": lambda value: _signed_span_part(value.span, 86400, None),
    "hours": lambda value: _signed_span_part(value.span, 3600, 24),
    "minutes": lambda value: _signed_span_part(value.span, 60, 60),
    "seconds": lambda value: _signed_span_part(value.span, 1, 60),
}
_PROPERTIES: dict[tuple[type, str], Any] = {
    **{(date, name): reader for name, reader in _DATE_PROPERTIES.items()},
    **{(datetime, name): reader for name, reader in (_DATE_PROPERTIES | _TIME_PROPERTIES).items()},
    **{(Duration, name): reader for name, reader in _DURATION_PROPERTIES.items()},
}


def _signed_span_part(span: timedelta, unit_seconds: int, modulus: int | None) -> int:
    """Return one component of a span (days, hours of the day, ...), carrying the span's sign."""
    whole_seconds = int(abs(span).total_seconds())
    part = whole_seconds // unit_seconds
    if modulus is not None:
        part %= modulus
    return -part if span < _NO_TIME else part


def _add_months(point: date, months: int) -> date:
    month_index = point.year * 12 + point.month - 1 + months
    year, month_zero_based = divmod(month_index, 12)
    if not 1 <= year <= 9999:
        raise OverflowError(year)
    month = month_zero_based + 1
    day = min(point.day, calendar.monthrange(year, month)[1])
    return point.replace(year=year, month=month, day=day)


def _shorten(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")
