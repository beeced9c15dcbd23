"""The /ws/ping/ consumer in-process, against the project's ASGI application and Redis channel layer.

The consumer's database calls run in worker threads on connections of their own, so
everything they read is committed: the session's tenants and a session row made below.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from channels_redis.core import RedisChannelLayer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import connection, connections
from django.test import Client
from django_tenants.utils import schema_context

from apg_wbpm.asgi import application
from apps.collab.consumers import CLOSE_UNAUTHENTICATED
from apps.tenancy.channels import run_in_tenant
from tests.conftest import Platform, TenantInfo, access_token

pytestmark = pytest.mark.asyncio

CONNECT_SECONDS = 10


def communicator(
    host: str, query: str = "", headers: list[tuple[bytes, bytes]] | None = None, **kwargs: Any
) -> WebsocketCommunicator:
    """A connection to /ws/ping/ as a browser on ``host`` would open it (Host and Origin headers)."""
    path = f"/ws/ping/?{query}" if query else "/ws/ping/"
    base = [(b"host", host.encode()), (b"origin", f"http://{host}".encode())]
    return WebsocketCommunicator(application, path, headers=base + (headers or []), **kwargs)


async def ping(connection: WebsocketCommunicator, echo: str) -> dict[str, Any]:
    await connection.send_json_to({"type": "ping", "echo": echo})
    return await connection.receive_json_from(timeout=CONNECT_SECONDS)


async def assert_refused_as_unauthenticated(connection: WebsocketCommunicator) -> None:
    """Accepted, then closed with 4401 (a code a browser can see), and nothing else sent."""
    connected, _ = await connection.connect(timeout=CONNECT_SECONDS)
    assert connected
    assert await connection.receive_output(timeout=CONNECT_SECONDS) == {
        "type": "websocket.close",
        "code": CLOSE_UNAUTHENTICATED,
    }
    await connection.send_json_to({"type": "ping"})  # sent before the close arrived
    assert await connection.receive_nothing()


@pytest_asyncio.fixture(autouse=True)
async def _close_consumer_connections() -> Any:
    """Consumers keep a connection in the database thread; close it so the test database can go."""
    yield
    await database_sync_to_async(connections.close_all)()


@pytest.fixture(scope="module")
def alice_session_cookie(platform: Platform, django_db_blocker: Any) -> Iterator[str]:
    """The session cookie of alice logged in on alpha, committed so consumer threads can read it."""
    alpha = platform.alpha
    with django_db_blocker.unblock(), schema_context(alpha.schema):
        client = Client(HTTP_HOST=alpha.host)
        assert client.login(username="alice", password=alpha.password("alice"))
        session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    yield session_key
    with django_db_blocker.unblock(), schema_context(alpha.schema):
        Session.objects.filter(session_key=session_key).delete()


def cookie_header(session_key: str) -> list[tuple[bytes, bytes]]:
    return [(b"cookie", f"{settings.SESSION_COOKIE_NAME}={session_key}".encode())]


async def test_the_pong_travels_through_the_redis_channel_layer() -> None:
    layer = get_channel_layer()
    assert isinstance(layer, RedisChannelLayer)
    assert layer.prefix == f"{settings.REDIS_NAMESPACE}:asgi"


async def test_a_token_in_the_query_connects_and_the_pong_names_tenant_and_user(alpha: TenantInfo) -> None:
    token = await sync_to_async(access_token)(alpha, "alice")
    connection = communicator(alpha.host, f"token={token}")

    connected, subprotocol = await connection.connect(timeout=CONNECT_SECONDS)
    assert (connected, subprotocol) == (True, None)
    try:
        assert await ping(connection, "hello") == {"type": "pong", "tenant": "alpha", "user": "alice", "echo": "hello"}
    finally:
        await connection.disconnect()


async def test_a_bearer_subprotocol_connects_and_is_chosen(beta: TenantInfo) -> None:
    token = await sync_to_async(access_token)(beta, "bob")
    connection = communicator(beta.host, subprotocols=["bearer", token])

    connected, subprotocol = await connection.connect(timeout=CONNECT_SECONDS)
    # a browser drops a connection whose answer names none of the subprotocols it offered
    assert (connected, subprotocol) == (True, "bearer")
    try:
        assert await ping(connection, "hi") == {"type": "pong", "tenant": "beta", "user": "bob", "echo": "hi"}
    finally:
        await connection.disconnect()


async def test_the_session_cookie_of_a_logged_in_user_connects(alpha: TenantInfo, alice_session_cookie: str) -> None:
    connection = communicator(alpha.host, headers=cookie_header(alice_session_cookie))

    connected, _ = await connection.connect(timeout=CONNECT_SECONDS)
    assert connected
    try:
        assert await ping(connection, "cookie") == {
            "type": "pong",
            "tenant": "alpha",
            "user": "alice",
            "echo": "cookie",
        }
    finally:
        await connection.disconnect()


async def test_other_messages_get_an_error_not_a_pong(alpha: TenantInfo) -> None:
    token = await sync_to_async(access_token)(alpha, "alice")
    connection = communicator(alpha.host, f"token={token}")
    await connection.connect(timeout=CONNECT_SECONDS)
    try:
        await connection.send_to(text_data="not json")
        assert (await connection.receive_json_from(timeout=CONNECT_SECONDS))["code"] == "unknown_message"
        assert await connection.receive_nothing()
    finally:
        await connection.disconnect()


async def test_anonymous_is_refused(alpha: TenantInfo) -> None:
    await assert_refused_as_unauthenticated(communicator(alpha.host))


async def test_a_token_from_another_tenant_is_refused(alpha: TenantInfo, beta: TenantInfo) -> None:
    alpha_token = await sync_to_async(access_token)(alpha, "alice")
    await assert_refused_as_unauthenticated(communicator(beta.host, f"token={alpha_token}"))


async def test_a_session_cookie_from_another_tenant_is_refused(beta: TenantInfo, alice_session_cookie: str) -> None:
    await assert_refused_as_unauthenticated(communicator(beta.host, headers=cookie_header(alice_session_cookie)))


async def test_a_garbled_token_is_refused(alpha: TenantInfo) -> None:
    await assert_refused_as_unauthenticated(communicator(alpha.host, "token=not-a-jwt"))


async def test_the_public_site_has_no_websocket_users(platform: Platform, db: None) -> None:
    token = await sync_to_async(access_token)(platform.alpha, "alice")
    await assert_refused_as_unauthenticated(communicator("localhost", f"token={token}"))


async def test_an_unknown_host_is_denied(alpha: TenantInfo) -> None:
    token = await sync_to_async(access_token)(alpha, "alice")
    connection = communicator("nowhere.localhost", f"token={token}")

    connected, _ = await connection.connect(timeout=CONNECT_SECONDS)
    assert connected is False


async def test_a_foreign_origin_is_denied(alpha: TenantInfo) -> None:
    token = await sync_to_async(access_token)(alpha, "alice")
    connection = WebsocketCommunicator(
        application,
        f"/ws/ping/?token={token}",
        headers=[(b"host", alpha.host.encode()), (b"origin", b"https://evil.example")],
    )

    connected, _ = await connection.connect(timeout=CONNECT_SECONDS)
    assert connected is False


def usernames() -> list[str]:
    return sorted(get_user_model().objects.values_list("username", flat=True))


async def test_run_in_tenant_reads_only_that_tenant_and_leaves_the_thread_public(platform: Platform, db: None) -> None:
    in_alpha = await database_sync_to_async(run_in_tenant)(platform.alpha.tenant, usernames)
    in_beta = await database_sync_to_async(run_in_tenant)(platform.beta.tenant, usernames)
    schema_after = await database_sync_to_async(lambda: connection.schema_name)()

    assert "alice" in in_alpha and "bob" not in in_alpha
    assert "bob" in in_beta and "alice" not in in_beta
    assert schema_after == "public"
