"""Browser fixtures: Debian's Chromium driven by Playwright's sync API, a fresh context per test.

Playwright never downloads a browser here; ``make test`` installs /usr/bin/chromium.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connections
from playwright.sync_api import Browser, Error, Page, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Generous for a loaded CI machine; passing expectations return as soon as they hold.
TIMEOUT_MS = 15_000

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Chromium for the tests of this folder only.

    Playwright's sync API keeps an event loop marked as running in this thread while it
    is open: Django then refuses database calls (the tests' transactions) unless told
    that this is fine, and pytest-asyncio cannot start loops of its own. So the browser
    and that permission last as long as this folder's tests and no longer.

    While that loop runs, Django keeps the database connections of this thread apart from
    the usual ones; they are closed here, or the test database could not be dropped.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                yield browser
            finally:
                browser.close()
                connections.close_all()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a context of its own (no cookies shared between tests); script errors fail the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    script_errors: list[Error] = []
    page.on("pageerror", lambda error: script_errors.append(error))
    try:
        yield page
    finally:
        context.close()
    assert script_errors == [], f"errors in the page's scripts: {script_errors}"
