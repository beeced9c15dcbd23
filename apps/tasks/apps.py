from django.apps import AppConfig


class TasksConfig(AppConfig):
    """Human tasks: task lists, claiming, forms and assignment (per tenant)."""

    name = "apps.tasks"
    label = "tasks"
