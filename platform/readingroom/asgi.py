"""ASGI entry point: HTTP through Django, WebSockets through Channels. Served by daphne."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "readingroom.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from readingroom.reading.ws_auth import CaptureTokenMiddleware, OriginOrTokenValidator  # noqa: E402
from readingroom.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": OriginOrTokenValidator(
            AuthMiddlewareStack(CaptureTokenMiddleware(URLRouter(websocket_urlpatterns)))
        ),
    }
)
