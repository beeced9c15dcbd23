from django.apps import AppConfig


class EngineConfig(AppConfig):
    """BPMN 2.0: parse, validate, execute and persist processes (per tenant)."""

    name = "apps.engine"
    label = "engine"
