"""Provisioning: the only code that creates tenants, their domains, roles and users.

Every function is idempotent: run it twice and the second run changes nothing that the
first one made, so ``manage.py provision_tenant`` and ``make run`` can repeat it safely.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group, Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django_tenants.utils import get_public_schema_name, schema_context

from apps.tenancy.models import Domain, Tenant, schema_name_validator, validate_time_zone
from apps.tenancy.roles import Role

STAFF_ROLES = {Role.TENANT_ADMIN, Role.OPERATOR}
RESERVED_SCHEMAS = {"public", "information_schema", "pg_catalog", "pg_toast"}


@dataclass(frozen=True)
class UserSpec:
    username: str
    password: str
    role: Role
    email: str = ""


@dataclass
class ProvisionResult:
    tenant: Tenant
    tenant_created: bool
    domain_created: bool
    users_created: list[str] = field(default_factory=list)


def check_schema_name(schema_name: str) -> None:
    schema_name_validator(schema_name)
    if schema_name in RESERVED_SCHEMAS or schema_name.startswith("pg_"):
        raise ValidationError(f"{schema_name!r} is reserved.")


def provision_public(domain: str) -> Tenant:
    """Ensure the public tenant (landing page, platform admin) answers on ``domain``."""
    public_name = get_public_schema_name()
    with transaction.atomic():
        tenant, _ = Tenant.objects.get_or_create(schema_name=public_name, defaults={"name": "Platform"})
        Domain.objects.get_or_create(domain=domain, defaults={"tenant": tenant, "is_primary": True})
    return tenant


def provision_tenant(
    schema_name: str,
    name: str,
    domain: str,
    users: list[UserSpec],
    *,
    show_on_landing: bool = False,
    time_zone: str | None = None,
) -> ProvisionResult:
    """Ensure a tenant with its schema, primary domain, role groups and the given users.

    Creating the schema runs the tenant migrations, so the first call takes seconds.
    Existing users keep their passwords; missing ones are created.
    """
    check_schema_name(schema_name)
    if time_zone is not None:
        validate_time_zone(time_zone)
    tenant = Tenant.objects.filter(schema_name=schema_name).first()
    tenant_created = tenant is None
    if tenant is None:
        tenant = Tenant(schema_name=schema_name, name=name, show_on_landing=show_on_landing)
        tenant.time_zone = time_zone or "UTC"
        tenant.save(verbosity=0)  # creates and migrates the schema
    elif time_zone is not None and tenant.time_zone != time_zone:
        tenant.time_zone = time_zone
        tenant.save(update_fields=["time_zone"])
    existing_domain = Domain.objects.filter(domain=domain).first()
    if existing_domain is not None and existing_domain.tenant_id != tenant.pk:
        raise ValidationError(
            f"The domain {domain!r} already belongs to tenant {existing_domain.tenant.schema_name!r}."
        )
    domain_created = existing_domain is None
    if domain_created:
        Domain.objects.create(domain=domain, tenant=tenant, is_primary=not tenant.domains.exists())
    result = ProvisionResult(tenant=tenant, tenant_created=tenant_created, domain_created=domain_created)
    with schema_context(schema_name):
        ensure_role_groups()
        for spec in users:
            _, created = ensure_user(spec, reset_password=False)
            if created:
                result.users_created.append(spec.username)
    return result


# Django admin permissions each role's group holds, by app label and permission kind.
ADMIN_PERMISSIONS_BY_ROLE: dict[Role, list[tuple[str, str]]] = {
    Role.OPERATOR: [("engine", "view")],
}


def ensure_role_groups() -> None:
    """Create one group per role in the current schema, with its admin permissions."""
    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.value)
        for app_label, kind in ADMIN_PERMISSIONS_BY_ROLE.get(role, []):
            group.permissions.add(
                *Permission.objects.filter(content_type__app_label=app_label, codename__startswith=f"{kind}_")
            )


def ensure_user(spec: UserSpec, *, reset_password: bool) -> tuple[AbstractUser, bool]:
    """Ensure a user with ``spec.role`` in the current schema.

    Tenant admins and operators may enter the tenant's admin site; only the tenant admin
    is a superuser there. Operators get model permissions as the apps add models.
    """
    user_model = get_user_model()
    defaults = {
        "email": spec.email,
        "is_staff": spec.role in STAFF_ROLES,
        "is_superuser": spec.role is Role.TENANT_ADMIN,
    }
    with transaction.atomic():
        user, created = user_model.objects.get_or_create(username=spec.username, defaults=defaults)
        if created or reset_password:
            user.set_password(spec.password)
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=spec.role.value))
    return user, created


class UsernameTaken(Exception):
    """A user with this name already exists in the tenant."""


def create_user(
    *, username: str, password: str, email: str, first_name: str, last_name: str, roles: list[Role]
) -> AbstractUser:
    """Create a user of the current tenant with the given roles; refuse a taken username.

    The unique constraint on the username decides, so two concurrent requests for one
    name create one user and get one ``UsernameTaken``.
    """
    user = get_user_model()(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_staff=any(role in STAFF_ROLES for role in roles),
        is_superuser=Role.TENANT_ADMIN in roles,
    )
    user.set_password(password)
    with transaction.atomic():
        try:
            user.save()
        except IntegrityError as error:
            raise UsernameTaken(f"The username {username!r} is taken.") from error
        user.groups.set(Group.objects.filter(name__in=[role.value for role in roles]))
    return user


def ensure_platform_operator(username: str, password: str, *, reset_password: bool) -> tuple[AbstractUser, bool]:
    """Ensure a superuser of the public schema, who manages tenants in the public admin."""
    user_model = get_user_model()
    with schema_context(get_public_schema_name()), transaction.atomic():
        user, created = user_model.objects.get_or_create(
            username=username, defaults={"is_staff": True, "is_superuser": True}
        )
        if created or reset_password:
            user.set_password(password)
            user.save(update_fields=["password"])
    return user, created
