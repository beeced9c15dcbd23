"""Escalations: caught by the escalation boundary events of enclosing subprocesses, which may
leave the subprocess running; one nothing catches is no failure."""

from __future__ import annotations

from apps.engine.runtime import Outcome
from tests.engine.runtime.harness import InstanceOf


def test_a_non_interrupting_catch_runs_beside_the_subprocess_that_escalated(instance_of: InstanceOf) -> None:
    instance = instance_of("escalation_soft")

    step = instance.start()

    assert instance.visited == ["start", "handle", "h_start", "running_late", "tell_manager", "finish", "end_told"]
    assert sorted(instance.waiting_at) == ["finish", "handle"]
    assert instance.snapshot.variables == {"told": True}
    assert step.incidents == []
    last = instance.complete("finish")
    assert last.visited == ["h_end", "end_done"]
    assert last.outcome is Outcome.COMPLETED


def test_an_interrupting_catch_all_cancels_the_subprocess(instance_of: InstanceOf) -> None:
    instance = instance_of("escalation_hard")

    step = instance.start()

    assert step.outcome is Outcome.COMPLETED
    states = {record.element_id: record.state for record in step.activities.values()}
    assert (states["handle"], states["keep_waiting"], states["stopped"]) == ("cancelled", "cancelled", "completed")
    assert (step.waits, step.cancelled_waits) == ([], [])  # the task made and withdrawn in one step: no rows
