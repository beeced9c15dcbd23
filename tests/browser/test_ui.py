"""The UI shell in headless Chromium against the platform served by the launcher."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.live import LivePlatform

pytestmark = pytest.mark.browser

ACME = "acme.localhost"
LOGIN_PATH = "/accounts/login/"
HOME_PATH = "/home/"


def sign_in(page: Page, live_platform: LivePlatform, username: str, password: str) -> None:
    page.goto(live_platform.url(ACME, LOGIN_PATH))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def role_sections(page: Page) -> list[str]:
    return page.locator("section[data-role]").evaluate_all("sections => sections.map(s => s.dataset.role)")


def test_the_landing_page_links_to_the_demo_tenant_and_on_to_its_login(page: Page, live_platform: LivePlatform) -> None:
    page.goto(live_platform.url("localhost"))

    link = page.get_by_role("link", name=re.compile(r"^Acme Corporation"))
    expect(link).to_have_attribute("href", live_platform.url(ACME, "/"))
    link.click()

    expect(page).to_have_url(live_platform.url(ACME, LOGIN_PATH))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_text("to Acme Corporation", exact=True)).to_be_visible()


def test_a_task_worker_sees_the_task_worker_section_and_not_the_admin_one(
    page: Page, live_platform: LivePlatform
) -> None:
    sign_in(page, live_platform, "worker", "worker-demo-pass")

    expect(page).to_have_url(live_platform.url(ACME, HOME_PATH))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, worker")
    expect(page.locator('section[data-role="task-worker"]')).to_be_visible()
    expect(page.locator('section[data-role="tenant-admin"]')).to_have_count(0)
    assert role_sections(page) == ["task-worker"]
    expect(page.locator("#main-nav .nav-link")).to_have_text(["Home", "Tasks", "API docs"])


def test_a_tenant_admin_sees_the_admin_section_and_reaches_the_users(page: Page, live_platform: LivePlatform) -> None:
    sign_in(page, live_platform, "admin", "admin-demo-pass")

    expect(page).to_have_url(live_platform.url(ACME, HOME_PATH))
    expect(page.locator('section[data-role="tenant-admin"]')).to_be_visible()
    assert role_sections(page) == ["tenant-admin"]
    expect(page.locator("#main-nav .nav-link")).to_have_text(
        ["Home", "Tasks", "Designer", "API docs", "Users", "Admin"]
    )

    page.locator("#main-nav").get_by_role("link", name="Users").click()

    expect(page).to_have_url(live_platform.url(ACME, "/admin/auth/user/"))
    expect(page.get_by_role("link", name="worker", exact=True)).to_be_visible()


def test_a_wrong_password_shows_the_error_and_stays_on_the_login_page(page: Page, live_platform: LivePlatform) -> None:
    sign_in(page, live_platform, "worker", "not-the-password")

    expect(page).to_have_url(live_platform.url(ACME, LOGIN_PATH))
    expect(page.get_by_role("alert")).to_have_text(
        "Please enter a correct username and password. Note that both fields may be case-sensitive."
    )
    expect(page.get_by_label("Username")).to_have_value("worker")
    expect(page.get_by_label("Password")).to_have_value("")


def test_the_live_status_connects_as_the_signed_in_user(page: Page, live_platform: LivePlatform) -> None:
    sign_in(page, live_platform, "worker", "worker-demo-pass")

    status = page.locator("#live-status")
    expect(status).to_have_text("Live connection: connected as worker@acme")
    expect(status).to_have_attribute("data-state", "connected")


def test_the_api_docs_render_swagger_ui_from_local_assets(page: Page, live_platform: LivePlatform) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto(live_platform.url(ACME, "/api/docs/"))

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("APG Workflow & BPM API")
    expect(page.locator('.opblock-summary-path[data-path="/api/v1/me/"]')).to_be_visible()
    origin = live_platform.url(ACME, "/")
    assert [url for url in requested if not url.startswith(origin) and not url.startswith("data:")] == []


def test_sign_out_returns_to_the_login_page(page: Page, live_platform: LivePlatform) -> None:
    sign_in(page, live_platform, "operator", "operator-demo-pass")
    expect(page).to_have_url(live_platform.url(ACME, HOME_PATH))

    page.get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(live_platform.url(ACME, LOGIN_PATH))
    page.goto(live_platform.url(ACME, HOME_PATH))
    expect(page).to_have_url(live_platform.url(ACME, f"{LOGIN_PATH}?next={HOME_PATH}"))
