"""``/ws/engine/events/``: the tenant's engine events, live, as the relay publishes them.

Thin, as consumers are: the scope carries ``tenant`` and ``user`` (TenantAuthMiddleware); the
connection joins the channel-layer group of its own tenant (of one instance with
``?instance=<id>``), whose name is made from the scope's tenant and nothing the client sends,
so no other tenant's events can reach it.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from apps.engine.services.outbox import events_after, group_name
from apps.tenancy.channels import chosen_subprotocol, run_in_tenant
from apps.tenancy.roles import Action, may

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_BAD_REQUEST = 4400
# Who may watch: whoever may read instances through the API.
WATCH_ACTION = Action.START_PROCESSES
# A reconnecting stream gets at most this many missed events; then it reads the instances.
CATCH_UP_LIMIT = 1000


class EngineEventsConsumer(AsyncJsonWebsocketConsumer):
    """Sends ``{"type": "event", "event": {...}}`` for each event (see docs/engine.md, "Events out").

    Closes with 4401 without a user, 4403 for a user whose roles may not read instances and
    4400 for an ``instance`` that is not an id or an ``after`` that is not an event id. Live
    events are best effort; a client that reconnects with ``?after=<the last id it has>`` is
    sent the events it missed first (``catch_up``).
    """

    group: str | None = None

    async def connect(self) -> None:
        await self.accept(subprotocol=chosen_subprotocol(self.scope))
        user, tenant = self.scope["user"], self.scope["tenant"]
        if not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if not await database_sync_to_async(run_in_tenant)(tenant, lambda: may(user, WATCH_ACTION)):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        instance: uuid.UUID | None = None
        if query.get("instance"):
            try:
                instance = uuid.UUID(query["instance"][0])
            except ValueError:
                await self.close(code=CLOSE_BAD_REQUEST)
                return
        after: int | None = None
        if query.get("after"):
            text = query["after"][0]
            if not text.isdigit() or len(text) > 19:
                await self.close(code=CLOSE_BAD_REQUEST)
                return
            after = int(text)
        self.group = group_name(tenant.schema_name, instance)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_json(
            {"type": "subscribed", "tenant": tenant.schema_name, "instance": query.get("instance", [None])[0]}
        )
        if after is not None:
            await self.catch_up(tenant, after, instance)

    async def catch_up(self, tenant: Any, after: int, instance: uuid.UUID | None) -> None:
        """Send the events kept after ``after``, then ``caught-up``; live events that come in the
        meantime may repeat some of them (the client drops ids it has)."""
        schema = tenant.schema_name
        events, complete = await database_sync_to_async(run_in_tenant)(
            tenant, lambda: events_after(schema, after, instance, limit=CATCH_UP_LIMIT)
        )
        for event in events:
            await self.send_json({"type": "event", "event": event})
        last = events[-1]["id"] if events else after
        await self.send_json({"type": "caught-up", "last": last, "complete": complete})

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Clients only listen; whatever they send is ignored."""

    async def engine_events(self, message: dict[str, Any]) -> None:
        for event in message["events"]:
            await self.send_json({"type": "event", "event": event})
