"""Webhooks: an integrator's URL that receives the tenant's events, signed, at least once.

The relay (``outbox``) adds one delivery row per (webhook, event). A worker claims due rows
under a lease (``FOR UPDATE SKIP LOCKED``, as jobs are claimed), posts each event outside any
transaction, then records the answer if its lease still holds: a 2xx is delivered; anything
else (another status, a timeout, a refused connection) is tried again after a wait that doubles
from ``APG_WEBHOOK_RETRY_SECONDS`` up to ``APG_WEBHOOK_RETRY_MAX_SECONDS``, until
``APG_WEBHOOK_MAX_ATTEMPTS`` attempts failed; then the delivery is ``failed`` until an operator
redelivers it. A worker that dies mid-post leaves its lease to expire and the post to be made
again: receivers deduplicate by ``X-APG-Event-Id``.

The body is the event's JSON; ``X-APG-Signature: sha256=<hex>`` is the HMAC-SHA256 of the raw
body with the webhook's secret. Unless ``APG_WEBHOOK_ALLOW_PRIVATE``, a URL whose host is (or
resolves to) a loopback, private, link-local or otherwise non-public address is refused, when
it is saved and again before each post.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.db import connection, transaction

from apps.engine import clock
from apps.engine.models import DeliveryStatus, OutboxEvent, Webhook, WebhookDelivery
from apps.engine.services import outbox

logger = logging.getLogger(__name__)

DELIVERY_BATCH = 20
TASK_SECONDS = 10.0
SECRET_BYTES = 32
USER_AGENT = "APG-Webhooks/1"
ERROR_LIMIT = 2000


class WebhookInvalid(ValueError):
    """A webhook's field cannot be accepted; ``field`` names it. Nothing was saved."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class AddressRefused(ValueError):
    """The URL's host is not a public address (and APG_WEBHOOK_ALLOW_PRIVATE is off)."""


# --- Managing webhooks.


def check_url(url: str) -> None:
    """Refuse a URL that is not http(s) with a host, or names a non-public address literally."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookInvalid("url", "Give an http:// or https:// URL with a host.")
    if parts.username or parts.password:
        raise WebhookInvalid("url", "Put no user name or password in the URL; the secret signs each delivery.")
    if not settings.APG_WEBHOOK_ALLOW_PRIVATE:
        try:
            _check_addresses(parts.hostname, [parts.hostname] if _is_address(parts.hostname) else [])
        except AddressRefused as refused:
            raise WebhookInvalid("url", str(refused)) from refused


def check_event_types(event_types: Sequence[str]) -> list[str]:
    """The filters, each a known event type or a known prefix with ``.*`` (``instance.*``)."""
    prefixes = {kind.split(".")[0] for kind in outbox.EVENT_TYPES}
    for kind in event_types:
        known = kind in outbox.EVENT_TYPES or (kind.endswith(".*") and kind[:-2] in prefixes)
        if not known:
            raise WebhookInvalid("event_types", f"Unknown event type {kind!r}.")
    return list(dict.fromkeys(event_types))


def create_webhook(
    *, url: str, secret: str = "", event_types: Sequence[str] = (), description: str = "", actor: str
) -> Webhook:
    """Register a webhook; without a secret one is made (the caller shows it once)."""
    check_url(url)
    return Webhook.objects.create(
        url=url,
        secret=secret or secrets.token_urlsafe(SECRET_BYTES),
        event_types=check_event_types(event_types),
        description=description,
        created_by=actor,
    )


def update_webhook(webhook: Webhook, changes: dict[str, Any]) -> Webhook:
    """Change the given fields (url, secret, event_types, is_active, description)."""
    if "url" in changes:
        check_url(changes["url"])
    if "event_types" in changes:
        changes["event_types"] = check_event_types(changes["event_types"])
    for name, value in changes.items():
        setattr(webhook, name, value)
    webhook.save(update_fields=list(changes))
    return webhook


def redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send the delivery's event again, with a fresh set of attempts, now."""
    WebhookDelivery.objects.filter(id=delivery.id).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=clock.now(), lock_token=None, locked_until=None
    )
    outbox.send_after_commit("deliver_webhooks")
    delivery.refresh_from_db()
    return delivery


# --- Delivering.


@dataclass(frozen=True)
class Claimed:
    id: uuid.UUID
    lock_token: uuid.UUID


def lease() -> timedelta:
    """Long enough for one post to time out, with room to record it."""
    return timedelta(seconds=2 * settings.APG_WEBHOOK_TIMEOUT_SECONDS + 30)


