"""Timer start events: the newest version of a process starts an instance at each occurrence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django_tenants.utils import schema_context

from apps.engine import clock
from apps.engine.bpmn.timer_text import schedule
from apps.engine.models import ActivityInstance, Job, ProcessDefinition, ProcessInstance
from apps.engine.runtime import TriggerRejected
from apps.engine.scheduler import tenants_with_due_jobs
from apps.engine.services import jobs
from apps.engine.services.deployments import DeploymentRefused, deploy
from apps.engine.services.instances import start_instance
from tests.conftest import TenantInfo
from tests.engine.runtime.harness import MODELS

MODEL = (MODELS / "timer_start.bpmn").read_bytes()


def with_cycle(cycle: str) -> bytes:
    return MODEL.replace(b"R2/PT1H", cycle.encode())


def reports() -> list[ProcessInstance]:
    return list(ProcessInstance.objects.filter(definition__key="hourly_report").order_by("started_at"))


def test_a_cycle_starts_an_instance_at_each_repetition_then_stops(in_alpha: None) -> None:
    (definition,) = deploy(MODEL).definitions
    (job,) = Job.objects.filter(definition=definition)
    assert (job.kind, job.element_id, job.instance_id) == ("timer-start", "every_hour", None)
    assert abs(job.due_at - (clock.now() + timedelta(hours=1))) < timedelta(seconds=5)
    first_due = job.due_at

    assert jobs.run_due_jobs("worker-1", 10) == 0
    clock.advance(timedelta(hours=1))
    assert jobs.run_due_jobs("worker-1", 10) == 1
    (first,) = reports()
    assert (first.state, first.variables, first.started_by) == ("completed", {"reported": True}, "timer")
    start = ActivityInstance.objects.get(instance=first, element_id="every_hour")
    assert start.element_type == "startEvent"
    job.refresh_from_db()
    assert (job.fired, job.due_at, job.lock_token) == (1, first_due + timedelta(hours=1), None)

    clock.advance(timedelta(hours=1))
    assert jobs.run_due_jobs("worker-1", 10) == 1
    assert len(reports()) == 2
    assert not Job.objects.filter(definition=definition).exists()  # R2: two and done


def test_a_new_version_takes_over_the_start_timer_and_the_same_file_changes_nothing(in_alpha: None) -> None:
    (first,) = deploy(MODEL).definitions
    assert deploy(MODEL).created is False
    assert list(Job.objects.values_list("definition_id", flat=True)) == [first.id]

    (second,) = deploy(with_cycle("R/PT2H")).definitions

    assert list(Job.objects.values_list("definition_id", flat=True)) == [second.id]
    clock.advance(timedelta(hours=2))
    assert jobs.run_due_jobs("worker-1", 10) == 1
    assert [instance.definition_id for instance in reports()] == [second.id]


def test_occurrences_missed_while_nothing_ran_fire_once(in_alpha: None) -> None:
    (definition,) = deploy(with_cycle("R/PT1H")).definitions
    clock.advance(timedelta(hours=5, minutes=30))

    assert jobs.run_due_jobs("worker-1", 10) == 1
    assert jobs.run_due_jobs("worker-1", 10) == 0
    job = Job.objects.get(definition=definition)
    assert clock.now() < job.due_at <= clock.now() + timedelta(hours=1)


def test_a_process_with_only_a_timer_start_cannot_be_started_by_hand(in_alpha: None) -> None:
    (definition,) = deploy(MODEL).definitions
    with pytest.raises(TriggerRejected) as rejected:
        start_instance(definition, {})
    assert rejected.value.code == "no-start-event"


@pytest.mark.parametrize("cycle", ["R0/PT1H", "R2/an hour", "0 9 * *", "every day"])
def test_a_cycle_that_cannot_be_read_is_refused_at_deploy(in_alpha: None, cycle: str) -> None:
    with pytest.raises(DeploymentRefused) as refused:
        deploy(with_cycle(cycle))
    assert [(problem.code, problem.element_id) for problem in refused.value.problems] == [
        ("timer-invalid", "every_hour")
    ]
    assert not ProcessDefinition.objects.filter(key="hourly_report").exists()


def test_the_scheduler_sees_a_start_timer_that_is_due(in_alpha: None) -> None:
    deploy(MODEL)
    assert "alpha" not in tenants_with_due_jobs()
    clock.advance(timedelta(hours=1))
    assert "alpha" in tenants_with_due_jobs()


NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # a Thursday


@pytest.mark.parametrize(
    ("kind", "text", "occurrences"),
    [
        ("cycle", "R3/PT10M", ["08:10", "08:20", "08:30"]),
        ("cycle", "R2/2026-11-27T06:00:00Z/P1D", ["27 06:00", "28 06:00"]),
        ("cycle", "0 9 * * MON-FRI", ["09:00", "27 09:00", "30 09:00"]),  # Camunda's Quartz form below
        ("cycle", "0 0 9 ? * MON-FRI", ["09:00", "27 09:00", "30 09:00"]),
        ("date", "2026-12-24T18:00:00+01:00", ["Dec 24 17:00"]),
        ("duration", "PT45M", ["08:45"]),
    ],
)
def test_cycles_dates_and_durations_are_read_as_iso_8601_or_cron(kind: str, text: str, occurrences: list[str]) -> None:
    plan = schedule(kind, text, NOW)
    times, due, fired = [], plan.first, 1
    while due is not None and len(times) < 3:
        times.append(due)
        due, fired = plan.after(due, fired), fired + 1
    formats = {5: "%H:%M", 8: "%d %H:%M", 12: "%b %d %H:%M"}
    assert len(times) == len(occurrences)
    in_utc = [moment.astimezone(UTC) for moment in times]
    shown = [moment.strftime(formats[len(expected)]) for moment, expected in zip(in_utc, occurrences, strict=True)]
    assert shown == occurrences


def test_a_tenant_s_timers_read_cron_and_dates_without_a_zone_in_its_time_zone(alpha: TenantInfo) -> None:
    from apps.tenancy.models import Tenant

    with schema_context("public"):
        tenant = Tenant.objects.get(schema_name=alpha.schema)
        tenant.time_zone = "Europe/Berlin"
        tenant.save(update_fields=["time_zone"])
    with schema_context(alpha.schema):
        now = clock.now()
        assert now.utcoffset() in (timedelta(hours=1), timedelta(hours=2))  # CET or CEST
        (definition,) = deploy(with_cycle("0 9 * * *")).definitions
        job = Job.objects.get(definition=definition)
        local = job.due_at.astimezone(ZoneInfo("Europe/Berlin"))
        assert (local.hour, local.minute) == (9, 0)  # nine in Berlin, not in UTC
        assert timedelta(0) < job.due_at - now <= timedelta(days=1)
    with schema_context("public"):
        tenant.time_zone = "UTC"
        tenant.save(update_fields=["time_zone"])
    with schema_context(alpha.schema):
        assert clock.now().utcoffset() == timedelta(0)


def test_cron_follows_the_clock_change_and_a_day_of_hours_is_elapsed_time() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    before = datetime(2026, 3, 28, 10, 0, tzinfo=berlin)  # the clocks go forward on the 29th

    plan = schedule("cycle", "0 9 * * *", before)
    second = plan.after(plan.first, 1)

    assert (plan.first.isoformat(), second.isoformat() if second else None) == (
        "2026-03-29T09:00:00+02:00",
        "2026-03-30T09:00:00+02:00",
    )
    assert schedule("duration", "PT24H", before).first.isoformat() == "2026-03-29T11:00:00+02:00"
    assert schedule("date", "2026-03-30T08:00:00", before).first.isoformat() == "2026-03-30T08:00:00+02:00"


def test_the_next_cron_occurrence_is_read_in_the_zone_even_from_a_due_time_stored_in_utc() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    plan = schedule("cycle", "0 9 * * *", datetime(2026, 3, 28, 10, 0, tzinfo=berlin))

    following = plan.after(plan.first.astimezone(UTC), 1)  # as the job row gives it back

    assert following is not None and following.isoformat() == "2026-03-30T09:00:00+02:00"
