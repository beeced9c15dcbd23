"""Operators suspend, resume and cancel instances; every action is recorded with who and why."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from apps.engine.models import ActivityInstance, OperatorAction, OutboxEvent, ProcessInstance, Token, VariableChange
from apps.engine.services.instances import InstanceNotActive, complete_wait
from tests.conftest import TenantInfo
from tests.engine.api.test_engine_api import XML, client_as, model


def started(info: TenantInfo) -> str:
    client_as(info, "designer").post("/api/v1/deployments/", model("user_task_decision"), content_type=XML)
    response = client_as(info, "worker").post(
        "/api/v1/process-definitions/key/user_task_decision/start/", {"variables": {"requester": "ann"}}, format="json"
    )
    return str(response.json()["id"])


def test_a_suspended_instance_refuses_triggers_until_resumed(alpha: TenantInfo) -> None:
    instance_id = started(alpha)
    operator = client_as(alpha, "operator")

    suspended = operator.post(f"/api/v1/process-instances/{instance_id}/suspend/", {"reason": "audit"}, format="json")
    assert suspended.status_code == 200 and suspended.json()["state"] == "suspended"

    with schema_context(alpha.schema):
        token = Token.objects.get(instance_id=instance_id)
        with pytest.raises(InstanceNotActive):
            complete_wait(token.instance_id, str(token.id), {"decision": "yes"})
        assert Token.objects.get(instance_id=instance_id).element_id == "approve"

    resumed = operator.post(f"/api/v1/process-instances/{instance_id}/resume/", {}, format="json")
    assert resumed.json()["state"] == "active"
    with schema_context(alpha.schema):
        complete_wait(token.instance_id, str(token.id), {"decision": "yes"})
        assert ProcessInstance.objects.get(id=instance_id).state == "completed"
        actions = list(OperatorAction.objects.filter(instance_id=instance_id).values_list("kind", "actor", "reason"))
    assert actions == [("suspend", "operator", "audit"), ("resume", "operator", "")]


def test_cancel_ends_the_instance_and_its_open_activities(alpha: TenantInfo) -> None:
    instance_id = started(alpha)
    operator = client_as(alpha, "operator")

    url = f"/api/v1/process-instances/{instance_id}/cancel/"
    cancelled = operator.post(url, {"reason": "duplicate"}, format="json")
    assert cancelled.status_code == 200
    body = cancelled.json()
    assert body["state"] == "cancelled" and body["ended_at"] is not None and body["tokens"] == []
    assert [(entry["element_id"], entry["state"]) for entry in body["history"]] == [
        ("start", "completed"),
        ("approve", "cancelled"),
    ]
    again = operator.post(url, {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    with schema_context(alpha.schema):
        (action,) = OperatorAction.objects.filter(instance_id=instance_id)
        assert (action.kind, action.reason, action.details) == (
            "cancel",
            "duplicate",
            {"cancelled_activities": ["approve"]},
        )
        assert ActivityInstance.objects.get(instance_id=instance_id, element_id="approve").ended_at is not None


def test_only_operators_and_admins_operate_instances(alpha: TenantInfo) -> None:
    instance_id = started(alpha)
    for username in ("worker", "designer"):
        response = client_as(alpha, username).post(
            f"/api/v1/process-instances/{instance_id}/cancel/", {}, format="json"
        )
        assert response.status_code == 403
    with schema_context(alpha.schema):
        assert ProcessInstance.objects.get(id=instance_id).state == "active"
        assert not OperatorAction.objects.filter(instance_id=instance_id).exists()
    missing = client_as(alpha, "admin").post(
        "/api/v1/process-instances/0190a6c4-0000-7000-8000-000000000000/suspend/", {}, format="json"
    )
    assert missing.status_code == 404


def test_an_active_instance_cannot_be_resumed(alpha: TenantInfo) -> None:
    instance_id = started(alpha)
    response = client_as(alpha, "operator").post(f"/api/v1/process-instances/{instance_id}/resume/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["detail"] == "The instance is active; it cannot become active."


def test_operators_set_variables_with_history_and_audit(alpha: TenantInfo) -> None:
    instance_id = started(alpha)
    url = f"/api/v1/process-instances/{instance_id}/variables/"
    operator = client_as(alpha, "operator")

    response = operator.post(url, {"variables": {"limit": 500}, "reason": "raised by phone"}, format="json")
    assert response.status_code == 200
    assert response.json()["variables"] == {"requester": "ann", "limit": 500}
    with schema_context(alpha.schema):
        change = VariableChange.objects.get(instance_id=instance_id, name="limit")
        action = OperatorAction.objects.get(instance_id=instance_id)
    assert (change.value, change.changed_by) == (500, "operator")
    assert (action.kind, action.reason, action.details) == ("set-variables", "raised by phone", {"names": ["limit"]})

    operator.post(f"/api/v1/process-instances/{instance_id}/suspend/", {}, format="json")
    kept = operator.post(url, {"variables": {"note": "on hold"}}, format="json")  # kept while suspended
    assert kept.status_code == 200 and kept.json()["variables"]["note"] == "on hold"
    with schema_context(alpha.schema):
        changes = OutboxEvent.objects.filter(instance_id=instance_id, type="variables.changed").order_by("id")
        assert [event.payload["names"] for event in changes][-2:] == [["limit"], ["note"]]
    operator.post(f"/api/v1/process-instances/{instance_id}/resume/", {}, format="json")

    assert operator.post(url, {"variables": []}, format="json").status_code == 400
    assert client_as(alpha, "worker").post(url, {"variables": {"x": 1}}, format="json").status_code == 403
    operator.post(f"/api/v1/process-instances/{instance_id}/cancel/", {}, format="json")
    ended = operator.post(url, {"variables": {"x": 1}}, format="json")
    assert ended.status_code == 409
    assert ended.json()["detail"] == "The instance is cancelled; its variables can no longer change."


def test_modify_cancels_a_token_and_starts_before_another_element(alpha: TenantInfo) -> None:
    instance_id = started(alpha)
    url = f"/api/v1/process-instances/{instance_id}/modify/"
    body = {"cancel": ["approve"], "start_before": ["approved"], "variables": {"decision": "yes"}, "reason": "signed"}

    response = client_as(alpha, "operator").post(url, body, format="json")

    assert response.status_code == 200, response.json()
    detail = response.json()
    assert detail["state"] == "completed"
    assert [(entry["element_id"], entry["state"]) for entry in detail["history"]] == [
        ("start", "completed"),
        ("approve", "cancelled"),
        ("approved", "completed"),
        ("accepted", "completed"),
    ]
    with schema_context(alpha.schema):
        action = OperatorAction.objects.get(instance_id=instance_id)
    assert (action.kind, action.actor, action.reason) == ("modify", "operator", "signed")
    assert action.details == {"cancel": ["approve"], "start_before": ["approved"]}


def test_a_modification_that_leaves_no_token_cancels_the_instance(alpha: TenantInfo) -> None:
    instance_id = started(alpha)
    response = client_as(alpha, "admin").post(
        f"/api/v1/process-instances/{instance_id}/modify/", {"cancel": ["approve"]}, format="json"
    )
    assert response.json()["state"] == "cancelled"


def test_a_modification_that_does_not_apply_changes_nothing(alpha: TenantInfo) -> None:
    instance_id = started(alpha)
    operator = client_as(alpha, "operator")
    url = f"/api/v1/process-instances/{instance_id}/modify/"

    no_token = operator.post(url, {"cancel": ["accepted"], "start_before": ["approved"]}, format="json")
    unknown = operator.post(url, {"start_before": ["nowhere"]}, format="json")
    empty = operator.post(url, {}, format="json")

    assert (no_token.status_code, unknown.status_code, empty.status_code) == (409, 409, 400)
    assert no_token.json()["detail"] == "No token is at 'accepted'."
    with schema_context(alpha.schema):
        assert list(Token.objects.filter(instance_id=instance_id).values_list("element_id", flat=True)) == ["approve"]
        assert not OperatorAction.objects.filter(instance_id=instance_id).exists()
        assert ProcessInstance.objects.get(id=instance_id).variables == {"requester": "ann"}


def test_a_failed_instance_is_listed_cancelled_or_repaired_by_a_modification(alpha: TenantInfo) -> None:
    client_as(alpha, "designer").post("/api/v1/deployments/", model("failing_script"), content_type=XML)
    operator = client_as(alpha, "operator")

    def failed_instance() -> str:
        started = operator.post(
            "/api/v1/process-definitions/key/failing_script/start/",
            {"variables": {"total": 10, "count": 0}},
            format="json",
        ).json()
        with schema_context(alpha.schema):
            token = Token.objects.get(instance_id=started["id"], element_id="other")
            complete_wait(token.instance_id, str(token.id), {})
        return str(started["id"])

    repaired, dropped = failed_instance(), failed_instance()
    listed = operator.get("/api/v1/process-instances/?state=failed&key=failing_script").json()["results"]
    assert sorted(entry["id"] for entry in listed) == sorted([repaired, dropped])

    url = f"/api/v1/process-instances/{repaired}"
    assert operator.post(f"{url}/resume/", {}, format="json").status_code == 409
    assert operator.post(f"{url}/suspend/", {}, format="json").status_code == 409
    fixed = operator.post(f"{url}/variables/", {"variables": {"count": 2}}, format="json")
    assert fixed.status_code == 200 and fixed.json()["state"] == "failed"
    body = {"cancel": ["divide"], "start_before": ["divide"], "reason": "count corrected"}
    modified = operator.post(f"{url}/modify/", body, format="json")
    assert modified.status_code == 200, modified.json()
    assert (modified.json()["state"], modified.json()["variables"]["ratio"]) == ("completed", 5)

    cancelled = operator.post(f"/api/v1/process-instances/{dropped}/cancel/", {"reason": "bad data"}, format="json")
    assert cancelled.json()["state"] == "cancelled"
