"""Webhooks through the API: registered by admins and operators, each tenant's own; events are
posted to a real HTTP server on 127.0.0.1, signed, and retried with backoff until they fail."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import override_settings
from django_tenants.utils import schema_context

from apps.engine import clock
from apps.engine.models import DeliveryStatus, OutboxEvent, Webhook, WebhookDelivery
from apps.engine.services import outbox, webhooks
from tests.api.helpers import assert_problem
from tests.conftest import TenantInfo
from tests.engine.api.test_engine_api import XML, client_as, model

WEBHOOKS = "/api/v1/webhooks/"
SECRET = "a-secret-of-the-integrator"


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1 that answers ``status`` and keeps what it received."""

    status: int = 204
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append(({name.lower(): value for name, value in self.headers.items()}, body))
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def register(info: TenantInfo, **fields: Any) -> dict[str, Any]:
    response = client_as(info, "operator").post(WEBHOOKS, fields, format="json")
    assert response.status_code == 201, response.json()
    return response.json()  # type: ignore[no-any-return]


def start_straight_instance(info: TenantInfo) -> str:
    client_as(info, "designer").post("/api/v1/deployments/", model("straight_scripts"), content_type=XML)
    started = client_as(info, "worker").post(
        "/api/v1/process-definitions/key/straight_scripts/start/", {"variables": {"count": 0}}, format="json"
    )
    assert started.status_code == 201, started.json()
    return str(started.json()["id"])


def test_an_operator_registers_a_webhook_and_its_secret_is_never_shown(alpha: TenantInfo) -> None:
    created = register(alpha, url="https://hooks.example.com/apg", secret=SECRET, event_types=["instance.*"])

    assert created["secret"] == SECRET  # the answer to the create shows it, this once
    shown = client_as(alpha, "operator").get(f"{WEBHOOKS}{created['id']}/").json()
    assert shown == {
        "id": created["id"],
        "url": "https://hooks.example.com/apg",
        "event_types": ["instance.*"],
        "is_active": True,
        "description": "",
        "created_by": "operator",
        "created_at": created["created_at"],
    }
    listed = client_as(alpha, "admin").get(WEBHOOKS).json()
    assert [webhook["id"] for webhook in listed] == [created["id"]] and "secret" not in listed[0]


def test_without_a_secret_one_is_made_and_shown_once(alpha: TenantInfo) -> None:
    created = register(alpha, url="https://hooks.example.com/apg")

    with schema_context(alpha.schema):
        stored = Webhook.objects.get(id=created["id"])
    assert len(created["secret"]) >= 40 and stored.secret == created["secret"]


