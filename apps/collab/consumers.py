"""WebSocket consumers. Thin: the scope carries ``tenant`` and ``user`` (TenantAuthMiddleware)."""

from __future__ import annotations

import json
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from apps.tenancy.channels import chosen_subprotocol

CLOSE_UNAUTHENTICATED = 4401


class PingConsumer(AsyncJsonWebsocketConsumer):
    """``/ws/ping/``: answers ``{"type": "ping"}`` with a pong naming the tenant and user.

    Proves the WebSocket path end to end: host -> tenant, token or session -> user,
    and a round trip through the Redis channel layer (the pong is sent to this
    connection's own channel, not written back directly). Without a user the
    connection is closed with 4401.
    """

    async def connect(self) -> None:
        # Accept before closing: a close before the handshake reaches the client as a bare
        # HTTP 403, and the close code that tells it to sign in again would be lost.
        await self.accept(subprotocol=chosen_subprotocol(self.scope))
        if not self.scope["user"].is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not self.scope["user"].is_authenticated:
            return  # sent before our close reached the client
        if not isinstance(content, dict) or content.get("type") != "ping":
            await self.send_json({"type": "error", "code": "unknown_message", "detail": 'Send {"type": "ping"}.'})
            return
        await self.channel_layer.send(self.channel_name, {"type": "pong.reply", "echo": content.get("echo")})

    async def pong_reply(self, event: dict[str, Any]) -> None:
        user = self.scope["user"]
        await self.send_json(
            {
                "type": "pong",
                "tenant": self.scope["tenant"].schema_name,
                "user": user.get_username(),
                "echo": event.get("echo"),
            }
        )

    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        try:
            return json.loads(text_data)
        except ValueError:
            return None
