from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    """Process metrics and dashboards computed from history (per tenant)."""

    name = "apps.analytics"
    label = "analytics"
