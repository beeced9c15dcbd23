"""Form-js forms deployed as files of their own: versions by key, refused input, and the form a
user task names with camunda:formRef or Zeebe's formId, shown and checked on completion."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from apps.engine.models import ProcessInstance
from apps.tasks.models import FormDefinition, Task
from tests.api.helpers import assert_problem
from tests.conftest import TenantInfo
from tests.engine.api.test_engine_api import XML, client_as

MODELS = Path(__file__).parent / "models"
FORM = json.loads((MODELS / "invoice_review.form").read_text())
CAMUNDA_MODEL = (MODELS / "deployed_form.bpmn").read_text()
FORMS = "/api/v1/form-definitions/"
TASKS = "/api/v1/tasks/"


def form_version(label: str, **changes: Any) -> dict[str, Any]:
    """The test form with its amount field labelled ``label`` (a form that differs by that)."""
    components = [dict(component) for component in FORM["components"]]
    components[2]["label"] = label
    return {**FORM, "components": components, **changes}


def deploy_form(info: TenantInfo, form: dict[str, Any]) -> dict[str, Any]:
    response = client_as(info, "designer").post(FORMS, form, format="json")
    assert response.status_code in (200, 201), response.json()
    return response.json()  # type: ignore[no-any-return]


def deploy_process(info: TenantInfo, form_ref: str = 'camunda:formRef="invoice_review"', *, zeebe: bool = False) -> str:
    if zeebe:
        xml, key = (MODELS / "zeebe_deployed_form.bpmn").read_bytes(), "zeebe_deployed_form"
    else:
        xml, key = CAMUNDA_MODEL.replace('camunda:formRef="invoice_review"', form_ref).encode(), "deployed_form"
    response = client_as(info, "designer").post("/api/v1/deployments/", xml, content_type=XML)
    assert response.status_code in (200, 201), response.json()
    return key


def start_task(info: TenantInfo, key: str, **variables: Any) -> dict[str, Any]:
    worker = client_as(info, "worker")
    started = worker.post(f"/api/v1/process-definitions/key/{key}/start/", {"variables": variables}, format="json")
    assert started.status_code == 201, started.json()
    (task,) = worker.get(f"{TASKS}?list=offered").json()["results"]
    return task  # type: ignore[no-any-return]


def amount_label(info: TenantInfo, task: dict[str, Any]) -> str:
    response = client_as(info, "worker").get(f"{TASKS}{task['id']}/form/")
    assert response.status_code == 200, response.json()
    return response.json()["schema"]["components"][2]["label"]  # type: ignore[no-any-return]


def test_a_form_is_deployed_in_versions_by_its_id_and_the_same_form_again_adds_none(alpha: TenantInfo) -> None:
    designer = client_as(alpha, "designer")

    first = designer.post(FORMS, FORM, format="json")
    again = designer.post(FORMS, json.dumps(FORM, indent=4), content_type="application/json")  # other spacing
    with (MODELS / "invoice_review.form").open("rb") as upload:
        as_file = designer.post(FORMS, {"file": upload}, format="multipart")

    assert first.status_code == 201, first.json()
    body = first.json()
    assert (body["key"], body["version"], body["version_tag"], body["created"]) == ("invoice_review", 1, "v1", True)
    assert (body["deployed_by"], body["schema"]) == ("designer", FORM)
    assert (again.status_code, again.json()["id"], again.json()["created"]) == (200, body["id"], False)
    assert (as_file.status_code, as_file.json()["version"]) == (200, 1)  # the same form as a file
    second = designer.post(FORMS, form_version("Total"), format="json")
    assert (second.status_code, second.json()["version"]) == (201, 2)
    back = designer.post(FORMS, FORM, format="json")  # version 1's form again, after version 2: a new latest
    assert (back.status_code, back.json()["version"]) == (201, 3)
    worker = client_as(alpha, "worker")
    listed = worker.get(f"{FORMS}?key=invoice_review").json()
    assert [(row["version"], "schema" in row) for row in listed] == [(3, False), (2, False), (1, False)]
    assert worker.get(f"{FORMS}{second.json()['id']}/").json()["schema"] == form_version("Total")
    assert worker.get(f"{FORMS}key/invoice_review/").json()["version"] == 3
    assert worker.get(f"{FORMS}key/invoice_review/?version=2").json()["id"] == second.json()["id"]
    missing = assert_problem(worker.get(f"{FORMS}key/invoice_review/?version=9"), 404, "not_found")
    assert missing["detail"] == "No form with key 'invoice_review' is deployed in version 9."
    assert_problem(worker.get(f"{FORMS}key/invoice_review/?version=two"), 400, "validation_error")


def test_a_form_file_uploaded_as_multipart_keeps_its_name(alpha: TenantInfo) -> None:
    with (MODELS / "invoice_review.form").open("rb") as upload:
        response = client_as(alpha, "designer").post(FORMS, {"file": upload}, format="multipart")

    assert response.status_code == 201, response.json()
    assert (response.json()["name"], response.json()["schema"]) == ("invoice_review.form", FORM)


@pytest.mark.parametrize(
    "body, detail",
    [
        (
            b"{not json",
            "The form is not JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        ),
        (b"[1, 2]", "A form is a JSON object with an id and components."),
        (b'{"components": []}', "A form needs an id of letters, digits, '_', '-' and '.' (at most 150): its key."),
        (
            b'{"id": "a:b", "components": []}',
            "A form needs an id of letters, digits, '_', '-' and '.' (at most 150): its key.",
        ),
        (b'{"id": "f", "components": {"type": "textfield"}}', "A form's components are a list of objects."),
        (b'{"id": "f", "components": [], "versionTag": 7}', "A form's versionTag is text of at most 60 characters."),
        (b'{"id": "f", "components": [{"min": NaN}]}', "The form is not JSON: NaN is not a JSON number"),
        (
            b'{"id": "f", "components": [{"text": "a\\u0000b"}]}',
            "The form holds a NUL character or a lone surrogate (\\u0000, \\ud800...).",
        ),
        (
            b'{"id": "f", "components": [{"text": "\\ud800"}]}',
            "The form holds a NUL character or a lone surrogate (\\u0000, \\ud800...).",
        ),
        (b'{"id": "f", "components": [' + b"[" * 40 + b"]" * 40 + b"]}", "The form is nested deeper than 32 levels."),
        (
            b'{"id": "f", "components": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}",
            "The form is nested deeper than 32 levels.",
        ),
    ],
)
def test_what_is_not_a_form_is_refused_and_nothing_is_kept(alpha: TenantInfo, body: bytes, detail: str) -> None:
    response = client_as(alpha, "designer").post(FORMS, body, content_type="application/json")

    assert assert_problem(response, 422, "form_invalid")["detail"] == detail
    with schema_context(alpha.schema):
        assert not FormDefinition.objects.exists()


def test_a_request_without_a_form_says_how_to_send_one(alpha: TenantInfo) -> None:
    response = client_as(alpha, "designer").post(FORMS, b"", content_type="application/json")

    assert assert_problem(response, 400, "malformed_request")["detail"] == (
        "Send the form as the body (Content-Type: application/json) or as the file `file`."
    )


def test_a_form_over_the_size_cap_is_refused(alpha: TenantInfo, settings: Any) -> None:
    settings.APG_FORM_MAX_BYTES = 200
    large = form_version("x" * 200)
    designer = client_as(alpha, "designer")

    as_body = designer.post(FORMS, large, format="json")
    upload = SimpleUploadedFile("large.form", json.dumps(large).encode(), content_type="application/json")
    as_file = designer.post(FORMS, {"file": upload}, format="multipart")

    assert "at most 200 bytes" in assert_problem(as_body, 413, "payload_too_large")["detail"]
    assert_problem(as_file, 413, "payload_too_large")
    with schema_context(alpha.schema):
        assert not FormDefinition.objects.exists()


def test_designers_deploy_forms_and_task_workers_read_them(alpha: TenantInfo) -> None:
    refused = client_as(alpha, "worker").post(FORMS, FORM, format="json")
    anonymous = client_as(alpha, "worker")
    anonymous.credentials()

    assert_problem(refused, 403, "permission_denied")
    assert_problem(anonymous.get(FORMS), 401, "not_authenticated")
    with schema_context(alpha.schema):
        assert not FormDefinition.objects.exists()
    deploy_form(alpha, FORM)
    assert [row["key"] for row in client_as(alpha, "worker").get(FORMS).json()] == ["invoice_review"]
    assert client_as(alpha, "operator").get(f"{FORMS}key/invoice_review/").status_code == 200


def test_binding_latest_shows_the_latest_version_when_the_form_is_asked_for(alpha: TenantInfo) -> None:
    deploy_form(alpha, FORM)
    task = start_task(alpha, deploy_process(alpha))
    assert task["form_key"] == "camunda-forms:deployed:invoice_review"
    assert amount_label(alpha, task) == "Amount"

    deploy_form(alpha, form_version("Total"))

    assert amount_label(alpha, task) == "Total"


def test_binding_version_keeps_its_version_given_literally_or_by_an_expression(alpha: TenantInfo) -> None:
    deploy_form(alpha, FORM)
    deploy_form(alpha, form_version("Total"))
    deploy_form(alpha, form_version("Sum"))
    pinned = 'camunda:formRef="invoice_review" camunda:formRefBinding="version" camunda:formRefVersion="1"'
    task = start_task(alpha, deploy_process(alpha, pinned))
    assert task["form_key"] == "camunda-forms:deployed:invoice_review:version:1"
    assert amount_label(alpha, task) == "Amount"
    client_as(alpha, "worker").post(f"{TASKS}{task['id']}/complete/", {"variables": {"reviewer": "ann"}}, format="json")

    computed = pinned.replace('"1"', '"${formVersion}"')
    task = start_task(alpha, deploy_process(alpha, computed), formVersion=2)

    assert task["form_key"] == "camunda-forms:deployed:invoice_review:version:2"
    assert amount_label(alpha, task) == "Total"


def test_binding_deployment_shows_the_version_there_was_when_the_process_was_deployed(alpha: TenantInfo) -> None:
    deploy_form(alpha, FORM)
    key = deploy_process(alpha, 'camunda:formRef="invoice_review" camunda:formRefBinding="deployment"')
    deploy_form(alpha, form_version("Total"))

    task = start_task(alpha, key)

    assert task["form_key"] == "camunda-forms:deployed:invoice_review:deployment"
    assert amount_label(alpha, task) == "Amount"


def test_zeebe_form_id_bound_by_version_tag_shows_the_latest_version_with_that_tag(alpha: TenantInfo) -> None:
    deploy_form(alpha, FORM)
    deploy_form(alpha, form_version("Total"))  # still tagged v1: the latest with it
    deploy_form(alpha, form_version("Sum", versionTag="v2"))

    task = start_task(alpha, deploy_process(alpha, zeebe=True))

    assert task["form_key"] == "camunda-forms:deployed:invoice_review:versionTag:v1"
    assert amount_label(alpha, task) == "Total"


def test_a_completion_is_checked_against_the_deployed_form_field_by_field(alpha: TenantInfo) -> None:
    deploy_form(alpha, FORM)
    task = start_task(alpha, deploy_process(alpha))
    worker = client_as(alpha, "worker")

    shown = worker.get(f"{TASKS}{task['id']}/form/").json()
    wrong = worker.post(f"{TASKS}{task['id']}/complete/", {"variables": {"reviewer": "al", "amount": 0}}, format="json")

    assert [(field["id"], field["type"], field["required"]) for field in shown["fields"]] == [
        ("reviewer", "string", True),
        ("amount", "double", False),
    ]
    assert assert_problem(wrong, 400, "validation_error")["errors"]["variables"] == {
        "reviewer": ["Give at least 3 characters."],
        "amount": ["Give at least 1."],
    }
    with schema_context(alpha.schema):
        assert (Task.objects.get(id=task["id"]).state, Task.objects.get(id=task["id"]).assignee) == ("created", "")
    done = worker.post(f"{TASKS}{task['id']}/complete/", {"variables": {"reviewer": "ann", "amount": 5}}, format="json")
    assert (done.status_code, done.json()["state"]) == (200, "completed")


def test_a_form_that_is_not_deployed_is_a_conflict_naming_it_and_nothing_changes(alpha: TenantInfo) -> None:
    pinned = 'camunda:formRef="invoice_review" camunda:formRefBinding="version" camunda:formRefVersion="2"'
    task = start_task(alpha, deploy_process(alpha, pinned))
    worker = client_as(alpha, "worker")

    shown = worker.get(f"{TASKS}{task['id']}/form/")
    completed = worker.post(f"{TASKS}{task['id']}/complete/", {"variables": {"reviewer": "ann"}}, format="json")
    bulk = worker.post(f"{TASKS}bulk/", {"action": "complete", "tasks": [task["id"]]}, format="json")

    problem = assert_problem(shown, 409, "form_not_found")
    assert problem["detail"] == "No form 'invoice_review' in version 2 is deployed in this tenant."
    assert problem["form"] == {"key": "invoice_review", "binding": "version", "version": "2", "version_tag": None}
    assert assert_problem(completed, 409, "form_not_found")["form"] == problem["form"]
    assert bulk.json() == [{"id": task["id"], "status": 409, "detail": problem["detail"], "problems": {}}]
    with schema_context(alpha.schema):
        unchanged = Task.objects.get(id=task["id"])
        assert (unchanged.state, unchanged.assignee) == ("created", "")
        assert list(unchanged.events.values_list("kind", flat=True)) == ["created"]
        assert ProcessInstance.objects.get(id=unchanged.instance_id).state == "active"
    deploy_form(alpha, FORM)
    deploy_form(alpha, form_version("Total"))
    assert amount_label(alpha, task) == "Total"


def test_a_form_deployed_in_one_tenant_is_neither_seen_nor_used_in_another(alpha: TenantInfo, beta: TenantInfo) -> None:
    deployed = deploy_form(alpha, FORM)
    task = start_task(beta, deploy_process(beta))
    reader = client_as(beta, "worker")

    assert reader.get(FORMS).json() == []
    assert_problem(reader.get(f"{FORMS}{deployed['id']}/"), 404, "not_found")
    assert_problem(reader.get(f"{FORMS}key/invoice_review/"), 404, "not_found")
    assert_problem(reader.get(f"{TASKS}{task['id']}/form/"), 409, "form_not_found")
    again = client_as(beta, "designer").post(FORMS, FORM, format="json")
    assert (again.status_code, again.json()["version"]) == (201, 1)  # beta's own first version
    assert amount_label(beta, task) == "Amount"
