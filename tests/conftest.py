"""Shared fixtures: a provisioned platform (public site, tenants alpha and beta) and clients.

Tenants are created once per session and committed, because creating a schema runs
migrations and because real processes started by the tests (Celery workers, the
launcher) must see them. Tests that write use the ``db`` fixture and roll back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from apps.tenancy import services
from apps.tenancy.authentication import TenantTokenObtainPairSerializer
from apps.tenancy.models import Tenant
from apps.tenancy.roles import Role
from apps.tenancy.selectors import forget_cached_tenants
from apps.tenancy.services import UserSpec
from tests.live import LivePlatform, start_live_platform

PUBLIC_HOST = "localhost"


def password_for(schema: str, username: str) -> str:
    return f"{schema}-{username}-secret"


def users_for(schema: str, only_here: str) -> list[UserSpec]:
    """One user per role (same names in every tenant) plus one user that exists only here."""
    names = {
        Role.TENANT_ADMIN: "admin",
        Role.PROCESS_DESIGNER: "designer",
        Role.OPERATOR: "operator",
        Role.TASK_WORKER: "worker",
    }
    specs = [UserSpec(name, password_for(schema, name), role) for role, name in names.items()]
    specs.append(UserSpec(only_here, password_for(schema, only_here), Role.TASK_WORKER))
    return specs


@dataclass(frozen=True)
class TenantInfo:
    tenant: Tenant
    host: str
    only_user: str  # a username that exists in this tenant and no other

    @property
    def schema(self) -> str:
        return self.tenant.schema_name

    def password(self, username: str) -> str:
        return password_for(self.schema, username)


@dataclass(frozen=True)
class Platform:
    alpha: TenantInfo
    beta: TenantInfo


@pytest.fixture(scope="session")
def platform(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Platform:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        services.provision_public(PUBLIC_HOST)
        infos = {}
        for schema, only_user in (("alpha", "alice"), ("beta", "bob")):
            host = f"{schema}.localhost"
            result = services.provision_tenant(schema, schema.title(), host, users_for(schema, only_user))
            infos[schema] = TenantInfo(result.tenant, host, only_user)
        connection.set_schema_to_public()
    return Platform(alpha=infos["alpha"], beta=infos["beta"])


@pytest.fixture(autouse=True)
def _public_schema_after_test() -> Iterator[None]:
    """Requests switch the shared connection's schema and remember hosts; reset both for the next test."""
    yield
    forget_cached_tenants()
    if connection.connection is not None or connection.settings_dict:
        connection.set_schema_to_public()


def tenant_client(info: TenantInfo) -> Client:
    return Client(HTTP_HOST=info.host)


def api_client(info: TenantInfo) -> APIClient:
    return APIClient(HTTP_HOST=info.host)


def access_token(info: TenantInfo, username: str) -> str:
    """A real access token of ``username`` minted inside the tenant's schema."""
    from django.contrib.auth import get_user_model

    with schema_context(info.schema):
        user = get_user_model().objects.get(username=username)
        return str(TenantTokenObtainPairSerializer.get_token(user).access_token)


@pytest.fixture
def alpha(platform: Platform, db: None) -> TenantInfo:
    return platform.alpha


@pytest.fixture
def beta(platform: Platform, db: None) -> TenantInfo:
    return platform.beta


@pytest.fixture(scope="session")
def live_platform(
    platform: Platform, django_db_blocker: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LivePlatform]:
    """The whole platform started by the launcher (daphne, Celery worker, scheduler) on a free port."""
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        yield from start_live_platform(tmp_path_factory.mktemp("live"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that use the platform need the test database even when they never touch it in-process."""
    for item in items:
        if "platform" in getattr(item, "fixturenames", ()) and not item.get_closest_marker("django_db"):
            item.add_marker(pytest.mark.django_db)
