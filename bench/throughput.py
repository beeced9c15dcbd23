"""Requests per second and latency of an authenticated DRF view under gunicorn and under daphne.

Production serves HTTP with gunicorn sync workers and only /ws/ with daphne; these two
figures are why. Each server gets a short warm-up, then one measured wrk run.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from bench.context import ME_PATH, BenchContext
from bench.load import LoadPlan, LoadResult, fetch_as_user, run_wrk
from bench.provisioning import BENCH_DOMAIN, BENCH_SCHEMA
from bench.servers import ServerSpec, running


@dataclass(frozen=True)
class Measurement:
    label: str
    server_command: str
    load_command: str
    result: LoadResult


def measure(context: BenchContext, spec: ServerSpec, label: str, plan: LoadPlan, warmup_seconds: int) -> Measurement:
    """Start the server, check one request by hand, warm it up, measure, stop it."""
    print(f"\n== {label}\n$ {context.shown(spec.argv, env=spec.env)}", flush=True)
    with running(spec, context.env, context.log_dir) as server:
        me = fetch_as_user(server.url(ME_PATH), BENCH_DOMAIN, context.first_token)
        if me.get("tenant") != BENCH_SCHEMA:
            raise RuntimeError(f"{ME_PATH} answered for another tenant: {me}")
        if warmup_seconds:
            warmup = dataclasses.replace(plan, seconds=warmup_seconds)
            run_wrk(context.wrk_command(spec.port, warmup), warmup)
        command = context.wrk_command(spec.port, plan)
        print(f"$ {context.shown(command)}", flush=True)
        result = run_wrk(command, plan)
    print(result.output.rstrip(), flush=True)
    return Measurement(label, context.shown(spec.argv, env=spec.env), context.shown(command), result)


def report(measurements: list[Measurement], context: BenchContext, plan: LoadPlan) -> str:
    lines = [
        f"GET {ME_PATH} on {BENCH_DOMAIN} with the JWTs of {context.user_count} users in turn; "
        f"wrk {plan.threads} threads, {plan.connections} connections, {plan.seconds} s per server",
    ]
    width = max(len(measurement.label) for measurement in measurements)
    lines += [f"  {m.label:<{width}}  {m.result.summary()}" for m in measurements]
    if len(measurements) == 2 and measurements[1].result.requests_per_second:
        ratio = measurements[0].result.requests_per_second / measurements[1].result.requests_per_second
        lines.append(f"  {measurements[0].label} served {ratio:.1f} times the requests of {measurements[1].label}")
    lines.append("Commands:")
    for measurement in measurements:
        lines += [f"  {measurement.server_command}", f"  {measurement.load_command}"]
    return "\n".join(lines)


def run_throughput(context: BenchContext, gunicorn: ServerSpec, daphne: ServerSpec, plan: LoadPlan, warmup: int) -> int:
    """Measure both servers one after the other; return 1 when any request failed."""
    workers = gunicorn.argv[gunicorn.argv.index("--workers") + 1]
    measurements = [
        measure(context, gunicorn, f"gunicorn, {workers} sync workers", plan, warmup),
        measure(context, daphne, "daphne, 1 process", plan, warmup),
    ]
    print("\n== Results\n" + report(measurements, context, plan), flush=True)
    failed = [m.label for m in measurements if m.result.error_count]
    if failed:
        print(f"Requests failed under {', '.join(failed)}: the figures do not count.", flush=True)
        return 1
    return 0
