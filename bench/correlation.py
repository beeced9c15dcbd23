"""Message correlation among many open subscriptions: ``messages.correlate`` of the service layer.

100,000 instances of ``bench_message_wait`` wait at a message catch event keyed by their
variable ``count`` (``zeebe:subscription correlationKey="=count"``): one started through the
service layer, the others copied from it in bulk SQL (``bench/seeding.py``), its subscription
row with them, each with its own key. Then one client correlates messages, one at a time, each
with the key of a different waiting instance chosen at random: the instance is locked, its
wait completed, it ends, its subscription goes, in one transaction. The figure is the time of
each call. Target: p95 < 15 ms. The plan of the lookup is printed (EXPLAIN ANALYZE).
"""

from __future__ import annotations

import random
import time

from bench.processes import MESSAGE_WAIT
from bench.provisioning import BENCH_SCHEMA
from bench.timers import percentile

TARGET_P95_MS = 15.0
MESSAGE = "bench-paid"


def _explain(key: str) -> str:
    from django.db import connection
    from django_tenants.utils import schema_context

    from apps.engine.models import InstanceState, MessageSubscription

    with schema_context(BENCH_SCHEMA):
        waiting = MessageSubscription.objects.exclude(kind="start").filter(
            message_name=MESSAGE, instance__state=InstanceState.ACTIVE, correlation_key=key
        )
        sql, parameters = waiting.order_by("created_at").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", parameters)
            return "\n".join(f"    {row[0]}" for row in cursor.fetchall())


def run_correlation(waiting: int, calls: int, command: str) -> dict[str, float]:
    """Print the figures of ``calls`` correlations among ``waiting`` subscriptions; the figures."""
    from django_tenants.utils import schema_context

    from apps.engine.models import MessageSubscription
    from apps.engine.services.instances import latest_definition
    from apps.engine.services.messages import correlate
    from bench.seeding import seed_waiting

    print(f"\n== Correlation: {calls:,} messages among {waiting:,} open subscriptions, one client\n$ {command}")
    with schema_context(BENCH_SCHEMA):
        definition = latest_definition(MESSAGE_WAIT)
    print(f"  {seed_waiting(definition, waiting).summary()}", flush=True)
    with schema_context(BENCH_SCHEMA):
        open_subscriptions = MessageSubscription.objects.filter(message_name=MESSAGE).count()
        keys = random.sample(range(1, waiting), calls + 1)
    print(f"  {open_subscriptions:,} open subscriptions of {MESSAGE!r}; the lookup's plan:", flush=True)
    print(_explain(str(keys[-1])), flush=True)
    durations = []
    with schema_context(BENCH_SCHEMA):
        for key in keys[:calls]:
            begun = time.perf_counter()
            result = correlate(MESSAGE, correlation_key=str(key), actor="bench")
            durations.append((time.perf_counter() - begun) * 1000)
            if len(result.matched) != 1:
                raise RuntimeError(f"the message keyed {key} matched {result.matched}")
    figures = {name: percentile(durations, share) for name, share in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))}
    verdict = "met" if figures["p95"] < TARGET_P95_MS else "MISSED"
    print(
        f"  {calls:,} correlations, each moved one instance to its end: p50 {figures['p50']:.1f} ms, "
        f"p95 {figures['p95']:.1f} ms, p99 {figures['p99']:.1f} ms (target p95 < {TARGET_P95_MS:g} ms: {verdict})",
        flush=True,
    )
    return figures
