"""The web task list in headless Chromium, against the demo tenant the launcher provisions: its
expense approval offers "Check the expense" (EXP-1001) to the group the demo worker is in."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_ui import ACME, sign_in
from tests.live import LivePlatform

pytestmark = pytest.mark.browser

WORKER = ("worker", "worker-demo-pass")
DESIGNER = ("designer", "designer-demo-pass")
OPERATOR = ("operator", "operator-demo-pass")
MODELS = Path(__file__).parent.parent / "tasks" / "models"


def start_over_api(
    live_platform: LivePlatform, key: str, variables: dict[str, Any], business_key: str, model: str = ""
) -> None:
    """Deploy the tests' ``model`` (as the demo designer), if named, and start ``key`` as the demo worker."""
    with live_platform.client(ACME) as api:

        def bearer(username: str, password: str) -> dict[str, str]:
            token = api.post("/api/v1/auth/token/", json={"username": username, "password": password})
            return {"Authorization": f"Bearer {token.json()['access']}"}

        if model:
            xml = (MODELS / model).read_bytes()
            deployed = api.post(
                "/api/v1/deployments/", content=xml, headers={**bearer(*DESIGNER), "Content-Type": "application/xml"}
            )
            assert deployed.status_code in (200, 201), deployed.text
        started = api.post(
            f"/api/v1/process-definitions/key/{key}/start/",
            json={"variables": variables, "business_key": business_key},
            headers=bearer(*WORKER),
        )
    assert started.status_code == 201, started.text


def test_a_worker_claims_a_group_task_fixes_the_value_the_server_refuses_and_completes_it(
    page: Page, live_platform: LivePlatform
) -> None:
    sign_in(page, live_platform, *WORKER)
    page.locator("#main-nav").get_by_role("link", name="Tasks").click()
    page.get_by_role("link", name=re.compile(r"^Group tasks")).click()

    row = page.get_by_test_id("task-row").filter(has_text="EXP-1001")
    expect(row).to_contain_text("Check the expense")
    row.get_by_role("button", name="Claim").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check the expense")
    expect(page.get_by_role("alert").filter(has_text="You claimed this task.")).to_be_visible()
    expect(page.get_by_test_id("task-assignee")).to_have_text("worker")
    diagram = page.locator("#task-diagram")
    expect(diagram).to_have_attribute("data-state", "highlighted")
    expect(diagram.locator('.djs-element.apg-current-task[data-element-id="check_expense"]')).to_be_visible()

    amount = page.get_by_label("Amount to pay (EUR)")
    amount.fill("12000")
    page.get_by_role("button", name="Complete the task").click()

    # The server's own message (form-js would say "Field must have maximum value of 5000.").
    amount_field = page.locator(".fjs-form-field").filter(has=amount)
    expect(amount_field.locator(".fjs-form-field-error")).to_have_text("Give at most 5000.")
    summary = page.locator("[data-task-form-summary]")
    expect(summary).to_contain_text("The task was not completed: some values do not fit its form.")
    expect(summary).to_contain_text("Amount to pay (EUR): Give at most 5000.")
    expect(page.get_by_test_id("task-state")).to_have_text("Assigned")

    amount.fill("1200")
    expect(amount_field.locator(".fjs-form-field-error")).to_have_count(0)
    page.get_by_role("button", name="Complete the task").click()

    expect(page.get_by_test_id("task-state")).to_have_text("Completed")
    expect(page.get_by_test_id("process-next")).to_have_text("The process moved on to: Pay the expense.")
    page.get_by_test_id("process-next").get_by_role("link", name="Pay the expense").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pay the expense")
    expect(page.get_by_role("button", name="Claim")).to_be_visible()


def test_the_group_count_goes_up_without_a_reload_when_a_task_arrives(page: Page, live_platform: LivePlatform) -> None:
    sign_in(page, live_platform, *WORKER)
    page.goto(live_platform.url(ACME, "/tasks/?list=offered"))
    badge = page.locator('[data-count="offered"]')
    expect(badge).to_have_text(re.compile(r"^\d+$"))
    before = int(badge.inner_text())

    start_over_api(live_platform, "expense_approval", {"employee": "Sam Park"}, "EXP-LIVE")

    expect(badge).to_have_text(str(before + 1))
    expect(page.get_by_test_id("task-row").filter(has_text="EXP-LIVE")).to_have_count(0)  # the list stays as it was


