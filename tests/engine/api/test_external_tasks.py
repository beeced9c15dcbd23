"""External-task workers over REST: fetch-and-lock, complete, failure with retries, lock expiry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django_tenants.utils import schema_context

from apps.engine.models import ExternalTask, Incident, ProcessInstance
from tests.conftest import TenantInfo
from tests.engine.api.test_engine_api import XML, client_as, model

TOPICS = [{"topic_name": "notifications", "lock_duration": 60_000}]


def waiting_for_worker(info: TenantInfo) -> str:
    """An instance of service_tasks waiting at its external task (the handler step made a plain task)."""
    xml = model("service_tasks").replace(
        b'<bpmn:serviceTask id="score" camunda:delegateExpression="${creditScore}"/>', b'<bpmn:task id="score"/>'
    )
    client_as(info, "designer").post("/api/v1/deployments/", xml, content_type=XML)
    started = client_as(info, "worker").post(
        "/api/v1/process-definitions/key/service_tasks/start/", {"variables": {"customer": "c-9"}}, format="json"
    )
    return str(started.json()["id"])


def fetch(info: TenantInfo, worker_id: str) -> list[dict[str, Any]]:
    response = client_as(info, "operator").post(
        "/api/v1/external-tasks/fetch-and-lock/", {"worker_id": worker_id, "topics": TOPICS}, format="json"
    )
    assert response.status_code == 200, response.json()
    return response.json()  # type: ignore[no-any-return]


def let_time_pass(info: TenantInfo, task_id: str) -> None:
    """Move the task's lock or retry time into the past, as the clock would."""
    with schema_context(info.schema):
        ExternalTask.objects.filter(id=task_id).update(locked_until=timezone.now() - timedelta(seconds=1))


def test_a_worker_fetches_locks_and_completes_a_task(alpha: TenantInfo) -> None:
    instance_id = waiting_for_worker(alpha)

    (task,) = fetch(alpha, "worker-1")
    assert (task["topic"], task["instance_id"], task["variables"]) == (
        "notifications",
        instance_id,
        {"customer": "c-9"},
    )
    assert fetch(alpha, "worker-2") == []  # locked

    operator = client_as(alpha, "operator")
    wrong = operator.post(f"/api/v1/external-tasks/{task['id']}/complete/", {"worker_id": "worker-2"}, format="json")
    assert wrong.status_code == 409
    done = operator.post(
        f"/api/v1/external-tasks/{task['id']}/complete/",
        {"worker_id": "worker-1", "variables": {"sent": True}},
        format="json",
    )
    assert done.status_code == 204
    with schema_context(alpha.schema):
        instance = ProcessInstance.objects.get(id=instance_id)
        assert (instance.state, instance.variables) == ("completed", {"customer": "c-9", "sent": True})
        assert not ExternalTask.objects.filter(instance=instance).exists()


def test_an_expired_lock_lets_another_worker_take_the_task(alpha: TenantInfo) -> None:
    waiting_for_worker(alpha)
    (task,) = fetch(alpha, "crashed-worker")
    let_time_pass(alpha, task["id"])

    (again,) = fetch(alpha, "worker-2")
    assert again["id"] == task["id"] and again["worker_id"] == "worker-2"
    late = client_as(alpha, "operator").post(
        f"/api/v1/external-tasks/{task['id']}/complete/", {"worker_id": "crashed-worker"}, format="json"
    )
    assert late.status_code == 409


def test_failures_retry_after_their_timeout_and_raise_an_incident_when_retries_run_out(alpha: TenantInfo) -> None:
    instance_id = waiting_for_worker(alpha)
    operator = client_as(alpha, "operator")
    (task,) = fetch(alpha, "w")
    failure = {"worker_id": "w", "error_message": "SMTP down", "retries": 1, "retry_timeout": 30_000}
    assert operator.post(f"/api/v1/external-tasks/{task['id']}/failure/", failure, format="json").status_code == 204

    assert fetch(alpha, "w") == []  # not before the retry timeout
    let_time_pass(alpha, task["id"])
    (retry,) = fetch(alpha, "w")
    assert (retry["retries"], retry["error_message"]) == (1, "SMTP down")

    last = {"worker_id": "w", "error_message": "SMTP still down", "retries": 0}
    assert operator.post(f"/api/v1/external-tasks/{task['id']}/failure/", last, format="json").status_code == 204
    let_time_pass(alpha, task["id"])
    assert fetch(alpha, "w") == []
    with schema_context(alpha.schema):
        incident = Incident.objects.get(instance_id=instance_id)
        assert (incident.kind, incident.element_id, incident.message) == (
            "failed-external-task",
            "notify",
            "SMTP still down",
        )


