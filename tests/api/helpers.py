"""Assertions, clients and data shared by the API tests."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django_tenants.utils import schema_context
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from apps.tenancy.authentication import TenantTokenObtainPairSerializer
from tests.conftest import TenantInfo, access_token, api_client

PROBLEM_CONTENT_TYPE = "application/problem+json"
NEW_USER = {
    "username": "carol",
    "password": "carol-has-a-long-password",
    "email": "carol@example.com",
    "first_name": "Carol",
    "last_name": "Smith",
    "roles": ["operator", "task-worker"],
}


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """Assert an RFC 9457 problem with ``status`` and the stable ``code``; return its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"about:blank#{code}"
    assert body["title"]
    assert "Traceback" not in response.content.decode()
    return body


def usernames(info: TenantInfo) -> set[str]:
    """The usernames stored in the tenant's schema."""
    with schema_context(info.schema):
        return set(get_user_model().objects.values_list("username", flat=True))


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def as_user(info: TenantInfo, username: str) -> APIClient:
    """An API client of the tenant that sends ``username``'s access token."""
    client = api_client(info)
    client.credentials(**bearer(access_token(info, username)))
    return client


def refresh_token(info: TenantInfo, username: str) -> RefreshToken:
    """A refresh token of ``username`` minted in the tenant's schema, as the obtain endpoint does."""
    with schema_context(info.schema):
        user = get_user_model().objects.get(username=username)
        return TenantTokenObtainPairSerializer.get_token(user)  # type: ignore[return-value]
