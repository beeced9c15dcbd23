"""Durable straight-through instances per second: ours through the service layer, SpiffWorkflow
writing its serialized state, both committed to the same PostgreSQL, one commit per instance.

Ours: ``start_instance`` of the five-script process in the tenant's schema: the instance,
its activity history and variable changes, in one transaction (what every start costs in
production). SpiffWorkflow: the same file run with ``do_engine_steps``, then the workflow
serialized with ``BpmnWorkflowSerializer.serialize_json`` (as its documentation shows, the
spec included) and inserted as ``jsonb`` into a table of its own schema, one commit each.

Each side runs in the same number of OS processes, one instance after another in each;
the processes start together after a warm-up, and the figure is all their instances over
the longest of their measured times.
"""

from __future__ import annotations

import multiprocessing
import queue
import uuid
from collections.abc import Callable
from typing import Any

from bench.processes import START_VARIABLES, STRAIGHT, SpiffProcess
from bench.provisioning import BENCH_SCHEMA
from bench.timing import Comparison, Rate, measure_rate

TARGET_RATIO = 2.0
SPIFF_SCHEMA = "spiff_bench"
SPIFF_TABLE = f"{SPIFF_SCHEMA}.workflow"
WARMUP_INSTANCES = 20


def _our_loop() -> Callable[[], object]:
    import django

    django.setup()
    from django.db import connection

    from apps.engine.models import ProcessDefinition
    from apps.engine.services.instances import start_instance

    connection.set_schema(BENCH_SCHEMA)  # type: ignore[attr-defined] # django-tenants' connection
    definition = ProcessDefinition.objects.select_related("deployment").filter(key=STRAIGHT).latest("version")

    def start() -> object:
        return start_instance(definition, START_VARIABLES, started_by="bench")

    return start


def _spiff_loop() -> Callable[[], object]:
    import os

    import psycopg
    from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer

    process = SpiffProcess(STRAIGHT)
    serializer = BpmnWorkflowSerializer()
    connection = psycopg.connect(os.environ["DATABASE_URL"])
    statement = f"INSERT INTO {SPIFF_TABLE} (id, process_key, completed, state) VALUES (%s, %s, %s, %s)"  # noqa: S608

    def run() -> object:
        workflow = process.run_instance()
        state = serializer.serialize_json(workflow)
        connection.execute(statement, [uuid.uuid4(), STRAIGHT, workflow.is_completed(), state])
        connection.commit()
        return workflow

    return run


LOOPS = {"ours": _our_loop, "spiff": _spiff_loop}


def _worker(side: str, seconds: float, barrier: Any, results: Any) -> None:
    """One OS process: set up its side, warm up, wait for the others, then run for ``seconds``."""
    run = LOOPS[side]()
    for _ in range(WARMUP_INSTANCES):
        run()
    barrier.wait()
    rate = measure_rate(run, seconds, warmup_calls=0)
    results.put((rate.calls, rate.seconds))


def _next_result(results: Any, workers: list[Any]) -> tuple[int, float]:
    """The next worker's (calls, seconds); raise as soon as a worker died without one."""
    while True:
        try:
            return results.get(timeout=1)  # type: ignore[no-any-return]
        except queue.Empty:
            failed = [worker.exitcode for worker in workers if worker.exitcode not in (None, 0)]
            if failed:
                raise RuntimeError(f"a benchmark process exited with {failed[0]}; see its traceback above") from None


def measure_side(side: str, processes: int, seconds: float) -> Rate:
    """Instances per second of ``processes`` fresh OS processes running ``side`` together."""
    context = multiprocessing.get_context("spawn")  # each builds its own connections and caches
    barrier = context.Barrier(processes)
    results = context.Queue()
    workers = [context.Process(target=_worker, args=(side, seconds, barrier, results)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    try:
        measured = [_next_result(results, workers) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.kill()
    return Rate(sum(calls for calls, _ in measured), max(elapsed for _, elapsed in measured))


def create_spiff_table() -> None:
    """SpiffWorkflow's table, in a schema of its own in the benchmark database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {SPIFF_SCHEMA}")
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {SPIFF_TABLE} (id uuid PRIMARY KEY, process_key text NOT NULL, "
            "completed boolean NOT NULL, state jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
        )
        cursor.execute(f"TRUNCATE {SPIFF_TABLE}")


def spiff_state_bytes() -> int:
    """The size of one serialized SpiffWorkflow state of the process, in bytes."""
    from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer

    return len(BpmnWorkflowSerializer().serialize_json(SpiffProcess(STRAIGHT).run_instance()).encode())


def run_durable(processes: tuple[int, ...], seconds: float, command: str) -> list[Comparison]:
    print(
        f"\n== Durable straight-through ({STRAIGHT}), committed to PostgreSQL: "
        f"{seconds:g} s per engine and number of processes\n$ {command}",
        flush=True,
    )
    create_spiff_table()
    print(f"  SpiffWorkflow's serialized state of one instance: {spiff_state_bytes():,} bytes of JSON", flush=True)
    results = []
    for count in processes:
        label = f"{count} OS process{'es' if count > 1 else ''}"
        result = Comparison(label, measure_side("ours", count, seconds), measure_side("spiff", count, seconds))
        print(f"  {result.summary(TARGET_RATIO)}", flush=True)
        results.append(result)
    return results
