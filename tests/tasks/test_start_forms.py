"""Start forms over REST: a process's start form read, filled in and checked per field before
anything starts, processes without a form or started only by events, and tenants kept apart."""

from __future__ import annotations

from typing import Any

from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from apps.designer import templates
from apps.engine.models import ProcessInstance
from apps.tasks.models import Task
from tests.api.helpers import assert_problem
from tests.conftest import TenantInfo
from tests.engine.api.test_engine_api import XML, client_as, model

MESSAGE_START = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="http://e">
  <bpmn:message id="m" name="order-received"/>
  <bpmn:process id="by_message" isExecutable="true">
    <bpmn:startEvent id="received"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f" sourceRef="received" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def deployed(info: TenantInfo, xml: bytes) -> str:
    response = client_as(info, "designer").post("/api/v1/deployments/", xml, content_type=XML)
    assert response.status_code in (200, 201), response.json()
    definition_id: str = response.json()["definitions"][0]["id"]
    return definition_id


def approval(info: TenantInfo) -> str:
    xml = templates.xml_of("approval")
    assert xml is not None
    return deployed(info, xml)


def submit(client: APIClient, definition_id: str, body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/process-definitions/{definition_id}/submit-form/", body, format="json")


def test_the_start_form_lists_its_fields_and_a_form_js_schema(alpha: TenantInfo) -> None:
    definition_id = approval(alpha)

    form = client_as(alpha, "worker").get(f"/api/v1/process-definitions/{definition_id}/start-form/")

    assert form.status_code == 200, form.json()
    fields = {field["id"]: field for field in form.json()["fields"]}
    assert list(fields) == ["subject", "details"]
    assert fields["subject"]["required"] is True
    assert fields["subject"]["constraints"] == {"required": None, "maxlength": "200"}
    assert [component["key"] for component in form.json()["schema"]["components"]] == ["subject", "details"]


def test_values_that_do_not_fit_start_nothing_and_say_why_per_field(alpha: TenantInfo) -> None:
    definition_id = approval(alpha)
    worker = client_as(alpha, "worker")

    missing = submit(worker, definition_id, {"variables": {"details": "New chairs"}})
    too_long = submit(worker, definition_id, {"variables": {"subject": "x" * 201, "details": 7}})

    assert assert_problem(missing, 400, "validation_error")["errors"] == {
        "variables": {"subject": ["This field is required."]}
    }
    assert assert_problem(too_long, 400, "validation_error")["errors"] == {
        "variables": {"subject": ["Give at most 200 characters."], "details": ["Give text."]}
    }
    with schema_context(alpha.schema):
        assert not ProcessInstance.objects.exists()


def test_values_that_fit_start_an_instance_with_them(alpha: TenantInfo) -> None:
    definition_id = approval(alpha)

    started = submit(
        client_as(alpha, "worker"),
        definition_id,
        {"variables": {"subject": "New chairs", "details": "Four of them"}, "business_key": "REQ-7"},
    )

    assert started.status_code == 201, started.json()
    assert started.json()["business_key"] == "REQ-7"
    assert started.json()["started_by"] == "worker"
    with schema_context(alpha.schema):
        instance = ProcessInstance.objects.get(id=started.json()["id"])
        assert instance.variables == {"subject": "New chairs", "details": "Four of them"}
        assert list(Task.objects.values_list("element_id", flat=True)) == ["decide_request"]


def test_a_process_without_a_start_form_starts_with_what_is_given(alpha: TenantInfo) -> None:
    definition_id = deployed(alpha, model("user_task_decision"))
    worker = client_as(alpha, "worker")

    form = worker.get(f"/api/v1/process-definitions/{definition_id}/start-form/")
    started = submit(worker, definition_id, {"variables": {"note": "no form"}})

    assert form.json()["fields"] == [] and form.json()["schema"]["components"] == []
    assert started.status_code == 201, started.json()


def test_a_process_started_only_by_events_refuses_a_start_by_hand(alpha: TenantInfo) -> None:
    definition_id = deployed(alpha, MESSAGE_START)

    refused = submit(client_as(alpha, "worker"), definition_id, {})

    assert_problem(refused, 409, "conflict")
    with schema_context(alpha.schema):
        assert not ProcessInstance.objects.exists()


def test_another_tenants_process_is_not_there(alpha: TenantInfo, beta: TenantInfo) -> None:
    definition_id = approval(alpha)
    stranger = client_as(beta, "worker")

    assert_problem(stranger.get(f"/api/v1/process-definitions/{definition_id}/start-form/"), 404, "not_found")
    assert_problem(submit(stranger, definition_id, {"variables": {"subject": "x"}}), 404, "not_found")
    with schema_context(beta.schema):
        assert not ProcessInstance.objects.exists()
