"""APG Workflow & BPM: the Django project package."""
