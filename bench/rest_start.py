"""Start to the first user task through the REST API, under gunicorn, with many instances waiting.

``POST /api/v1/process-definitions/key/bench_user_task/start/`` with a JWT, as an
integrator starts a process: the request ends when the new instance waits at its user task,
committed. The tenant holds ``waiting`` instances of the same process already (seeded,
see bench/seeding.py); wrk keeps ``connections`` requests in flight against gunicorn
with the production configuration, and reports the latency percentiles.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from apg_wbpm.embedded import free_port
from bench.context import BenchContext
from bench.load import LoadPlan, LoadResult, fetch_as_user, run_wrk
from bench.processes import START_VARIABLES, USER_TASK
from bench.provisioning import BENCH_DOMAIN
from bench.seeding import seed_waiting
from bench.servers import ServerSpec, gunicorn_spec, running

START_PATH = f"/api/v1/process-definitions/key/{USER_TASK}/start/"
START_BODY = json.dumps({"variables": START_VARIABLES})
TARGET_P95_MS = 15.0
WARMUP_SECONDS = 3
GUNICORN_WORKERS = 2


def server_spec() -> ServerSpec:
    return gunicorn_spec(free_port(), GUNICORN_WORKERS)


def check_start(context: BenchContext, port: int) -> None:
    """Start one instance by hand; raise unless it waits at the user task."""
    url = f"http://127.0.0.1:{port}{START_PATH}"
    instance = fetch_as_user(url, BENCH_DOMAIN, context.first_token, START_BODY)
    if instance.get("state") != "active" or instance.get("definition", {}).get("key") != USER_TASK:
        raise RuntimeError(f"{START_PATH} answered {instance}")


def measure_load(
    context: BenchContext, port: int, plan: LoadPlan, path: str, post_body: str | None = None
) -> tuple[LoadResult, str]:
    """Warm up, then load ``path``; the result and the wrk command as printed."""
    warmup = dataclasses.replace(plan, seconds=WARMUP_SECONDS)
    run_wrk(context.wrk_command(port, warmup, path, post_body), warmup)
    command = context.wrk_command(port, plan, path, post_body)
    return run_wrk(command, plan), context.shown(command)


def run_rest_start(context: BenchContext, definition: Any, waiting: int, plan: LoadPlan, command: str) -> LoadResult:
    print(
        f"\n== Start to the first user task through the REST API, {plan.connections} concurrent clients, "
        f"{waiting:,} instances waiting\n$ {command}",
        flush=True,
    )
    print(f"  {seed_waiting(definition, waiting).summary()}", flush=True)
    spec = server_spec()
    print(f"$ {context.shown(spec.argv, env=spec.env)}", flush=True)
    with running(spec, context.env, context.log_dir):
        check_start(context, spec.port)
        result, load_command = measure_load(context, spec.port, plan, START_PATH, START_BODY)
    p95 = result.latency_ms["p95"]
    met = "met" if p95 < TARGET_P95_MS and not result.error_count else "MISSED"
    print(f"$ {load_command}\n  POST {START_PATH}: {result.summary()}", flush=True)
    print(f"  p95 {p95:.1f} ms (target < {TARGET_P95_MS:g} ms: {met})", flush=True)
    return result
