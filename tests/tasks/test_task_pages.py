"""The web task list: its pages and partials, who may see and do what on them, and that a task of
another tenant is not there."""

from __future__ import annotations

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import schema_context

from apps.tasks.models import Task, TaskComment
from tests.conftest import TenantInfo, tenant_client
from tests.tasks.test_task_api import TASKS, accountants, listed, start

HTMX = {"HTTP_HX_REQUEST": "true"}
RESULTS = {**HTMX, "HTTP_HX_TARGET": "task-results"}


def signed_in(info: TenantInfo, username: str) -> Client:
    client = tenant_client(info)
    response = client.post("/accounts/login/", {"username": username, "password": info.password(username)})
    assert response.status_code == 302, response.content
    return client


def offered_task(info: TenantInfo, **variables: object) -> str:
    """Start the approval process with an invoice offered to the accountants (the worker is one)."""
    accountants(info, "worker")
    start(info, **variables)
    (task,) = listed(info, "worker", "?list=offered")
    return str(task["id"])


def text_of(response: object) -> str:
    """The page's text without tags or runs of white space, for reading it as a person does."""
    html = response.content.decode()  # type: ignore[attr-defined]
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def state_of(info: TenantInfo, task_id: str) -> tuple[str, str]:
    with schema_context(info.schema):
        task = Task.objects.get(id=task_id)
        return task.state, task.assignee


def test_every_task_page_asks_for_a_sign_in_first(alpha: TenantInfo) -> None:
    task_id = offered_task(alpha)
    anonymous = tenant_client(alpha)

    for path in ("/tasks/", f"/tasks/{task_id}/", f"/tasks/{task_id}/diagram.bpmn", f"/tasks/{task_id}/comments/"):
        response = anonymous.get(path)
        assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={path}")
    claimed = anonymous.post(f"/tasks/{task_id}/claim/")
    assert claimed.status_code == 302 and claimed["Location"].startswith("/accounts/login/")
    assert state_of(alpha, task_id) == ("created", "")
    assert anonymous.get("/tasks/counts/", **HTMX).status_code == 286  # a poll after signing out stops


def test_a_role_that_does_not_work_on_tasks_is_refused(alpha: TenantInfo) -> None:
    designer = signed_in(alpha, "designer")

    assert designer.get("/tasks/").status_code == 403
    assert designer.get("/tasks/counts/").status_code == 403


def test_the_group_list_offers_the_task_with_a_claim_button_its_sla_and_live_counts(alpha: TenantInfo) -> None:
    task_id = offered_task(alpha, due="2020-01-01T00:00:00+00:00")
    worker = signed_in(alpha, "worker")

    page = worker.get("/tasks/?list=offered")

    assert page.status_code == 200
    html = page.content.decode()
    (row,) = re.findall(r'<tr data-testid="task-row".*?</tr>', html, re.S)
    assert f'data-task-id="{task_id}"' in row and "Approve the invoice" in row and "inv-7" in row
    assert f'action="/tasks/{task_id}/claim/"' in row
    assert 'data-sla="breached"' in row  # due in 2020
    assert 'hx-get="/tasks/counts/?list=offered" hx-trigger="every 5s"' in html
    assert re.search(r'data-count="offered">1<', html) and re.search(r'data-count="mine">0<', html)
    assert 'data-tab="all"' not in html  # listing every task is for operators
    mine = worker.get("/tasks/?list=mine")
    assert 'data-testid="no-tasks"' in mine.content.decode()

    worker.post(f"/tasks/{task_id}/claim/")
    counts = worker.get("/tasks/counts/?list=offered", **HTMX).content.decode()

    assert re.search(r'data-count="offered">0<', counts) and re.search(r'data-count="mine">1<', counts)
    assert "1 of your tasks is overdue." in text_of(worker.get("/tasks/counts/?list=mine", **HTMX))


def test_filters_swap_only_the_results(alpha: TenantInfo) -> None:
    accountants(alpha, "worker")
    start(alpha, urgent=True, due="2020-01-01T00:00:00+00:00")  # priority 80, overdue
    start(alpha, urgent=False, due="2099-01-01T00:00:00+00:00")  # priority 50
    worker = signed_in(alpha, "worker")

    urgent = worker.get("/tasks/?list=offered&priority_min=60", **RESULTS)
    overdue = worker.get("/tasks/?list=offered&due=overdue", **RESULTS)
    words = worker.get("/tasks/?list=offered&q=invoice&process_key=task_approval", **RESULTS)
    nothing = worker.get("/tasks/?list=offered&q=holiday", **RESULTS)
    wrong = worker.get("/tasks/?list=offered&priority_min=lots", **RESULTS)

    assert urgent.content.decode().lstrip().startswith('<div id="task-results">')  # the partial, not the page
    assert "<html" not in urgent.content.decode()
    assert re.findall(r"<td class=\"text-end\">(\d+)</td>", urgent.content.decode()) == ["80"]
    assert re.findall(r"<td class=\"text-end\">(\d+)</td>", overdue.content.decode()) == ["80"]
    assert re.findall(r"<td class=\"text-end\">(\d+)</td>", words.content.decode()) == ["80", "50"]
    assert 'data-testid="no-tasks"' in nothing.content.decode()
    assert wrong.status_code == 400 and "Give a whole number. (priority_min)" in wrong.content.decode()


