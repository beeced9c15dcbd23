"""Deploy, validate, list definitions, start by key and read an instance over REST."""

from __future__ import annotations

from rest_framework.test import APIClient

from tests.conftest import TenantInfo, access_token, api_client
from tests.engine.runtime.harness import MODELS

XML = "application/xml"


def client_as(info: TenantInfo, username: str) -> APIClient:
    client = api_client(info)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token(info, username)}")
    return client


def model(name: str) -> bytes:
    return (MODELS / f"{name}.bpmn").read_bytes()


def test_a_designer_deploys_an_xml_body_once_and_again_gets_the_same_version(alpha: TenantInfo) -> None:
    designer = client_as(alpha, "designer")
    first = designer.post("/api/v1/deployments/?name=approval.bpmn", model("user_task_decision"), content_type=XML)
    again = designer.post("/api/v1/deployments/", model("user_task_decision"), content_type=XML)

    assert first.status_code == 201, first.json()
    assert again.status_code == 200
    assert first.json()["name"] == "approval.bpmn" and first.json()["created"] is True
    assert [(d["key"], d["version"]) for d in first.json()["definitions"]] == [("user_task_decision", 1)]
    assert again.json()["id"] == first.json()["id"] and again.json()["created"] is False


def test_a_bpmn_upload_deploys_too(alpha: TenantInfo) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("scripts.bpmn", model("straight_scripts"), content_type=XML)
    response = client_as(alpha, "admin").post("/api/v1/deployments/", {"file": upload}, format="multipart")
    assert response.status_code == 201
    assert response.json()["name"] == "scripts.bpmn"


def test_a_model_with_errors_is_refused_with_422_listing_every_problem(alpha: TenantInfo) -> None:
    broken = model("exclusive_split").replace(b' default="to_small"', b"")
    response = client_as(alpha, "designer").post("/api/v1/deployments/", broken, content_type=XML)

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "model_invalid"
    errors = [
        (problem["code"], problem["element_id"]) for problem in body["problems"] if problem["severity"] == "error"
    ]
    assert errors == [("gateway-condition-missing", "to_small")]
    assert all({"severity", "code", "element_id", "line", "message"} <= problem.keys() for problem in body["problems"])
    listing = client_as(alpha, "designer").get("/api/v1/process-definitions/")
    assert listing.json() == []


def test_validation_reports_problems_without_deploying(alpha: TenantInfo) -> None:
    hostile = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    response = client_as(alpha, "designer").post("/api/v1/deployments/validate/", hostile, content_type=XML)

    assert response.status_code == 200
    assert response.json()["valid"] is False
    assert [problem["code"] for problem in response.json()["problems"]] == ["xml-doctype-forbidden"]


def test_workers_may_not_deploy(alpha: TenantInfo) -> None:
    response = client_as(alpha, "worker").post("/api/v1/deployments/", model("straight_scripts"), content_type=XML)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_start_by_key_runs_the_latest_version_and_the_instance_shows_tokens_and_history(alpha: TenantInfo) -> None:
    client_as(alpha, "designer").post("/api/v1/deployments/", model("user_task_decision"), content_type=XML)
    worker = client_as(alpha, "worker")

    started = worker.post(
        "/api/v1/process-definitions/key/user_task_decision/start/",
        {"variables": {"requester": "ann"}, "business_key": "req-7"},
        format="json",
    )
    assert started.status_code == 201, started.json()
    assert started.json()["state"] == "active" and started.json()["business_key"] == "req-7"

    detail = worker.get(f"/api/v1/process-instances/{started.json()['id']}/").json()
    assert detail["variables"] == {"requester": "ann"}
    assert [(token["element_id"], token["waits_for"]) for token in detail["tokens"]] == [("approve", "user-task")]
    assert [(entry["element_id"], entry["state"]) for entry in detail["history"]] == [
        ("start", "completed"),
        ("approve", "active"),
    ]
    assert detail["started_by"] == "worker"


def test_definitions_list_by_key_and_show_their_xml(alpha: TenantInfo) -> None:
    designer = client_as(alpha, "designer")
    designer.post("/api/v1/deployments/", model("straight_scripts"), content_type=XML)
    listed = designer.get("/api/v1/process-definitions/?key=straight_scripts").json()
    (definition,) = listed
    detail = designer.get(f"/api/v1/process-definitions/{definition['id']}/").json()
    assert detail["xml"].startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert detail["deployed_by"] == "designer"


def test_definitions_are_found_by_key_and_version(alpha: TenantInfo) -> None:
    designer = client_as(alpha, "designer")
    first = model("straight_scripts")
    designer.post("/api/v1/deployments/", first, content_type=XML)
    designer.post(
        "/api/v1/deployments/",
        first.replace(b'isExecutable="true"', b'name="Second" isExecutable="true"'),
        content_type=XML,
    )

    latest = designer.get("/api/v1/process-definitions/key/straight_scripts/").json()
    assert (latest["version"], latest["name"]) == (2, "Second") and 'name="Second"' in latest["xml"]
    older = designer.get("/api/v1/process-definitions/key/straight_scripts/?version=1").json()
    assert older["version"] == 1 and 'name="Second"' not in older["xml"]
    listed = designer.get("/api/v1/process-definitions/?key=straight_scripts&version=2").json()
    assert [(entry["key"], entry["version"]) for entry in listed] == [("straight_scripts", 2)]

    missing = designer.get("/api/v1/process-definitions/key/straight_scripts/?version=3")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/problem+json"
    assert missing.json()["detail"] == "No process with key 'straight_scripts' is deployed in version 3."
    bad = designer.get("/api/v1/process-definitions/?version=first")
    assert bad.status_code == 400 and "version" in str(bad.json())


