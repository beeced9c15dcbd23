from django.apps import AppConfig


class TenancyConfig(AppConfig):
    """Tenants and their domains (public schema), roles, and the tenant-aware glue."""

    name = "apps.tenancy"
    label = "tenancy"
