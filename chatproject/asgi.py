"""ASGI entry point: HTTP goes to Django, WebSockets through origin and JWT checks to Channels."""

import os
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatproject.settings.base")
django_asgi_app = get_asgi_application()  # set up Django before importing consumers

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from accounts.ws_auth import JWTAuthMiddleware  # noqa: E402
from chatproject.routing import websocket_urlpatterns  # noqa: E402
from core import gc_tuning  # noqa: E402
from realtime import shutdown  # noqa: E402


async def start_web_worker(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The lifespan protocol, which uvicorn speaks (Daphne does not): at start-up the server runs and
    holds its signal handlers, so SIGTERM can be taken over (sockets closed with 1001; docs/scaling.md)."""
    while (message := await receive())["type"] != "lifespan.shutdown":
        if message["type"] == "lifespan.startup":
            shutdown.install_under_uvicorn()
            gc_tuning.tune_garbage_collector()
            await send({"type": "lifespan.startup.complete"})
    await send({"type": "lifespan.shutdown.complete"})


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(JWTAuthMiddleware(URLRouter(websocket_urlpatterns))),
        "lifespan": start_web_worker,
    }
)
shutdown.install_under_daphne()  # SIGTERM: close sockets with 1001, then stop (docs/scaling.md)
if shutdown.running_under_daphne():
    gc_tuning.tune_garbage_collector()