def test_operators_have_the_all_tab_and_workers_may_not_list_all(alpha: TenantInfo) -> None:
    task_id = offered_task(alpha)

    operator_page = signed_in(alpha, "operator").get("/tasks/?list=all")
    worker_page = signed_in(alpha, "worker").get("/tasks/?list=all")

    assert operator_page.status_code == 200 and f'data-task-id="{task_id}"' in operator_page.content.decode()
    assert re.search(r'data-count="all">1<', operator_page.content.decode())
    assert worker_page.status_code == 403


def test_claim_from_the_list_opens_the_task_with_its_form_and_unclaim_gives_it_back(alpha: TenantInfo) -> None:
    task_id = offered_task(alpha)
    worker = signed_in(alpha, "worker")
    before = worker.get(f"/tasks/{task_id}/").content.decode()
    assert 'data-editable="false"' in before and "Claim the task to fill in its form" in before

    claimed = worker.post(f"/tasks/{task_id}/claim/", {"next": "/tasks/?list=offered"}, follow=True)

    assert claimed.redirect_chain == [(f"/tasks/{task_id}/", 302)]
    page = claimed.content.decode()
    assert "You claimed this task." in page
    assert 'data-editable="true"' in page and f'data-complete-url="/api/v1/tasks/{task_id}/complete/"' in page
    assert f'data-form-url="/api/v1/tasks/{task_id}/form/"' in page and "Complete the task" in page
    assert 'data-element-id="approve"' in page and f'data-diagram-url="/tasks/{task_id}/diagram.bpmn"' in page
    assert "tasks.js" in page and "tasks.css" in page
    assert state_of(alpha, task_id) == ("assigned", "worker")

    back = worker.post(f"/tasks/{task_id}/unclaim/", follow=True)

    assert "You gave this task back." in back.content.decode()
    assert state_of(alpha, task_id) == ("created", "")


def test_a_task_claimed_by_another_shows_why_and_nothing_changes(alpha: TenantInfo) -> None:
    task_id = offered_task(alpha)
    accountants(alpha, "alice")
    signed_in(alpha, "alice").post(f"/tasks/{task_id}/claim/")
    worker = signed_in(alpha, "worker")

    taken = worker.post(f"/tasks/{task_id}/claim/", {"next": "/tasks/?list=offered"}, follow=True)
    unclaim = worker.post(f"/tasks/{task_id}/unclaim/", follow=True)

    assert taken.redirect_chain == [("/tasks/?list=offered", 302)]  # out of the worker's sight now
    assert "The task is claimed by alice already." in taken.content.decode()
    assert "Only its assignee (or an operator) can give the task back." in unclaim.content.decode()
    assert state_of(alpha, task_id) == ("assigned", "alice")
    assert worker.get(f"/tasks/{task_id}/").status_code == 404  # not offered to the worker any more


def test_a_task_of_another_tenant_is_not_there(alpha: TenantInfo, beta: TenantInfo) -> None:
    task_id = offered_task(alpha)
    accountants(beta, "worker")
    intruder = signed_in(beta, "worker")

    for path in ("", "diagram.bpmn", "comments/", "attachments/"):
        assert intruder.get(f"/tasks/{task_id}/{path}").status_code == 404, path
    for path in ("claim/", "unclaim/", "comments/"):
        assert intruder.post(f"/tasks/{task_id}/{path}", {"text": "mine now"}).status_code == 404, path
    upload = SimpleUploadedFile("note.txt", b"hello", content_type="text/plain")
    assert intruder.post(f"/tasks/{task_id}/attachments/", {"file": upload}).status_code == 404
    assert f'data-task-id="{task_id}"' not in intruder.get("/tasks/?list=offered").content.decode()
    assert state_of(alpha, task_id) == ("created", "")
    with schema_context(alpha.schema):
        assert not TaskComment.objects.exists()


def test_the_diagram_is_the_processes_xml_served_as_a_sandboxed_download(alpha: TenantInfo) -> None:
    task_id = offered_task(alpha)

    response = signed_in(alpha, "worker").get(f"/tasks/{task_id}/diagram.bpmn")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="task_approval.bpmn"'
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert b'<bpmn:userTask id="approve" name="Approve the invoice"' in response.content


def test_a_completed_task_shows_where_the_process_went_linking_the_next_task_when_visible(alpha: TenantInfo) -> None:
    visible_next = offered_task(alpha, payer="worker")
    worker = signed_in(alpha, "worker")
    done = worker.post(f"{TASKS}{visible_next}/complete/", {"variables": {"approved": True}}, "application/json")
    assert done.status_code == 200, done.content
    (pay,) = listed(alpha, "worker", "?list=mine")

    page = worker.get(f"/tasks/{visible_next}/")

    assert "The process moved on to: Pay the invoice" in text_of(page)
    assert f'<a href="/tasks/{pay["id"]}/">Pay the invoice</a>' in page.content.decode()
    assert "data-task-form" not in page.content.decode()  # nothing left to fill in

    pay_page = worker.post(f"{TASKS}{pay['id']}/complete/", {"variables": {}}, "application/json")
    assert pay_page.status_code == 200
    assert "The process has completed." in text_of(worker.get(f"/tasks/{pay['id']}/"))