def test_an_unknown_key_is_a_404_problem_and_bad_variables_a_400(alpha: TenantInfo) -> None:
    worker = client_as(alpha, "worker")
    missing = worker.post("/api/v1/process-definitions/key/nothing/start/", {}, format="json")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"

    client_as(alpha, "designer").post("/api/v1/deployments/", model("straight_scripts"), content_type=XML)
    bad = worker.post("/api/v1/process-definitions/key/straight_scripts/start/", {"variables": [1]}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "validation_error"


def test_instances_list_newest_first_with_filters_and_cursor_pages(alpha: TenantInfo) -> None:
    client_as(alpha, "designer").post("/api/v1/deployments/", model("user_task_decision"), content_type=XML)
    client_as(alpha, "designer").post("/api/v1/deployments/", model("straight_scripts"), content_type=XML)
    worker = client_as(alpha, "worker")
    ids = []
    for number in range(5):
        response = worker.post(
            "/api/v1/process-definitions/key/user_task_decision/start/",
            {"variables": {"requester": "ann", "number": number}, "business_key": f"req-{number}"},
            format="json",
        )
        ids.append(response.json()["id"])
    worker.post("/api/v1/process-definitions/key/straight_scripts/start/", {"variables": {"count": 0}}, format="json")

    first = worker.get("/api/v1/process-instances/?key=user_task_decision&page_size=2").json()
    assert [item["id"] for item in first["results"]] == [ids[4], ids[3]]
    second = worker.get(first["next"].replace("http://alpha.localhost", "")).json()
    assert [item["id"] for item in second["results"]] == [ids[2], ids[1]]

    def listed(query: str) -> list[str]:
        return [item["id"] for item in worker.get(f"/api/v1/process-instances/?{query}").json()["results"]]

    assert listed("business_key=req-3") == [ids[3]]
    assert listed("variable=number:2") == [ids[2]]
    assert listed("variable=requester:ann&variable=number:0") == [ids[0]]
    assert len(listed("state=completed")) == 1
    assert listed("state=active&key=straight_scripts") == []
    bad = worker.get("/api/v1/process-instances/?state=sleeping")
    assert bad.status_code == 400 and bad.json()["code"] == "validation_error"
    assert worker.get("/api/v1/process-instances/?started_after=yesterday").status_code == 400


def test_a_retried_start_with_the_same_idempotency_key_returns_the_first_instance(alpha: TenantInfo) -> None:
    client_as(alpha, "designer").post("/api/v1/deployments/", model("user_task_decision"), content_type=XML)
    worker = client_as(alpha, "worker")
    url = "/api/v1/process-definitions/key/user_task_decision/start/"
    body = {"variables": {"requester": "ann"}}

    first = worker.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="order-77-start")
    retry = worker.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="order-77-start")
    other = worker.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="order-78-start")

    assert (first.status_code, retry.status_code, other.status_code) == (201, 200, 201)
    assert retry.json()["id"] == first.json()["id"] != other.json()["id"]
    assert retry["Idempotent-Replayed"] == "true"
    listed = worker.get("/api/v1/process-instances/?key=user_task_decision").json()["results"]
    assert len(listed) == 2


def test_a_given_version_starts_by_its_id_even_after_a_newer_one(alpha: TenantInfo) -> None:
    designer = client_as(alpha, "designer")
    first = designer.post("/api/v1/deployments/", model("straight_scripts"), content_type=XML).json()
    newer = model("straight_scripts").replace(b"count = count + 1; step1", b"count = count + 10; step1")
    designer.post("/api/v1/deployments/", newer, content_type=XML)
    (version_one,) = first["definitions"]

    started = client_as(alpha, "worker").post(
        f"/api/v1/process-definitions/{version_one['id']}/start/", {"variables": {"count": 0}}, format="json"
    )
    assert started.status_code == 201
    assert started.json()["definition"]["version"] == 1
    assert started.json()["variables"]["count"] == 5
    by_key = client_as(alpha, "worker").post(
        "/api/v1/process-definitions/key/straight_scripts/start/", {"variables": {"count": 0}}, format="json"
    )
    assert (by_key.json()["definition"]["version"], by_key.json()["variables"]["count"]) == (2, 14)
    missing = client_as(alpha, "worker").post(
        "/api/v1/process-definitions/0190a6c4-0000-7000-8000-000000000000/start/", {}, format="json"
    )
    assert missing.status_code == 404


def test_a_called_instance_names_its_caller_and_is_listed_by_it(alpha: TenantInfo) -> None:
    deployed = client_as(alpha, "designer").post("/api/v1/deployments/", model("call_activity"), content_type=XML)
    assert deployed.status_code == 201, deployed.json()
    worker = client_as(alpha, "worker")
    order = worker.post(
        "/api/v1/process-definitions/key/order/start/",
        {"variables": {"total": 5, "customer": {"name": "pia"}, "orderNo": 1}},
        format="json",
    ).json()
    assert (order["parent"], order["root"]) == (None, None)

    (payment,) = worker.get(f"/api/v1/process-instances/?parent={order['id']}").json()["results"]
    assert (payment["definition"]["key"], payment["parent"], payment["root"]) == ("payment", order["id"], order["id"])
    assert payment["business_key"] == "order-1"
    assert worker.get("/api/v1/process-instances/?parent=nope").status_code == 400
