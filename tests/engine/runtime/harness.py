"""Run a model file the two ways the engine runs it, behind one interface.

``Instance`` drives the interpreter in memory, the way the store does between requests: each
trigger starts from the snapshot the previous step left. ``StoredInstance`` drives the same
model through the service layer and the database of the current tenant schema, and reloads
its snapshot from a freshly fetched row after every trigger.
"""

from __future__ import annotations

import itertools
import sys
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import pytest

from apps.engine import clock, runtime
from apps.engine.bpmn.parser import parse_definitions
from apps.engine.expressions import compile_expression, compile_script
from apps.engine.models import (
    ActivityInstance,
    ExternalTask,
    InstanceState,
    Job,
    MessageSubscription,
    ProcessDefinition,
    ProcessInstance,
    Token,
)
from apps.engine.runtime import CompiledProcess, Outcome, Snapshot, Step, apply_step, halted
from apps.engine.runtime.interpreter import ServiceHandler
from apps.engine.services import external_tasks, instances, jobs, messages, operations, store
from apps.engine.services.compiled import compiled_process
from apps.engine.services.deployments import deploy

MODELS = Path(__file__).parent / "models"
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
ACTOR = "tester"

History = tuple[str, str, str, datetime | None]  # an activity instance row: id, element, state, end


def load(name: str) -> CompiledProcess:
    result = parse_definitions((MODELS / f"{name}.bpmn").read_bytes())
    assert result.definitions is not None, result.problems
    assert [problem for problem in result.problems if problem.severity == "error"] == []
    (key,) = result.definitions.processes
    return CompiledProcess.from_file(result.definitions, key, compile_expression, compile_script)


def token_at(snapshot: Snapshot, element_id: str) -> str:
    """The id of the one token at ``element_id``."""
    found = [token.id for token in snapshot.tokens.values() if token.element_id == element_id]
    assert len(found) == 1, f"Expected one token at {element_id!r}, found {len(found)}."
    return found[0]


def gateway_token_of(snapshot: Snapshot, event_id: str) -> str:
    """The id of the token waiting at an event-based gateway for ``event_id``."""
    found = [token.id for token in snapshot.tokens.values() if event_id in token.data.get("gateway_events", ())]
    assert len(found) == 1, f"Expected one gateway waiting for {event_id!r}, found {len(found)}."
    return found[0]


def subscriber_of(snapshot: Snapshot, boundary_id: str) -> str:
    """The id of the token whose running activity has the boundary event ``boundary_id``."""
    found = [token.id for token in snapshot.tokens.values() if boundary_id in token.data.get("boundaries", ())]
    assert len(found) == 1, f"Expected one activity with {boundary_id!r}, found {len(found)}."
    return found[0]