def test_a_worker_extends_its_lock(alpha: TenantInfo) -> None:
    waiting_for_worker(alpha)
    (task,) = fetch(alpha, "w")
    response = client_as(alpha, "operator").post(
        f"/api/v1/external-tasks/{task['id']}/extend-lock/", {"worker_id": "w", "new_duration": 600_000}, format="json"
    )
    assert response.status_code == 204
    with schema_context(alpha.schema):
        locked_until = ExternalTask.objects.get(id=task["id"]).locked_until
    assert locked_until is not None and locked_until > timezone.now() + timedelta(seconds=500)


def test_a_bpmn_error_without_a_boundary_event_is_an_incident(alpha: TenantInfo) -> None:
    instance_id = waiting_for_worker(alpha)
    (task,) = fetch(alpha, "w")
    body = {"worker_id": "w", "error_code": "NO_ADDRESS", "error_message": "customer has no e-mail"}
    response = client_as(alpha, "operator").post(
        f"/api/v1/external-tasks/{task['id']}/bpmn-error/", body, format="json"
    )
    assert response.status_code == 204
    with schema_context(alpha.schema):
        incident = Incident.objects.get(instance_id=instance_id)
        instance = ProcessInstance.objects.get(id=instance_id)
        assert not ExternalTask.objects.filter(instance_id=instance_id).exists()  # no worker can take it again
    assert incident.kind == "error-unhandled"
    assert incident.message == "The BPMN error 'NO_ADDRESS' was not caught: customer has no e-mail"
    assert instance.state == "failed"  # its only token is stopped


def test_tasks_of_suspended_instances_are_not_fetched_and_people_cannot_fetch(alpha: TenantInfo) -> None:
    instance_id = waiting_for_worker(alpha)
    client_as(alpha, "operator").post(f"/api/v1/process-instances/{instance_id}/suspend/", {}, format="json")
    assert fetch(alpha, "w") == []

    denied = client_as(alpha, "worker").post(
        "/api/v1/external-tasks/fetch-and-lock/", {"worker_id": "w", "topics": TOPICS}, format="json"
    )
    assert denied.status_code == 403
    unknown = client_as(alpha, "operator").post(
        "/api/v1/external-tasks/0190a6c4-0000-7000-8000-000000000000/complete/", {"worker_id": "w"}, format="json"
    )
    assert unknown.status_code == 404


def test_each_instance_of_a_multi_instance_external_task_sees_its_own_item(alpha: TenantInfo) -> None:
    xml = (
        model("service_tasks")
        .replace(
            b'<bpmn:serviceTask id="score" camunda:delegateExpression="${creditScore}"/>', b'<bpmn:task id="score"/>'
        )
        .replace(
            b'camunda:topic="notifications"/>',
            b'camunda:topic="notifications"><bpmn:multiInstanceLoopCharacteristics camunda:collection="${recipients}" '
            b'camunda:elementVariable="recipient"/></bpmn:serviceTask>',
        )
    )
    client_as(alpha, "designer").post("/api/v1/deployments/", xml, content_type=XML)
    started = client_as(alpha, "worker").post(
        "/api/v1/process-definitions/key/service_tasks/start/",
        {"variables": {"recipients": ["ann", "bob"]}},
        format="json",
    )
    assert started.status_code == 201, started.json()

    tasks = fetch(alpha, "worker-1")
    seen = sorted((task["variables"]["recipient"], task["variables"]["loopCounter"]) for task in tasks)
    assert seen == [("ann", 0), ("bob", 1)]
    assert all(task["variables"]["nrOfInstances"] == 2 for task in tasks)

    operator = client_as(alpha, "operator")
    for task in tasks:
        done = operator.post(f"/api/v1/external-tasks/{task['id']}/complete/", {"worker_id": "worker-1"}, format="json")
        assert done.status_code == 204
    with schema_context(alpha.schema):
        instance = ProcessInstance.objects.get(id=started.json()["id"])
        assert (instance.state, instance.variables) == ("completed", {"recipients": ["ann", "bob"]})
