"""WebSocket routes. Every consumer runs behind TenantAuthMiddleware (see asgi.py)."""

from django.urls import path

from apps.collab.consumers import PingConsumer
from apps.engine.consumers import EngineEventsConsumer

websocket_urlpatterns = [
    path("ws/ping/", PingConsumer.as_asgi()),
    path("ws/engine/events/", EngineEventsConsumer.as_asgi()),
]
