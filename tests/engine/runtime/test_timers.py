"""Intermediate timer events: the wait, its job row, and the workers that fire it when the clock says so.

Time moves through the platform's test clock (``apps.engine.clock.advance``); nothing sleeps.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django_tenants.utils import schema_context

from apps.engine import clock
from apps.engine.models import ActivityInstance, Incident, Job, ProcessInstance
from apps.engine.runtime import Outcome
from apps.engine.scheduler import tenants_with_due_jobs
from apps.engine.services import jobs
from apps.engine.services.deployments import DeploymentRefused, deploy
from apps.engine.services.instances import start_instance
from apps.engine.services.operations import cancel_instance, modify_instance, resume_instance, suspend_instance
from tests.conftest import TenantInfo
from tests.engine.runtime.harness import MODELS, InstanceOf, deployed, waiting_at

DEADLINE = "2026-12-01T08:00:00+01:00"


def test_a_timer_waits_for_its_duration_then_for_a_date_computed_from_the_variables(instance_of: InstanceOf) -> None:
    instance = instance_of("timer_catch")
    first = instance.start(deadline=DEADLINE)

    assert instance.waiting_at == ["cool_off"]
    (wait,) = first.waits
    (record,) = [record for record in first.activities.values() if record.element_id == "cool_off"]
    assert wait.kind == "timer"
    assert datetime.fromisoformat(wait.details["due_at"]) == record.started_at + timedelta(minutes=10)

    second = instance.fire("cool_off")
    (wait,) = second.waits
    assert datetime.fromisoformat(wait.details["due_at"]) == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)

    last = instance.fire("until_deadline")
    assert last.visited == ["remind", "end"]
    assert last.outcome is Outcome.COMPLETED
    assert instance.snapshot.variables == {"deadline": DEADLINE, "reminded": True}


def test_a_computed_timer_that_is_not_a_date_stops_its_token(instance_of: InstanceOf) -> None:
    instance = instance_of("timer_catch")
    instance.start(deadline="next week")
    step = instance.fire("cool_off")

    (incident,) = step.incidents
    assert (incident.kind, incident.element_id) == ("timer-invalid", "until_deadline")
    assert "'next week' is not a date" in incident.message
    assert step.halted


def test_a_timer_written_as_text_must_be_iso_8601_and_a_catch_event_takes_no_cycle(in_alpha: None) -> None:
    model = (MODELS / "timer_catch.bpmn").read_bytes()
    with pytest.raises(DeploymentRefused) as refused:
        deploy(model.replace(b">PT10M<", b">ten minutes<"))
    assert [(problem.code, problem.element_id) for problem in refused.value.problems] == [("timer-invalid", "cool_off")]

    cycle = model.replace(b"<bpmn:timeDuration xsi:type", b"<bpmn:timeCycle xsi:type").replace(
        b"PT10M</bpmn:timeDuration>", b"R3/PT10M</bpmn:timeCycle>"
    )
    with pytest.raises(DeploymentRefused) as refused:
        deploy(cycle)
    assert [(problem.code, problem.element_id) for problem in refused.value.problems] == [
        ("unsupported-element", "cool_off")
    ]


# --- jobs and workers, through the database ---------------------------------------------------


def test_a_timer_is_a_job_row_that_a_worker_fires_once_the_clock_reaches_it(in_alpha: None) -> None:
    instance = start_instance(deployed("timer_catch"), {"deadline": "2026-01-01T00:00:00Z"})

    (job,) = Job.objects.filter(instance=instance)
    assert (job.kind, job.element_id, job.due_at) == ("timer", "cool_off", instance.started_at + timedelta(minutes=10))
    assert jobs.run_due_jobs("worker-1", 10) == 0  # not due yet
    assert waiting_at(instance) == ["cool_off"]

    clock.advance(timedelta(minutes=10))
    assert jobs.run_due_jobs("worker-1", 10) == 1
    assert waiting_at(instance) == ["until_deadline"]  # a deadline long past is due at once
    assert jobs.run_due_jobs("worker-1", 10) == 1

    stored = ProcessInstance.objects.get(id=instance.id)
    assert (stored.state, stored.variables["reminded"]) == ("completed", True)
    assert not Job.objects.filter(instance=instance).exists()
    cool_off = ActivityInstance.objects.get(instance=instance, element_id="cool_off")
    assert cool_off.duration_ms is not None and cool_off.duration_ms >= 10 * 60 * 1000


def test_a_worker_whose_lease_ran_out_cannot_fire_the_job_another_worker_claimed(in_alpha: None) -> None:
    instance = start_instance(deployed("timer_catch"), {"deadline": DEADLINE})
    clock.advance(timedelta(minutes=10))
    (stalled,) = jobs.claim_due_jobs("worker-1", 10)
    assert jobs.claim_due_jobs("worker-2", 10) == []  # leased: nobody else gets it

    clock.advance(jobs.LEASE + timedelta(seconds=1))
    (taken_over,) = jobs.claim_due_jobs("worker-2", 10)

    assert taken_over.id == stalled.id and taken_over.lock_token != stalled.lock_token
    assert jobs.run_job(stalled) is jobs.Ran.LEASE_LOST
    assert waiting_at(instance) == ["cool_off"]
    assert jobs.run_job(taken_over) is jobs.Ran.APPLIED
    assert waiting_at(instance) == ["until_deadline"]


def test_timers_of_a_suspended_instance_wait_for_it_and_those_of_a_cancelled_one_go(in_alpha: None) -> None:
    definition = deployed("timer_catch")
    suspended = start_instance(definition, {"deadline": DEADLINE})
    cancelled = start_instance(definition, {"deadline": DEADLINE})
    modified = start_instance(definition, {"deadline": DEADLINE})
    suspend_instance(suspended.id, actor="operator")
    cancel_instance(cancelled.id, actor="operator")
    modify_instance(modified.id, cancel=["cool_off"], start_before=["remind"], variables={}, actor="operator")
    clock.advance(timedelta(minutes=10))

    assert jobs.run_due_jobs("worker-1", 10) == 0
    assert list(Job.objects.values_list("instance_id", flat=True)) == [suspended.id]
    resume_instance(suspended.id, actor="operator")
    assert jobs.run_due_jobs("worker-1", 10) == 1
    assert waiting_at(suspended) == ["until_deadline"]


def test_a_job_that_keeps_failing_is_tried_again_later_then_stops_with_an_incident(in_alpha: None) -> None:
    # After the timers a script stores text with a NUL character, which PostgreSQL refuses when
    # the step is written: a failure the interpreter does not foresee, as a database error is.
    instance = start_instance(deployed("timer_then_bad_text"), {"deadline": "2026-01-01T00:00:00Z"})
    clock.advance(timedelta(minutes=10))
    jobs.run_due_jobs("worker-1", 10)  # the first timer

    for attempt in range(1, jobs.MAX_ATTEMPTS + 1):
        (claimed,) = jobs.claim_due_jobs("worker-1", 10)
        assert jobs.run_job(claimed) is jobs.Ran.FAILED
        job = Job.objects.get(instance=instance)
        assert job.attempts == attempt and job.last_error.startswith("DataError: unsupported Unicode escape")
        assert jobs.claim_due_jobs("worker-1", 10) == []  # not before its retry delay
        clock.advance(jobs.RETRY_DELAY * attempt)

    assert jobs.claim_due_jobs("worker-1", 10) == []  # attempts used up
    (incident,) = Incident.objects.filter(instance=instance)
    assert (incident.kind, incident.element_id) == ("job-failed", "until_deadline")
    assert waiting_at(instance) == ["until_deadline"]  # each failed attempt left the instance as it was


def test_the_scheduler_finds_the_tenants_with_due_jobs_only(alpha: TenantInfo, beta: TenantInfo) -> None:
    with schema_context(alpha.schema):
        start_instance(deployed("timer_catch"), {"deadline": DEADLINE})
    with schema_context(beta.schema):
        start_instance(deployed("timer_catch"), {"deadline": DEADLINE})
        clock.advance(timedelta(minutes=5))
        start_instance(deployed("timer_catch"), {"deadline": DEADLINE})

    assert tenants_with_due_jobs() == []
    clock.advance(timedelta(minutes=5))
    assert sorted(tenants_with_due_jobs()) == ["alpha", "beta"]
    with schema_context(beta.schema):
        assert jobs.run_due_jobs("worker-1", 10) == 1  # beta's first; its second is due in five minutes
    assert sorted(tenants_with_due_jobs()) == ["alpha"]


def test_an_element_s_retry_cycle_sets_the_attempts_and_the_wait_between_them(in_alpha: None) -> None:
    model = with_retry_cycle("timer_then_bad_text", "until_deadline", "R2/PT1M")
    (definition,) = deploy(model).definitions
    instance = start_instance(definition, {"deadline": "2026-01-01T00:00:00Z"})
    clock.advance(timedelta(minutes=10))
    jobs.run_due_jobs("worker-1", 10)  # the first timer; the second fails as it writes

    (claimed,) = jobs.claim_due_jobs("worker-1", 10)
    assert jobs.run_job(claimed) is jobs.Ran.FAILED
    job = Job.objects.get(instance=instance)
    assert (job.attempts, job.max_attempts) == (1, 2)
    clock.advance(timedelta(seconds=59))
    assert jobs.claim_due_jobs("worker-1", 10) == []  # a minute between attempts
    clock.advance(timedelta(seconds=2))
    (claimed,) = jobs.claim_due_jobs("worker-1", 10)
    assert jobs.run_job(claimed) is jobs.Ran.FAILED

    assert Incident.objects.get(instance=instance).kind == "job-failed"  # two attempts, as the cycle says
    clock.advance(timedelta(hours=1))
    assert jobs.claim_due_jobs("worker-1", 10) == []


def test_a_retry_cycle_that_cannot_be_read_is_refused_at_deploy(in_alpha: None) -> None:
    model = with_retry_cycle("timer_catch", "cool_off", "three times")
    with pytest.raises(DeploymentRefused) as refused:
        deploy(model)
    assert [(problem.code, problem.element_id) for problem in refused.value.problems] == [
        ("retry-cycle-invalid", "cool_off")
    ]


def with_retry_cycle(name: str, element_id: str, cycle: str) -> bytes:
    """The model with a ``camunda:failedJobRetryTimeCycle`` on one of its catch events."""
    opening = f'<bpmn:intermediateCatchEvent id="{element_id}"'.encode()
    model = (MODELS / f"{name}.bpmn").read_bytes()
    start = model.index(opening)
    end = model.index(b">", start) + 1
    retry = f"<bpmn:extensionElements><camunda:failedJobRetryTimeCycle>{cycle}</camunda:failedJobRetryTimeCycle>"
    model = model[:end] + retry.encode() + b"</bpmn:extensionElements>" + model[end:]
    return model.replace(b"xmlns:xsi=", b'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi=', 1)
