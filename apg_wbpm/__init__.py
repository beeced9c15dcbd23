"""APG Workflow & BPM: the Django project package."""

from apg_wbpm.celery import app as celery_app

__all__ = ["celery_app"]
