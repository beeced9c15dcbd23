"""Notifications: who is told of a mention or an escalation, and each person's own list."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth.models import Group, User
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from apps.engine import clock
from apps.engine.services.deployments import deploy
from apps.engine.services.instances import start_instance
from apps.tasks.models import Notification, SlaRule, Task
from apps.tasks.tasks import escalate_tasks
from tests.api.helpers import assert_problem
from tests.conftest import TenantInfo
from tests.engine.api.test_engine_api import client_as
from tests.tasks.test_task_api import TASKS, accountants, listed, start

NOTIFICATIONS = "/api/v1/notifications/"


def notifications(client: APIClient, query: str = "") -> list[dict[str, Any]]:
    response = client.get(f"{NOTIFICATIONS}{query}")
    assert response.status_code == 200, response.json()
    return response.json()["results"]  # type: ignore[no-any-return]


ROUTED = (Path(__file__).parent / "models" / "routed.bpmn").read_bytes()


def test_people_mentioned_who_may_see_the_task_are_notified_and_read_their_own(alpha: TenantInfo) -> None:
    accountants(alpha, "worker", "designer")
    start(alpha)
    (task,) = listed(alpha, "worker", "?list=offered")
    worker, designer = client_as(alpha, "worker"), client_as(alpha, "designer")

    worker.post(f"{TASKS}{task['id']}/comments/", {"text": "@designer @alice @worker look"}, format="json")

    (told,) = notifications(designer, "?unread=true")
    assert (told["kind"], told["text"], told["task"]) == (
        "mentioned",
        "worker mentioned you on Approve the invoice.",
        task["id"],
    )
    assert notifications(client_as(alpha, "alice")) == []  # not an accountant: may not see it
    assert notifications(worker) == []  # nobody is told of their own words
    assert_problem(worker.post(f"{NOTIFICATIONS}{told['id']}/read/"), 404, "not_found")  # not theirs

    read = designer.post(f"{NOTIFICATIONS}{told['id']}/read/")
    again = designer.post(f"{NOTIFICATIONS}{told['id']}/read/")

    assert read.status_code == 200 and read.json()["read_at"] is not None
    assert again.json()["read_at"] == read.json()["read_at"]  # read once
    assert notifications(designer, "?unread=true") == []
    assert len(notifications(designer)) == 1


def test_an_sla_notification_tells_the_assignee_else_the_candidate_groups_members(alpha: TenantInfo) -> None:
    with schema_context(alpha.schema):
        reviewers = Group.objects.create(name="reviewers")
        for name in ("worker", "alice"):
            User.objects.get(username=name).groups.add(reviewers)
        definition = next(d for d in deploy(ROUTED).definitions if d.key == "routed")
        SlaRule.objects.create(process_key="routed", duration="PT10H", escalations=[{"at": 50, "action": "notify"}])
        offered = Task.objects.get(instance=start_instance(definition, {}))
        assigned = Task.objects.get(instance=start_instance(definition, {}))
        Task.objects.filter(id=assigned.id).update(assignee="operator", state="assigned")

        clock.advance(timedelta(hours=5, minutes=1))
        assert escalate_tasks() == 2

        told = Notification.objects.order_by("username").values_list("username", "task_id", "kind")
        assert list(told) == [
            ("alice", offered.id, "escalated"),
            ("operator", assigned.id, "escalated"),
            ("worker", offered.id, "escalated"),
        ]
        assert Notification.objects.first().text == "Review has used 50 % of its SLA."  # type: ignore[union-attr]
    assert [n["kind"] for n in notifications(client_as(alpha, "operator"))] == ["escalated"]


def test_read_all_marks_only_the_callers_notifications_and_a_tenant_sees_only_its_own(
    alpha: TenantInfo, beta: TenantInfo
) -> None:
    accountants(alpha, "worker", "designer", "operator")
    start(alpha)
    (task,) = listed(alpha, "worker", "?list=offered")
    client_as(alpha, "worker").post(f"{TASKS}{task['id']}/comments/", {"text": "@designer @operator"}, format="json")

    marked = client_as(alpha, "designer").post(f"{NOTIFICATIONS}read-all/")

    assert marked.json() == {"marked": 1}
    assert [n["read_at"] for n in notifications(client_as(alpha, "operator"))] == [None]
    assert notifications(client_as(beta, "designer")) == []  # the same name in another tenant
    with schema_context(alpha.schema):
        mine = Notification.objects.get(username="operator")
    assert_problem(client_as(beta, "operator").get(f"{NOTIFICATIONS}{mine.id}/"), 404, "not_found")
