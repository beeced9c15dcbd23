"""Process models over REST: versions saved on a named base, comparison, restore, lint, deploy,
the deployed versions' counts, import of every OMG interchange model, and bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from apps.designer.models import ModelVersion, ProcessModel
from apps.engine.models import ProcessDefinition
from tests.api.helpers import assert_problem
from tests.conftest import TenantInfo
from tests.engine.api.test_engine_api import XML, client_as
from tests.engine.bpmn.test_miwg import MIWG as MIWG_DIRECTORY

MODELS = "/api/v1/models/"
# The OMG interchange models, as the repository keeps them beside the parser's tests.
MIWG = sorted(MIWG_DIRECTORY.glob("*.bpmn"))

REVIEW = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://example.com">
  <bpmn:process id="review" name="Review" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:userTask id="check" name="{name}" camunda:assignee="{assignee}"/>
    {end}
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check"/>
    {flow}
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram">
    <bpmndi:BPMNPlane id="plane" bpmnElement="review">
      <bpmndi:BPMNShape id="start_di" bpmnElement="start">
        <dc:Bounds x="100" y="100" width="36" height="36"/>
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="check_di" bpmnElement="check">
        <dc:Bounds x="{x}" y="80" width="100" height="80"/>
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def review(name: str = "Check", assignee: str = "designer", x: int = 200, end: bool = True) -> str:
    return REVIEW.format(
        name=name,
        assignee=assignee,
        x=x,
        end='<bpmn:endEvent id="end"/>' if end else "",
        flow='<bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="end"/>' if end else "",
    )


def made(designer: APIClient, **body: Any) -> dict[str, Any]:
    response = designer.post(MODELS, {"name": "Review", **body}, format="json")
    assert response.status_code == 201, response.json()
    assert response["ETag"] == '"1"'
    return response.json()  # type: ignore[no-any-return]


def save(designer: APIClient, model: dict[str, Any], xml: str, base: str | None, message: str = "") -> Any:
    headers = {"HTTP_IF_MATCH": base} if base is not None else {}
    return designer.post(f"{MODELS}{model['id']}/versions/", {"xml": xml, "message": message}, format="json", **headers)


def test_saves_are_versions_on_a_named_base_and_a_stale_base_is_refused(alpha: TenantInfo) -> None:
    designer = client_as(alpha, "designer")
    model = made(designer)
    first = designer.get(f"{MODELS}{model['id']}/xml/")
    assert first["ETag"] == '"1"' and b'<bpmn:startEvent id="StartEvent_1"/>' in first.content

    second = save(designer, model, review(), '"1"', "A check")
    stale = save(designer, model, review(name="Mine"), '"1"')
    unnamed = save(designer, model, review(name="Mine"), None)
    same = save(designer, model, review(), '"2"')

    assert (second.status_code, second["ETag"], second.json()["message"]) == (201, '"2"', "A check")
    assert assert_problem(stale, 412, "version_conflict")["current_version"] == 2
    assert_problem(unnamed, 428, "precondition_required")
    assert (same.status_code, same.json()["number"]) == (200, 2)  # nothing new to keep
    versions = designer.get(f"{MODELS}{model['id']}/versions/").json()
    assert [(v["number"], v["author"]) for v in versions] == [(2, "designer"), (1, "designer")]
    assert designer.get(f"{MODELS}{model['id']}/versions/2/").json()["xml"] == review()


def test_two_versions_compare_element_by_element_and_an_old_one_is_restored(alpha: TenantInfo) -> None:
    designer = client_as(alpha, "designer")
    model = made(designer, xml=review())
    save(designer, model, review(name="Check the claim", x=260, end=False), '"1"')

    compared = designer.get(f"{MODELS}{model['id']}/versions/2/diff/?against=1").json()

    assert compared["added"] == []
    assert {(entry["id"], entry["type"]) for entry in compared["removed"]} == {
        ("end", "endEvent"),
        ("f2", "sequenceFlow"),
    }
    (check,) = [entry for entry in compared["changed"] if entry["id"] == "check"]
    assert check["changes"] == ["name: 'Check' -> 'Check the claim'", "moved or resized on the diagram"]
    assert_problem(designer.get(f"{MODELS}{model['id']}/versions/2/diff/"), 400, "validation_error")

    restored = designer.post(f"{MODELS}{model['id']}/versions/1/restore/", HTTP_IF_MATCH='"2"')

    assert (restored.status_code, restored.json()["number"], restored.json()["message"]) == (
        201,
        3,
        "Restored version 1",
    )
    assert designer.get(f"{MODELS}{model['id']}/xml/").content.decode() == review()
    assert_problem(designer.post(f"{MODELS}{model['id']}/versions/9/restore/", HTTP_IF_MATCH='"3"'), 404, "not_found")


def test_bad_input_is_refused_with_its_problems_and_nothing_is_saved(alpha: TenantInfo) -> None:
    designer = client_as(alpha, "designer")
    model = made(designer, xml=review())
    hostile = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'

    not_bpmn = save(designer, model, "<html><body>hello</body></html>", '"1"')
    evil = save(designer, model, hostile, '"1"')
    upload = designer.post(f"{MODELS}import/", b"just some text", content_type=XML)
    with override_settings(APG_MODEL_MAX_BYTES=1000):
        large = save(designer, model, review(), '"1"')

    assert assert_problem(not_bpmn, 422, "model_invalid")["problems"][0]["code"] == "not-bpmn-definitions"
    assert assert_problem(evil, 422, "model_invalid")["problems"][0]["code"] == "xml-doctype-forbidden"
    assert_problem(upload, 422, "model_invalid")
    assert_problem(large, 413, "payload_too_large")
    with schema_context(alpha.schema):
        assert ModelVersion.objects.filter(model_id=model["id"]).count() == 1
        assert ProcessModel.objects.count() == 1  # the failed import made no model
    assert_problem(designer.post(MODELS, {"name": "x", "template": "nope"}, format="json"), 400, "validation_error")
    assert_problem(designer.post(MODELS, {"name": "Review"}, format="json"), 409, "conflict")  # the key is taken


def test_lint_names_the_elements_and_deploying_a_refused_model_deploys_nothing(alpha: TenantInfo) -> None:
    designer = client_as(alpha, "designer")
    broken = review(assignee="${who +}")
    model = made(designer, xml=broken)

    linted = designer.post(f"{MODELS}lint/", broken.encode(), content_type=XML).json()["problems"]
    refused = designer.post(f"{MODELS}{model['id']}/deploy/", {}, format="json")

    assert [(problem["severity"], problem["element_id"]) for problem in linted] == [("error", "check")]
    assert [problem["element_id"] for problem in assert_problem(refused, 422, "model_invalid")["problems"]] == ["check"]
    with schema_context(alpha.schema):
        assert not ProcessDefinition.objects.filter(key="review").exists()


def test_a_deployed_version_shows_its_instances_per_version_and_per_element(alpha: TenantInfo) -> None:
    designer = client_as(alpha, "designer")
    model = made(designer, xml=review())

    deployed = designer.post(f"{MODELS}{model['id']}/deploy/", {}, format="json")
    started = designer.post("/api/v1/process-definitions/key/review/start/", {}, format="json")

    assert deployed.status_code == 201, deployed.json()
    assert (deployed.json()["model_version"], [d["key"] for d in deployed.json()["definitions"]]) == (1, ["review"])
    assert started.status_code == 201
    (version,) = designer.get(f"{MODELS}{model['id']}/deployed/").json()
    assert (version["model_version"], version["running"], version["completed"], version["incidents"]) == (1, 1, 0, 0)
    detail = designer.get(f"{MODELS}{model['id']}/deployed/{version['definition_id']}/").json()
    assert detail["elements"]["check"] == {"running": 1, "completed": 0, "incidents": 0}
    assert detail["elements"]["start"]["completed"] == 1
    assert detail["xml"] == review()
    other = made(designer, name="Other", key="other")
    missing = designer.get(f"{MODELS}{other['id']}/deployed/{version['definition_id']}/")
    assert_problem(missing, 404, "not_found")  # another model's deployment


def test_the_interchange_suite_is_all_there() -> None:
    assert len(MIWG) == 21


@pytest.mark.parametrize("path", MIWG, ids=[path.name for path in MIWG])
def test_every_omg_interchange_model_imports_and_comes_back_unchanged(alpha: TenantInfo, path: Path) -> None:
    designer = client_as(alpha, "designer")
    with path.open("rb") as upload:
        imported = designer.post(f"{MODELS}import/", {"file": upload}, format="multipart")

    assert imported.status_code == 201, imported.json()
    assert imported.json()["name"] == path.stem
    exported = designer.get(f"{MODELS}{imported.json()['id']}/xml/")
    assert exported.content == path.read_bytes()  # ids, DI and extension attributes as they came


def test_templates_make_models_and_a_model_is_saved_as_a_template(alpha: TenantInfo) -> None:
    designer = client_as(alpha, "designer")
    model = made(designer, xml=review())

    kept = designer.post(f"{MODELS}{model['id']}/save-as-template/", {"name": "Our review"}, format="json")
    listed = designer.get("/api/v1/model-templates/").json()
    again = made(designer, name="Second review", template="our-review")

    assert kept.status_code == 201 and kept.json()["key"] == "our-review"
    assert {"key": "our-review", "name": "Our review", "description": "", "starter": False} in listed
    assert designer.get(f"{MODELS}{again['id']}/xml/").content.decode() == review()


def test_only_designers_keep_models_and_a_tenant_sees_only_its_own(alpha: TenantInfo, beta: TenantInfo) -> None:
    model = made(client_as(alpha, "designer"))

    assert_problem(client_as(alpha, "worker").get(MODELS), 403, "permission_denied")
    assert_problem(client_as(alpha, "operator").post(MODELS, {"name": "x"}, format="json"), 403, "permission_denied")
    assert_problem(client_as(beta, "designer").get(f"{MODELS}{model['id']}/"), 404, "not_found")
    assert client_as(beta, "designer").get(MODELS).json()["results"] == []
    renamed = client_as(alpha, "designer").patch(f"{MODELS}{model['id']}/", {"tags": ["claims"]}, format="json")
    assert renamed.json()["tags"] == ["claims"]
    made(client_as(alpha, "designer"), name="Onboarding", description="New people")
    designer = client_as(alpha, "designer")
    assert [m["name"] for m in designer.get(f"{MODELS}?tag=claims").json()["results"]] == ["Review"]
    assert [m["name"] for m in designer.get(f"{MODELS}?q=people").json()["results"]] == ["Onboarding"]
    assert [m["name"] for m in designer.get(f"{MODELS}?owner=designer").json()["results"]] == ["Onboarding", "Review"]
    assert client_as(alpha, "admin").delete(f"{MODELS}{model['id']}/").status_code == 204


def test_the_tenant_admin_sees_its_own_models_read_only_in_the_admin(alpha: TenantInfo, beta: TenantInfo) -> None:
    from tests.tenancy.test_routing import login

    own = made(client_as(alpha, "designer"), name="Alpha review", key="alpha-review")
    made(client_as(beta, "designer"), name="Beta review", key="beta-review")
    admin = login(alpha, "admin")

    listing = admin.get("/admin/designer/processmodel/")
    assert listing.status_code == 200
    assert b"Alpha review" in listing.content and b"Beta review" not in listing.content
    detail = admin.get(f"/admin/designer/processmodel/{own['id']}/change/")
    assert detail.status_code == 200
    assert b"Model versions" in detail.content and b"Model deployments" in detail.content
    assert admin.post(f"/admin/designer/processmodel/{own['id']}/delete/", {"post": "yes"}).status_code == 403
    assert login(alpha, "operator").get("/admin/designer/processmodel/").status_code == 403