@dataclass
class Instance:
    """An instance driven in memory; ``visited`` and ``steps`` accumulate over triggers."""

    process: CompiledProcess
    handlers: dict[str, ServiceHandler] = field(default_factory=dict)
    snapshot: Snapshot = field(default_factory=Snapshot)
    visited: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    ids: Any = field(default_factory=lambda: (f"id-{n}" for n in itertools.count(1)))

    def _apply(self, step: Step) -> Step:
        self.snapshot = apply_step(self.snapshot, step)
        self.visited += step.visited
        self.steps.append(step)
        return step

    def _new_id(self) -> str:
        return str(next(self.ids))

    def start(self, **variables: Any) -> Step:
        return self._apply(runtime.start(self.process, variables, now=NOW, new_id=self._new_id, handlers=self.handlers))

    def complete(self, element_id: str, **variables: Any) -> Step:
        return self.complete_token(token_at(self.snapshot, element_id), **variables)

    def complete_token(self, token_id: str, **variables: Any) -> Step:
        """Complete one waiting token: one instance of a multi-instance activity, say."""
        step = runtime.complete(
            self.process, self.snapshot, token_id, variables, now=NOW, new_id=self._new_id, handlers=self.handlers
        )
        return self._apply(step)

    def set_variables(self, **variables: Any) -> Step:
        """Variables set from outside the model, as an operator sets them."""
        step = runtime.set_variables(
            self.process, self.snapshot, variables, now=NOW, new_id=self._new_id, handlers=self.handlers
        )
        return self._apply(step)

    def fire(self, element_id: str) -> Step:
        """Run the job the token at ``element_id`` waits for (a timer, an async continuation)."""
        return self.fire_token(token_at(self.snapshot, element_id))

    def fire_boundary(self, boundary_id: str) -> Step:
        """Trigger the boundary event ``boundary_id`` of the running activity it is attached to."""
        step = runtime.fire_boundary(
            self.process,
            self.snapshot,
            subscriber_of(self.snapshot, boundary_id),
            boundary_id,
            now=NOW,
            new_id=self._new_id,
            handlers=self.handlers,
        )
        return self._apply(step)

    def fire_gateway(self, event_id: str, **variables: Any) -> Step:
        """``event_id``, one of the events after an event-based gateway, happens first."""
        step = runtime.fire_gateway_event(
            self.process,
            self.snapshot,
            gateway_token_of(self.snapshot, event_id),
            event_id,
            now=NOW,
            new_id=self._new_id,
            handlers=self.handlers,
            variables=variables,
        )
        return self._apply(step)

    def throw_error(self, element_id: str, code: str, message: str = "") -> Step:
        """The worker of the activity at ``element_id`` reports the BPMN error ``code``."""
        step = runtime.throw_error(
            self.process,
            self.snapshot,
            token_at(self.snapshot, element_id),
            code,
            message,
            now=NOW,
            new_id=self._new_id,
            handlers=self.handlers,
        )
        return self._apply(step)

    def fire_token(self, token_id: str) -> Step:
        kind = self.snapshot.tokens[token_id].data["wait"]
        step = runtime.continue_job(
            self.process, self.snapshot, token_id, kind, now=NOW, new_id=self._new_id, handlers=self.handlers
        )
        return self._apply(step)

    def modify(
        self,
        *,
        cancel: Iterable[str] = (),
        start_before: Iterable[str] = (),
        variables: Mapping[str, Any] | None = None,
    ) -> Step:
        step = runtime.modify(
            self.process,
            self.snapshot,
            cancel=list(cancel),
            start_before=list(start_before),
            variables=dict(variables or {}),
            now=NOW,
            new_id=self._new_id,
            handlers=self.handlers,
        )
        return self._apply(step)

    @property
    def waiting_at(self) -> list[str]:
        return sorted(token.element_id for token in self.snapshot.tokens.values())


@dataclass(frozen=True)
class WrittenStep:
    instance_id: uuid.UUID
    step: Step


def spy_on_written_steps(monkeypatch: pytest.MonkeyPatch) -> list[WrittenStep]:
    """Record every step the service layer writes, then write it as usual.

    Service modules import ``write_step`` by name, so the spy replaces it in each of them as
    well as in the store.
    """
    written: list[WrittenStep] = []
    write_for_real = store.write_step

    def write_step(instance: ProcessInstance, step: Step, **options: Any) -> None:
        written.append(WrittenStep(instance.id, step))
        write_for_real(instance, step, **options)

    for name, module in list(sys.modules.items()):
        if name.startswith("apps.engine.services") and getattr(module, "write_step", None) is write_for_real:
            monkeypatch.setattr(module, "write_step", write_step)
    return written


