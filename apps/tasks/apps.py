from django.apps import AppConfig


class TasksConfig(AppConfig):
    """Human tasks: task lists, claiming, forms and assignment (per tenant)."""

    name = "apps.tasks"
    label = "tasks"

    def ready(self) -> None:
        from apps.engine import hooks
        from apps.tasks.writer import task_statements

        hooks.write_user_tasks_with(task_statements)
