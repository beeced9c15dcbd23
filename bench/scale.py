"""Do start, complete and list stay as fast with a million waiting instances as with ten thousand?

For each number of waiting instances (seeded, see bench/seeding.py), one client at a time:

- start: ``POST`` the start endpoint through gunicorn (wrk, one connection);
- list: ``GET /api/v1/process-instances/?state=active&key=...``, the first page (50,
  newest first), through gunicorn (wrk, one connection);
- complete: ``complete_wait`` of the service layer on the user task of randomly chosen
  waiting instances, in this process (there is no REST endpoint for user tasks yet).

The figure is the ratio of each latency at the large size to the one at the small size.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from bench.context import BenchContext
from bench.load import LoadPlan, LoadResult
from bench.processes import USER_TASK
from bench.provisioning import BENCH_SCHEMA
from bench.rest_start import START_BODY, START_PATH, check_start, measure_load, server_spec
from bench.seeding import Seeding, seed_waiting
from bench.servers import running
from bench.timing import Latencies, latencies

LIST_PATH = f"/api/v1/process-instances/?state=active&key={USER_TASK}"
TARGET_RATIO = 1.5
WARMUP_COMPLETIONS = 10


@dataclass(frozen=True)
class SizeResult:
    waiting: int
    seeding: Seeding
    start: Latencies
    complete: Latencies
    list: Latencies


def _from_wrk(result: LoadResult) -> Latencies:
    latency = result.latency_ms
    return Latencies(result.requests, latency["p50"], latency["p95"], latency["p99"], latency["max"])


def time_completions(calls: int) -> Latencies:
    """Complete the user task of ``calls`` random waiting instances, one after another, timed."""
    from django.db import connection
    from django_tenants.utils import schema_context

    from apps.engine.services.instances import complete_wait

    with schema_context(BENCH_SCHEMA):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT instance_id, id FROM engine_token WHERE element_id = 'review' ORDER BY random() LIMIT %s",
                [calls + WARMUP_COMPLETIONS],
            )
            waits = cursor.fetchall()
        timings = []
        for index, (instance_id, token_id) in enumerate(waits):
            started = time.perf_counter()
            complete_wait(instance_id, str(token_id), {"approved": True}, actor="bench", expected_wait="user-task")
            if index >= WARMUP_COMPLETIONS:
                timings.append(time.perf_counter() - started)
    return latencies(timings)


def measure_size(context: BenchContext, definition: Any, waiting: int, seconds: int, calls: int) -> SizeResult:
    seeding = seed_waiting(definition, waiting)
    print(f"  {seeding.summary()}", flush=True)
    spec = server_spec()
    plan = LoadPlan(threads=1, connections=1, seconds=seconds)
    with running(spec, context.env, context.log_dir):
        check_start(context, spec.port)
        start, start_command = measure_load(context, spec.port, plan, START_PATH, START_BODY)
        listing, list_command = measure_load(context, spec.port, plan, LIST_PATH)
    complete = time_completions(calls)
    print(f"$ {context.shown(spec.argv, env=spec.env)}\n$ {start_command}\n$ {list_command}", flush=True)
    result = SizeResult(waiting, seeding, _from_wrk(start), complete, _from_wrk(listing))
    for name in ("start", "complete", "list"):
        print(f"  {waiting:>9,} waiting  {name:<8} {getattr(result, name).summary()}", flush=True)
    return result


def run_scale(
    context: BenchContext, definition: Any, sizes: tuple[int, int], seconds: int, calls: int, command: str
) -> tuple[SizeResult, SizeResult]:
    title = f"Latency with {sizes[0]:,} and with {sizes[1]:,} instances waiting in the tenant"
    print(f"\n== {title}\n$ {command}", flush=True)
    small, large = [measure_size(context, definition, waiting, seconds, calls) for waiting in sizes]
    for name in ("start", "complete", "list"):
        before, after = getattr(small, name), getattr(large, name)
        ratio = after.p50 / before.p50
        met = "met" if ratio <= TARGET_RATIO else "MISSED"
        print(
            f"  {name:<8} p50 {before.p50:.1f} -> {after.p50:.1f} ms ({ratio:.2f}x), "
            f"p95 {before.p95:.1f} -> {after.p95:.1f} ms ({after.p95 / before.p95:.2f}x) "
            f"(target p50 within {TARGET_RATIO:g}x: {met})",
            flush=True,
        )
    return small, large
