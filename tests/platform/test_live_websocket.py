"""/ws/ping/ end to end: a WebSocket client against the daphne that ``make run`` starts."""

from __future__ import annotations

import json

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosedError, InvalidStatus
from websockets.typing import Origin, Subprotocol

from apps.collab.consumers import CLOSE_UNAUTHENTICATED
from tests.live import LivePlatform

pytestmark = [pytest.mark.live, pytest.mark.asyncio]

DEMO_HOST = "acme.localhost"
RECEIVE_SECONDS = 10


def demo_token(live_platform: LivePlatform, username: str, password: str) -> str:
    with live_platform.client(DEMO_HOST) as client:
        response = client.post("/api/v1/auth/token/", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["access"])


def open_ping(
    live_platform: LivePlatform, host: str, query: str = "", subprotocols: list[str] | None = None
) -> connect:
    """Connect to loopback but name ``host`` in the Host header, with that site as the Origin."""
    site = f"{host}:{live_platform.port}"
    return connect(
        f"ws://{site}/ws/ping/{'?' + query if query else ''}",
        host="127.0.0.1",
        port=live_platform.port,
        origin=Origin(f"http://{site}"),
        subprotocols=[Subprotocol(name) for name in subprotocols or []] or None,
        proxy=None,
        open_timeout=RECEIVE_SECONDS,
    )


async def receive_json(websocket: ClientConnection) -> object:
    return json.loads(await websocket.recv(decode=True))


async def test_a_token_from_the_api_opens_a_socket_that_pongs_with_tenant_and_user(
    live_platform: LivePlatform,
) -> None:
    token = demo_token(live_platform, "worker", "worker-demo-pass")

    async with open_ping(live_platform, DEMO_HOST, f"token={token}") as websocket:
        await websocket.send(json.dumps({"type": "ping", "echo": 42}))
        pong = await receive_json(websocket)

    assert pong == {"type": "pong", "tenant": "acme", "user": "worker", "echo": 42}


async def test_a_browser_style_bearer_subprotocol_is_accepted(live_platform: LivePlatform) -> None:
    token = demo_token(live_platform, "worker", "worker-demo-pass")

    async with open_ping(live_platform, DEMO_HOST, subprotocols=["bearer", token]) as websocket:
        assert websocket.subprotocol == "bearer"
        await websocket.send(json.dumps({"type": "ping"}))
        assert await receive_json(websocket) == {"type": "pong", "tenant": "acme", "user": "worker", "echo": None}


async def test_anonymous_gets_the_close_code_4401(live_platform: LivePlatform) -> None:
    async with open_ping(live_platform, DEMO_HOST) as websocket:
        with pytest.raises(ConnectionClosedError) as closed:
            await websocket.recv()

    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == CLOSE_UNAUTHENTICATED


async def test_an_unknown_host_is_refused_at_the_handshake(live_platform: LivePlatform) -> None:
    token = demo_token(live_platform, "worker", "worker-demo-pass")

    with pytest.raises(InvalidStatus) as refused:
        async with open_ping(live_platform, "nowhere.localhost", f"token={token}"):
            pass

    assert refused.value.response.status_code == 403
