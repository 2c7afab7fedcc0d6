"""ASGI entry point: HTTP through Django, WebSockets through Channels. Served by daphne."""

from __future__ import annotations

import gc
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

# Freeze what start-up allocated (Django, the URL conf, the consumers with their numpy and msgpack imports)
# out of the collector's reach: a full collection then scans only what requests allocate. Without it every
# gen-2 collection walked the ~130,000 start-up objects and paused the event loop for 60-150 ms, the largest
# single part of the gaze acknowledgements' p99 (benchmarks/ws_ingest.py; benchmarks/README.md).
gc.collect()
gc.freeze()
