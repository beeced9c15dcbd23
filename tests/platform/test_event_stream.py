"""Events out through the real stack: a committed step wakes a Celery worker process, which
relays the events to the tenant's WebSocket listeners (and no other tenant's) and posts them
to a webhook; a lost wake-up is made up by the beat's poll.

The WebSocket side runs in-process against the project's ASGI application and the Redis
channel layer the worker publishes to; the receiver of the webhook is an HTTP server on
127.0.0.1 in a thread of this process.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections

from apg_wbpm.asgi import application
from apps.engine.consumers import CLOSE_BAD_REQUEST, CLOSE_UNAUTHENTICATED
from apps.engine.models import OutboxEvent, ProcessInstance, Token, Webhook, WebhookDelivery
from apps.engine.services import outbox, wake_marks
from apps.engine.services.deployments import deploy
from apps.engine.services.instances import complete_wait, start_instance
from tests.conftest import Platform, TenantInfo, access_token
from tests.engine.api.test_webhooks import Receiver, receiver  # noqa: F401 - the fixture
from tests.engine.runtime.harness import MODELS
from tests.engine.runtime.test_concurrency import drop_processes, in_threads
from tests.platform.conftest import Worker
from tests.platform.test_jobs import eventually

RECEIVE_SECONDS = 30
SECRET = "the-stream-test-secret"


@pytest_asyncio.fixture(autouse=True)
async def _close_consumer_connections() -> Any:
    yield
    await database_sync_to_async(connections.close_all)()


def stream(info: TenantInfo, token: str, query: str = "") -> WebsocketCommunicator:
    path = f"/ws/engine/events/?token={token}" + (f"&{query}" if query else "")
    headers = [(b"host", info.host.encode()), (b"origin", f"http://{info.host}".encode())]
    return WebsocketCommunicator(application, path, headers=headers)


async def connected(info: TenantInfo, username: str, query: str = "") -> WebsocketCommunicator:
    connection = stream(info, await sync_to_async(access_token)(info, username), query)
    ok, _ = await connection.connect(timeout=RECEIVE_SECONDS)
    assert ok
    greeting = await connection.receive_json_from(timeout=RECEIVE_SECONDS)
    assert greeting["type"] == "subscribed" and greeting["tenant"] == info.schema
    return connection


async def events_until(connection: WebsocketCommunicator, done: Callable[[list[dict[str, Any]]], bool]) -> list[Any]:
    received: list[dict[str, Any]] = []
    while not done(received):
        message = await connection.receive_json_from(timeout=RECEIVE_SECONDS)
        assert set(message) == {"type", "event"} and message["type"] == "event"
        received.append(message["event"])
    return received


def start_committed(
    schema: str, name: str = "straight_scripts", variables: dict[str, Any] | None = None
) -> ProcessInstance:
    def create() -> ProcessInstance:
        (definition,) = deploy((MODELS / f"{name}.bpmn").read_bytes()).definitions
        return start_instance(definition, variables if variables is not None else {"count": 0})

    (instance,) = in_threads(schema, create)
    return instance


@pytest.fixture
def cleanup(platform: Platform) -> Iterator[None]:
    yield
    in_threads(
        platform.alpha.schema,
        lambda: (drop_processes("straight_scripts", "user_task_decision"), Webhook.objects.all().delete()),
    )


def completed(instance: ProcessInstance) -> Callable[[list[dict[str, Any]]], bool]:
    return lambda received: any(
        event["type"] == "instance.completed" and event["instance_id"] == str(instance.id) for event in received
    )


@pytest.mark.asyncio
async def test_a_committed_step_reaches_its_tenants_stream_through_a_worker_and_no_other_tenants(
    platform: Platform, celery_worker: Worker, cleanup: None
) -> None:
    alpha, beta = platform.alpha, platform.beta
    alpha_stream = await connected(alpha, "alice")
    beta_stream = await connected(beta, "bob")
    try:
        instance = await sync_to_async(start_committed)(alpha.schema)
        received = await events_until(alpha_stream, completed(instance))

        mine = [event for event in received if event["instance_id"] == str(instance.id)]
        assert [event["type"] for event in mine][:2] == ["instance.started", "activity.started"]
        assert [event["type"] for event in mine][-2:] == ["variables.changed", "instance.completed"]
        assert [event["id"] for event in mine] == sorted(event["id"] for event in mine)
        assert {event["tenant"] for event in received} == {"alpha"}
        assert await beta_stream.receive_nothing(timeout=0.5)
    finally:
        await alpha_stream.disconnect()
        await beta_stream.disconnect()


@pytest.mark.asyncio
async def test_an_instance_stream_gets_that_instance_only(
    platform: Platform, celery_worker: Worker, cleanup: None
) -> None:
    alpha = platform.alpha
    watched = await sync_to_async(start_committed)(alpha.schema, "user_task_decision", {"requester": "ann"})
    watching = await connected(alpha, "alice", f"instance={watched.id}")
    try:
        other = await sync_to_async(start_committed)(alpha.schema)

        def decide() -> None:
            token = Token.objects.get(instance_id=watched.id)
            complete_wait(watched.id, str(token.id), {"decision": "yes"})

        await sync_to_async(in_threads)(alpha.schema, decide)
        received = await events_until(watching, completed(watched))

        assert other.id != watched.id
        assert {event["instance_id"] for event in received} == {str(watched.id)}
        # The start's events may come too, if the relay had not sent them before the stream opened.
        types = [event["type"] for event in received]
        assert types[-8:] == [
            "activity.completed",
            "user-task.completed",
            "activity.started",
            "activity.completed",
            "activity.started",
            "activity.completed",
            "variables.changed",
            "instance.completed",
        ]
        assert [event["id"] for event in received] == sorted(event["id"] for event in received)
    finally:
        await watching.disconnect()


@pytest.mark.asyncio
async def test_the_stream_refuses_anonymous_users_and_bad_instance_ids(alpha: TenantInfo) -> None:
    anonymous = WebsocketCommunicator(
        application,
        "/ws/engine/events/",
        headers=[(b"host", alpha.host.encode()), (b"origin", f"http://{alpha.host}".encode())],
    )
    ok, _ = await anonymous.connect(timeout=RECEIVE_SECONDS)
    assert ok
    assert await anonymous.receive_output(timeout=RECEIVE_SECONDS) == {
        "type": "websocket.close",
        "code": CLOSE_UNAUTHENTICATED,
    }

    token = await sync_to_async(access_token)(alpha, "alice")
    bad = stream(alpha, token, "instance=not-an-id")
    ok, _ = await bad.connect(timeout=RECEIVE_SECONDS)
    assert ok
    assert await bad.receive_output(timeout=RECEIVE_SECONDS) == {"type": "websocket.close", "code": CLOSE_BAD_REQUEST}


def test_a_worker_posts_signed_events_to_a_webhook_and_the_poll_makes_up_a_lost_wake_up(
    platform: Platform,
    celery_worker: Worker,
    receiver: Receiver,  # noqa: F811 - the fixture
    cleanup: None,
) -> None:
    schema = platform.alpha.schema

    def register() -> Webhook:
        return Webhook.objects.create(url=receiver.url, secret=SECRET, event_types=["instance.completed"])

    (webhook,) = in_threads(schema, register)

    def lost_wake_up() -> ProcessInstance:
        (definition,) = deploy((MODELS / "straight_scripts.bpmn").read_bytes()).definitions
        # A wake-up is marked queued, but its message was lost: the commit sends none.
        wake_marks.claim(outbox.OUTBOX, schema)
        try:
            return start_instance(definition, {"count": 0})
        finally:
            outbox.clear_wake_mark(schema)

    (instance,) = in_threads(schema, lost_wake_up)

    def waiting() -> int:
        return OutboxEvent.objects.filter(instance_id=instance.id, relayed_at=None).count()

    assert in_threads(schema, waiting)[0] == 17  # nobody was woken
    assert outbox.wake_pending_tenants().count(schema) == 1  # what beat's wake_event_relays does

    def delivered() -> list[str]:
        return list(WebhookDelivery.objects.filter(webhook=webhook).values_list("status", flat=True))

    eventually(schema, delivered, ["delivered"], celery_worker)
    assert in_threads(schema, waiting)[0] == 0
    (headers, body) = receiver.received[-1]
    assert json.loads(body)["type"] == "instance.completed" and json.loads(body)["instance_id"] == str(instance.id)
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["x-apg-signature"], expected)


def last_event_id(schema: str) -> int:
    (last,) = in_threads(schema, lambda: OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first())
    return last or 0


async def caught_up(connection: WebsocketCommunicator) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The events a catch-up sends, and its closing ``caught-up`` message."""
    events = []
    while True:
        message = await connection.receive_json_from(timeout=RECEIVE_SECONDS)
        if message["type"] == "caught-up":
            return events, message
        assert message["type"] == "event"
        events.append(message["event"])


