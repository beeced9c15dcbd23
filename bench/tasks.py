"""The human task list under load: many open tasks, workers in several groups.

The tenant holds ``waiting`` instances of the user-task process, each with its open task (seeded,
see bench/seeding.py), offered to one of ``GROUPS`` candidate groups; every benchmark user is in
``USER_GROUPS`` of them, so each sees about half the tasks. Measured:

- the group task list (``GET /api/v1/tasks/?list=offered``, the first page of 50, by priority)
  through gunicorn, ``connections`` clients at once (wrk), target p95 < 50 ms;
- completions through the service layer (``apps.tasks.services.complete``: lock, check, the
  engine's step, the task closed), one after another in one process and in two processes at
  once, target at least 1,000 a second.

- claim, then complete, through the REST API (``POST /api/v1/tasks/{id}/claim/`` and
  ``…/complete/``) through gunicorn, ``ACTION_CLIENTS`` clients at once, each request a task of
  its own (bench/task_actions.lua), target p95 < 20 ms: first as many claims as the time allows,
  then the completion of each claimed task by its claimant.
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import time
from typing import Any

from bench.context import BenchContext
from bench.load import LoadPlan, LoadResult, run_wrk, wrk_command
from bench.provisioning import BENCH_DOMAIN, BENCH_SCHEMA, bench_usernames
from bench.rest_start import measure_load, server_spec
from bench.seeding import seed_waiting
from bench.servers import running

LIST_PATH = "/api/v1/tasks/?list=offered"
GROUPS = 20
USER_GROUPS = 10
TARGET_LIST_P95_MS = 50.0
TARGET_COMPLETIONS = 1000
TARGET_ACTION_P95_MS = 20.0
ACTION_CLIENTS = 8
ACTIONS_PER_SECOND = 800  # more tasks handed to wrk than it can claim in its time
COMPLETION_BODY = json.dumps({"variables": {"approved": True}})
WARMUP = 5  # completions per process before the timed ones


def _share_tasks() -> str:
    """Offer each open task to one of the groups, and put every user in half of them; who completes."""
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django_tenants.utils import schema_context

    with schema_context(BENCH_SCHEMA):
        groups = [Group.objects.get_or_create(name=f"team-{number}")[0] for number in range(GROUPS)]
        for user in User.objects.filter(is_superuser=False):
            user.groups.add(*groups[:USER_GROUPS])
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE tasks_task SET candidate_groups = ARRAY['team-' || (abs(hashtext(id::text)) %% %s)] "
                "WHERE state IN ('created', 'assigned')",
                [GROUPS],
            )
            cursor.execute("VACUUM ANALYZE tasks_task")
        return str(User.objects.filter(is_superuser=False).order_by("username").values_list("username", flat=True)[0])


def _offered_ids(username: str, count: int) -> list[str]:
    from django.contrib.auth.models import User
    from django_tenants.utils import schema_context

    from apps.tasks.models import Task
    from apps.tasks.services import offered_to

    with schema_context(BENCH_SCHEMA):
        user = User.objects.get(username=username)
        return [str(task_id) for task_id in Task.objects.filter(offered_to(user)).values_list("id", flat=True)[:count]]


def _claimable(count: int) -> list[str]:
    """Open, unclaimed tasks every benchmark user may claim (offered to a group all are in)."""
    from django_tenants.utils import schema_context

    from apps.tasks.models import Task

    shared = [f"team-{number}" for number in range(USER_GROUPS)]
    with schema_context(BENCH_SCHEMA):
        open_tasks = Task.objects.filter(state="created", assignee="", candidate_groups__overlap=shared)
        return [str(task_id) for task_id in open_tasks.values_list("id", flat=True)[:count]]


def _claimed_by_bench_users() -> list[tuple[str, str]]:
    from django_tenants.utils import schema_context

    from apps.tasks.models import Task

    with schema_context(BENCH_SCHEMA):
        claimed = Task.objects.filter(state="assigned", assignee__startswith="bench-user-")
        return [(str(task_id), assignee) for task_id, assignee in claimed.values_list("id", "assignee")]


def _measure_action(
    context: BenchContext, port: int, plan: LoadPlan, action: str, lines: list[str], body: str
) -> tuple[LoadResult, str]:
    path = context.log_dir / f"task-{action}.txt"
    path.write_text("\n".join(lines) + "\n")
    command = wrk_command(
        context.wrk,
        f"http://127.0.0.1:{port}/",
        BENCH_DOMAIN,
        context.tokens_file,
        plan,
        script="bench/task_actions.lua",
        script_args=[str(path), action, str(plan.threads), body],
    )
    return run_wrk(command, plan), context.shown(command)


def _claims_and_completions(context: BenchContext, port: int, plan: LoadPlan) -> None:
    """Claim as many tasks as ``plan`` allows, each as one of the users in turn; then complete
    each claimed task as its claimant. Print both."""
    plan = dataclasses.replace(plan, connections=ACTION_CLIENTS)
    tokens = context.tokens_file.read_text().split()
    token_of = dict(zip(bench_usernames(context.user_count), tokens, strict=True))
    names = sorted(token_of)
    task_ids = _claimable(ACTIONS_PER_SECOND * plan.seconds)
    lines = [f"{token_of[names[index % len(names)]]} {task_id}" for index, task_id in enumerate(task_ids)]
    for action, body in (("claim", "{}"), ("complete", COMPLETION_BODY)):
        if action == "complete":
            lines = [f"{token_of[assignee]} {task_id}" for task_id, assignee in _claimed_by_bench_users()]
            # A completion does all that a claim does and the engine's step: half the time is
            # ample to spend the claimed tasks without running out of them.
            plan = dataclasses.replace(plan, seconds=max(2, plan.seconds // 2))
        result, command = _measure_action(context, port, plan, action, lines, body)
        p95 = result.latency_ms["p95"]
        met = "met" if p95 < TARGET_ACTION_P95_MS and not result.error_count else "MISSED"
        print(f"$ {command}\n  POST /api/v1/tasks/{{id}}/{action}/: {result.summary()}", flush=True)
        print(f"  {action} p95 {p95:.1f} ms (target < {TARGET_ACTION_P95_MS:g} ms: {met})", flush=True)


def _complete_all(username: str, task_ids: list[str], barrier: Any, done: Any) -> None:
    """One OS process: complete ``task_ids`` as ``username`` through the service layer."""
    import uuid

    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection

    from apps.tasks.services import complete

    connection.set_schema(BENCH_SCHEMA)  # type: ignore[attr-defined] # django-tenants' connection
    user = User.objects.get(username=username)
    warm, timed = task_ids[:WARMUP], task_ids[WARMUP:]
    for task_id in warm:  # the process's first calls compile the model and fill its caches
        complete(uuid.UUID(task_id), user, {"approved": True})
    barrier.wait()
    begun = time.perf_counter()
    for task_id in timed:
        complete(uuid.UUID(task_id), user, {"approved": True})
    done.put((len(timed), time.perf_counter() - begun))


def _completion_rate(username: str, task_ids: list[str], processes: int) -> float:
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    barrier, done = context.Barrier(processes), context.Queue()
    shares = [task_ids[index::processes] for index in range(processes)]
    workers = [context.Process(target=_complete_all, args=(username, share, barrier, done)) for share in shares]
    for worker in workers:
        worker.start()
    results = [done.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    completed = sum(count for count, _ in results)
    return completed / max(seconds for _, seconds in results)


def run_tasks(
    context: BenchContext, definition: Any, waiting: int, plan: LoadPlan, completions: int, command: str
) -> LoadResult:
    print(
        f"\n== Human tasks: {waiting:,} open, the group list at {plan.connections} concurrent clients, "
        f"completions through the service layer\n$ {command}",
        flush=True,
    )
    print(f"  {seed_waiting(definition, waiting).summary()}", flush=True)
    username = _share_tasks()
    spec = server_spec()
    print(f"$ {context.shown(spec.argv, env=spec.env)}", flush=True)
    with running(spec, context.env, context.log_dir):
        result, load_command = measure_load(context, spec.port, plan, LIST_PATH)
        p95 = result.latency_ms["p95"]
        met = "met" if p95 < TARGET_LIST_P95_MS and not result.error_count else "MISSED"
        print(f"$ {load_command}\n  GET {LIST_PATH}: {result.summary()}", flush=True)
        print(f"  group list p95 {p95:.1f} ms (target < {TARGET_LIST_P95_MS:g} ms: {met})", flush=True)
        _claims_and_completions(context, spec.port, plan)
    task_ids = _offered_ids(username, 3 * completions + 3 * WARMUP)
    for processes, share in ((1, task_ids[:completions]), (2, task_ids[completions : 3 * completions])):
        rate = _completion_rate(username, share, processes)
        share = share[: len(share) - WARMUP * processes]  # as timed
        met = "met" if rate >= TARGET_COMPLETIONS else "MISSED"
        print(
            f"  {len(share):,} completions through the service layer, {processes} process(es): {rate:,.0f} a second "
            f"(target >= {TARGET_COMPLETIONS:,}: {met})",
            flush=True,
        )
    return result
