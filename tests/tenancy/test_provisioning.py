"""Provisioning tenants: idempotent, schema per tenant, roles as groups."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_context

from apps.tenancy import services
from apps.tenancy.models import Domain, Tenant
from apps.tenancy.roles import Role
from tests.conftest import Platform, TenantInfo


def schemas_in_database() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT schema_name FROM information_schema.schemata")
        return {row[0] for row in cursor.fetchall()}


def test_provisioning_a_tenant_twice_changes_nothing_the_second_time(alpha: TenantInfo) -> None:
    tenants_before = Tenant.objects.count()
    result = services.provision_tenant("alpha", "Alpha again", "alpha.localhost", [])

    assert result.tenant_created is False
    assert result.domain_created is False
    assert result.users_created == []
    assert Tenant.objects.count() == tenants_before
    assert Tenant.objects.get(schema_name="alpha").name == "Alpha"
    assert list(Domain.objects.filter(tenant__schema_name="alpha").values_list("domain", flat=True)) == [
        "alpha.localhost"
    ]


def test_each_tenant_has_its_own_schema_with_role_groups_and_users(platform: Platform, db: None) -> None:
    assert {"public", "alpha", "beta"} <= schemas_in_database()
    for info in (platform.alpha, platform.beta):
        with schema_context(info.schema):
            assert set(Group.objects.values_list("name", flat=True)) == {role.value for role in Role}
            usernames = set(get_user_model().objects.values_list("username", flat=True))
            assert usernames == {"admin", "designer", "operator", "worker", info.only_user}
            admin = get_user_model().objects.get(username="admin")
            assert admin.is_superuser and admin.is_staff
            assert admin.check_password(info.password("admin"))


def test_the_provision_command_is_idempotent(db: None, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("APG_TENANT_ADMIN_PASSWORD", "first-admin-password")
    call_command("provision_tenant", "gamma", "--domain", "gamma.localhost", "--name", "Gamma")
    first = capsys.readouterr().out
    monkeypatch.setenv("APG_TENANT_ADMIN_PASSWORD", "another-password")
    call_command("provision_tenant", "gamma", "--domain", "gamma.localhost", "--name", "Gamma")
    second = capsys.readouterr().out

    assert "Created gamma at gamma.localhost" in first and "Created tenant admin admin" in first
    assert "Tenant exists: gamma" in second and "Created tenant admin" not in second
    assert Tenant.objects.filter(schema_name="gamma").count() == 1
    with schema_context("gamma"):
        admin = get_user_model().objects.get(username="admin")
        assert admin.check_password("first-admin-password")  # the second run kept the password


@pytest.mark.parametrize("bad_name", ["public", "Acme", "1acme", "acme-corp", "pg_temp", ""])
def test_unusable_schema_names_are_refused_before_anything_is_created(db: None, bad_name: str) -> None:
    tenants_before = Tenant.objects.count()
    with pytest.raises(ValidationError):
        services.provision_tenant(bad_name, "Bad", f"bad{len(bad_name)}.localhost", [])
    assert Tenant.objects.count() == tenants_before


def test_a_domain_of_another_tenant_is_refused(alpha: TenantInfo) -> None:
    with pytest.raises(ValidationError, match="already belongs to tenant 'beta'"):
        services.provision_tenant("alpha", "Alpha", "beta.localhost", [])
    assert Domain.objects.get(domain="beta.localhost").tenant.schema_name == "beta"


def test_the_public_site_command_adds_a_host_once(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("provision_public", "--domain", "apg.example.com")
    call_command("provision_public", "--domain", "apg.example.com")

    assert capsys.readouterr().out.count("The public site answers on apg.example.com") == 2
    domain = Domain.objects.get(domain="apg.example.com")
    assert domain.tenant.schema_name == "public"
    assert Tenant.objects.filter(schema_name="public").count() == 1
