"""``manage.py run_scheduler``: wake workers for due jobs (timers) until stopped, and remove expired
buffered messages now and then; ``make run`` starts it."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, close_old_connections
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from apps.engine.scheduler import SWEEP_EVERY, Scheduler


class Command(BaseCommand):
    help = (
        "Wake a worker for every tenant with due jobs, every --interval seconds, and remove expired "
        "buffered messages every --sweep-interval seconds, until stopped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval", type=float, default=0.5, help="seconds between polls (default 0.5: a timer fires within it)"
        )
        parser.add_argument(
            "--sweep-interval",
            type=float,
            default=SWEEP_EVERY.total_seconds(),
            help=f"seconds between removals of expired buffered messages (default {SWEEP_EVERY.total_seconds():g})",
        )
        parser.add_argument("--once", action="store_true", help="poll once (and sweep) and exit")

    def handle(self, *args: Any, interval: float, sweep_interval: float, once: bool, **options: Any) -> None:
        scheduler = Scheduler(sweep_every=timedelta(seconds=sweep_interval))
        while True:
            try:
                poll = scheduler.poll()
                if options["verbosity"] > 1 and poll.woken:
                    self.stdout.write(f"woke {', '.join(poll.woken)}")
                if options["verbosity"] > 1 and poll.expired_messages:
                    self.stdout.write(f"removed {poll.expired_messages} expired buffered messages")
            except (DatabaseError, KombuError, RedisError, OSError) as error:  # a server away: poll again next time
                self.stderr.write(f"the poll failed ({error}); trying again")
                close_old_connections()
            if once:
                return
            time.sleep(interval)