def claim_due(limit: int) -> list[Claimed]:
    """Lease up to ``limit`` due deliveries of the tenant, the longest due first (own transaction)."""
    now_sql, now_parameters = clock.sql_now()
    token = uuid.uuid4()
    table = WebhookDelivery._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET lock_token = %s, locked_until = {now_sql} + %s "  # noqa: S608
            f"WHERE id IN (SELECT id FROM {table} WHERE status = %s AND next_attempt_at <= {now_sql} "
            f"AND (locked_until IS NULL OR locked_until < {now_sql}) "
            "ORDER BY next_attempt_at, event_id LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING id, event_id",
            [token, *now_parameters, lease(), DeliveryStatus.PENDING, *now_parameters, *now_parameters, limit],
        )
        # RETURNING keeps no order: the first attempts go out in the order the events happened.
        return [Claimed(row[0], token) for row in sorted(cursor.fetchall(), key=lambda row: row[1])]


def deliver_due(limit: int = DELIVERY_BATCH, seconds: float = TASK_SECONDS) -> int:
    """Claim and send due deliveries, batch after batch, for up to ``seconds``; how many were sent."""
    deadline = time.monotonic() + seconds
    sent = 0
    while claimed := claim_due(limit):
        for delivery in claimed:
            send(delivery)
        sent += len(claimed)
        if time.monotonic() >= deadline:
            break
    return sent


def body_of(event: OutboxEvent) -> bytes:
    """The raw body a webhook receives for ``event`` (what the signature signs)."""
    return json.dumps(outbox.envelope(connection.schema_name, event), separators=(",", ":")).encode()


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send(claimed: Claimed) -> DeliveryStatus | None:
    """Post one claimed delivery and record the outcome; None if the lease was lost meanwhile."""
    delivery = WebhookDelivery.objects.select_related("webhook").filter(id=claimed.id).first()
    event = OutboxEvent.objects.filter(id=delivery.event_id).first() if delivery is not None else None
    if delivery is None or delivery.lock_token != claimed.lock_token:
        return None
    if event is None:  # purged while it waited: nothing left to send
        return _record(claimed, None, "The event was purged by the retention.", permanent=True)
    body = body_of(event)
    webhook = delivery.webhook
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-APG-Event-Id": str(event.id),
        "X-APG-Event-Type": event.type,
        "X-APG-Delivery-Id": str(delivery.id),
        "X-APG-Tenant": connection.schema_name,
        "X-APG-Timestamp": str(int(clock.now().timestamp())),
        "X-APG-Signature": signature(webhook.secret, body),
    }
    try:
        if not settings.APG_WEBHOOK_ALLOW_PRIVATE:
            _check_public(webhook.url)
        response = httpx.post(
            webhook.url,
            content=body,
            headers=headers,
            timeout=settings.APG_WEBHOOK_TIMEOUT_SECONDS,
            follow_redirects=False,
        )
    except AddressRefused as refused:
        return _record(claimed, None, str(refused), permanent=True)
    except httpx.HTTPError as error:
        return _record(claimed, None, f"{type(error).__name__}: {error}")
    if 200 <= response.status_code < 300:
        return _record(claimed, response.status_code, "")
    return _record(claimed, response.status_code, f"The receiver answered {response.status_code}.")


def retry_delay(attempts: int) -> timedelta:
    """The wait after ``attempts`` failed attempts: doubling from the first, up to the cap."""
    seconds = settings.APG_WEBHOOK_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.APG_WEBHOOK_RETRY_MAX_SECONDS))


def _record(claimed: Claimed, status_code: int | None, error: str, *, permanent: bool = False) -> DeliveryStatus | None:
    """Record an attempt if the lease still holds (the fence); the delivery's new status."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update().filter(id=claimed.id, lock_token=claimed.lock_token).first()
        )
        if delivery is None:
            return None
        now = clock.now()
        delivery.attempts += 1
        delivery.response_status, delivery.last_error = status_code, error[:ERROR_LIMIT]
        delivery.lock_token, delivery.locked_until = None, None
        if not error:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = DeliveryStatus.DELIVERED, now, None
        elif permanent or delivery.attempts >= settings.APG_WEBHOOK_MAX_ATTEMPTS:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
            logger.warning("webhook delivery %s failed for good: %s", delivery.id, error)
        else:
            delivery.next_attempt_at = now + retry_delay(delivery.attempts)
        delivery.save(
            update_fields=[
                "attempts",
                "response_status",
                "last_error",
                "lock_token",
                "locked_until",
                "status",
                "delivered_at",
                "next_attempt_at",
            ]
        )
    return DeliveryStatus(delivery.status)


# --- Addresses.


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _check_public(url: str) -> None:
    host = urlsplit(url).hostname or ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
    except OSError as error:
        raise httpx.ConnectError(f"Cannot resolve {host}: {error}") from error
    _check_addresses(host, sorted(addresses))


def _check_addresses(host: str, addresses: Sequence[str]) -> None:
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        raise AddressRefused(f"{host} is a local address; webhooks go to public addresses only.")
    for text in addresses:
        address = ipaddress.ip_address(text.split("%")[0])
        if not address.is_global or address.is_multicast:
            raise AddressRefused(f"{host} is a non-public address ({address}); webhooks go to public addresses only.")
