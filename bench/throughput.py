"""Requests per second and latency of an authenticated DRF view under gunicorn and under daphne.

Production serves HTTP with gunicorn sync workers and only /ws/ with daphne; these
figures are why. Each server is measured on ``GET /api/v1/me/`` with a JWT (the
figure that counts) and on ``GET /health`` (the first middleware answers: the ceiling
of the server itself on this machine). Each run has a short warm-up before it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from bench.context import HEALTH_PATH, ME_PATH, BenchContext
from bench.load import LoadPlan, LoadResult, fetch_as_user, run_wrk
from bench.provisioning import BENCH_DOMAIN, BENCH_SCHEMA
from bench.servers import ServerSpec, running

PATHS = (ME_PATH, HEALTH_PATH)


@dataclass(frozen=True)
class Measurement:
    server: str
    path: str
    server_command: str
    load_command: str
    result: LoadResult


def measure(
    context: BenchContext, spec: ServerSpec, server_label: str, plan: LoadPlan, warmup_seconds: int
) -> list[Measurement]:
    """Start the server, check one request by hand, then warm up and measure each path; stop it."""
    server_command = context.shown(spec.argv, env=spec.env)
    print(f"\n== {server_label}\n$ {server_command}", flush=True)
    measurements = []
    with running(spec, context.env, context.log_dir) as server:
        me = fetch_as_user(server.url(ME_PATH), BENCH_DOMAIN, context.first_token)
        if me.get("tenant") != BENCH_SCHEMA:
            raise RuntimeError(f"{ME_PATH} answered for another tenant: {me}")
        for path in PATHS:
            if warmup_seconds:
                warmup = dataclasses.replace(plan, seconds=warmup_seconds)
                run_wrk(context.wrk_command(spec.port, warmup, path), warmup)
            command = context.wrk_command(spec.port, plan, path)
            print(f"$ {context.shown(command)}", flush=True)
            result = run_wrk(command, plan)
            print(result.output.rstrip(), flush=True)
            measurements.append(Measurement(server_label, path, server_command, context.shown(command), result))
    return measurements


def report(measurements: list[Measurement], context: BenchContext, plan: LoadPlan) -> str:
    lines = [
        f"wrk {plan.threads} threads, {plan.connections} connections, {plan.seconds} s a run; "
        f"{ME_PATH} with the JWTs of {context.user_count} users in turn, Host {BENCH_DOMAIN}",
    ]
    width = max(len(f"{m.server}, GET {m.path}") for m in measurements)
    lines += [f"  {m.server + ', GET ' + m.path:<{width}}  {m.result.summary()}" for m in measurements]
    api = [m for m in measurements if m.path == ME_PATH]
    if len(api) == 2 and api[1].result.requests_per_second:
        ratio = api[0].result.requests_per_second / api[1].result.requests_per_second
        lines.append(f"  on {ME_PATH}, {api[0].server} served {ratio:.1f} times the requests of {api[1].server}")
    lines.append("Commands:")
    for server_command in dict.fromkeys(m.server_command for m in measurements):
        lines.append(f"  {server_command}")
        lines += [f"    {m.load_command}" for m in measurements if m.server_command == server_command]
    return "\n".join(lines)


def run_throughput(context: BenchContext, gunicorn: ServerSpec, daphne: ServerSpec, plan: LoadPlan, warmup: int) -> int:
    """Measure both servers one after the other; return 1 when any request failed."""
    workers = gunicorn.argv[gunicorn.argv.index("--workers") + 1]
    measurements = [
        *measure(context, gunicorn, f"gunicorn, {workers} sync workers", plan, warmup),
        *measure(context, daphne, "daphne, 1 process", plan, warmup),
    ]
    print("\n== Results\n" + report(measurements, context, plan), flush=True)
    failed = [f"{m.server}, GET {m.path}" for m in measurements if m.result.error_count]
    if failed:
        print(f"Requests failed under {'; '.join(failed)}: the figures do not count.", flush=True)
        return 1
    return 0
