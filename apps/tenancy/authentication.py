"""JWTs bound to their tenant: a token minted on tenant A is refused on tenant B.

User ids are per schema, so without the ``tenant`` claim a token for user 7 of A would
authenticate user 7 of B. Every token carries the schema it was issued in, and every
check (authenticate, refresh, verify, WebSocket) compares it with the current schema.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.postgres.aggregates import ArrayAgg
from django.db import connection
from django.db.models import Q
from rest_framework import exceptions
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.serializers import (
    TokenObtainPairSerializer,
    TokenRefreshSerializer,
    TokenVerifySerializer,
)
from rest_framework_simplejwt.tokens import AccessToken, Token, UntypedToken

TENANT_CLAIM = "tenant"


class WrongTenantToken(exceptions.AuthenticationFailed):
    default_detail = "This token was issued for another tenant."
    default_code = "token_wrong_tenant"

    def __init__(self) -> None:
        super().__init__({"detail": self.default_detail, "code": self.default_code})


def check_token_tenant(token: Token | dict[str, Any]) -> None:
    """Raise unless the token was issued in the schema of the current connection."""
    if token.get(TENANT_CLAIM) != connection.schema_name:
        raise WrongTenantToken()


def access_token_user(raw_token: str) -> Any:
    """The active user of the current schema for a raw access token (used by WebSockets)."""
    token = AccessToken(raw_token)  # type: ignore[arg-type]
    check_token_tenant(token)
    return TenantJWTAuthentication().get_user(token)


class _UsersWithGroupNames:
    """The user model as simplejwt looks a user up, with the names of the user's groups (their
    roles, which nearly every request checks) read in the same query: one query less per request."""

    def __init__(self) -> None:
        model = get_user_model()
        self.DoesNotExist = model.DoesNotExist
        self.objects = model.objects.annotate(
            group_names=ArrayAgg("groups__name", filter=Q(groups__isnull=False), default=None)
        )


class TenantJWTAuthentication(JWTAuthentication):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user_model = _UsersWithGroupNames()  # type: ignore[assignment]

    def get_validated_token(self, raw_token: bytes) -> Token:
        token = super().get_validated_token(raw_token)
        check_token_tenant(token)
        return token


class TenantTokenObtainPairSerializer(TokenObtainPairSerializer):
    @classmethod
    def get_token(cls, user: Any) -> Token:
        token = super().get_token(user)
        token[TENANT_CLAIM] = connection.schema_name
        return token


class TenantTokenRefreshSerializer(TokenRefreshSerializer):
    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        check_token_tenant(self.token_class(attrs["refresh"]))  # type: ignore[misc]
        try:
            return super().validate(attrs)
        except get_user_model().DoesNotExist as error:  # the user was deleted after the token was issued
            raise exceptions.AuthenticationFailed(
                self.error_messages["no_active_account"], "no_active_account"
            ) from error


class TenantTokenVerifySerializer(TokenVerifySerializer):
    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        check_token_tenant(UntypedToken(attrs["token"]))
        return super().validate(attrs)
