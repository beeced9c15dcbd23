"""The demo platform that ``make run`` provisions: tenant ``acme`` with one user per role, and a
sample process with a task waiting for the demo worker."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django_tenants.utils import schema_context

from apps.tasks.demo import provision_demo_processes
from apps.tenancy import services
from apps.tenancy.roles import Role
from apps.tenancy.services import UserSpec

DEMO_SCHEMA = "acme"
DEMO_NAME = "Acme Corporation"
DEMO_USERS = [
    UserSpec("admin", "admin-demo-pass", Role.TENANT_ADMIN, "admin@acme.example"),
    UserSpec("designer", "designer-demo-pass", Role.PROCESS_DESIGNER, "designer@acme.example"),
    UserSpec("operator", "operator-demo-pass", Role.OPERATOR, "operator@acme.example"),
    UserSpec("worker", "worker-demo-pass", Role.TASK_WORKER, "worker@acme.example"),
]
PLATFORM_OPERATOR = ("platform", "platform-demo-pass")


@dataclass(frozen=True)
class DemoPlatform:
    public_domain: str
    tenant_domain: str


def provision_demo() -> DemoPlatform:
    """Ensure the public site, the platform operator and the demo tenant with its users and its
    sample process (``apps.tasks.demo``).

    Demo passwords are reset on every run so that the printed logins always work.
    """
    public_domain = settings.APG_PUBLIC_DOMAIN
    tenant_domain = f"{DEMO_SCHEMA}.{public_domain}"
    services.provision_public(public_domain)
    services.ensure_platform_operator(*PLATFORM_OPERATOR, reset_password=True)
    result = services.provision_tenant(DEMO_SCHEMA, DEMO_NAME, tenant_domain, [], show_on_landing=True)
    with schema_context(result.tenant.schema_name):
        for spec in DEMO_USERS:
            services.ensure_user(spec, reset_password=True)
        provision_demo_processes()
    return DemoPlatform(public_domain=public_domain, tenant_domain=tenant_domain)
