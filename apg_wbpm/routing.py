"""WebSocket routes. Every consumer runs behind TenantAuthMiddleware (see asgi.py)."""

from django.urls import path

from apps.collab.consumers import PingConsumer

websocket_urlpatterns = [
    path("ws/ping/", PingConsumer.as_asgi()),
]
