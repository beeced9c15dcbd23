"""SLAs: a deadline in working time, a status that follows the clock, escalations that happen once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from apps.engine import clock
from apps.engine.models import ProcessDefinition
from apps.engine.services.deployments import deploy
from apps.engine.services.instances import start_instance
from apps.tasks import sla
from apps.tasks.models import BusinessCalendar, ReportingLine, SlaRule, Task
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


def test_an_escalation_gives_the_task_to_its_assignee_s_manager(
    alpha: TenantInfo, routed: dict[str, ProcessDefinition]
) -> None:
    SlaRule.objects.create(
        process_key="routed", duration="PT10H", escalations=[{"at": 100, "action": "reassign", "to": "manager"}]
    )
    ReportingLine.objects.create(username="worker", manager="operator")
    had = Task.objects.get(instance=start_instance(routed["routed"], {}))
    Task.objects.filter(id=had.id).update(assignee="worker", state="assigned")
    nobody_s = Task.objects.get(instance=start_instance(routed["routed"], {}))

    clock.advance(timedelta(hours=10, minutes=1))
    assert escalate_tasks() == 2

    moved, stayed = Task.objects.get(id=had.id), Task.objects.get(id=nobody_s.id)
    assert (moved.assignee, moved.state) == ("operator", "assigned")
    assert moved.assignment_reason == "Escalated at 100 % of its SLA: given to worker's manager operator."
    assert moved.events.order_by("id").last().details == {  # type: ignore[union-attr]
        "at": 100,
        "action": "reassign",
        "manager": "operator",
        "previous": "worker",
    }
    assert (stayed.assignee, stayed.state) == ("", "created")
    assert stayed.events.order_by("id").last().details["skipped"] == "nobody has it"  # type: ignore[union-attr]


def test_a_rule_that_could_not_be_applied_is_refused_when_saved() -> None:
    def problems(**fields: object) -> dict[str, list[str]]:
        with pytest.raises(ValidationError) as refused:
            SlaRule(process_key="p", **fields).clean()  # type: ignore[misc]
        return refused.value.message_dict

    assert problems(duration="8 hours") == {"duration": ["Give an ISO 8601 duration, such as PT8H or P2D."]}
    for escalations, message in (
        ({"at": 80}, "Give a list of escalations."),
        ([{"action": "notify"}], 'Escalation 1: give "at", the percent of the SLA (1 to 1000).'),
        ([{"at": 80, "action": "notify"}, {"at": 90, "action": "shout"}], "Escalation 2: the action is one of"),
        ([{"at": 100, "action": "reassign"}], 'Escalation 1: reassign names a "group", or "to": "manager".'),
        ([{"at": 50, "action": "raise-priority", "priority": "high"}], "Escalation 1: give the priority as a"),
    ):
        (found,) = problems(duration="PT8H", escalations=escalations)["escalations"]
        assert found.startswith(message)
    SlaRule(process_key="p", duration="P2D", escalations=[{"at": 100, "action": "reassign", "to": "manager"}]).clean()
