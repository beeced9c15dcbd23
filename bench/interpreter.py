"""Instances per second of the interpreters alone, in memory: ours and SpiffWorkflow's.

Ours: ``apps.engine.runtime.start`` on the compiled process, with time-ordered ids as the
service layer makes them. SpiffWorkflow: ``BpmnWorkflow`` on the parsed spec, then
``do_engine_steps``. Each runs one instance after another in this process, from start
to end, on the same BPMN file; no database, no serialization.
"""

from __future__ import annotations

from bench.processes import PARALLEL, STRAIGHT, OurProcess, SpiffProcess, check_same_results
from bench.timing import Comparison, measure_rate

TARGET_RATIO = 5.0


def compare(key: str, seconds: float) -> Comparison:
    check_same_results(key)
    ours = measure_rate(OurProcess(key).run_instance, seconds)
    spiff = measure_rate(SpiffProcess(key).run_instance, seconds)
    return Comparison(key, ours, spiff)


def run_interpreter(seconds: float, command: str) -> list[Comparison]:
    print(f"\n== Interpreter alone, no database: {seconds:g} s per engine and process\n$ {command}", flush=True)
    results = []
    for key in (STRAIGHT, PARALLEL):
        result = compare(key, seconds)
        print(f"  {result.summary(TARGET_RATIO)}", flush=True)
        results.append(result)
    return results