@pytest.mark.asyncio
async def test_a_stream_that_reconnects_after_an_event_id_is_sent_what_it_missed_of_its_tenant_only(
    platform: Platform, cleanup: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    alpha, beta = platform.alpha, platform.beta
    before = await sync_to_async(last_event_id)(alpha.schema)
    instance = await sync_to_async(start_committed)(alpha.schema)  # no worker: nothing is relayed live
    kept = await sync_to_async(in_threads)(
        alpha.schema,
        lambda: list(OutboxEvent.objects.filter(id__gt=before).order_by("id").values_list("id", flat=True)),
    )
    kept_ids = kept[0]

    # From just before the instance's first event, so that nothing older counts as purged.
    everything = await connected(alpha, "alice", f"after={kept_ids[0] - 1}")
    events, end = await caught_up(everything)
    await everything.disconnect()
    assert [event["id"] for event in events] == kept_ids
    assert {event["instance_id"] for event in events} == {str(instance.id)}
    assert (events[0]["type"], events[-1]["type"]) == ("instance.started", "instance.completed")
    assert end == {"type": "caught-up", "last": kept_ids[-1], "complete": True}

    middle = kept_ids[len(kept_ids) // 2]
    rest = await connected(alpha, "alice", f"after={middle}&instance={instance.id}")
    events, end = await caught_up(rest)
    await rest.disconnect()
    assert [event["id"] for event in events] == [event_id for event_id in kept_ids if event_id > middle]

    monkeypatch.setattr("apps.engine.consumers.CATCH_UP_LIMIT", 2)
    limited = await connected(alpha, "alice", f"after={kept_ids[0] - 1}")
    events, end = await caught_up(limited)
    await limited.disconnect()
    assert [event["id"] for event in events] == kept_ids[:2]
    assert end == {"type": "caught-up", "last": kept_ids[1], "complete": False}

    stranger = await connected(beta, "bob", f"after={before}")
    events, end = await caught_up(stranger)
    await stranger.disconnect()
    assert str(instance.id) not in {event["instance_id"] for event in events}
    assert {event["tenant"] for event in events} <= {"beta"}


@pytest.mark.asyncio
async def test_an_after_that_is_not_an_event_id_is_refused(alpha: TenantInfo) -> None:
    token = await sync_to_async(access_token)(alpha, "alice")
    for after in ("-1", "abc", "1" * 20):
        bad = stream(alpha, token, f"after={after}")
        ok, _ = await bad.connect(timeout=RECEIVE_SECONDS)
        assert ok
        assert await bad.receive_output(timeout=RECEIVE_SECONDS) == {
            "type": "websocket.close",
            "code": CLOSE_BAD_REQUEST,
        }
