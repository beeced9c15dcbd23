"""The engine's time: every service takes ``now`` from here, and the database compares due
times with ``sql_now()``, so that one offset moves time for every process at once.

In production the offset is always zero and nothing is read. With ``APG_TEST_CLOCK`` on
(the test suite; a benchmark), the offset lives in one row of the public schema and
``advance`` moves it: tests make a timer due by moving the clock, never by sleeping.

``now()`` is given in the current tenant's time zone (``Tenant.time_zone``, read once a
minute), so that timers read cron expressions and dates without a zone there, daylight saving
time included; what is stored is the same instant either way.
"""

from __future__ import annotations

import time
import zoneinfo
from datetime import UTC, datetime, timedelta, tzinfo

from django.conf import settings
from django.db import connection
from django.utils import timezone

_TABLE = "public.tenancy_platformclock"
_ZONE_SECONDS = 60.0  # how long a tenant's time zone is kept before it is read again
_zones: dict[str, tuple[tzinfo, float]] = {}


class ClockNotMovable(RuntimeError):
    """``advance`` outside a test clock: production time cannot be moved."""


def offset() -> timedelta:
    """How far the platform's clock runs ahead of the real one (zero unless APG_TEST_CLOCK)."""
    if not settings.APG_TEST_CLOCK:
        return timedelta(0)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT offset_ms FROM {_TABLE} WHERE id = 1")  # noqa: S608 - a constant name
        row = cursor.fetchone()
    return timedelta(milliseconds=row[0] if row else 0)


def now() -> datetime:
    """The current time of the platform, in the current tenant's time zone."""
    return (timezone.now() + offset()).astimezone(zone())


def zone() -> tzinfo:
    """The time zone of the tenant whose schema the connection is in (UTC for the public schema)."""
    schema = getattr(connection, "schema_name", "") or "public"
    kept = _zones.get(schema)
    if kept is not None and kept[1] > time.monotonic():
        return kept[0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT time_zone FROM public.tenancy_tenant WHERE schema_name = %s", [schema])
        row = cursor.fetchone()
    found: tzinfo = UTC
    if row is not None and row[0] not in ("", "UTC"):
        try:
            found = zoneinfo.ZoneInfo(row[0])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            found = UTC  # refused by the model's validation; a hand-edited row falls back
    _zones[schema] = (found, time.monotonic() + _ZONE_SECONDS)
    return found


def forget_zone(schema_name: str) -> None:
    """The tenant's time zone changed: read it again (in this process; others within a minute)."""
    _zones.pop(schema_name, None)


def sql_now() -> tuple[str, list[object]]:
    """An SQL expression for the platform's current time on the database's clock, and its parameters."""
    # statement_timestamp(), not now(): now() stands still for a whole transaction.
    return "(statement_timestamp() + %s * interval '1 millisecond')", [int(offset() / timedelta(milliseconds=1))]


def advance(delta: timedelta) -> datetime:
    """Move the test clock forward by ``delta`` for every process; the new time."""
    if not settings.APG_TEST_CLOCK:
        raise ClockNotMovable("The clock moves only with APG_TEST_CLOCK on (tests and benchmarks).")
    step = int(delta / timedelta(milliseconds=1))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_TABLE} (id, offset_ms) VALUES (1, %s) "  # noqa: S608 - a constant name
            "ON CONFLICT (id) DO UPDATE SET offset_ms = tenancy_platformclock.offset_ms + EXCLUDED.offset_ms",
            [step],
        )
    return now()


def reset() -> None:
    """Back to the real time (a test's clean-up)."""
    if settings.APG_TEST_CLOCK:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {_TABLE}")  # noqa: S608 - a constant name
