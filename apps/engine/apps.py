from importlib import import_module

from django.apps import AppConfig
from django.conf import settings


class EngineConfig(AppConfig):
    """BPMN 2.0: parse, validate, execute and persist processes (per tenant)."""

    name = "apps.engine"
    label = "engine"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from apps.engine import clock
        from apps.tenancy.models import Tenant

        def tenant_saved(sender: object, instance: Tenant, **kwargs: object) -> None:
            clock.forget_zone(instance.schema_name)

        post_save.connect(tenant_saved, sender=Tenant, dispatch_uid="engine-tenant-zone", weak=False)
        for module in settings.APG_HANDLER_MODULES:  # their @register_handler functions
            import_module(module)