def test_a_change_keeps_the_secret_unless_given_and_a_delete_removes_the_webhook(alpha: TenantInfo) -> None:
    created = register(alpha, url="https://hooks.example.com/apg", secret=SECRET)
    operator = client_as(alpha, "operator")

    changed = operator.patch(
        f"{WEBHOOKS}{created['id']}/", {"is_active": False, "description": "paused"}, format="json"
    )

    assert changed.status_code == 200, changed.json()
    assert (changed.json()["is_active"], changed.json()["description"]) == (False, "paused")
    with schema_context(alpha.schema):
        assert Webhook.objects.get(id=created["id"]).secret == SECRET
    assert operator.delete(f"{WEBHOOKS}{created['id']}/").status_code == 204
    with schema_context(alpha.schema):
        assert not Webhook.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field_named"),
    [
        ({"url": "ftp://hooks.example.com/"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "https://user:pw@hooks.example.com/"}, "url"),
        ({"url": "https://hooks.example.com/", "event_types": ["instance.exploded"]}, "event_types"),
        ({"url": "https://hooks.example.com/", "secret": "short"}, "secret"),
        ({}, "url"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_saved(
    alpha: TenantInfo, fields: dict[str, Any], field_named: str
) -> None:
    response = client_as(alpha, "operator").post(WEBHOOKS, fields, format="json")

    body = assert_problem(response, 400, "validation_error")
    assert list(body["errors"]) == [field_named]
    with schema_context(alpha.schema):
        assert not Webhook.objects.exists()


@override_settings(APG_WEBHOOK_ALLOW_PRIVATE=False)
@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/", "http://10.1.2.3/", "http://[::1]/", "http://localhost/"])
def test_private_addresses_are_refused_unless_allowed(alpha: TenantInfo, url: str) -> None:
    response = client_as(alpha, "operator").post(WEBHOOKS, {"url": url}, format="json")

    body = assert_problem(response, 400, "validation_error")
    assert "public addresses only" in body["errors"]["url"][0]
    with schema_context(alpha.schema):
        assert not Webhook.objects.exists()


def test_only_admins_and_operators_manage_webhooks(alpha: TenantInfo) -> None:
    for username in ("worker", "designer"):
        client = client_as(alpha, username)
        assert_problem(
            client.post(WEBHOOKS, {"url": "https://hooks.example.com/"}, format="json"), 403, "permission_denied"
        )
        assert_problem(client.get(WEBHOOKS), 403, "permission_denied")
    with schema_context(alpha.schema):
        assert not Webhook.objects.exists()


def test_a_tenant_never_sees_another_tenants_webhooks(alpha: TenantInfo, beta: TenantInfo) -> None:
    created = register(alpha, url="https://hooks.example.com/alpha", secret=SECRET)
    beta_admin = client_as(beta, "admin")

    assert beta_admin.get(WEBHOOKS).json() == []
    assert_problem(beta_admin.get(f"{WEBHOOKS}{created['id']}/"), 404, "not_found")
    assert_problem(beta_admin.get(f"{WEBHOOKS}{created['id']}/deliveries/"), 404, "not_found")
    assert_problem(beta_admin.delete(f"{WEBHOOKS}{created['id']}/"), 404, "not_found")
    with schema_context(alpha.schema):
        assert Webhook.objects.filter(id=created["id"]).exists()


def test_a_webhook_receives_each_event_it_asked_for_signed_with_its_secret(
    alpha: TenantInfo, receiver: Receiver
) -> None:
    created = register(alpha, url=receiver.url, secret=SECRET, event_types=["instance.*", "variables.changed"])
    instance_id = start_straight_instance(alpha)
    with schema_context(alpha.schema):
        outbox.relay_all()
        webhooks.deliver_due()

    ours = [(headers, body) for headers, body in receiver.received if json.loads(body)["instance_id"] == instance_id]
    assert [json.loads(body)["type"] for _, body in ours] == [
        "instance.started",
        "variables.changed",
        "instance.completed",
    ]
    for headers, body in ours:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["x-apg-signature"], expected)
        event = json.loads(body)
        assert headers["x-apg-event-id"] == str(event["id"])
        assert headers["x-apg-event-type"] == event["type"]
        assert headers["x-apg-tenant"] == "alpha" == event["tenant"]
        assert headers["content-type"] == "application/json"
        assert int(headers["x-apg-timestamp"]) > 0
    log = client_as(alpha, "operator").get(f"{WEBHOOKS}{created['id']}/deliveries/").json()["results"]
    mine = [entry for entry in log if entry["event"] in {json.loads(body)["id"] for _, body in ours}]
    assert [(entry["status"], entry["attempts"], entry["response_status"]) for entry in mine] == [
        ("delivered", 1, 204)
    ] * 3
    assert [entry["event_type"] for entry in mine] == ["instance.completed", "variables.changed", "instance.started"]


@override_settings(APG_WEBHOOK_MAX_ATTEMPTS=3, APG_WEBHOOK_RETRY_SECONDS=30)
def test_a_failing_webhook_is_retried_with_a_doubling_wait_then_fails_and_can_be_redelivered(
    alpha: TenantInfo, receiver: Receiver
) -> None:
    receiver.status = 500
    created = register(alpha, url=receiver.url, secret=SECRET, event_types=["instance.completed"])
    start_straight_instance(alpha)
    with schema_context(alpha.schema):
        outbox.relay_all()
        delivery = WebhookDelivery.objects.get(webhook_id=created["id"])

        def attempt() -> int:
            return webhooks.deliver_due()

        assert attempt() == 1
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.response_status) == (DeliveryStatus.PENDING, 1, 500)
        assert delivery.last_error == "The receiver answered 500."
        first_retry = delivery.next_attempt_at
        assert attempt() == 0  # not due yet: nobody waits by sleeping
        clock.advance(timedelta(seconds=29))
        assert attempt() == 0
        clock.advance(timedelta(seconds=2))
        assert attempt() == 1
        delivery.refresh_from_db()
        assert delivery.attempts == 2 and delivery.next_attempt_at is not None and first_retry is not None
        assert delivery.next_attempt_at - clock.now() > timedelta(seconds=59)  # 60 s: the wait doubled
        clock.advance(timedelta(seconds=61))
        assert attempt() == 1
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.FAILED, 3, None)
        clock.advance(timedelta(hours=1))
        assert attempt() == 0  # failed for good
    assert len(receiver.received) == 3

    receiver.status = 200
    redelivered = client_as(alpha, "operator").post(
        f"{WEBHOOKS}{created['id']}/deliveries/{delivery.id}/redeliver/", format="json"
    )
    assert redelivered.status_code == 200, redelivered.json()
    assert (redelivered.json()["status"], redelivered.json()["attempts"]) == ("pending", 0)
    with schema_context(alpha.schema):
        assert webhooks.deliver_due() == 1
        delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (DeliveryStatus.DELIVERED, 1, 200)
    failed_only = client_as(alpha, "operator").get(f"{WEBHOOKS}{created['id']}/deliveries/?status=failed")
    assert failed_only.json()["results"] == []
    assert_problem(
        client_as(alpha, "operator").get(f"{WEBHOOKS}{created['id']}/deliveries/?status=lost"), 400, "validation_error"
    )


