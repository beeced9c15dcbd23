"""Roles map to actions: /api/v1/users/ is for tenant admins, /api/v1/me/ for everyone signed in."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from apps.tenancy.roles import ACTIONS_BY_ROLE, Action, Role
from tests.api.helpers import NEW_USER, as_user, assert_problem, bearer, usernames
from tests.conftest import TenantInfo, api_client


def data_queries(captured: CaptureQueriesContext) -> list[str]:
    """The statements that read or write data, without django-tenants' ``SET search_path``."""
    return [query["sql"] for query in captured.captured_queries if not query["sql"].startswith("SET search_path")]


def create(info: TenantInfo, body: dict[str, Any], username: str = "admin"):  # type: ignore[no-untyped-def]
    return as_user(info, username).post("/api/v1/users/", body, format="json")


@pytest.mark.parametrize(
    ("username", "roles"),
    [
        ("admin", ["tenant-admin"]),
        ("designer", ["process-designer"]),
        ("operator", ["operator"]),
        ("worker", ["task-worker"]),
    ],
)
def test_me_tells_each_role_what_it_may_do(alpha: TenantInfo, username: str, roles: list[str]) -> None:
    response = as_user(alpha, username).get("/api/v1/me/")

    assert response.status_code == 200
    assert response.json()["roles"] == roles
    assert response.json()["actions"] == sorted(action.value for action in ACTIONS_BY_ROLE[Role(roles[0])])
    assert response.json()["tenant"] == "alpha"


@pytest.mark.parametrize("username", ["designer", "operator", "worker"])
def test_only_tenant_admins_list_users(alpha: TenantInfo, username: str) -> None:
    response = as_user(alpha, username).get("/api/v1/users/")

    body = assert_problem(response, 403, "permission_denied")
    assert body["detail"] == "Your role does not allow this action."


@pytest.mark.parametrize("username", ["designer", "operator", "worker"])
def test_only_tenant_admins_create_users(alpha: TenantInfo, username: str) -> None:
    before = usernames(alpha)

    response = create(alpha, NEW_USER, username)

    assert_problem(response, 403, "permission_denied")
    assert usernames(alpha) == before


def test_anonymous_clients_are_asked_to_authenticate(alpha: TenantInfo) -> None:
    before = usernames(alpha)

    assert_problem(api_client(alpha).get("/api/v1/users/"), 401, "not_authenticated")
    assert_problem(api_client(alpha).post("/api/v1/users/", NEW_USER, format="json"), 401, "not_authenticated")
    assert usernames(alpha) == before


def test_a_tenant_admin_lists_exactly_the_tenant_s_users(alpha: TenantInfo) -> None:
    client = as_user(alpha, "admin")

    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/v1/users/")

    assert response.status_code == 200
    listed = {user["username"]: user for user in response.json()}
    assert set(listed) == {"admin", "designer", "operator", "worker", "alice"}
    assert [user["username"] for user in response.json()] == sorted(listed)
    assert listed["alice"]["roles"] == ["task-worker"]
    assert listed["admin"]["roles"] == ["tenant-admin"]
    assert set(listed["alice"]) == {"id", "username", "email", "first_name", "last_name", "is_active", "roles"}
    # the host's domain, the user of the token with their groups, the users, the users' groups
    assert len(data_queries(captured)) == 4


def test_the_user_list_does_not_grow_a_query_per_user(alpha: TenantInfo) -> None:
    client = as_user(alpha, "admin")
    with CaptureQueriesContext(connection) as five_users:
        client.get("/api/v1/users/")
    create(alpha, NEW_USER)

    with CaptureQueriesContext(connection) as six_users:
        response = client.get("/api/v1/users/")

    assert len(response.json()) == 6
    assert len(data_queries(six_users)) == len(data_queries(five_users))


def test_a_tenant_admin_creates_a_user_with_roles(alpha: TenantInfo, beta: TenantInfo) -> None:
    beta_before = usernames(beta)

    response = create(alpha, NEW_USER)

    assert response.status_code == 201
    created = response.json()
    assert created == {
        "id": created["id"],
        "username": "carol",
        "email": "carol@example.com",
        "first_name": "Carol",
        "last_name": "Smith",
        "is_active": True,
        "roles": ["operator", "task-worker"],
    }
    with schema_context(alpha.schema):
        carol = get_user_model().objects.get(username="carol")
        assert carol.pk == created["id"]
        assert carol.check_password(NEW_USER["password"])
        assert set(carol.groups.values_list("name", flat=True)) == {"operator", "task-worker"}
        assert carol.is_staff is True and carol.is_superuser is False
    assert usernames(beta) == beta_before
    token = api_client(alpha).post(
        "/api/v1/auth/token/", {"username": "carol", "password": NEW_USER["password"]}, format="json"
    )
    me = api_client(alpha).get("/api/v1/me/", **bearer(token.json()["access"]))
    assert me.json()["actions"] == sorted(
        action.value
        for action in (
            Action.OPERATE_PROCESSES,
            Action.START_PROCESSES,
            Action.VIEW_ANALYTICS,
            Action.WORK_ON_TASKS,
            Action.WORK_EXTERNAL_TASKS,
        )
    )


def test_a_taken_username_is_409_and_creates_nothing(alpha: TenantInfo) -> None:
    with schema_context(alpha.schema):
        users_before = get_user_model().objects.count()

    response = create(alpha, {**NEW_USER, "username": "alice"})

    body = assert_problem(response, 409, "conflict")
    assert body["detail"] == "The username 'alice' is taken."
    with schema_context(alpha.schema):
        assert get_user_model().objects.count() == users_before
        assert get_user_model().objects.get(username="alice").email == ""


def test_creating_the_same_user_twice_keeps_one_row(alpha: TenantInfo) -> None:
    assert create(alpha, NEW_USER).status_code == 201

    again = create(alpha, {**NEW_USER, "email": "other@example.com"})

    assert_problem(again, 409, "conflict")
    with schema_context(alpha.schema):
        assert list(get_user_model().objects.filter(username="carol").values_list("email", flat=True)) == [
            "carol@example.com"
        ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"password": None}, "password"),
        ({"username": None}, "username"),
        ({"username": "no spaces allowed!"}, "username"),
        ({"email": "not-an-email"}, "email"),
        ({"roles": ["root"]}, "roles"),
        ({"password": "12345678"}, "password"),
        ({"password": "carol@example"}, "password"),  # too close to the email
    ],
)
def test_an_invalid_body_is_400_with_errors_per_field(alpha: TenantInfo, change: dict[str, Any], field: str) -> None:
    body = {key: value for key, value in {**NEW_USER, **change}.items() if value is not None}
    before = usernames(alpha)

    response = create(alpha, body)

    problem = assert_problem(response, 400, "validation_error")
    assert list(problem["errors"]) == [field]
    assert all(isinstance(message, str) for message in problem["errors"][field])
    assert usernames(alpha) == before


def test_an_unknown_user_is_404(alpha: TenantInfo) -> None:
    response = as_user(alpha, "admin").get("/api/v1/users/987654/")

    assert_problem(response, 404, "not_found")


def test_a_user_is_read_by_id(alpha: TenantInfo) -> None:
    with schema_context(alpha.schema):
        alice_id = get_user_model().objects.get(username="alice").pk

    response = as_user(alpha, "admin").get(f"/api/v1/users/{alice_id}/")

    assert response.status_code == 200
    assert response.json()["username"] == "alice"
