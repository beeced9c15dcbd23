"""WSGI entry point: production serves HTTP through gunicorn sync workers."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apg_wbpm.settings")

application = get_wsgi_application()