def test_an_inactive_webhook_gets_no_deliveries(alpha: TenantInfo, receiver: Receiver) -> None:
    created = register(alpha, url=receiver.url, secret=SECRET)
    client_as(alpha, "operator").patch(f"{WEBHOOKS}{created['id']}/", {"is_active": False}, format="json")
    start_straight_instance(alpha)
    with schema_context(alpha.schema):
        outbox.relay_all()
        assert OutboxEvent.objects.filter(relayed_at=None).count() == 0
        assert not WebhookDelivery.objects.exists()
        assert webhooks.deliver_due() == 0
    assert receiver.received == []


def test_operators_add_webhooks_and_redeliver_in_the_admin_and_the_secret_is_never_shown(alpha: TenantInfo) -> None:
    from tests.tenancy.test_routing import login

    operator = login(alpha, "operator")
    added = operator.post(
        "/admin/engine/webhook/add/",
        {
            "url": "https://hooks.example.com/admin",
            "secret": SECRET,
            "event_types": "instance.*, incident.created",
            "is_active": "on",
            "description": "from the admin",
        },
    )
    assert added.status_code == 302, added.content
    with schema_context(alpha.schema):
        webhook = Webhook.objects.get()
    assert (webhook.secret, webhook.event_types, webhook.created_by) == (
        SECRET,
        ["instance.*", "incident.created"],
        "operator",
    )
    page = operator.get(f"/admin/engine/webhook/{webhook.id}/change/")
    assert page.status_code == 200 and SECRET.encode() not in page.content
    refused = operator.post(
        "/admin/engine/webhook/add/", {"url": "https://hooks.example.com/", "event_types": "instance.exploded"}
    )
    assert refused.status_code == 200 and b"Unknown event type" in refused.content

    start_straight_instance(alpha)
    with schema_context(alpha.schema):
        outbox.relay_all()
        delivery = WebhookDelivery.objects.filter(webhook=webhook).order_by("event_id").first()
        assert delivery is not None
        WebhookDelivery.objects.filter(id=delivery.id).update(status=DeliveryStatus.FAILED, attempts=8)
    log = operator.get("/admin/engine/webhookdelivery/")
    assert log.status_code == 200 and b"Send the selected deliveries again" in log.content
    sent_again = operator.post(
        "/admin/engine/webhookdelivery/", {"action": "redeliver", "_selected_action": [str(delivery.id)]}, follow=True
    )
    assert b"1 deliveries will be sent again." in sent_again.content
    with schema_context(alpha.schema):
        delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)

    assert login(alpha, "worker").get("/admin/engine/webhook/").status_code in (302, 403)
