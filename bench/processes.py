"""The BPMN files of the engine benchmarks (bench/models/), run by our engine and by SpiffWorkflow.

Both engines read the same files unchanged. The scripts are ``name = expression``
statements separated by ``;``: our script language, and also Python, which SpiffWorkflow
executes. The files give no ``scriptFormat``, which both engines accept.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from uuid6 import uuid7

MODELS = Path(__file__).resolve().parent / "models"
STRAIGHT = "bench_straight_scripts"  # start, five script tasks, end
PARALLEL = "bench_parallel_scripts"  # start, a parallel split into three script tasks, a join, end
USER_TASK = "bench_user_task"  # start, a user task "review", end
ASYNC_STEPS = "bench_async_steps"  # start, five script tasks each behind an async continuation, end
TIMER = "bench_timer"  # start, a timer catch event until the date in "due", end
MESSAGE_WAIT = "bench_message_wait"  # start, a message catch event "bench-paid" keyed by "count", end
FILES = {
    STRAIGHT: "straight_scripts.bpmn",
    PARALLEL: "parallel_scripts.bpmn",
    USER_TASK: "user_task.bpmn",
    ASYNC_STEPS: "async_steps.bpmn",
    TIMER: "timer_date.bpmn",
    MESSAGE_WAIT: "message_wait.bpmn",
}
START_VARIABLES: dict[str, Any] = {"count": 0}


def model_path(key: str) -> Path:
    return MODELS / FILES[key]


def new_id() -> str:
    """An id as the service layer makes them: a time-ordered UUID (v7) as text."""
    return str(uuid7())


class OurProcess:
    """Our interpreter alone: the compiled process of a file, started in memory."""

    def __init__(self, key: str) -> None:
        from apps.engine import runtime
        from apps.engine.bpmn.parser import parse_definitions
        from apps.engine.expressions import compile_expression, compile_script

        parsed = parse_definitions(model_path(key).read_bytes())
        if parsed.definitions is None or key not in parsed.definitions.processes:
            raise RuntimeError(f"{model_path(key)} does not parse: {parsed.problems}")
        self.process = runtime.CompiledProcess(parsed.definitions.processes[key], compile_expression, compile_script)
        self.start = runtime.start

    def run_instance(self) -> Any:
        """Start one instance and run it until it waits or ends; return the step (the diff)."""
        return self.start(self.process, START_VARIABLES, now=datetime.now(UTC), new_id=new_id)


class SpiffProcess:
    """SpiffWorkflow 3: the spec of a file, validated against the BPMN schema as its parser does."""

    def __init__(self, key: str) -> None:
        from SpiffWorkflow.bpmn import BpmnWorkflow
        from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser, BpmnValidator
        from SpiffWorkflow.util.task import TaskState

        parser = BpmnParser(validator=BpmnValidator())
        parser.add_bpmn_file(str(model_path(key)))
        self.spec = parser.get_spec(key)
        self.workflow_class = BpmnWorkflow
        self.ready = TaskState.READY

    def run_instance(self) -> Any:
        """Start one workflow and run its engine steps until it waits or ends; return the workflow."""
        workflow = self.workflow_class(self.spec)
        workflow.get_next_task(state=self.ready).set_data(**START_VARIABLES)
        workflow.do_engine_steps()
        return workflow


def check_same_results(key: str) -> None:
    """Raise unless both engines end the process with the same variables (they run the same model)."""
    ours = OurProcess(key).run_instance()
    spiff = SpiffProcess(key).run_instance()
    if ours.outcome is None or not spiff.is_completed():
        raise RuntimeError(f"{key} did not complete in both engines")
    spiff_data = {name: value for name, value in spiff.get_tasks()[-1].data.items() if name != "data_objects"}
    if dict(ours.variables) | START_VARIABLES != spiff_data | START_VARIABLES:
        raise RuntimeError(f"{key} ended differently: ours {ours.variables}, SpiffWorkflow {spiff_data}")