def test_the_next_task_is_named_without_a_link_when_the_user_may_not_open_it(alpha: TenantInfo) -> None:
    task_id = offered_task(alpha, payer="operator")
    worker = signed_in(alpha, "worker")
    worker.post(f"{TASKS}{task_id}/complete/", {"variables": {"approved": True}}, "application/json")

    page = worker.get(f"/tasks/{task_id}/").content.decode()

    assert "<span>Pay the invoice</span>" in page and '">Pay the invoice</a>' not in page


def test_the_completion_api_answers_the_form_page_with_field_errors(alpha: TenantInfo) -> None:
    """What the task page's script reads from a refused completion: messages per field."""
    task_id = offered_task(alpha)
    worker = signed_in(alpha, "worker")  # the page's session, with its CSRF token
    worker.post(f"/tasks/{task_id}/claim/")
    page = worker.get(f"/tasks/{task_id}/")
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page.content.decode())
    assert token is not None
    worker.handler.enforce_csrf_checks = True

    refused = worker.post(
        f"{TASKS}{task_id}/complete/",
        {"variables": {"approved": True, "amount": 20000}},
        "application/json",
        HTTP_X_CSRFTOKEN=token.group(1),
    )

    assert refused.status_code == 400
    assert refused.json()["errors"]["variables"] == {"amount": ["Give at most 10000."]}
    assert state_of(alpha, task_id) == ("assigned", "worker")


def test_comments_are_added_with_their_mentions_and_escaped(alpha: TenantInfo) -> None:
    task_id = offered_task(alpha)
    worker = signed_in(alpha, "worker")

    added = worker.post(f"/tasks/{task_id}/comments/", {"text": "<b>Look</b> @alice, and @nobody."}, **HTMX)
    empty = worker.post(f"/tasks/{task_id}/comments/", {"text": "   "}, **HTMX)

    html = added.content.decode()
    assert added.status_code == 200 and html.lstrip().startswith('<section class="card shadow-sm" id="task-comments"')
    assert '&lt;b&gt;Look&lt;/b&gt; <span class="task-mention" data-mention>@alice</span>, and @nobody.' in html
    assert empty.status_code == 400 and "Write something first." in empty.content.decode()
    with schema_context(alpha.schema):
        assert list(TaskComment.objects.values_list("author", "mentions")) == [("worker", ["alice"])]
    assert "@alice" in worker.get(f"/tasks/{task_id}/").content.decode()


def test_files_are_attached_listed_and_downloaded_and_a_refused_one_says_why(alpha: TenantInfo) -> None:
    task_id = offered_task(alpha)
    worker = signed_in(alpha, "worker")
    note = SimpleUploadedFile("receipt.txt", b"12.50 EUR", content_type="text/plain")
    program = SimpleUploadedFile("tool.exe", b"MZ", content_type="application/pdf")

    added = worker.post(f"/tasks/{task_id}/attachments/", {"file": note}, **HTMX)
    refused = worker.post(f"/tasks/{task_id}/attachments/", {"file": program}, **HTMX)

    link = re.search(rf'href="(/tasks/{task_id}/attachments/[0-9a-f-]+/)">receipt.txt</a>', added.content.decode())
    assert added.status_code == 200 and link is not None
    assert (
        refused.status_code == 400 and "The name &#x27;tool.exe&#x27; does not fit the type" in refused.content.decode()
    )
    download = worker.get(link.group(1))
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"12.50 EUR"
    assert download["Content-Disposition"] == 'attachment; filename="receipt.txt"'
    assert [row["name"] for row in worker.get(f"{TASKS}{task_id}/attachments/").json()] == ["receipt.txt"]


def test_the_navigation_shows_tasks_to_workers_and_operators_only(alpha: TenantInfo) -> None:
    def nav_labels(username: str) -> list[str]:
        html = signed_in(alpha, username).get("/home/").content.decode()
        return re.findall(r'class="nav-link[^"]*" href="[^"]*"\s*(?:aria-current="page")?>([^<]+)</a>', html)

    assert nav_labels("worker") == ["Home", "Tasks", "API docs"]
    assert nav_labels("operator") == ["Home", "Tasks", "API docs", "Admin"]
    assert nav_labels("designer") == ["Home", "Designer", "API docs"]


def test_a_task_page_lies_under_tasks_in_the_navigation(alpha: TenantInfo) -> None:
    task_id = offered_task(alpha)
    worker = signed_in(alpha, "worker")

    active = re.findall(r'class="nav-link active" href="([^"]+)"', worker.get(f"/tasks/{task_id}/").content.decode())
    on_home = re.findall(r'class="nav-link active" href="([^"]+)"', worker.get("/home/").content.decode())

    assert (active, on_home) == (["/tasks/"], ["/home/"])
