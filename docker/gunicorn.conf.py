"""gunicorn settings of the ``web`` container, also used by ``python -m bench``.

Sync workers on the WSGI application: every request has a process to itself, with no
thread hops between Django's sync middleware and the view. Scale with more workers per
container (``WEB_CONCURRENCY``, about two per core) and more containers.

Environment: ``GUNICORN_BIND`` (default 0.0.0.0:8000), ``WEB_CONCURRENCY`` (workers,
default 2), ``GUNICORN_TIMEOUT`` (seconds, default 30), ``GUNICORN_LOG_LEVEL`` (default info).
"""

import os

wsgi_app = "apg_wbpm.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
# Worker heartbeat files in memory: a container's root file system may be slow or read-only.
worker_tmp_dir = "/dev/shm"  # noqa: S108 - gunicorn's own per-worker files, created with mkstemp
# No control socket: containers are managed from outside, and its default path under $HOME
# is shared by every gunicorn of a user (and read-only in the Kubernetes pods).
control_socket_disable = True
accesslog = None  # the proxy logs every request
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
