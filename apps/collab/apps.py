from django.apps import AppConfig


class CollabConfig(AppConfig):
    """WebSocket consumers: co-editing, presence, live monitoring, notifications."""

    name = "apps.collab"
    label = "collab"
