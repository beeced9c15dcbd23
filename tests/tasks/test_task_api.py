"""The task list over REST: tasks appear with the user task that made them, are claimed, given
back, assigned and completed, and each change is in their history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth.models import Group, User
from django_tenants.utils import schema_context

from apps.tasks.models import Task
from tests.api.helpers import assert_problem
from tests.conftest import TenantInfo
from tests.engine.api.test_engine_api import XML, client_as

MODEL = (Path(__file__).parent / "models" / "approval.bpmn").read_bytes()
TASKS = "/api/v1/tasks/"


def accountants(info: TenantInfo, *names: str) -> None:
    with schema_context(info.schema):
        group, _ = Group.objects.get_or_create(name="accounting")
        for name in names:
            User.objects.get(username=name).groups.add(group)


def start(info: TenantInfo, **variables: Any) -> str:
    client_as(info, "designer").post("/api/v1/deployments/", MODEL, content_type=XML)
    values = {"urgent": False, "due": "2026-12-01T12:00:00+00:00", "payer": "operator", **variables}
    response = client_as(info, "worker").post(
        "/api/v1/process-definitions/key/task_approval/start/",
        {"variables": values, "business_key": "inv-7"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return str(response.json()["id"])


def listed(info: TenantInfo, username: str, query: str = "") -> list[dict[str, Any]]:
    response = client_as(info, username).get(f"{TASKS}{query}")
    assert response.status_code == 200, response.json()
    return response.json()["results"]  # type: ignore[no-any-return]


def test_a_user_task_becomes_a_task_offered_to_its_candidate_group(alpha: TenantInfo) -> None:
    accountants(alpha, "worker")
    instance = start(alpha, urgent=True)

    (task,) = listed(alpha, "worker", "?list=offered")

    assert (task["name"], task["state"], task["assignee"], task["priority"]) == (
        "Approve the invoice",
        "created",
        "",
        80,
    )
    assert (task["instance"], task["business_key"], task["process_key"]) == (instance, "inv-7", "task_approval")
    assert task["candidate_groups"] == ["accounting"] and task["due_date"] == "2026-12-01T12:00:00Z"
    assert task["assignment_reason"] == "Offered to the candidates the model names: group accounting."
    assert listed(alpha, "alice", "?list=offered") == []  # not an accountant
    assert listed(alpha, "worker", "?list=mine") == []


def test_claim_complete_and_the_next_task_goes_to_the_assignee_the_model_names(alpha: TenantInfo) -> None:
    accountants(alpha, "worker")
    instance = start(alpha)
    (task,) = listed(alpha, "worker", "?list=offered")
    worker = client_as(alpha, "worker")

    claimed = worker.post(f"{TASKS}{task['id']}/claim/")
    assert claimed.status_code == 200 and claimed.json()["assignee"] == "worker"
    assert [row["id"] for row in listed(alpha, "worker", "?list=mine")] == [task["id"]]

    done = worker.post(f"{TASKS}{task['id']}/complete/", {"variables": {"approved": True}}, format="json")

    assert done.status_code == 200, done.json()
    assert (done.json()["state"], done.json()["completed_at"] is not None) == ("completed", True)
    (pay,) = listed(alpha, "operator", "?list=mine")
    assert (pay["name"], pay["state"], pay["instance"]) == ("Pay the invoice", "assigned", instance)
    assert pay["assignment_reason"] == "The model names operator as the assignee."
    history = worker.get(f"{TASKS}{task['id']}/history/").json()
    assert [(event["kind"], event["actor"]) for event in history] == [
        ("created", ""),
        ("claimed", "worker"),
        ("completed", "worker"),
    ]
    again = worker.post(f"{TASKS}{task['id']}/complete/", {"variables": {}}, format="json")
    assert_problem(again, 409, "conflict")


def test_only_the_assignee_completes_and_a_claimed_task_cannot_be_claimed_again(alpha: TenantInfo) -> None:
    accountants(alpha, "worker", "alice")
    start(alpha)
    (task,) = listed(alpha, "worker", "?list=offered")
    client_as(alpha, "worker").post(f"{TASKS}{task['id']}/claim/")

    taken = client_as(alpha, "alice").post(f"{TASKS}{task['id']}/claim/")
    completed = client_as(alpha, "alice").post(f"{TASKS}{task['id']}/complete/", {"variables": {}}, format="json")

    assert_problem(taken, 409, "conflict")  # claimed by another
    assert_problem(completed, 403, "permission_denied")  # not hers to complete
    with schema_context(alpha.schema):
        assert Task.objects.get(id=task["id"]).assignee == "worker"
    back = client_as(alpha, "worker").post(f"{TASKS}{task['id']}/unclaim/")
    assert back.json()["state"] == "created" and back.json()["assignee"] == ""
    again = client_as(alpha, "alice").post(f"{TASKS}{task['id']}/claim/")
    assert again.status_code == 200 and again.json()["assignee"] == "alice"


def test_a_task_the_process_takes_away_is_cancelled_in_the_same_transaction(alpha: TenantInfo) -> None:
    accountants(alpha, "worker")
    start(alpha)
    (task,) = listed(alpha, "worker", "?list=offered")

    client_as(alpha, "worker").post("/api/v1/messages/", {"name": "invoice-withdrawn"}, format="json")

    assert listed(alpha, "worker", "?list=offered") == []
    with schema_context(alpha.schema):
        cancelled = Task.objects.get(id=task["id"])
        assert (cancelled.state, cancelled.ended_at is not None) == ("cancelled", True)
        assert list(cancelled.events.values_list("kind", flat=True)) == ["created", "cancelled"]
    late = client_as(alpha, "worker").post(f"{TASKS}{task['id']}/complete/", {"variables": {}}, format="json")
    assert late.status_code in (404, 409)


def test_operators_see_every_task_and_assign_it_and_workers_cannot_list_all(
    alpha: TenantInfo, beta: TenantInfo
) -> None:
    start(alpha)
    operator = client_as(alpha, "operator")
    (task,) = [row for row in listed(alpha, "operator", "?list=all") if row["name"] == "Approve the invoice"]

    assigned = operator.post(f"{TASKS}{task['id']}/assign/", {"assignee": "alice"}, format="json")
    unknown = operator.post(f"{TASKS}{task['id']}/assign/", {"assignee": "nobody"}, format="json")

    assert assigned.status_code == 200 and assigned.json()["assignee"] == "alice"
    assert assigned.json()["assignment_reason"] == "Assigned to alice by operator."
    assert_problem(unknown, 400, "validation_error")
    assert_problem(client_as(alpha, "worker").get(f"{TASKS}?list=all"), 403, "permission_denied")
    assert [row["id"] for row in listed(alpha, "alice", "?list=mine")] == [task["id"]]
    assert listed(beta, "operator", "?list=all") == []  # another tenant's tasks are not there
    assert_problem(client_as(beta, "operator").get(f"{TASKS}{task['id']}/"), 404, "not_found")


def test_filters_and_ordering(alpha: TenantInfo) -> None:
    accountants(alpha, "worker")
    start(alpha, urgent=False, due="2026-12-01T12:00:00+00:00")
    start(alpha, urgent=True, due="2026-11-01T12:00:00+00:00")

    by_priority = listed(alpha, "worker", "?list=offered&ordering=-priority")
    urgent_only = listed(alpha, "worker", "?priority_min=60")
    due_early = listed(alpha, "worker", "?due_before=2026-11-15T00:00:00Z")
    words = listed(alpha, "worker", "?q=invoice")

    assert [row["priority"] for row in by_priority] == [80, 50]
    assert [row["priority"] for row in urgent_only] == [80]
    assert [row["priority"] for row in due_early] == [80]
    assert len(words) == 2
    assert_problem(client_as(alpha, "worker").get(f"{TASKS}?ordering=sideways"), 400, "validation_error")
    assert_problem(client_as(alpha, "worker").get(f"{TASKS}?due_before=soon"), 400, "validation_error")


def test_tasks_are_filtered_by_their_process_variables_as_camunda_s_process_variables_are(
    alpha: TenantInfo,
) -> None:
    accountants(alpha, "worker")
    start(alpha, amount=120, region="North", urgent=True)
    start(alpha, amount=80, region="south", urgent=False)

    def priorities(condition: str) -> list[int]:
        return [row["priority"] for row in listed(alpha, "worker", f"?ordering=-priority&variables={condition}")]

    assert priorities("amount_gt_100") == [80]
    assert priorities("amount_lteq_120") == [80, 50]
    assert priorities("amount_eq_80") == [50]
    assert priorities("amount_neq_80") == [80]
    assert priorities("urgent_eq_true") == [80]
    assert priorities("region_eq_south") == [50]
    assert priorities("region_like_%OUT%") == [50]
    assert priorities("region_eq_North,amount_lt_100") == []  # all must hold
    for wrong in ("amount_about_3", "amount", "a-b_eq_1"):
        problem = assert_problem(client_as(alpha, "worker").get(f"{TASKS}?variables={wrong}"), 400, "validation_error")
        assert "variables" in problem["errors"]


def test_delegation_returns_the_task_to_its_owner_who_then_completes_it(alpha: TenantInfo) -> None:
    accountants(alpha, "worker")
    start(alpha)
    (task,) = listed(alpha, "worker", "?list=offered")
    worker, alice = client_as(alpha, "worker"), client_as(alpha, "alice")
    worker.post(f"{TASKS}{task['id']}/claim/")

    delegated = worker.post(f"{TASKS}{task['id']}/delegate/", {"assignee": "alice"}, format="json")
    assert (delegated.json()["state"], delegated.json()["assignee"], delegated.json()["owner"]) == (
        "delegated",
        "alice",
        "worker",
    )
    assert_problem(alice.post(f"{TASKS}{task['id']}/complete/", {}, format="json"), 409, "conflict")  # resolve first

    resolved = alice.post(f"{TASKS}{task['id']}/resolve/")
    assert (resolved.json()["state"], resolved.json()["assignee"]) == ("assigned", "worker")
    done = worker.post(f"{TASKS}{task['id']}/complete/", {"variables": {"approved": False}}, format="json")
    assert done.json()["state"] == "completed"
    kinds = [event["kind"] for event in worker.get(f"{TASKS}{task['id']}/history/").json()]
    assert kinds == ["created", "claimed", "delegated", "resolved", "completed"]


def test_the_assignee_sets_priority_and_dates_and_counts_follow(alpha: TenantInfo) -> None:
    accountants(alpha, "worker")
    start(alpha)
    start(alpha)
    first, second = listed(alpha, "worker", "?list=offered")
    worker = client_as(alpha, "worker")
    assert worker.get(f"{TASKS}counts/").json() == {"mine": 0, "offered": 2, "overdue": 0}
    worker.post(f"{TASKS}{first['id']}/claim/")

    changed = worker.patch(
        f"{TASKS}{first['id']}/", {"priority": 90, "due_date": "2026-01-01T00:00:00Z"}, format="json"
    )
    refused = worker.patch(f"{TASKS}{second['id']}/", {"priority": 1}, format="json")  # not hers yet
    invalid = worker.patch(f"{TASKS}{first['id']}/", {"priority": "high"}, format="json")

    assert (changed.json()["priority"], changed.json()["due_date"]) == (90, "2026-01-01T00:00:00Z")
    assert_problem(refused, 403, "permission_denied")
    assert_problem(invalid, 400, "validation_error")
    assert worker.get(f"{TASKS}counts/").json() == {"mine": 1, "offered": 1, "overdue": 1}


def test_bulk_actions_answer_for_each_task(alpha: TenantInfo) -> None:
    accountants(alpha, "worker", "alice")
    start(alpha)
    start(alpha)
    first, second = listed(alpha, "worker", "?list=offered")
    client_as(alpha, "alice").post(f"{TASKS}{second['id']}/claim/")
    missing = "01a2167a-0000-7000-8000-000000000000"

    response = client_as(alpha, "worker").post(
        f"{TASKS}bulk/", {"action": "claim", "tasks": [first["id"], second["id"], missing]}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert [(row["id"], row["status"]) for row in response.json()] == [
        (first["id"], 200),
        (second["id"], 409),
        (missing, 404),
    ]
    nobody = client_as(alpha, "operator").post(
        f"{TASKS}bulk/", {"action": "assign", "tasks": [first["id"]], "assignee": "nobody"}, format="json"
    )
    assert_problem(nobody, 400, "validation_error")
    with schema_context(alpha.schema):
        assert Task.objects.get(id=first["id"]).assignee == "worker"  # nothing changed by the refused request


def test_a_bulk_completion_refuses_each_task_whose_form_wants_other_values_with_its_problems(
    alpha: TenantInfo,
) -> None:
    accountants(alpha, "worker")
    start(alpha)
    (task,) = listed(alpha, "worker", "?list=offered")
    worker = client_as(alpha, "worker")

    response = worker.post(f"{TASKS}bulk/", {"action": "complete", "tasks": [task["id"]]}, format="json")

    assert response.status_code == 200, response.json()
    ((result),) = response.json()
    assert (result["status"], result["detail"]) == (400, "Some values do not fit the task's form.")
    assert list(result["problems"]) == ["approved"]
    assert listed(alpha, "worker", "?list=mine") == []  # not claimed either: nothing of it was applied


def test_a_completion_is_checked_against_the_task_s_form_field_by_field(alpha: TenantInfo) -> None:
    accountants(alpha, "worker")
    instance = start(alpha)
    (task,) = listed(alpha, "worker", "?list=offered")
    worker = client_as(alpha, "worker")

    shown = worker.get(f"{TASKS}{task['id']}/form/").json()
    form = shown["fields"]
    assert [(field["id"], field["type"], field["required"], field["value"]) for field in form] == [
        ("approved", "boolean", True, None),
        ("amount", "long", False, "100"),
        ("note", "string", False, None),
        ("channel", "enum", False, None),
    ]
    assert form[3]["values"] == [{"id": "mail", "name": "Mail"}, {"id": "phone", "name": "Phone"}]
    # The same form for form-js to render, with the server's checks mirrored in the browser.
    components = shown["schema"]["components"]
    assert [(c["key"], c["type"], c.get("validate", {})) for c in components] == [
        ("approved", "checkbox", {"required": True}),
        ("amount", "number", {"min": 1, "max": 10000}),
        ("note", "textfield", {"maxLength": 20, "pattern": "[A-Za-z ]*"}),
        ("channel", "select", {}),
    ]
    assert components[1]["defaultValue"] == 100 and components[1]["decimalDigits"] == 0
    assert components[3]["values"] == [{"label": "Mail", "value": "mail"}, {"label": "Phone", "value": "phone"}]

    wrong = worker.post(
        f"{TASKS}{task['id']}/complete/",
        {"variables": {"amount": "lots", "note": "Pay now!!", "channel": "fax"}},
        format="json",
    )

    body = assert_problem(wrong, 400, "validation_error")
    assert body["errors"]["variables"] == {
        "approved": ["This field is required."],
        "amount": ["Give a whole number."],
        "note": ["Give text that matches [A-Za-z ]*."],
        "channel": ["Choose one of mail, phone."],
    }
    with schema_context(alpha.schema):
        unchanged = Task.objects.get(id=task["id"])
        assert (unchanged.state, unchanged.assignee) == ("created", "")  # not even claimed
    too_big = worker.post(
        f"{TASKS}{task['id']}/complete/", {"variables": {"approved": True, "amount": 20000}}, format="json"
    )
    assert assert_problem(too_big, 400, "validation_error")["errors"]["variables"] == {
        "amount": ["Give at most 10000."]
    }

    done = worker.post(
        f"{TASKS}{task['id']}/complete/",
        {"variables": {"approved": True, "amount": 250, "note": "Fine", "channel": "mail"}},
        format="json",
    )
    assert done.status_code == 200, done.json()
    with schema_context(alpha.schema):
        from apps.engine.models import ProcessInstance

        variables = ProcessInstance.objects.get(id=instance).variables
    assert (variables["amount"], variables["channel"]) == (250, "mail")


def test_comments_name_the_users_they_mention_and_stay_with_the_task(alpha: TenantInfo) -> None:
    accountants(alpha, "worker")
    start(alpha)
    (task,) = listed(alpha, "worker", "?list=offered")
    worker = client_as(alpha, "worker")

    made = worker.post(
        f"{TASKS}{task['id']}/comments/",
        {"text": "@alice please check the VAT; @nobody and mail@example.com are no users"},
        format="json",
    )
    empty = worker.post(f"{TASKS}{task['id']}/comments/", {"text": ""}, format="json")

    assert made.status_code == 201, made.json()
    assert (made.json()["author"], made.json()["mentions"]) == ("worker", ["alice"])
    assert_problem(empty, 400, "validation_error")
    listed_comments = worker.get(f"{TASKS}{task['id']}/comments/").json()
    assert [comment["text"][:6] for comment in listed_comments] == ["@alice"]
    history = worker.get(f"{TASKS}{task['id']}/history/").json()
    assert history[-1]["kind"] == "commented" and history[-1]["details"]["mentions"] == ["alice"]
    stranger = client_as(alpha, "alice").post(f"{TASKS}{task['id']}/comments/", {"text": "hi"}, format="json")
    assert_problem(stranger, 404, "not_found")  # not an accountant: she cannot see the task


def test_saved_filters_are_their_owners_and_shared_with_a_group_they_apply_to_the_list(alpha: TenantInfo) -> None:
    accountants(alpha, "worker", "alice")
    start(alpha, urgent=True)
    start(alpha, urgent=False)
    worker, alice = client_as(alpha, "worker"), client_as(alpha, "alice")

    made = worker.post(
        "/api/v1/task-filters/",
        {"name": "Urgent", "query": {"list": "offered", "priority_min": 60}, "shared_with_group": "accounting"},
        format="json",
    )
    assert made.status_code == 201, made.json()
    saved = made.json()["id"]
    assert [row["priority"] for row in listed(alpha, "alice", f"?filter={saved}")] == [80]  # shared with her group
    assert len(listed(alpha, "alice", f"?filter={saved}&priority_min=10")) == 2  # the request's own win

    duplicate = worker.post("/api/v1/task-filters/", {"name": "Urgent", "query": {}}, format="json")
    unknown = worker.post("/api/v1/task-filters/", {"name": "Odd", "query": {"colour": "red"}}, format="json")
    elsewhere = worker.post(
        "/api/v1/task-filters/", {"name": "Theirs", "query": {}, "shared_with_group": "designers"}, format="json"
    )
    assert_problem(duplicate, 409, "conflict")
    assert_problem(unknown, 400, "validation_error")
    assert_problem(elsewhere, 400, "validation_error")
    assert_problem(alice.delete(f"/api/v1/task-filters/{saved}/"), 403, "permission_denied")  # not hers
    assert_problem(client_as(alpha, "designer").get("/api/v1/task-filters/"), 403, "permission_denied")
    assert [row["name"] for row in client_as(alpha, "operator").get("/api/v1/task-filters/").json()] == []
    assert worker.delete(f"/api/v1/task-filters/{saved}/").status_code == 204
    assert_problem(alice.get(f"{TASKS}?filter={saved}"), 400, "validation_error")


def test_attachments_are_kept_per_tenant_within_their_size_and_types(
    alpha: TenantInfo, beta: TenantInfo, settings: Any, tmp_path: Path
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.APG_ATTACHMENT_DIR = tmp_path
    settings.APG_ATTACHMENT_MAX_BYTES = 1000
    accountants(alpha, "worker")
    start(alpha)
    (task,) = listed(alpha, "worker", "?list=offered")
    worker = client_as(alpha, "worker")
    url = f"{TASKS}{task['id']}/attachments/"

    def upload(name: str, content: bytes, content_type: str) -> Any:
        return worker.post(url, {"file": SimpleUploadedFile(name, content, content_type)}, format="multipart")

    kept = upload("receipt.pdf", b"%PDF-1.4 a receipt", "application/pdf")
    too_big = upload("big.pdf", b"x" * 1001, "application/pdf")
    wrong_type = upload("tool.exe", b"MZ", "application/x-msdownload")
    disguised = upload("tool.exe", b"MZ", "application/pdf")

    assert kept.status_code == 201, kept.json()
    assert (kept.json()["name"], kept.json()["size"], kept.json()["uploaded_by"]) == ("receipt.pdf", 18, "worker")
    for refused in (too_big, wrong_type, disguised):
        assert "file" in assert_problem(refused, 400, "validation_error")["errors"]
    files = sorted(path.relative_to(tmp_path).parts[0] for path in tmp_path.rglob("*") if path.is_file())
    assert files == [alpha.schema]  # one file, in the tenant's own folder; nothing of the refused ones
    assert [row["name"] for row in worker.get(url).json()] == ["receipt.pdf"]

    download = worker.get(f"{url}{kept.json()['id']}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 a receipt"
    assert download["Content-Disposition"] == 'attachment; filename="receipt.pdf"'
    assert_problem(client_as(beta, "operator").get(f"{url}{kept.json()['id']}/"), 404, "not_found")
    assert_problem(client_as(alpha, "alice").delete(f"{url}{kept.json()['id']}/"), 404, "not_found")  # unseen
    assert worker.delete(f"{url}{kept.json()['id']}/").status_code == 204
    assert worker.get(url).json() == []


def test_an_embedded_form_js_form_is_checked_like_a_generated_one(alpha: TenantInfo) -> None:
    client_as(alpha, "designer").post(
        "/api/v1/deployments/", (Path(__file__).parent / "models" / "zeebe_form.bpmn").read_bytes(), content_type=XML
    )
    client_as(alpha, "worker").post("/api/v1/process-definitions/key/zeebe_form/start/", {}, format="json")
    (task,) = listed(alpha, "worker", "?list=offered")
    worker = client_as(alpha, "worker")

    shown = worker.get(f"{TASKS}{task['id']}/form/").json()
    form = shown["fields"]
    assert shown["schema"]["components"][1]["key"] == "email"  # the form as its author wrote it
    assert [(field["id"], field["type"], field["required"]) for field in form] == [
        ("email", "string", True),
        ("amount", "double", False),
        ("outcome", "enum", False),
        ("checks", "list", False),
    ]
    wrong = worker.post(
        f"{TASKS}{task['id']}/complete/",
        {"variables": {"email": "not-an-address", "amount": 900, "outcome": "maybe", "checks": ["id", "dna"]}},
        format="json",
    )
    assert assert_problem(wrong, 400, "validation_error")["errors"]["variables"] == {
        "email": [r"Give text that matches [^@\s]+@[^@\s]+\.[^@\s]+."],
        "amount": ["Give at most 500."],
        "outcome": ["Choose one of pay, refuse."],
        "checks": ["Give a list of id, receipt."],
    }
    done = worker.post(
        f"{TASKS}{task['id']}/complete/",
        {"variables": {"email": "ann@example.com", "amount": 120.5, "outcome": "pay", "checks": ["id"]}},
        format="json",
    )
    assert done.status_code == 200, done.json()
