"""The OpenAPI schema documents every endpoint and its problems, and generates without warnings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management import call_command

from tests.conftest import TenantInfo, tenant_client

OPERATIONS = {
    ("/api/v1/auth/token/", "post"),
    ("/api/v1/auth/token/refresh/", "post"),
    ("/api/v1/auth/token/verify/", "post"),
    ("/api/v1/me/", "get"),
    ("/api/v1/users/", "get"),
    ("/api/v1/users/", "post"),
    ("/api/v1/users/{id}/", "get"),
    ("/api/v1/deployments/", "post"),
    ("/api/v1/deployments/validate/", "post"),
    ("/api/v1/process-definitions/", "get"),
    ("/api/v1/process-definitions/{id}/", "get"),
    ("/api/v1/process-definitions/key/{key}/", "get"),
    ("/api/v1/process-definitions/key/{key}/start/", "post"),
    ("/api/v1/process-definitions/{id}/start/", "post"),
    ("/api/v1/incidents/", "get"),
    ("/api/v1/incidents/{id}/", "get"),
    ("/api/v1/incidents/{id}/retry/", "post"),
    ("/api/v1/incidents/{id}/resolve/", "post"),
    ("/api/v1/messages/", "post"),
    ("/api/v1/signals/", "post"),
    ("/api/v1/conditions/", "post"),
    ("/api/v1/tasks/", "get"),
    ("/api/v1/tasks/{id}/", "get"),
    ("/api/v1/tasks/{id}/claim/", "post"),
    ("/api/v1/tasks/{id}/unclaim/", "post"),
    ("/api/v1/tasks/{id}/assign/", "post"),
    ("/api/v1/tasks/{id}/complete/", "post"),
    ("/api/v1/tasks/{id}/history/", "get"),
    ("/api/v1/tasks/{id}/", "patch"),
    ("/api/v1/tasks/{id}/delegate/", "post"),
    ("/api/v1/tasks/{id}/resolve/", "post"),
    ("/api/v1/tasks/counts/", "get"),
    ("/api/v1/tasks/bulk/", "post"),
    ("/api/v1/tasks/{id}/form/", "get"),
    ("/api/v1/tasks/{id}/comments/", "get"),
    ("/api/v1/tasks/{id}/comments/", "post"),
    ("/api/v1/tasks/{id}/attachments/", "get"),
    ("/api/v1/tasks/{id}/attachments/", "post"),
    ("/api/v1/tasks/{id}/attachments/{attachment_id}/", "get"),
    ("/api/v1/tasks/{id}/attachments/{attachment_id}/", "delete"),
    ("/api/v1/task-filters/", "get"),
    ("/api/v1/task-filters/", "post"),
    ("/api/v1/task-filters/{id}/", "get"),
    ("/api/v1/task-filters/{id}/", "put"),
    ("/api/v1/task-filters/{id}/", "patch"),
    ("/api/v1/task-filters/{id}/", "delete"),
    ("/api/v1/form-definitions/", "get"),
    ("/api/v1/form-definitions/", "post"),
    ("/api/v1/form-definitions/{id}/", "get"),
    ("/api/v1/form-definitions/key/{key}/", "get"),
    ("/api/v1/notifications/", "get"),
    ("/api/v1/notifications/{id}/", "get"),
    ("/api/v1/notifications/{id}/read/", "post"),
    ("/api/v1/notifications/read-all/", "post"),
    ("/api/v1/models/", "get"),
    ("/api/v1/models/", "post"),
    ("/api/v1/models/{id}/", "get"),
    ("/api/v1/models/{id}/", "patch"),
    ("/api/v1/models/{id}/", "delete"),
    ("/api/v1/models/import/", "post"),
    ("/api/v1/models/lint/", "post"),
    ("/api/v1/models/{id}/xml/", "get"),
    ("/api/v1/models/{id}/versions/", "get"),
    ("/api/v1/models/{id}/versions/", "post"),
    ("/api/v1/models/{id}/versions/{number}/", "get"),
    ("/api/v1/models/{id}/versions/{number}/diff/", "get"),
    ("/api/v1/models/{id}/versions/{number}/restore/", "post"),
    ("/api/v1/models/{id}/deploy/", "post"),
    ("/api/v1/models/{id}/deployed/", "get"),
    ("/api/v1/models/{id}/deployed/{definition_id}/", "get"),
    ("/api/v1/models/{id}/save-as-template/", "post"),
    ("/api/v1/simulations/", "post"),
    ("/api/v1/process-definitions/{id}/start-form/", "get"),
    ("/api/v1/process-definitions/{id}/submit-form/", "post"),
    ("/api/v1/model-templates/", "get"),
    ("/api/v1/process-instances/", "get"),
    ("/api/v1/process-instances/{id}/", "get"),
    ("/api/v1/process-instances/{id}/suspend/", "post"),
    ("/api/v1/process-instances/{id}/resume/", "post"),
    ("/api/v1/process-instances/{id}/cancel/", "post"),
    ("/api/v1/process-instances/{id}/variables/", "post"),
    ("/api/v1/process-instances/{id}/modify/", "post"),
    ("/api/v1/external-tasks/fetch-and-lock/", "post"),
    ("/api/v1/external-tasks/{id}/complete/", "post"),
    ("/api/v1/external-tasks/{id}/failure/", "post"),
    ("/api/v1/external-tasks/{id}/extend-lock/", "post"),
    ("/api/v1/external-tasks/{id}/bpmn-error/", "post"),
    ("/api/v1/webhooks/", "get"),
    ("/api/v1/webhooks/", "post"),
    ("/api/v1/webhooks/{id}/", "get"),
    ("/api/v1/webhooks/{id}/", "put"),
    ("/api/v1/webhooks/{id}/", "patch"),
    ("/api/v1/webhooks/{id}/", "delete"),
    ("/api/v1/webhooks/{id}/deliveries/", "get"),
    ("/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver/", "post"),
}
PROBLEM_SCHEMA = {"schema": {"$ref": "#/components/schemas/Problem"}}


def served_schema(info: TenantInfo) -> dict[str, Any]:
    response = tenant_client(info).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def problem_statuses(operation: dict[str, Any]) -> set[str]:
    return {
        status
        for status, response in operation["responses"].items()
        if response.get("content") == {"application/problem+json": PROBLEM_SCHEMA}
    }


def test_the_schema_is_served_to_anyone_and_lists_every_operation(alpha: TenantInfo) -> None:
    schema = served_schema(alpha)

    assert schema["openapi"].startswith("3.")
    operations = {(path, method) for path, item in schema["paths"].items() for method in item}
    assert operations == OPERATIONS


def test_each_operation_documents_its_problems_as_problem_json(alpha: TenantInfo) -> None:
    paths = served_schema(alpha)["paths"]

    assert problem_statuses(paths["/api/v1/auth/token/"]["post"]) == {"400", "401", "413", "415", "429", "500"}
    assert problem_statuses(paths["/api/v1/me/"]["get"]) == {"401", "429", "500"}
    assert problem_statuses(paths["/api/v1/users/"]["get"]) == {"401", "403", "429", "500"}
    assert problem_statuses(paths["/api/v1/users/"]["post"]) == {
        "400",
        "401",
        "403",
        "409",
        "413",
        "415",
        "429",
        "500",
    }
    assert problem_statuses(paths["/api/v1/users/{id}/"]["get"]) == {"401", "403", "404", "429", "500"}


def test_the_problem_component_lists_every_stable_code(alpha: TenantInfo) -> None:
    from apg_wbpm.api.problems import ProblemCode

    components = served_schema(alpha)["components"]["schemas"]

    code = components["Problem"]["properties"]["code"]
    enum_name = code["allOf"][0]["$ref"].rsplit("/", 1)[1]
    assert components[enum_name]["enum"] == [code.value for code in ProblemCode]
    assert components["Problem"]["required"] == ["code", "status", "title", "type"]


def test_the_token_endpoints_document_their_bodies(alpha: TenantInfo) -> None:
    components = served_schema(alpha)["components"]["schemas"]

    obtain = components["TenantTokenObtainPair"]["properties"]
    assert {name for name, field in obtain.items() if field.get("readOnly")} == {"access", "refresh"}
    assert {name for name, field in obtain.items() if field.get("writeOnly")} == {"username", "password"}
    assert components["TenantTokenRefresh"]["properties"]["access"]["readOnly"] is True


def test_the_schema_generates_without_warnings(tmp_path: Path) -> None:
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    assert "/api/v1/users/{id}/:" in target.read_text()
