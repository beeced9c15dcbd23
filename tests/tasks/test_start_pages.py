"""The start pages: the processes a person can start by hand, and each one's start form page."""

from __future__ import annotations

from tests.conftest import TenantInfo, tenant_client
from tests.engine.api.test_engine_api import client_as
from tests.tasks.test_start_forms import MESSAGE_START, approval, deployed, submit
from tests.tasks.test_task_pages import signed_in, text_of


def test_the_list_shows_the_latest_version_of_each_process_started_by_hand(alpha: TenantInfo) -> None:
    first = approval(alpha)
    deployed(alpha, MESSAGE_START)

    page = signed_in(alpha, "worker").get("/tasks/start/")

    assert page.status_code == 200
    assert page.content.count(b'data-testid="startable"') == 1
    assert f'href="/tasks/start/{first}/"'.encode() in page.content
    assert b"by_message" not in page.content


def test_the_start_page_names_the_forms_api_and_the_list_says_what_was_started(alpha: TenantInfo) -> None:
    definition_id = approval(alpha)
    worker = signed_in(alpha, "worker")

    page = worker.get(f"/tasks/start/{definition_id}/")
    started = submit(
        client_as(alpha, "worker"), definition_id, {"variables": {"subject": "Chairs"}, "business_key": "REQ-9"}
    )
    listed = worker.get(f"/tasks/start/?started={started.json()['id']}")

    assert f'data-form-url="/api/v1/process-definitions/{definition_id}/start-form/"'.encode() in page.content
    assert f'data-complete-url="/api/v1/process-definitions/{definition_id}/submit-form/"'.encode() in page.content
    assert "Started Approval (REQ-9)." in text_of(listed)
    assert b'data-testid="started"' not in worker.get("/tasks/start/?started=not-an-id").content


def test_a_process_started_by_events_or_of_another_tenant_has_no_start_page(
    alpha: TenantInfo, beta: TenantInfo
) -> None:
    by_message = deployed(alpha, MESSAGE_START)
    theirs = approval(beta)
    worker = signed_in(alpha, "worker")

    assert worker.get(f"/tasks/start/{by_message}/").status_code == 404
    assert worker.get(f"/tasks/start/{theirs}/").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(alpha: TenantInfo) -> None:
    response = tenant_client(alpha).get("/tasks/start/")

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