def test_a_generated_form_shows_current_values_and_a_model_without_layout_says_it_has_no_diagram(
    page: Page, live_platform: LivePlatform
) -> None:
    """The tests' invoice approval: camunda:formData (a form-js form generated from it) and no BPMN DI."""
    variables = {"urgent": True, "due": "2099-01-01T00:00:00+00:00", "payer": "operator", "amount": 250}
    start_over_api(live_platform, "task_approval", variables, "INV-GEN", model="approval.bpmn")
    sign_in(page, live_platform, *WORKER)
    page.goto(live_platform.url(ACME, "/tasks/?list=offered"))
    row = page.get_by_test_id("task-row").filter(has_text="INV-GEN")
    row.get_by_role("link", name="Approve the invoice").click()

    expect(page.get_by_test_id("form-hint")).to_have_text("Claim the task to fill in its form and complete it.")
    expect(page.get_by_label("Amount")).to_have_value("250")  # the instance's variable
    expect(page.get_by_label("Amount")).not_to_be_editable()  # read-only until claimed
    expect(page.get_by_text("The model has no layout (BPMN diagram interchange)")).to_be_visible()
    expect(page.locator("#task-diagram")).to_have_attribute("data-state", "no-layout")


def test_a_task_whose_deployed_form_is_missing_shows_the_servers_reason_and_cannot_be_completed(
    page: Page, live_platform: LivePlatform
) -> None:
    start_over_api(live_platform, "deployed_form", {}, "INV-NOFORM", model="deployed_form.bpmn")
    sign_in(page, live_platform, *WORKER)
    page.goto(live_platform.url(ACME, "/tasks/?list=offered"))
    page.get_by_test_id("task-row").filter(has_text="INV-NOFORM").get_by_role("button", name="Claim").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Review the invoice")
    expect(page.locator("[data-task-form-summary]")).to_have_text(
        "No form 'invoice_review' is deployed in this tenant."
    )
    expect(page.get_by_role("button", name="Complete the task")).to_be_disabled()


def test_a_worker_saves_a_filter_claims_two_tasks_at_once_and_a_delegate_resolves_one(
    page: Page, live_platform: LivePlatform
) -> None:
    for business_key in ("EXP-BULK-1", "EXP-BULK-2"):
        start_over_api(live_platform, "expense_approval", {"employee": "Rowan Bulk"}, business_key)
    sign_in(page, live_platform, *WORKER)
    page.goto(live_platform.url(ACME, "/tasks/?list=offered"))
    rows = page.get_by_test_id("task-row")

    page.get_by_label("Process variables").fill("employee_eq_Rowan Bulk")
    expect(rows).to_have_count(2)
    saved_filters = page.locator("#saved-filters")
    saved_filters.get_by_label("Save these filters as").fill("Rowan's expenses")
    saved_filters.get_by_label("Share with").select_option("accounting")
    saved_filters.get_by_role("button", name="Save filter").click()
    expect(saved_filters.get_by_test_id("saved-filter").filter(has_text="Rowan's expenses")).to_contain_text(
        "accounting"
    )

    page.goto(live_platform.url(ACME, "/tasks/?list=offered"))
    expect(page.get_by_label("Process variables")).to_have_value("")
    page.locator("#saved-filters").get_by_role("link", name="Rowan's expenses").click()
    expect(page.get_by_label("Process variables")).to_have_value("employee_eq_Rowan Bulk")
    expect(rows).to_have_count(2)

    for business_key in ("EXP-BULK-1", "EXP-BULK-2"):
        rows.filter(has_text=business_key).get_by_role("checkbox").check()
    page.locator("#bulk-form").get_by_role("button", name="Claim", exact=True).click()

    outcomes = page.get_by_test_id("bulk-outcome")
    expect(outcomes).to_have_count(2)
    for business_key in ("EXP-BULK-1", "EXP-BULK-2"):
        expect(outcomes.filter(has_text=business_key)).to_contain_text("Done")
        expect(outcomes.filter(has_text=business_key)).to_contain_text("Claimed.")
    expect(page.get_by_test_id("no-tasks")).to_be_visible()  # the group's list, read again: both are the worker's now

    outcomes.filter(has_text="EXP-BULK-1").get_by_role("link", name="Check the expense").click()
    expect(page.get_by_test_id("task-assignee")).to_have_text("worker")
    page.get_by_label("Delegate to").fill("operator")
    page.get_by_role("button", name="Delegate").click()
    expect(page.get_by_role("alert").filter(has_text="You delegated this task to operator.")).to_be_visible()
    expect(page.get_by_test_id("task-state")).to_have_text("Delegated")
    expect(page.get_by_role("button", name="Resolve")).to_have_count(0)  # the delegate resolves it, not its owner
    task_page = page.url

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_platform, *OPERATOR)
    page.goto(task_page)
    expect(page.get_by_test_id("task-assignee")).to_have_text("operator")
    page.get_by_role("button", name="Resolve").click()

    expect(page.get_by_role("alert").filter(has_text="You resolved this task")).to_be_visible()
    expect(page.get_by_test_id("task-state")).to_have_text("Assigned")
    expect(page.get_by_test_id("task-assignee")).to_have_text("worker")
    history = page.get_by_test_id("history-event")
    expect(history.filter(has_text="Delegated by worker")).to_contain_text("delegate: operator")
    expect(history.filter(has_text="Resolved by operator")).to_contain_text("owner: worker")
