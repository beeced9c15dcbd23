"""Host names pick the tenant schema; nothing of one tenant is visible from another's host."""

from __future__ import annotations

from django.core.cache import cache
from django.db import connection
from django_tenants.utils import schema_context
from pytest_django.fixtures import Settings

from apps.tenancy.models import Domain
from apps.tenancy.selectors import forget_cached_tenants
from tests.conftest import PUBLIC_HOST, TenantInfo, api_client, tenant_client


def login(info: TenantInfo, username: str):  # type: ignore[no-untyped-def]
    client = tenant_client(info)
    with schema_context(info.schema):  # login() writes the session outside any request
        assert client.login(username=username, password=info.password(username)) is True
    return client


def test_each_host_answers_from_its_own_schema(alpha: TenantInfo, beta: TenantInfo) -> None:
    for info in (alpha, beta):
        client = api_client(info)
        client.credentials()
        client.force_authenticate(user=None)
        response = client.post(
            "/api/v1/auth/token/",
            {"username": info.only_user, "password": info.password(info.only_user)},
            format="json",
        )
        assert response.status_code == 200
        me = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
        assert me.json()["tenant"] == info.schema
        assert me.json()["username"] == info.only_user
        assert connection.schema_name == info.schema  # the request switched the connection


def test_the_public_host_serves_the_landing_page_and_no_tenant_pages(alpha: TenantInfo) -> None:
    client = tenant_client(alpha)
    client.defaults["HTTP_HOST"] = PUBLIC_HOST
    landing = client.get("/")
    assert landing.status_code == 200
    assert b"APG Workflow" in landing.content
    assert client.get("/home/").status_code == 404
    assert client.get("/api/v1/me/").status_code == 404


def test_a_tenant_root_sends_visitors_to_its_login_page(alpha: TenantInfo) -> None:
    response = tenant_client(alpha).get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"


def test_the_tenant_admin_lists_only_its_own_users(alpha: TenantInfo, beta: TenantInfo) -> None:
    page = login(alpha, "admin").get("/admin/auth/user/")
    assert page.status_code == 200
    assert b"alice" in page.content
    assert b"bob" not in page.content


def test_the_tenant_admin_site_has_no_tenant_or_domain_models(alpha: TenantInfo) -> None:
    client = login(alpha, "admin")
    assert client.get("/admin/tenancy/tenant/").status_code == 404
    assert client.get("/admin/tenancy/domain/").status_code == 404


def test_platform_operators_manage_tenants_on_the_public_admin(alpha: TenantInfo) -> None:
    from apps.tenancy.services import ensure_platform_operator

    ensure_platform_operator("root-operator", "operator-secret-1", reset_password=True)
    client = tenant_client(alpha)
    client.defaults["HTTP_HOST"] = PUBLIC_HOST
    with schema_context("public"):
        # A tenant's admin cannot sign in to the platform admin.
        assert client.login(username="admin", password=alpha.password("admin")) is False
        assert client.login(username="root-operator", password="operator-secret-1") is True
    tenants = client.get("/admin/tenancy/tenant/")
    assert tenants.status_code == 200
    assert b"alpha" in tenants.content and b"beta" in tenants.content


def test_cache_keys_are_prefixed_with_the_tenant(alpha: TenantInfo, beta: TenantInfo) -> None:
    key = "routing-test-shared-name"
    try:
        with schema_context(alpha.schema):
            cache.set(key, "alpha's value", 60)
        with schema_context(beta.schema):
            assert cache.get(key) is None
            cache.set(key, "beta's value", 60)
        with schema_context(alpha.schema):
            assert cache.get(key) == "alpha's value"
    finally:
        for info in (alpha, beta):
            with schema_context(info.schema):
                cache.delete(key)


def test_a_new_host_answers_at_once_and_a_removed_one_stops_with_the_cache_off(
    alpha: TenantInfo, settings: Settings
) -> None:
    settings.APG_TENANT_CACHE_SECONDS = 0
    client = tenant_client(alpha)
    client.defaults["HTTP_HOST"] = "alpha-two.localhost"
    assert client.get("/accounts/login/").status_code == 404

    domain = Domain.objects.create(domain="alpha-two.localhost", tenant=alpha.tenant, is_primary=False)
    assert client.get("/accounts/login/").status_code == 200
    connection.set_schema_to_public()
    domain.delete()
    assert client.get("/accounts/login/").status_code == 404


def test_a_known_host_is_remembered_for_the_configured_time(alpha: TenantInfo, settings: Settings) -> None:
    settings.APG_TENANT_CACHE_SECONDS = 300
    client = tenant_client(alpha)
    client.defaults["HTTP_HOST"] = "alpha-three.localhost"
    domain = Domain.objects.create(domain="alpha-three.localhost", tenant=alpha.tenant, is_primary=False)
    assert client.get("/accounts/login/").status_code == 200
    connection.set_schema_to_public()
    domain.delete()

    assert client.get("/accounts/login/").status_code == 200  # still remembered by this process
    forget_cached_tenants()
    assert client.get("/accounts/login/").status_code == 404


def test_operators_see_the_engine_in_the_tenant_admin_but_cannot_change_it(alpha: TenantInfo) -> None:
    client = login(alpha, "operator")
    index = client.get("/admin/")
    assert index.status_code == 200
    assert b"Process instances" in index.content
    assert b"Users" not in index.content  # managing people is the tenant admin's
    assert client.get("/admin/engine/processinstance/").status_code == 200
    assert client.get("/admin/engine/processinstance/add/").status_code == 403
    assert client.get("/admin/auth/user/").status_code == 403
