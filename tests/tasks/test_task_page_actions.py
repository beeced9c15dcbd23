"""The task operations of the web task list beyond claim and complete: assign, delegate, resolve,
priority and dates with the task's history on its page; bulk actions, saved filters and the
process variable filter on the list. The same services and rules as the API decide."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from django.test import Client
from django_tenants.utils import schema_context

from apps.tasks.models import Task, TaskEvent, TaskFilter
from tests.conftest import TenantInfo, tenant_client
from tests.tasks.test_task_api import TASKS, accountants, listed, start
from tests.tasks.test_task_pages import HTMX, RESULTS, offered_task, signed_in, text_of

MISSING = "01a2167a-0000-7000-8000-000000000000"


def task_row(info: TenantInfo, task_id: str) -> Task:
    with schema_context(info.schema):
        return Task.objects.get(id=task_id)


def kinds(info: TenantInfo, task_id: str) -> list[tuple[str, str]]:
    with schema_context(info.schema):
        return list(TaskEvent.objects.filter(task_id=task_id).order_by("at", "id").values_list("kind", "actor"))


def claimed_by_worker(info: TenantInfo, **variables: Any) -> tuple[str, Client]:
    task_id = offered_task(info, **variables)
    worker = signed_in(info, "worker")
    assert worker.post(f"/tasks/{task_id}/claim/").status_code == 302
    return task_id, worker


def test_the_assignee_passes_the_task_on_and_an_unknown_user_is_refused_with_the_services_message(
    alpha: TenantInfo,
) -> None:
    task_id, worker = claimed_by_worker(alpha)
    page = worker.get(f"/tasks/{task_id}/").content.decode()
    assert f'action="/tasks/{task_id}/assign/"' in page and f'action="/tasks/{task_id}/delegate/"' in page

    unknown = worker.post(f"/tasks/{task_id}/assign/", {"assignee": "nobody"}, follow=True)

    assert unknown.redirect_chain == [(f"/tasks/{task_id}/", 302)]
    assert "No active user &#x27;nobody&#x27; in this tenant." in unknown.content.decode()
    assert (task_row(alpha, task_id).state, task_row(alpha, task_id).assignee) == ("assigned", "worker")

    passed = worker.post(f"/tasks/{task_id}/assign/", {"assignee": "alice"}, follow=True)

    assert passed.redirect_chain == [("/tasks/", 302)]  # alice's now, and not offered to the worker any more
    assert "You assigned this task to alice." in passed.content.decode()
    task = task_row(alpha, task_id)
    assert (task.state, task.assignee, task.assignment_reason) == ("assigned", "alice", "Assigned to alice by worker.")
    assert kinds(alpha, task_id)[-1] == ("assigned", "worker")


def test_only_its_assignee_or_an_operator_assigns_and_the_refusal_changes_nothing(alpha: TenantInfo) -> None:
    task_id = offered_task(alpha)
    worker = signed_in(alpha, "worker")
    page = worker.get(f"/tasks/{task_id}/").content.decode()
    assert "/assign/" not in page and "/delegate/" not in page and "/change/" not in page  # offered, not theirs

    refused = worker.post(f"/tasks/{task_id}/assign/", {"assignee": "worker"}, follow=True)

    assert "Only its assignee (or an operator) can assign the task." in refused.content.decode()
    assert (task_row(alpha, task_id).state, task_row(alpha, task_id).assignee) == ("created", "")
    assert kinds(alpha, task_id) == [("created", "")]

    operator = signed_in(alpha, "operator")
    assert f'action="/tasks/{task_id}/assign/"' in operator.get(f"/tasks/{task_id}/").content.decode()
    operator.post(f"/tasks/{task_id}/assign/", {"assignee": "alice"})

    assert task_row(alpha, task_id).assignee == "alice"


def test_a_delegated_task_is_resolved_by_its_delegate_and_goes_back_to_its_owner_with_its_history_shown(
    alpha: TenantInfo,
) -> None:
    task_id, worker = claimed_by_worker(alpha)

    delegated = worker.post(f"/tasks/{task_id}/delegate/", {"assignee": "alice"}, follow=True)

    assert delegated.redirect_chain == [(f"/tasks/{task_id}/", 302)]  # its owner still sees it
    owner_page = text_of(delegated)
    assert "You delegated this task to alice." in owner_page
    assert "The task is delegated to alice: once they resolve it, its owner (worker) completes it." in owner_page
    assert "Complete the task" not in owner_page and f"/tasks/{task_id}/resolve/" not in delegated.content.decode()
    task = task_row(alpha, task_id)
    assert (task.state, task.assignee, task.owner) == ("delegated", "alice", "worker")

    not_the_delegate = worker.post(f"/tasks/{task_id}/resolve/", follow=True)

    assert "Only its delegate (or an operator) can resolve the task." in not_the_delegate.content.decode()
    assert task_row(alpha, task_id).state == "delegated"

    alice = signed_in(alpha, "alice")
    assert f'action="/tasks/{task_id}/resolve/"' in alice.get(f"/tasks/{task_id}/").content.decode()
    resolved = alice.post(f"/tasks/{task_id}/resolve/", follow=True)

    assert "You resolved this task: it is back with its owner." in resolved.content.decode()
    task = task_row(alpha, task_id)
    assert (task.state, task.assignee, task.owner) == ("assigned", "worker", "worker")
    assert kinds(alpha, task_id) == [
        ("created", ""),
        ("claimed", "worker"),
        ("delegated", "worker"),
        ("resolved", "alice"),
    ]
    history = text_of(worker.get(f"/tasks/{task_id}/"))
    assert "Created by the process" in history
    assert "Delegated by worker owner: worker; delegate: alice" in history
    assert "Resolved by alice owner: worker" in history


def test_resolving_a_task_that_is_not_delegated_is_a_conflict_shown_on_the_page(alpha: TenantInfo) -> None:
    task_id, worker = claimed_by_worker(alpha)

    refused = worker.post(f"/tasks/{task_id}/resolve/", follow=True)

    assert "The task is not delegated." in refused.content.decode()
    assert kinds(alpha, task_id)[-1] == ("claimed", "worker")


def test_the_assignee_sets_priority_and_dates_and_only_what_changed_is_recorded(alpha: TenantInfo) -> None:
    task_id, worker = claimed_by_worker(alpha, due="2026-12-01T12:00:00+00:00")
    page = worker.get(f"/tasks/{task_id}/").content.decode()
    assert 'name="due_date" value="2026-12-01T12:00"' in page and 'name="priority" min="0" max="1000"' in page

    changed = worker.post(
        f"/tasks/{task_id}/change/",
        {"priority": "90", "due_date": "2026-12-01T12:00", "follow_up_date": "2026-11-20T08:30"},
        follow=True,
    )

    assert "You changed this task." in changed.content.decode()
    task = task_row(alpha, task_id)
    assert (task.priority, task.due_date, task.follow_up_date) == (
        90,
        datetime(2026, 12, 1, 12, 0, tzinfo=UTC),
        datetime(2026, 11, 20, 8, 30, tzinfo=UTC),
    )
    with schema_context(alpha.schema):
        event = TaskEvent.objects.filter(task_id=task_id).latest("id")
    assert (event.kind, event.actor) == ("updated", "worker")
    assert event.details == {"priority": 90, "follow_up_date": "2026-11-20T08:30:00+00:00"}  # the due date stayed

    cleared = worker.post(f"/tasks/{task_id}/change/", {"priority": "90", "due_date": "", "follow_up_date": ""})
    assert cleared.status_code == 302
    assert (task_row(alpha, task_id).due_date, task_row(alpha, task_id).follow_up_date) == (None, None)

    wrong = worker.post(f"/tasks/{task_id}/change/", {"priority": "lots", "due_date": "soon"}, follow=True)

    assert "Priority: Enter a whole number." in wrong.content.decode()
    assert "Due date: Enter a valid date/time." in wrong.content.decode()
    assert task_row(alpha, task_id).priority == 90


def test_who_neither_has_nor_owns_the_task_may_not_change_it(alpha: TenantInfo) -> None:
    task_id = offered_task(alpha)
    worker = signed_in(alpha, "worker")  # it is offered to them, not theirs

    refused = worker.post(f"/tasks/{task_id}/change/", {"priority": "99"}, follow=True)

    assert "Only its assignee, its owner (or an operator) can change the task." in refused.content.decode()
    assert task_row(alpha, task_id).priority == 50
    assert kinds(alpha, task_id) == [("created", "")]


def test_every_action_asks_for_the_csrf_token(alpha: TenantInfo) -> None:
    task_id, worker = claimed_by_worker(alpha)
    worker.handler.enforce_csrf_checks = True

    for path, data in (
        (f"/tasks/{task_id}/assign/", {"assignee": "alice"}),
        (f"/tasks/{task_id}/delegate/", {"assignee": "alice"}),
        (f"/tasks/{task_id}/resolve/", {}),
        (f"/tasks/{task_id}/change/", {"priority": "99"}),
        ("/tasks/bulk/", {"action": "unclaim", "tasks": [task_id]}),
        ("/tasks/filters/", {"name": "Mine", "list": "mine"}),
    ):
        assert worker.post(path, data).status_code == 403, path

    task = task_row(alpha, task_id)
    assert (task.state, task.assignee, task.priority) == ("assigned", "worker", 50)
    with schema_context(alpha.schema):
        assert not TaskFilter.objects.exists()


def test_the_actions_do_not_reach_a_task_of_another_tenant(alpha: TenantInfo, beta: TenantInfo) -> None:
    task_id, _ = claimed_by_worker(alpha)
    accountants(beta, "worker")
    operator = signed_in(beta, "operator")  # who may act on every task of their own tenant

    for path, data in (
        ("assign/", {"assignee": "worker"}),
        ("delegate/", {"assignee": "worker"}),
        ("resolve/", {}),
        ("change/", {"priority": "99"}),
    ):
        assert operator.post(f"/tasks/{task_id}/{path}", data).status_code == 404, path
    bulk = operator.post("/tasks/bulk/", {"action": "unclaim", "tasks": [task_id], "list": "all"}, **HTMX)

    assert re.findall(r'data-task-id="([^"]+)" data-status="(\d+)"', bulk.content.decode()) == [(task_id, "404")]
    task = task_row(alpha, task_id)
    assert (task.state, task.assignee, task.priority) == ("assigned", "worker", 50)


def outcomes(response: Any) -> list[tuple[str, str]]:
    return re.findall(r'data-task-id="([^"]+)" data-status="(\d+)"', response.content.decode())


def test_bulk_claim_answers_for_each_selected_task_and_reads_the_list_again(alpha: TenantInfo) -> None:
    accountants(alpha, "worker", "alice")
    start(alpha, urgent=True)
    start(alpha, urgent=False)
    start(alpha)
    first, second, third = (row["id"] for row in listed(alpha, "worker", "?list=offered"))
    signed_in(alpha, "alice").post(f"/tasks/{third}/claim/")
    worker = signed_in(alpha, "worker")
    page = worker.get("/tasks/?list=offered").content.decode()
    assert 'id="bulk-form"' in page and f'name="tasks" value="{first}" form="bulk-form"' in page

    claimed = worker.post(
        "/tasks/bulk/", {"action": "claim", "tasks": [first, second, third, MISSING], "list": "offered"}, **HTMX
    )

    assert claimed.status_code == 200
    html = claimed.content.decode()
    assert html.lstrip().startswith('<div id="task-results">')
    assert outcomes(claimed) == [(first, "200"), (second, "200"), (third, "409"), (MISSING, "404")]
    assert "Claimed." in text_of(claimed) and "The task is claimed by alice already." in html
    assert 'data-testid="no-tasks"' in html  # the offered list, read again: nothing left
    assert [task_row(alpha, task_id).assignee for task_id in (first, second, third)] == ["worker", "worker", "alice"]

    unclaimed = worker.post("/tasks/bulk/", {"action": "unclaim", "tasks": [first, third], "list": "mine"}, **HTMX)

    assert outcomes(unclaimed) == [(first, "200"), (third, "403")]
    assert "Only its assignee (or an operator) can give the task back." in unclaimed.content.decode()
    assert [task_row(alpha, task_id).assignee for task_id in (first, second, third)] == ["", "worker", "alice"]


def test_bulk_assign_refuses_an_unknown_user_before_any_task_changes(alpha: TenantInfo) -> None:
    task_id = offered_task(alpha)
    operator = signed_in(alpha, "operator")

    unknown = operator.post("/tasks/bulk/", {"action": "assign", "tasks": [task_id], "assignee": "nobody"}, **HTMX)
    nobody = operator.post("/tasks/bulk/", {"action": "assign", "tasks": [task_id], "assignee": " "}, **HTMX)
    nothing = operator.post("/tasks/bulk/", {"action": "claim"}, **HTMX)

    assert (
        unknown.status_code == 400 and "No active user &#x27;nobody&#x27; in this tenant." in unknown.content.decode()
    )
    assert nobody.status_code == 400 and "Give the user to assign the tasks to." in nobody.content.decode()
    assert nothing.status_code == 400 and "Select the tasks first." in nothing.content.decode()
    assert task_row(alpha, task_id).assignee == ""

    assigned = operator.post(
        "/tasks/bulk/", {"action": "assign", "tasks": [task_id], "assignee": "alice", "list": "all"}, **HTMX
    )

    assert outcomes(assigned) == [(task_id, "200")] and "Assigned to alice." in text_of(assigned)
    assert task_row(alpha, task_id).assignee == "alice"


def test_bulk_complete_takes_no_values_so_a_form_that_asks_for_some_is_refused_per_task(alpha: TenantInfo) -> None:
    asks, _ = claimed_by_worker(alpha, payer="worker")
    done = signed_in(alpha, "worker").post(
        f"{TASKS}{asks}/complete/", {"variables": {"approved": True}}, "application/json"
    )
    assert done.status_code == 200
    (pay,) = listed(alpha, "worker", "?list=mine")  # "Pay the invoice" has no form
    again, worker = claimed_by_worker(alpha)

    completed = worker.post("/tasks/bulk/", {"action": "complete", "tasks": [pay["id"], again], "list": "mine"}, **HTMX)

    assert outcomes(completed) == [(pay["id"], "200"), (again, "400")]
    assert "Some values do not fit the task&#x27;s form. approved: " in completed.content.decode()
    assert (task_row(alpha, pay["id"]).state, task_row(alpha, again).state) == ("completed", "assigned")


def test_filters_are_saved_shared_with_a_group_applied_and_deleted_by_their_owner(alpha: TenantInfo) -> None:
    accountants(alpha, "worker", "alice")
    start(alpha, urgent=True, due="2020-01-01T00:00:00+00:00")  # priority 80, overdue
    start(alpha, urgent=False, due="2020-01-01T00:00:00+00:00")  # priority 50, overdue
    start(alpha, urgent=True, due="2099-01-01T00:00:00+00:00")  # priority 80
    worker = signed_in(alpha, "worker")
    current = {"list": "offered", "priority_min": "60", "due": "overdue", "q": "", "ordering": "due"}

    saved = worker.post(
        "/tasks/filters/", {"name": "Urgent and late", "shared_with_group": "accounting", **current}, **HTMX
    )

    assert saved.status_code == 200
    with schema_context(alpha.schema):
        made = TaskFilter.objects.get()
    assert (made.owner, made.name, made.shared_with_group) == ("worker", "Urgent and late", "accounting")
    assert made.query == {"list": "offered", "priority_min": "60", "overdue": "true", "ordering": "due"}
    link = re.search(r'href="(/tasks/\?[^"]+)">Urgent and late</a>', saved.content.decode())
    assert link is not None
    assert link.group(1) == "/tasks/?list=offered&amp;ordering=due&amp;priority_min=60&amp;due=overdue"
    assert f'action="/tasks/filters/{made.id}/delete/"' in saved.content.decode()

    alice = signed_in(alpha, "alice")
    shared = alice.get(link.group(1).replace("&amp;", "&"))

    assert re.findall(r'<td class="text-end">(\d+)</td>', shared.content.decode()) == ["80"]  # applied
    assert '<option value="overdue" selected>' in shared.content.decode()
    assert ">Urgent and late</a>" in shared.content.decode()
    assert f"/tasks/filters/{made.id}/delete/" not in shared.content.decode()  # not hers to delete

    taken = worker.post("/tasks/filters/", {"name": "Urgent and late", **current}, **HTMX)
    foreign = worker.post("/tasks/filters/", {"name": "Theirs", "shared_with_group": "designers", **current}, **HTMX)
    nameless = worker.post("/tasks/filters/", {"name": "  ", **current}, **HTMX)
    not_hers = alice.post(f"/tasks/filters/{made.id}/delete/", **HTMX)

    assert taken.status_code == 409 and "You have a filter of that name already." in taken.content.decode()
    assert foreign.status_code == 400 and "Share only with a group you belong to." in foreign.content.decode()
    assert nameless.status_code == 400 and "Give the filter a name." in nameless.content.decode()
    assert not_hers.status_code == 403 and "Only its owner changes a filter." in not_hers.content.decode()
    with schema_context(alpha.schema):
        assert list(TaskFilter.objects.values_list("name", flat=True)) == ["Urgent and late"]

    deleted = worker.post(f"/tasks/filters/{made.id}/delete/", **HTMX)

    assert deleted.status_code == 200 and "Urgent and late" not in deleted.content.decode()
    with schema_context(alpha.schema):
        assert not TaskFilter.objects.exists()
    assert worker.post(f"/tasks/filters/{made.id}/delete/").status_code == 404


def test_a_saved_filter_made_over_the_api_keeps_the_parameters_the_form_has_no_field_for(alpha: TenantInfo) -> None:
    accountants(alpha, "worker")
    start(alpha, urgent=True)
    worker = signed_in(alpha, "worker")
    made = worker.post(
        "/api/v1/task-filters/",
        {"name": "Invoices", "query": {"list": "offered", "business_key": "inv-7", "due_within_days": 7000}},
        "application/json",
    )
    assert made.status_code == 201, made.content

    page = worker.get("/tasks/?list=offered&business_key=inv-7&due_within_days=7000")

    assert page.status_code == 400 and "Give from 0 to 3660 days. (due_within_days)" in page.content.decode()
    assert '<input type="hidden" name="business_key" value="inv-7">' in page.content.decode()
    assert "<code>business_key=inv-7</code>, <code>due_within_days=7000</code>" in page.content.decode()


def test_the_due_within_a_week_choice_is_saved_as_a_number_of_days(alpha: TenantInfo) -> None:
    accountants(alpha, "worker")
    start(alpha, due="2020-01-01T00:00:00+00:00")
    start(alpha, due="2099-01-01T00:00:00+00:00")
    worker = signed_in(alpha, "worker")

    week = worker.get("/tasks/?list=offered&due=week", **RESULTS)
    worker.post("/tasks/filters/", {"name": "This week", "list": "offered", "due": "week"}, **HTMX)

    assert len(re.findall(r'data-testid="task-row"', week.content.decode())) == 1  # not the one of 2099
    with schema_context(alpha.schema):
        assert TaskFilter.objects.get().query == {"list": "offered", "due_within_days": "7", "ordering": "-priority"}


def test_the_process_variable_filter_narrows_the_list_and_says_what_is_wrong_with_a_condition(
    alpha: TenantInfo,
) -> None:
    accountants(alpha, "worker")
    start(alpha, amount=250, region="north")
    start(alpha, amount=40, region="south")
    worker = signed_in(alpha, "worker")

    big = worker.get("/tasks/?list=offered&variables=amount_gt_100", **RESULTS)
    north = worker.get("/tasks/?list=offered&variables=amount_gteq_40,region_like_NOR", **RESULTS)
    malformed = worker.get("/tasks/?list=offered&variables=amount>100")
    page = worker.get("/tasks/?list=offered&variables=amount_gt_100")

    assert len(re.findall(r'data-testid="task-row"', big.content.decode())) == 1
    assert len(re.findall(r'data-testid="task-row"', north.content.decode())) == 1
    assert malformed.status_code == 400
    assert "&#x27;amount&gt;100&#x27; is no name_op_value condition" in malformed.content.decode()
    assert 'name="variables" value="amount&gt;100"' in malformed.content.decode()
    assert 'id="task-variables" name="variables" value="amount_gt_100"' in page.content.decode()


def test_the_list_pages_need_a_role_that_works_on_tasks(alpha: TenantInfo) -> None:
    designer = signed_in(alpha, "designer")
    anonymous = tenant_client(alpha)

    assert designer.post("/tasks/bulk/", {"action": "claim", "tasks": [MISSING]}).status_code == 403
    assert designer.post("/tasks/filters/", {"name": "Mine"}).status_code == 403
    assert anonymous.post("/tasks/filters/", {"name": "Mine"}).status_code == 302
    with schema_context(alpha.schema):
        assert not TaskFilter.objects.exists()
