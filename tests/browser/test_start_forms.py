"""Starting a process by hand in headless Chromium: the demo worker picks the Approval starter,
sends its start form empty, reads the server's reason on the field, fills it in and starts it."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from apps.designer import templates
from tests.browser.test_designer import api  # noqa: F401 - the fixture: the API as the demo designer
from tests.browser.test_tasks import DESIGNER, WORKER
from tests.browser.test_ui import ACME, sign_in
from tests.live import LivePlatform

pytestmark = pytest.mark.browser


def test_a_worker_starts_a_process_through_its_start_form_after_the_server_refuses_an_empty_one(
    page: Page,
    live_platform: LivePlatform,
    api: httpx.Client,  # noqa: F811
) -> None:
    xml = templates.xml_of("approval")
    assert xml is not None
    deployed = api.post("/api/v1/deployments/", content=xml, headers={"Content-Type": "application/xml"})
    assert deployed.status_code in (200, 201), deployed.text
    sign_in(page, live_platform, *WORKER)
    page.locator("#main-nav").get_by_role("link", name="Tasks").click()
    page.get_by_role("link", name="Start a process").click()
    page.locator('[data-testid="startable"][data-key="approval"]').click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Start Approval")
    expect(page.locator("#start-form")).to_have_attribute("data-state", "ready")

    page.get_by_role("button", name="Start the process").click()
    summary = page.locator("[data-task-form-summary]")
    expect(summary).to_contain_text("The process was not started: some values do not fit its start form.")
    expect(summary).to_contain_text("Subject: This field is required.")

    page.get_by_label("Subject").fill("A standing desk")
    page.get_by_label("Details").fill("For the back")
    page.get_by_label("Business key").fill("REQ-DESK")
    page.get_by_role("button", name="Start the process").click()

    expect(page.get_by_test_id("started")).to_contain_text("Started Approval (REQ-DESK).")


def test_the_designers_start_of_a_process_with_a_start_form_leads_to_that_form(
    page: Page,
    live_platform: LivePlatform,
    api: httpx.Client,  # noqa: F811
) -> None:
    made = api.post("/api/v1/models/", json={"name": "Our approval", "template": "approval"})
    assert made.status_code == 201, made.text
    deployed = api.post(f"/api/v1/models/{made.json()['id']}/deploy/", json={})
    assert deployed.status_code in (200, 201), deployed.text
    sign_in(page, live_platform, *DESIGNER)
    page.goto(live_platform.url(ACME, f"/designer/{made.json()['id']}/"))
    expect(page.locator("#designer")).to_have_attribute("data-state", "ready")

    page.get_by_role("tab", name="Deployed").click()
    page.get_by_test_id("deployed-row").first.get_by_role("button", name="Start").click()

    expect(page.get_by_test_id("designer-message")).to_have_text(re.compile(r"^approval v\d+ starts with a form\.$"))
    link = page.get_by_role("link", name="Fill in its start form")
    definition_id = page.get_by_test_id("deployed-row").first.get_attribute("data-definition-id")
    expect(link).to_have_attribute("href", f"/tasks/start/{definition_id}/")
    with page.expect_popup() as opened:
        link.click()
    expect(opened.value.get_by_role("heading", level=1)).to_have_text("Start Approval")
