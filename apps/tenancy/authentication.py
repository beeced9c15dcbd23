"""JWTs bound to their tenant: a token minted on tenant A is refused on tenant B.

User ids are per schema, so without the ``tenant`` claim a token for user 7 of A would
authenticate user 7 of B. Every token carries the schema it was issued in, and every
check (authenticate, refresh, verify, WebSocket) compares it with the current schema.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
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
    """The user model as simplejwt looks a user up (``objects.get(id=...)``), with the names of
    the user's groups (their roles, which nearly every request checks) read in the same query:
    one query less per request. The statement is written once, not built by the ORM for every
    request (that cost more than running it)."""

    def __init__(self) -> None:
        model = get_user_model()
        self.model = model
        self.DoesNotExist = model.DoesNotExist
        self.objects = self
        self._fields = model._meta.concrete_fields
        columns = ", ".join(f"u.{field.column}" for field in self._fields)
        memberships = model._meta.get_field("groups").remote_field.through._meta.db_table  # type: ignore[union-attr]
        groups = model._meta.get_field("groups").related_model._meta.db_table  # type: ignore[union-attr]
        self._sql = (
            f"SELECT {columns}, ARRAY(SELECT g.name FROM {memberships} m JOIN {groups} g ON g.id = m.group_id "  # noqa: S608
            f"WHERE m.user_id = u.id ORDER BY g.name) FROM {model._meta.db_table} u WHERE u.id = %s"
        )

    def get(self, *, id: Any) -> Any:
        with connection.cursor() as cursor:
            cursor.execute(self._sql, [id])
            row = cursor.fetchone()
        if row is None:
            raise self.DoesNotExist(f"No user {id}.")
        user = self.model.from_db(connection.alias, [field.attname for field in self._fields], row[:-1])
        user.group_names = row[-1] or None  # as roles_of reads it: None when in no group
        return user


@cache
def _users_with_group_names() -> _UsersWithGroupNames:
    return _UsersWithGroupNames()


class TenantJWTAuthentication(JWTAuthentication):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user_model = _users_with_group_names()  # type: ignore[assignment]

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
