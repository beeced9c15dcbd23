"""Boundary timers: subscribed while their activity runs; an interrupting one cancels the
activity, a non-interrupting one starts a path beside it."""

from __future__ import annotations

from datetime import datetime, timedelta

from apps.engine import clock
from apps.engine.models import ActivityInstance, Job, ProcessInstance, Token
from apps.engine.runtime import Outcome
from apps.engine.services import jobs
from apps.engine.services.deployments import deploy
from apps.engine.services.instances import complete_wait, start_instance
from tests.engine.runtime.harness import MODELS, InstanceOf


def test_an_interrupting_timer_cancels_its_task_and_a_non_interrupting_one_runs_beside_it(
    instance_of: InstanceOf,
) -> None:
    instance = instance_of("boundary_timers")
    started = instance.start(reminderAfter="PT30M")

    assert sorted(instance.waiting_at) == ["pack", "review", "ship"]
    timers = {wait.element_id: wait for wait in started.waits if wait.kind == "boundary-timer"}
    (review,) = [record for record in started.activities.values() if record.element_id == "review"]
    assert datetime.fromisoformat(timers["overdue"].details["due_at"]) == review.started_at + timedelta(hours=1)
    assert datetime.fromisoformat(timers["slow"].details["due_at"]) == review.started_at + timedelta(minutes=30)

    reminded = instance.fire_boundary("slow")
    assert reminded.visited == ["remind", "end_reminded"]
    assert sorted(instance.waiting_at) == ["pack", "review", "ship"]  # the subprocess runs on
    assert instance.snapshot.variables["reminded"] is True

    escalated = instance.fire_boundary("overdue")
    assert escalated.visited == ["escalate", "end_escalated"]
    assert [(wait.kind, wait.element_id) for wait in escalated.cancelled_waits] == [("user-task", "review")]
    states = {record.element_id: record.state for record in escalated.activities.values()}
    assert states == {
        "review": "cancelled",
        "overdue": "completed",
        "escalate": "completed",
        "end_escalated": "completed",
    }
    assert sorted(instance.waiting_at) == ["pack", "ship"]

    last = instance.complete("pack")
    assert last.visited == ["ship_end", "end_shipped"]
    assert last.outcome is Outcome.COMPLETED
    assert last.cancelled_waits == []  # "slow" fired already: nothing is left to withdraw
    assert instance.snapshot.variables == {"reminderAfter": "PT30M", "reminded": True, "escalated": True}


def test_a_task_done_in_time_takes_its_timer_away(instance_of: InstanceOf) -> None:
    instance = instance_of("boundary_timers")
    instance.start(reminderAfter="PT30M")

    done = instance.complete("review")

    assert done.visited == ["end_reviewed"]
    assert [(wait.kind, wait.element_id) for wait in done.cancelled_waits] == [("boundary-timer", "overdue")]


# --- through the database and the job service ---------------------------------------------


def test_boundary_timers_are_job_rows_that_live_as_long_as_their_activity(in_alpha: None) -> None:
    (definition,) = deploy((MODELS / "boundary_timers.bpmn").read_bytes()).definitions
    instance = start_instance(definition, {"reminderAfter": "PT30M"})
    assert sorted(Job.objects.filter(instance=instance).values_list("kind", "element_id")) == [
        ("boundary-timer", "overdue"),
        ("boundary-timer", "slow"),
    ]

    review = Token.objects.get(instance=instance, element_id="review")
    complete_wait(instance.id, str(review.id), {})
    assert list(Job.objects.filter(instance=instance).values_list("element_id", flat=True)) == ["slow"]

    clock.advance(timedelta(minutes=30))
    assert jobs.run_due_jobs("worker-1", 10) == 1
    stored = ProcessInstance.objects.get(id=instance.id)
    assert (stored.state, stored.variables.get("reminded")) == ("active", True)
    assert not Job.objects.filter(instance=instance).exists()


def test_an_interrupting_timer_on_a_call_activity_cancels_the_called_instance(in_alpha: None) -> None:
    model = (MODELS / "call_activity.bpmn").read_bytes()
    with_timer = model.replace(b'<bpmn:endEvent id="end"/>', b'<bpmn:endEvent id="end"/>' + TIMEOUT, 1)
    (definition,) = [item for item in deploy(with_timer).definitions if item.key == "order"]
    caller = start_instance(definition, {"total": 10, "customer": {"name": "ann"}, "orderNo": 7})
    (child,) = ProcessInstance.objects.filter(parent=caller)

    clock.advance(timedelta(hours=2))
    assert jobs.run_due_jobs("worker-1", 10) == 1

    assert ProcessInstance.objects.get(id=child.id).state == "cancelled"
    caller = ProcessInstance.objects.get(id=caller.id)
    assert (caller.state, caller.variables.get("timedOut")) == ("completed", True)


TIMEOUT = b"""
    <bpmn:boundaryEvent id="timeout" attachedToRef="pay">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT2H</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:scriptTask id="give_up" scriptFormat="apg"><bpmn:script>timedOut = true</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="timed_out"/>
    <bpmn:sequenceFlow id="t1" sourceRef="timeout" targetRef="give_up"/>
    <bpmn:sequenceFlow id="t2" sourceRef="give_up" targetRef="timed_out"/>"""


def test_a_repeating_non_interrupting_timer_fires_on_its_cycle_until_its_repetitions_are_spent(
    in_alpha: None,
) -> None:
    model = (MODELS / "boundary_timers.bpmn").read_bytes()
    repeating = model.replace(
        b"<bpmn:timeDuration>${reminderAfter}</bpmn:timeDuration>", b"<bpmn:timeCycle>R3/PT30M</bpmn:timeCycle>"
    )
    (definition,) = deploy(repeating).definitions
    instance = start_instance(definition, {})
    review = Token.objects.get(instance=instance, element_id="review")
    complete_wait(instance.id, str(review.id), {})  # in time: only the subprocess's reminders are left

    for _ in range(3):
        clock.advance(timedelta(minutes=30))
        assert jobs.run_due_jobs("worker-1", 10) == 1
    clock.advance(timedelta(hours=5))
    assert jobs.run_due_jobs("worker-1", 10) == 0  # three reminders, as R3 says

    reminders = ActivityInstance.objects.filter(instance=instance, element_id="remind").count()
    assert reminders == 3
    assert not Job.objects.filter(instance=instance, element_id="slow").exists()
