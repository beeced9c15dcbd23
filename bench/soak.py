"""A long run against gunicorn: no failed request, no worker lost, no memory that keeps growing.

After a warm-up (imports, caches and connection pools fill up), the resident memory of
each worker is the baseline. The load then runs in one-minute rounds; after each round
the workers' memory is read again. The run passes when no request failed, the same
workers are alive at the end, and none grew by more than LEAK_TOLERANCE_KIB.
"""

from __future__ import annotations

import dataclasses

from bench.context import ME_PATH, BenchContext
from bench.load import LoadPlan, fetch_as_user, run_wrk
from bench.provisioning import BENCH_DOMAIN
from bench.servers import ServerSpec, child_pids, resident_kib, running

ROUND_SECONDS = 60
# Allocator noise stays well below this; a leak of a few hundred bytes a request does not.
LEAK_TOLERANCE_KIB = 8 * 1024


def workers_memory(master_pid: int) -> dict[int, int]:
    """Resident KiB of each live worker of a gunicorn master."""
    memory = {}
    for pid in child_pids(master_pid):
        try:
            memory[pid] = resident_kib(pid)
        except OSError:
            continue  # exited between listing and reading
    return memory


def _mib(memory: dict[int, int]) -> str:
    return ", ".join(f"{pid}: {kib / 1024:.1f} MiB" for pid, kib in sorted(memory.items()))


def find_problems(before: dict[int, int], after: dict[int, int], errors: int) -> list[str]:
    problems = []
    if errors:
        problems.append(f"{errors} requests failed")
    if set(after) != set(before):
        problems.append(f"workers changed from {sorted(before)} to {sorted(after)} (one died or was replaced)")
    for pid in sorted(set(before) & set(after)):
        growth = after[pid] - before[pid]
        if growth > LEAK_TOLERANCE_KIB:
            tolerance = LEAK_TOLERANCE_KIB // 1024
            problems.append(f"worker {pid} grew by {growth / 1024:.1f} MiB (tolerance {tolerance} MiB)")
    return problems


def run_soak(context: BenchContext, gunicorn: ServerSpec, plan: LoadPlan, total_seconds: int, warmup: int) -> int:
    """Load gunicorn for ``total_seconds`` in rounds; return 1 when a problem was found."""
    print(f"\n== Soak: gunicorn for {total_seconds} s\n$ {context.shown(gunicorn.argv, env=gunicorn.env)}", flush=True)
    requests = errors = 0
    with running(gunicorn, context.env, context.log_dir) as server:
        fetch_as_user(server.url(ME_PATH), BENCH_DOMAIN, context.first_token)
        warmup_plan = dataclasses.replace(plan, seconds=warmup)
        run_wrk(context.wrk_command(gunicorn.port, warmup_plan), warmup_plan)
        before = workers_memory(server.process.pid)
        print(f"after a {warmup} s warm-up, workers' memory: {_mib(before)}", flush=True)
        elapsed = 0
        while elapsed < total_seconds:
            round_plan = dataclasses.replace(plan, seconds=min(ROUND_SECONDS, total_seconds - elapsed))
            command = context.wrk_command(gunicorn.port, round_plan)
            if elapsed == 0:
                print(f"$ {context.shown(command)}   (in rounds of up to {ROUND_SECONDS} s)", flush=True)
            result = run_wrk(command, round_plan)
            elapsed += round_plan.seconds
            requests += result.requests
            errors += result.error_count
            memory = workers_memory(server.process.pid)
            print(f"{elapsed:>5} s  {result.summary()}; memory {_mib(memory)}", flush=True)
        after = workers_memory(server.process.pid)
    problems = find_problems(before, after, errors)
    growth = {pid: after[pid] - before[pid] for pid in set(before) & set(after)}
    print(
        f"\n== Soak result\n{requests:,} requests in {total_seconds} s, {errors} failed; "
        f"memory growth per worker: {', '.join(f'{kib / 1024:+.1f} MiB' for _, kib in sorted(growth.items()))}",
        flush=True,
    )
    if problems:
        print("FAILED: " + "; ".join(problems), flush=True)
        return 1
    print("passed: no failed request, the same workers throughout, no memory growth past the tolerance", flush=True)
    return 0
