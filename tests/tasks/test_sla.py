"""SLAs: a deadline in working time, a status that follows the clock, escalations that happen once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django_tenants.utils import schema_context

from apps.engine import clock
from apps.engine.models import ProcessDefinition
from apps.engine.services.deployments import deploy
from apps.engine.services.instances import start_instance
from apps.tasks import sla
from apps.tasks.models import BusinessCalendar, SlaRule, Task
from apps.tasks.tasks import escalate_tasks
from tests.conftest import TenantInfo
from tests.engine.api.test_engine_api import client_as

MODEL = (Path(__file__).parent / "models" / "routed.bpmn").read_bytes()


@pytest.fixture
def routed(alpha: TenantInfo) -> Iterator[dict[str, ProcessDefinition]]:
    with schema_context(alpha.schema):
        yield {definition.key: definition for definition in deploy(MODEL).definitions}


def test_working_time_skips_nights_weekends_and_holidays() -> None:
    calendar = BusinessCalendar(working_days=[0, 1, 2, 3, 4], day_starts="09:00", day_ends="17:00")
    calendar.holidays = [datetime(2026, 11, 30).date()]  # the Monday
    friday_afternoon = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)

    assert sla.add_working_time(friday_afternoon, timedelta(hours=1), calendar) == datetime(
        2026, 11, 27, 16, 0, tzinfo=UTC
    )
    assert sla.add_working_time(friday_afternoon, timedelta(hours=4), calendar) == datetime(
        2026, 12, 1, 11, 0, tzinfo=UTC
    )  # two hours on Friday, the weekend and the holiday skipped, two on Tuesday
    assert sla.add_working_time(friday_afternoon, timedelta(hours=4), None) == datetime(2026, 11, 27, 19, 0, tzinfo=UTC)


def test_a_rule_gives_the_deadline_and_the_status_follows_the_clock(
    alpha: TenantInfo, routed: dict[str, ProcessDefinition]
) -> None:
    SlaRule.objects.create(process_key="routed", duration="PT10H", at_risk_percent=80)
    task = Task.objects.get(instance=start_instance(routed["routed"], {}))

    assert task.sla_due_at is not None and task.due_date == task.sla_due_at
    assert task.sla_due_at - task.created_at == timedelta(hours=10)  # no calendar: every hour counts
    assert sla.status(task, task.created_at) == "on-track"
    assert sla.status(task, task.created_at + timedelta(hours=8)) == "at-risk"
    assert sla.status(task, task.created_at + timedelta(hours=10)) == "breached"
    operator = client_as(alpha, "operator")
    (listed,) = [row for row in operator.get("/api/v1/tasks/?list=all").json()["results"] if row["id"] == str(task.id)]
    assert listed["sla_status"] == "on-track"


def test_escalations_happen_once_each_when_their_threshold_passes(
    alpha: TenantInfo, routed: dict[str, ProcessDefinition]
) -> None:
    SlaRule.objects.create(
        process_key="routed",
        duration="PT10H",
        escalations=[
            {"at": 80, "action": "raise-priority", "priority": 90},
            {"at": 100, "action": "reassign", "group": "leads"},
        ],
    )
    task = Task.objects.get(instance=start_instance(routed["routed"], {}))
    Task.objects.filter(id=task.id).update(assignee="worker", state="assigned")

    assert escalate_tasks() == 0
    clock.advance(timedelta(hours=8, minutes=1))
    assert escalate_tasks() == 1
    assert escalate_tasks() == 0  # once
    raised = Task.objects.get(id=task.id)
    assert (raised.priority, raised.assignee) == (90, "worker")

    clock.advance(timedelta(hours=2))
    assert escalate_tasks() == 1
    moved = Task.objects.get(id=task.id)
    assert (moved.assignee, moved.state, moved.candidate_groups) == ("", "created", ["leads"])
    assert moved.assignment_reason == "Escalated at 100 % of its SLA: offered to group leads."
    kinds = list(moved.events.order_by("id").values_list("kind", "details__action"))
    assert kinds[-2:] == [("escalated", "raise-priority"), ("escalated", "reassign")]
