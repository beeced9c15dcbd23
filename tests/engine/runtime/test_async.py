"""Async continuations (``camunda:asyncBefore``/``asyncAfter``): the token waits for a job at the
boundary, and each side of it runs in a transaction of its own."""

from __future__ import annotations

import pytest

from apps.engine.runtime import Outcome, TriggerRejected
from tests.engine.runtime.harness import InstanceOf


def test_each_async_boundary_is_a_job_and_the_steps_between_run_on_their_own(instance_of: InstanceOf) -> None:
    instance = instance_of("async_steps")

    started = instance.start(count=0)
    assert (started.visited, instance.waiting_at) == (["start"], ["first"])  # before "first": nothing of it ran
    assert [(wait.kind, wait.element_id) for wait in started.waits] == [("async-before", "first")]

    after_first = instance.fire("first")
    assert after_first.visited == ["first", "second"]
    assert instance.waiting_at == ["second"]  # "second" ran and ended; it leaves in the next job
    assert instance.snapshot.variables == {"count": 2}
    states = {record.element_id: record.state for record in after_first.activities.values()}
    assert states == {"first": "completed", "second": "completed"}

    after_second = instance.fire("second")
    assert after_second.visited == ["fork", "left", "right"]
    assert instance.waiting_at == ["join", "join"]  # each arriving branch waits before the join

    left, right = sorted(token.id for token in instance.snapshot.tokens.values())
    instance.fire_token(left)
    assert instance.waiting_at == ["join", "join"]  # one joined, one still before the join
    last = instance.fire_token(right)
    assert last.visited == ["join", "end"]
    assert last.outcome is Outcome.COMPLETED
    assert instance.snapshot.variables == {"count": 2, "leftDone": True, "rightDone": True}


def test_a_token_waiting_for_a_job_cannot_be_completed_as_if_it_were_a_task(instance_of: InstanceOf) -> None:
    instance = instance_of("async_steps")
    instance.start(count=0)

    with pytest.raises(TriggerRejected) as rejected:
        instance.complete("first")
    assert rejected.value.code == "token-not-waiting"
    assert instance.waiting_at == ["first"]
