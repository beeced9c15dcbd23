"""Operators see incidents and retry or resolve them; each action is recorded with who and why."""

from __future__ import annotations

from typing import Any

from django_tenants.utils import schema_context

from apps.engine.models import ActivityInstance, OperatorAction, ProcessInstance, Token
from tests.api.helpers import assert_problem
from tests.conftest import TenantInfo
from tests.engine.api.test_engine_api import XML, client_as, model
from tests.engine.api.test_external_tasks import fetch, waiting_for_worker

INCIDENTS = "/api/v1/incidents/"


def failed_division(info: TenantInfo) -> str:
    """An instance of failing_script whose division by zero stopped with an incident."""
    client_as(info, "designer").post("/api/v1/deployments/", model("failing_script"), content_type=XML)
    started = client_as(info, "worker").post(
        "/api/v1/process-definitions/key/failing_script/start/", {"variables": {"total": 10, "count": 0}}, format="json"
    )
    return str(started.json()["id"])


def open_incidents(info: TenantInfo, instance_id: str) -> list[dict[str, Any]]:
    response = client_as(info, "operator").get(f"{INCIDENTS}?instance={instance_id}&open=true")
    assert response.status_code == 200, response.json()
    return response.json()  # type: ignore[no-any-return]


def test_an_operator_fixes_the_data_and_retries_the_step_that_failed(alpha: TenantInfo) -> None:
    instance_id = failed_division(alpha)
    operator = client_as(alpha, "operator")
    (incident,) = open_incidents(alpha, instance_id)
    assert (incident["kind"], incident["element_id"]) == ("script-failed", "divide")
    detail = operator.get(f"/api/v1/process-instances/{instance_id}/").json()
    assert [(shown["id"], shown["kind"]) for shown in detail["incidents"]] == [(incident["id"], "script-failed")]

    operator.post(f"/api/v1/process-instances/{instance_id}/variables/", {"variables": {"count": 4}}, format="json")
    retried = operator.post(f"{INCIDENTS}{incident['id']}/retry/", {"reason": "count fixed"}, format="json")

    assert retried.status_code == 200, retried.json()
    assert retried.json()["resolved_by"] == "operator" and retried.json()["resolved_at"] is not None
    assert open_incidents(alpha, instance_id) == []
    assert operator.get(f"/api/v1/process-instances/{instance_id}/").json()["incidents"] == []
    with schema_context(alpha.schema):
        stored = ProcessInstance.objects.get(id=instance_id)
        attempts = list(
            ActivityInstance.objects.filter(instance_id=instance_id, element_id="divide")
            .order_by("id")
            .values_list("state", flat=True)
        )
        action = OperatorAction.objects.get(instance_id=instance_id, kind="retry-incident")
        assert list(Token.objects.filter(instance_id=instance_id).values_list("element_id", flat=True)) == ["other"]
    assert stored.variables["ratio"] == 2.5
    assert attempts == ["failed", "completed"]
    assert (action.actor, action.reason, action.details["kind"]) == ("operator", "count fixed", "script-failed")

    again = operator.post(f"{INCIDENTS}{incident['id']}/retry/", {}, format="json")
    assert_problem(again, 409, "conflict")


def test_an_external_task_out_of_retries_gets_new_ones(alpha: TenantInfo) -> None:
    instance_id = waiting_for_worker(alpha)
    (task,) = fetch(alpha, "w")
    failure = {"worker_id": "w", "error_message": "mail server down", "retries": 0, "retry_timeout": 0}
    client_as(alpha, "operator").post(f"/api/v1/external-tasks/{task['id']}/failure/", failure, format="json")
    assert fetch(alpha, "w") == []
    (incident,) = open_incidents(alpha, instance_id)
    assert incident["kind"] == "failed-external-task"

    client_as(alpha, "operator").post(f"{INCIDENTS}{incident['id']}/retry/", {"retries": 2}, format="json")

    (again,) = fetch(alpha, "w")
    assert (again["id"], again["retries"]) == (task["id"], 2)


def test_resolving_by_hand_changes_nothing_else_and_cancelling_resolves_what_is_left(alpha: TenantInfo) -> None:
    resolved_by_hand, cancelled = failed_division(alpha), failed_division(alpha)
    operator = client_as(alpha, "operator")
    (incident,) = open_incidents(alpha, resolved_by_hand)

    resolved = operator.post(f"{INCIDENTS}{incident['id']}/resolve/", {"reason": "handled by phone"}, format="json")

    assert resolved.json()["resolved_by"] == "operator"
    assert open_incidents(alpha, resolved_by_hand) == []
    assert operator.get(f"{INCIDENTS}?instance={resolved_by_hand}").json() == [resolved.json()]
    operator.post(f"/api/v1/process-instances/{cancelled}/cancel/", {}, format="json")
    (closed,) = operator.get(f"{INCIDENTS}?instance={cancelled}&open=false").json()
    assert (closed["resolved_by"], closed["resolved_at"] is not None) == ("", True)

    assert client_as(alpha, "worker").get(INCIDENTS).status_code == 403
    assert_problem(operator.get(f"{INCIDENTS}?instance=nope"), 400, "validation_error")


def test_operators_retry_and_resolve_incidents_in_the_admin_and_workers_cannot(alpha: TenantInfo) -> None:
    from tests.tenancy.test_routing import login

    fixed, left = failed_division(alpha), failed_division(alpha)
    (to_retry,), (to_resolve,) = open_incidents(alpha, fixed), open_incidents(alpha, left)
    client_as(alpha, "operator").post(
        f"/api/v1/process-instances/{fixed}/variables/", {"variables": {"count": 5}}, format="json"
    )
    operator = login(alpha, "operator")
    listed = operator.get("/admin/engine/incident/?open=yes")
    assert listed.status_code == 200
    assert b"Retry the selected incidents" in listed.content

    retried = operator.post(
        "/admin/engine/incident/",
        {"action": "retry", "_selected_action": [to_retry["id"]], "retries": "1", "reason": "count fixed"},
        follow=True,
    )
    resolved = operator.post(
        "/admin/engine/incident/",
        {"action": "resolve", "_selected_action": [to_resolve["id"]], "reason": "handled by phone"},
        follow=True,
    )
    again = operator.post("/admin/engine/incident/", {"action": "resolve", "_selected_action": [to_resolve["id"]]})

    assert b"1 incident(s) retried." in retried.content
    assert b"1 incident(s) resolved." in resolved.content
    assert open_incidents(alpha, fixed) == open_incidents(alpha, left) == []
    with schema_context(alpha.schema):
        assert ProcessInstance.objects.get(id=fixed).variables["ratio"] == 2.0
        actions = OperatorAction.objects.filter(instance_id__in=[fixed, left], kind__endswith="-incident")
        reasons = dict(actions.values_list("kind", "reason"))
    assert reasons == {"retry-incident": "count fixed", "resolve-incident": "handled by phone"}
    assert again.status_code == 302  # refused politely: already resolved, nothing changes
    with schema_context(alpha.schema):
        assert OperatorAction.objects.filter(instance_id=left).count() == 1

    worker = failed_division(alpha)
    (untouched,) = open_incidents(alpha, worker)
    designer = login(alpha, "designer")
    refused = designer.post("/admin/engine/incident/", {"action": "resolve", "_selected_action": [untouched["id"]]})
    assert refused.status_code in (302, 403)
    assert open_incidents(alpha, worker) != []
