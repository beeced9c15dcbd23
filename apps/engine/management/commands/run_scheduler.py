"""``manage.py run_scheduler``: wake workers for due jobs (timers) until stopped; ``make run`` starts it."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, close_old_connections
from kombu.exceptions import KombuError

from apps.engine.scheduler import wake_due_tenants


class Command(BaseCommand):
    help = "Wake a worker for every tenant with due jobs, every --interval seconds, until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls (default 1)")
        parser.add_argument("--once", action="store_true", help="poll once and exit")

    def handle(self, *args: Any, interval: float, once: bool, **options: Any) -> None:
        while True:
            try:
                woken = wake_due_tenants()
                if woken and options["verbosity"] > 1:
                    self.stdout.write(f"woke {', '.join(woken)}")
            except (DatabaseError, KombuError) as error:  # the database or Redis away: poll again next time
                self.stderr.write(f"the poll failed ({error}); trying again")
                close_old_connections()
            if once:
                return
            time.sleep(interval)
