from django.apps import AppConfig


class TenancyConfig(AppConfig):
    """Tenants and their domains (public schema), roles, and the tenant-aware glue."""

    name = "apps.tenancy"
    label = "tenancy"

    def ready(self) -> None:
        # Configure the Celery app in every process that runs Django, so that ``.delay()``
        # uses the project's broker and tenant-aware task class.
        import apg_wbpm.celery  # noqa: F401
