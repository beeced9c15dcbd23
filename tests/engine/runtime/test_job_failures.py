"""How a job fails: a handler that always raises uses up bounded attempts and then stops with one
incident; a conflict with another transaction spends no attempt."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from apps.engine import checkpoints, clock
from apps.engine.models import Incident, Job, OutboxEvent, ProcessInstance
from apps.engine.services import jobs
from apps.engine.services.incidents import retry_incident
from apps.engine.services.instances import start_instance
from tests.engine.runtime.harness import deployed, waiting_at
from tests.platform.failing_handlers import calls


def test_a_handler_that_always_raises_is_tried_a_bounded_number_of_times_then_stops_with_one_incident(
    in_alpha: None,
) -> None:
    calls.clear()
    instance = start_instance(deployed("async_handler"), {"amount": 12})

    for attempt in range(1, jobs.MAX_ATTEMPTS + 1):
        (claimed,) = jobs.claim_due_jobs("worker-1", 10)
        assert jobs.run_job(claimed) is jobs.Ran.FAILED
        job = Job.objects.get(instance=instance)
        assert job.attempts == attempt
        assert job.last_error == "HandlerFailed: 'testsUnreachableService' raised ConnectionError: the payment " + (
            "service does not answer"
        )
        assert waiting_at(instance) == ["charge"]  # each attempt rolled back: nothing of it is kept
        assert Incident.objects.filter(instance=instance).count() == (1 if attempt == jobs.MAX_ATTEMPTS else 0)
        clock.advance(jobs.RETRY_DELAY * attempt)

    assert len(calls) == jobs.MAX_ATTEMPTS
    assert jobs.claim_due_jobs("worker-1", 10) == []  # no loop: the job waits for an operator
    (incident,) = Incident.objects.filter(instance=instance)
    assert (incident.kind, incident.element_id, incident.resolved_at) == ("job-failed", "charge", None)
    assert "ConnectionError: the payment service does not answer" in incident.message
    (event,) = OutboxEvent.objects.filter(instance_id=instance.id, type="incident.created")
    assert (event.element_id, event.payload["incident_id"]) == ("charge", str(incident.id))
    assert ProcessInstance.objects.get(id=instance.id).state == "active"

    retry_incident(incident.id, actor="operator", retries=1)  # one more attempt, due at once
    (claimed,) = jobs.claim_due_jobs("worker-1", 10)
    assert jobs.run_job(claimed) is jobs.Ran.FAILED
    assert len(calls) == jobs.MAX_ATTEMPTS + 1
    assert jobs.claim_due_jobs("worker-1", 10) == []
    assert Incident.objects.filter(instance=instance, resolved_at=None).count() == 1


def test_a_conflict_with_another_transaction_releases_the_job_without_spending_an_attempt(in_alpha: None) -> None:
    instance = start_instance(deployed("async_steps"), {"count": 0})

    def conflict() -> None:  # what PostgreSQL raises when a concurrent transaction got in the way
        with connection.cursor() as cursor:
            cursor.execute(
                "DO $$ BEGIN RAISE EXCEPTION 'could not serialize access' USING ERRCODE = 'serialization_failure'; "
                "END $$"
            )

    (claimed,) = jobs.claim_due_jobs("worker-1", 10)
    with checkpoints.intervene(checkpoints.JOB_APPLIED, conflict):
        assert jobs.run_job(claimed) is jobs.Ran.CONFLICT

    job = Job.objects.get(instance=instance)
    assert (job.attempts, job.lock_token) == (0, None)
    assert job.last_error.startswith("OperationalError: could not serialize access")
    assert waiting_at(instance) == ["first"]  # the step was rolled back
    (again,) = jobs.claim_due_jobs("worker-1", 10)  # due at once, not after a retry delay
    assert jobs.run_job(again) is jobs.Ran.APPLIED
    assert waiting_at(instance) == ["second"]
    assert clock.now() - job.due_at < timedelta(minutes=1)


@pytest.mark.parametrize(("synchronous", "expected"), [(False, "off"), (True, "on")])
def test_a_job_commits_without_waiting_for_the_disk_unless_told_to(
    in_alpha: None, settings: Any, synchronous: bool, expected: str
) -> None:
    settings.APG_JOB_SYNCHRONOUS_COMMIT = synchronous
    start_instance(deployed("async_steps"), {"count": 0})
    seen: list[str] = []

    def look() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            seen.append(cursor.fetchone()[0])

    (claimed,) = jobs.claim_due_jobs("worker-1", 10)
    with checkpoints.intervene(checkpoints.JOB_APPLIED, look):
        assert jobs.run_job(claimed) is jobs.Ran.APPLIED
    assert seen == [expected]
