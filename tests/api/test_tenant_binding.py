"""Tokens, sessions and logins are bound to the tenant that issued them."""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.models import Session
from django_tenants.utils import schema_context

from tests.api.helpers import assert_problem, bearer, refresh_token, usernames
from tests.conftest import TenantInfo, access_token, api_client, tenant_client


def session_count(info: TenantInfo) -> int:
    with schema_context(info.schema):
        return Session.objects.count()


def test_an_access_token_of_alpha_is_refused_on_beta(alpha: TenantInfo, beta: TenantInfo) -> None:
    token = access_token(alpha, "admin")  # "admin" exists in beta too, maybe with the same id
    users_before = usernames(beta)

    me = api_client(beta).get("/api/v1/me/", **bearer(token))
    users = api_client(beta).get("/api/v1/users/", **bearer(token))

    assert_problem(me, 401, "token_wrong_tenant")
    assert_problem(users, 401, "token_wrong_tenant")
    assert usernames(beta) == users_before
    assert api_client(alpha).get("/api/v1/me/", **bearer(token)).status_code == 200


def test_a_refresh_token_of_alpha_gets_no_access_token_on_beta(alpha: TenantInfo, beta: TenantInfo) -> None:
    refresh = str(refresh_token(alpha, "admin"))

    response = api_client(beta).post("/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json")

    body = assert_problem(response, 401, "token_wrong_tenant")
    assert "access" not in body and "refresh" not in body


def test_tokens_of_alpha_do_not_verify_on_beta(alpha: TenantInfo, beta: TenantInfo) -> None:
    for token in (access_token(alpha, "admin"), str(refresh_token(alpha, "admin"))):
        response = api_client(beta).post("/api/v1/auth/token/verify/", {"token": token}, format="json")

        assert_problem(response, 401, "token_wrong_tenant")


def test_an_alpha_user_cannot_obtain_a_token_on_beta(alpha: TenantInfo, beta: TenantInfo) -> None:
    users_before = usernames(beta)

    response = api_client(beta).post(
        "/api/v1/auth/token/", {"username": "alice", "password": alpha.password("alice")}, format="json"
    )

    body = assert_problem(response, 401, "authentication_failed")
    assert "access" not in body
    assert usernames(beta) == users_before


def test_a_shared_username_with_alpha_s_password_cannot_obtain_a_token_on_beta(
    alpha: TenantInfo, beta: TenantInfo
) -> None:
    response = api_client(beta).post(
        "/api/v1/auth/token/", {"username": "admin", "password": alpha.password("admin")}, format="json"
    )

    assert_problem(response, 401, "authentication_failed")


def test_an_alpha_user_cannot_sign_in_to_beta_s_ui(alpha: TenantInfo, beta: TenantInfo) -> None:
    users_before, sessions_before = usernames(beta), session_count(beta)
    client = tenant_client(beta)

    response = client.post("/accounts/login/", {"username": "alice", "password": alpha.password("alice")})

    assert response.status_code == 200  # the form again, with its error
    assert response.context["form"].errors
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert usernames(beta) == users_before
    assert session_count(beta) == sessions_before
    assert_problem(client.get("/api/v1/me/"), 401, "not_authenticated")


def test_a_session_of_alpha_is_unknown_on_beta(alpha: TenantInfo, beta: TenantInfo) -> None:
    client = tenant_client(alpha)
    signed_in = client.post("/accounts/login/", {"username": "admin", "password": alpha.password("admin")})
    assert signed_in.status_code == 302

    client.defaults["HTTP_HOST"] = beta.host
    response = client.get("/api/v1/me/")

    assert_problem(response, 401, "not_authenticated")
