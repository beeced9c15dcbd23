"""JWT and session authentication of a tenant's API."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.contrib.auth import get_user_model
from django_tenants.utils import schema_context
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from apps.tenancy.authentication import TENANT_CLAIM
from tests.api.helpers import assert_problem, bearer, refresh_token, usernames
from tests.conftest import TenantInfo, access_token, api_client, tenant_client

ME_OF_WORKER = {
    "username": "worker",
    "email": "",
    "tenant": "alpha",
    "roles": ["task-worker"],
    "actions": ["start-processes", "work-on-tasks"],
}


def expired(token_class: type[AccessToken] | type[RefreshToken], info: TenantInfo, username: str) -> str:
    """A token of ``username`` in ``info``'s tenant that expired a minute ago."""
    with schema_context(info.schema):
        token = token_class.for_user(get_user_model().objects.get(username=username))
    token[TENANT_CLAIM] = info.schema
    token.set_exp(lifetime=-timedelta(minutes=1))
    return str(token)


def test_obtain_call_refresh_and_verify(alpha: TenantInfo) -> None:
    client = api_client(alpha)

    obtained = client.post(
        "/api/v1/auth/token/", {"username": "worker", "password": alpha.password("worker")}, format="json"
    )
    assert obtained.status_code == 200
    assert set(obtained.json()) == {"access", "refresh"}
    access, refresh = obtained.json()["access"], obtained.json()["refresh"]

    me = client.get("/api/v1/me/", **bearer(access))
    assert me.status_code == 200
    assert me.json() == ME_OF_WORKER

    refreshed = client.post("/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json")
    assert refreshed.status_code == 200
    assert set(refreshed.json()) == {"access"}
    assert client.get("/api/v1/me/", **bearer(refreshed.json()["access"])).json() == ME_OF_WORKER

    for token in (access, refresh, refreshed.json()["access"]):
        verified = client.post("/api/v1/auth/token/verify/", {"token": token}, format="json")
        assert verified.status_code == 200
        assert verified.json() == {}


def test_a_wrong_password_gets_no_token(alpha: TenantInfo) -> None:
    response = api_client(alpha).post(
        "/api/v1/auth/token/", {"username": "worker", "password": "not-the-password"}, format="json"
    )

    body = assert_problem(response, 401, "authentication_failed")
    assert "access" not in body and "refresh" not in body
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_missing_token_is_401_not_authenticated(alpha: TenantInfo) -> None:
    response = api_client(alpha).get("/api/v1/me/")

    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_an_expired_access_token_is_401_token_invalid(alpha: TenantInfo) -> None:
    response = api_client(alpha).get("/api/v1/me/", **bearer(expired(AccessToken, alpha, "worker")))

    assert_problem(response, 401, "token_invalid")


def test_an_expired_refresh_token_gets_no_new_access_token(alpha: TenantInfo) -> None:
    response = api_client(alpha).post(
        "/api/v1/auth/token/refresh/", {"refresh": expired(RefreshToken, alpha, "worker")}, format="json"
    )

    body = assert_problem(response, 401, "token_invalid")
    assert "access" not in body


def test_an_expired_token_does_not_verify(alpha: TenantInfo) -> None:
    response = api_client(alpha).post(
        "/api/v1/auth/token/verify/", {"token": expired(AccessToken, alpha, "worker")}, format="json"
    )

    assert_problem(response, 401, "token_invalid")


def test_a_garbled_token_is_401_token_invalid(alpha: TenantInfo) -> None:
    token = access_token(alpha, "worker")

    response = api_client(alpha).get("/api/v1/me/", **bearer(token[:-4] + "AAAA"))

    assert_problem(response, 401, "token_invalid")


def test_a_refresh_token_is_not_an_access_token(alpha: TenantInfo) -> None:
    response = api_client(alpha).get("/api/v1/me/", **bearer(str(refresh_token(alpha, "worker"))))

    assert_problem(response, 401, "token_invalid")


def test_a_token_of_a_deactivated_user_is_refused(alpha: TenantInfo) -> None:
    refresh = refresh_token(alpha, "worker")
    with schema_context(alpha.schema):
        get_user_model().objects.filter(username="worker").update(is_active=False)
    client = api_client(alpha)

    assert_problem(client.get("/api/v1/me/", **bearer(str(refresh.access_token))), 401, "authentication_failed")
    refused = client.post("/api/v1/auth/token/refresh/", {"refresh": str(refresh)}, format="json")
    assert "access" not in assert_problem(refused, 401, "authentication_failed")
    obtained = client.post(
        "/api/v1/auth/token/", {"username": "worker", "password": alpha.password("worker")}, format="json"
    )
    assert "access" not in assert_problem(obtained, 401, "authentication_failed")


def test_a_refresh_token_of_a_deleted_user_gets_no_new_token(alpha: TenantInfo) -> None:
    refresh = refresh_token(alpha, "worker")
    with schema_context(alpha.schema):
        get_user_model().objects.filter(username="worker").delete()

    response = api_client(alpha).post("/api/v1/auth/token/refresh/", {"refresh": str(refresh)}, format="json")

    body = assert_problem(response, 401, "authentication_failed")
    assert "access" not in body


def test_a_session_from_the_login_form_authenticates_the_api(alpha: TenantInfo) -> None:
    client = tenant_client(alpha)
    login = client.post("/accounts/login/", {"username": "worker", "password": alpha.password("worker")})
    assert login.status_code == 302

    me = client.get("/api/v1/me/")

    assert me.status_code == 200
    assert me.json() == ME_OF_WORKER


def test_a_session_needs_a_csrf_token_to_change_anything(alpha: TenantInfo) -> None:
    client = tenant_client(alpha)
    client.handler.enforce_csrf_checks = True
    with schema_context(alpha.schema):
        assert client.login(username="admin", password=alpha.password("admin")) is True
    before = usernames(alpha)

    response = client.post(
        "/api/v1/users/",
        {"username": "carol", "password": "a-long-enough-password-1"},
        content_type="application/json",
    )

    body = assert_problem(response, 403, "permission_denied")
    assert "CSRF" in body["detail"]
    assert usernames(alpha) == before


def test_roles_are_read_with_the_user_at_every_request_not_kept_in_the_token(alpha: TenantInfo) -> None:
    token = access_token(alpha, "operator")
    client = api_client(alpha)
    me = client.get("/api/v1/me/", **bearer(token)).json()
    assert me["roles"] == ["operator"]

    with schema_context(alpha.schema):
        get_user_model().objects.get(username="operator").groups.clear()
    stripped = client.get("/api/v1/me/", **bearer(token)).json()
    assert (stripped["roles"], stripped["actions"]) == ([], [])
    suspend = client.post(f"/api/v1/process-instances/{uuid.uuid4()}/suspend/", {}, format="json", **bearer(token))
    assert_problem(suspend, 403, "permission_denied")