class StoredInstance:
    """The interface of ``Instance``, driven through the service layer in the current tenant schema.

    Every trigger is a service call in its own transaction. Afterwards the snapshot is read
    again from a freshly fetched instance row, and that row, its tokens and its activity
    history must be what the written step says; a trigger that raises must have changed
    nothing. Needs ``spy_on_written_steps`` installed and a tenant schema active.
    """

    def __init__(
        self, name: str, written: list[WrittenStep], handlers: dict[str, ServiceHandler] | None = None
    ) -> None:
        xml = (MODELS / f"{name}.bpmn").read_bytes()
        (self.definition,) = deploy(xml, name=f"{name}.bpmn", deployed_by=ACTOR).definitions
        self.process: CompiledProcess = compiled_process(self.definition)
        self.handlers: dict[str, ServiceHandler] = handlers if handlers is not None else {}
        self.snapshot = Snapshot()
        self.visited: list[str] = []
        self.steps: list[Step] = []
        self.instance_id: uuid.UUID | None = None
        self._written = written

    @property
    def waiting_at(self) -> list[str]:
        return sorted(token.element_id for token in self.snapshot.tokens.values())

    def start(self, **variables: Any) -> Step:
        assert self.instance_id is None, "This instance has started already."
        written_before = len(self._written)
        instance = instances.start_instance(self.definition, variables, started_by=ACTOR, handlers=self.handlers)
        self.instance_id = instance.id
        return self._reload_after(written_before)

    def complete(self, element_id: str, **variables: Any) -> Step:
        return self.complete_token(token_at(self.snapshot, element_id), **variables)

    def complete_token(self, token_id: str, **variables: Any) -> Step:
        instance_id = self._started()
        return self._trigger(
            lambda: instances.complete_wait(instance_id, token_id, variables, actor=ACTOR, handlers=self.handlers)
        )

    def modify(
        self,
        *,
        cancel: Iterable[str] = (),
        start_before: Iterable[str] = (),
        variables: Mapping[str, Any] | None = None,
    ) -> Step:
        instance_id = self._started()

        def modify_instance() -> None:
            operations.modify_instance(
                instance_id,
                cancel=list(cancel),
                start_before=list(start_before),
                variables=dict(variables or {}),
                actor=ACTOR,
                handlers=self.handlers,
            )

        return self._trigger(modify_instance)

    def set_variables(self, **variables: Any) -> Step:
        """Through the operations service, as an operator sets them."""
        instance_id = self._started()
        return self._trigger(
            lambda: operations.set_variables(instance_id, variables, actor=ACTOR, handlers=self.handlers)
        )

    def fire(self, element_id: str) -> Step:
        """Run the job row of the token at ``element_id`` through the job service, as a worker would."""
        return self.fire_token(token_at(self.snapshot, element_id))

    def fire_token(self, token_text: str) -> Step:
        return self._run_job(Job.objects.filter(token_id=uuid.UUID(token_text)))

    def fire_gateway(self, event_id: str, **variables: Any) -> Step:
        """Through the job service for a timer; through message correlation for a message."""
        token_id = uuid.UUID(gateway_token_of(self.snapshot, event_id))
        timer = Job.objects.filter(token_id=token_id, element_id=event_id)
        if timer.exists():
            return self._run_job(timer)
        subscription = MessageSubscription.objects.get(token_id=token_id, element_id=event_id)
        return self._trigger(
            lambda: messages.correlate(
                subscription.message_name, correlation_key=subscription.correlation_key or None, variables=variables
            )
        )

    def throw_error(self, element_id: str, code: str, message: str = "") -> Step:
        """Through the external-task service, as the task's worker reports the error."""
        task = ExternalTask.objects.get(token_id=uuid.UUID(token_at(self.snapshot, element_id)))
        task.worker_id, task.locked_until = ACTOR, clock.now() + jobs.LEASE
        task.save(update_fields=["worker_id", "locked_until"])
        return self._trigger(
            lambda: external_tasks.throw_bpmn_error(task.id, ACTOR, error_code=code, error_message=message)
        )

    def fire_boundary(self, boundary_id: str) -> Step:
        token_id = uuid.UUID(subscriber_of(self.snapshot, boundary_id))
        return self._run_job(Job.objects.filter(token_id=token_id, element_id=boundary_id))

    def _run_job(self, rows: Any) -> Step:
        """Lease the one job in ``rows`` as a worker's claim would, and run it through the job service."""
        lease = uuid.uuid4()
        rows.update(lock_owner=ACTOR, lock_token=lease, locked_until=clock.now() + jobs.LEASE)
        (job_id,) = rows.values_list("id", flat=True)
        return self._trigger(lambda: jobs.run_job(jobs.Claimed(job_id, lease)))

    def _started(self) -> uuid.UUID:
        assert self.instance_id is not None, "Start the instance first."
        return self.instance_id

    def _fetch(self) -> ProcessInstance:
        return ProcessInstance.objects.get(id=self._started())

    def _trigger(self, call: Callable[[], object]) -> Step:
        before = self._fetch()
        history_before = self._history()
        written_before = len(self._written)
        try:
            call()
        except Exception:
            self._assert_unchanged(before, history_before)
            raise
        return self._reload_after(written_before)

    def _history(self) -> list[History]:
        rows = ActivityInstance.objects.filter(instance_id=self._started()).order_by("id")
        return [(str(row.id), row.element_id, row.state, row.ended_at) for row in rows]

    def _assert_unchanged(self, before: ProcessInstance, history_before: list[History]) -> None:
        """A trigger that raised left the instance row, its tokens and its history as they were."""
        after = self._fetch()
        was, now = (before.revision, before.state, before.variables), (after.revision, after.state, after.variables)
        assert now == was, f"A refused trigger changed the instance row: {was} -> {now}"
        assert store.load_snapshot(after) == self.snapshot, "A refused trigger changed the tokens or variables."
        assert self._history() == history_before, "A refused trigger changed the activity history."

    def _reload_after(self, written_before: int) -> Step:
        """Reload the snapshot and check the rows against the steps this trigger wrote for this instance.

        That is one step, or more when the trigger ended a called instance and so moved this one on
        from its call activity; the last is returned, all are recorded.
        """
        steps = [entry.step for entry in self._written[written_before:] if entry.instance_id == self.instance_id]
        assert steps, "The trigger wrote no step of this instance."
        expected = self.snapshot
        for step in steps:
            expected = apply_step(expected, step)
        row = self._fetch()
        self.snapshot = store.load_snapshot(row)
        self._assert_stored(row, steps, expected)
        for step in steps:
            self.visited += step.visited
            self.steps.append(step)
        return steps[-1]

    def _assert_stored(self, row: ProcessInstance, steps: list[Step], expected: Snapshot) -> None:
        """What the database holds after ``steps`` is what applying them in memory gives."""
        assert row.variables == expected.variables, f"Stored {row.variables}, the steps give {expected.variables}"
        assert self.snapshot.tokens == expected.tokens, (
            f"Stored {self.snapshot.tokens}, the steps give {expected.tokens}"
        )
        outcome = steps[-1].outcome
        if outcome is None:
            stuck = halted(expected.tokens.values())
            assert steps[-1].halted == stuck
            running = InstanceState.FAILED if stuck else InstanceState.ACTIVE
            assert (row.state, row.ended_at) == (running, None), f"The instance is {row.state}, not {running}."
        else:
            ended = InstanceState.CANCELLED if outcome is Outcome.CANCELLED else InstanceState.COMPLETED
            assert (row.state, row.ended_at is not None) == (ended, True), f"{outcome} stored as {row.state}."
        activities = {activity_id: record for step in steps for activity_id, record in step.activities.items()}
        stored = ActivityInstance.objects.filter(
            instance_id=row.id, id__in=[uuid.UUID(activity_id) for activity_id in activities]
        )
        history = {str(activity.id): (activity.element_id, activity.state) for activity in stored}
        recorded = {activity_id: (record.element_id, record.state) for activity_id, record in activities.items()}
        assert history == recorded, f"Stored activities {history}, the steps record {recorded}"


class InstanceOf(Protocol):
    """The ``instance_of`` fixture: a fresh instance of ``models/<name>.bpmn``, not started yet."""

    def __call__(self, name: str, handlers: dict[str, ServiceHandler] | None = None) -> Instance | StoredInstance: ...


def deployed(name: str) -> ProcessDefinition:
    """Deploy ``models/<name>.bpmn`` in the current tenant schema; its one process definition."""
    (definition,) = deploy(
        (MODELS / f"{name}.bpmn").read_bytes(), name=f"{name}.bpmn", deployed_by="designer"
    ).definitions
    return definition


def waiting_at(instance: ProcessInstance) -> list[str]:
    """The elements the stored tokens of ``instance`` are at, sorted."""
    return sorted(Token.objects.filter(instance=instance).values_list("element_id", flat=True))
