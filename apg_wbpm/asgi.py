"""ASGI entry point for daphne: HTTP (used by ``make run``) and the WebSocket routes under /ws/."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apg_wbpm.settings")
django_asgi_app = get_asgi_application()  # sets up Django before consumers are imported

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from apg_wbpm.routing import websocket_urlpatterns  # noqa: E402
from apps.tenancy.channels import TenantAuthMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(TenantAuthMiddleware(URLRouter(websocket_urlpatterns))),
    }
)
