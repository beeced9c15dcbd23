from django.apps import AppConfig


class DesignerConfig(AppConfig):
    """Process models, versions and the browser modeler (per tenant)."""

    name = "apps.designer"
    label = "designer"
