"""Tenant and user for WebSocket connections.

A WebSocket scope has no request middleware, so this resolves the tenant from the Host
header like the HTTP middleware does, then authenticates with a JWT (``?token=`` or the
subprotocols ``bearer, <token>``) or the tenant's session cookie. Database
calls run in threads that share nothing with the caller, so each one sets its schema.
"""

from __future__ import annotations

from collections.abc import Callable
from http.cookies import SimpleCookie
from importlib import import_module
from typing import Any, TypeVar
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.contrib.auth import get_user
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import HttpRequest
from django_tenants.utils import get_public_schema_name, remove_www
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import TokenError

from apps.tenancy.authentication import access_token_user
from apps.tenancy.models import Tenant
from apps.tenancy.selectors import tenant_for_host

T = TypeVar("T")

# Browsers cannot set headers on a WebSocket; they offer ``["bearer", "<token>"]`` as subprotocols.
BEARER_SUBPROTOCOL = "bearer"


def run_in_tenant(tenant: Tenant, function: Callable[[], T]) -> T:
    """Run ``function`` with the connection of this thread set to ``tenant``'s schema."""
    connection.set_tenant(tenant)
    try:
        return function()
    finally:
        connection.set_schema_to_public()


def _host(scope: dict[str, Any]) -> str:
    for name, value in scope.get("headers", []):
        if name == b"host":
            return remove_www(value.decode("latin-1").split(":")[0].lower())
    return ""


def _bearer_subprotocol_token(scope: dict[str, Any]) -> str | None:
    subprotocols = scope.get("subprotocols") or []
    if len(subprotocols) == 2 and subprotocols[0].lower() == BEARER_SUBPROTOCOL:
        return str(subprotocols[1])
    return None


def chosen_subprotocol(scope: dict[str, Any]) -> str | None:
    """The subprotocol to accept with: a browser drops a connection that names none of its offers."""
    return BEARER_SUBPROTOCOL if _bearer_subprotocol_token(scope) else None


def _token_from_scope(scope: dict[str, Any]) -> str | None:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if query.get("token"):
        return query["token"][0]
    return _bearer_subprotocol_token(scope)


def _session_key(scope: dict[str, Any]) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            cookie = SimpleCookie(value.decode("latin-1"))
            morsel = cookie.get(settings.SESSION_COOKIE_NAME)
            return morsel.value if morsel else None
    return None


def _user_for_scope(scope: dict[str, Any]) -> Any:
    raw_token = _token_from_scope(scope)
    if raw_token:
        try:
            return access_token_user(raw_token)
        except (TokenError, AuthenticationFailed):
            return AnonymousUser()
    session_key = _session_key(scope)
    if session_key:
        request = HttpRequest()
        request.session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
        return get_user(request)
    return AnonymousUser()


@database_sync_to_async
def _resolve(scope: dict[str, Any]) -> tuple[Tenant | None, Any]:
    tenant = tenant_for_host(_host(scope))
    if tenant is None or tenant.schema_name == get_public_schema_name():
        return tenant, AnonymousUser()
    return tenant, run_in_tenant(tenant, lambda: _user_for_scope(scope))


class TenantAuthMiddleware:
    """Put ``tenant`` and ``user`` into the scope; an unknown host is closed at once."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        tenant, user = await _resolve(scope)
        if tenant is None:
            return await WebsocketDenier()(scope, receive, send)
        return await self.app({**scope, "tenant": tenant, "user": user}, receive, send)
