"""ASGI entry point: HTTP goes to Django, WebSockets through origin and JWT checks to Channels."""

import contextlib
import os
from typing import Any
from urllib.parse import urlparse

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatproject.settings.base")
django_asgi_app = get_asgi_application()  # set up Django before importing consumers

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator, WebsocketDenier  # noqa: E402

from accounts import ws_auth  # noqa: E402
from chatproject.routing import websocket_urlpatterns  # noqa: E402
from core import gc_tuning  # noqa: E402
from realtime import daphne_access, shutdown, unreadable_requests  # noqa: E402


async def start_web_worker(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The lifespan protocol, which uvicorn speaks (Daphne does not): at start-up the server runs and
    holds its signal handlers, so SIGTERM can be taken over (sockets closed with 1001; docs/scaling.md)."""
    while (message := await receive())["type"] != "lifespan.shutdown":
        if message["type"] == "lifespan.startup":
            shutdown.install_under_uvicorn()
            gc_tuning.tune_garbage_collector()
            await send({"type": "lifespan.startup.complete"})
    await send({"type": "lifespan.shutdown.complete"})


class WebSocketEntry:
    """A socket's way in: what AllowedHostsOriginValidator(JWTAuthMiddleware(URLRouter(routes))) checks —
    its origin, then its token, then its path — and its consumer awaited from this one coroutine, with one
    copy of the scope. Nested, each middleware's coroutine stays suspended for as long as the socket lives,
    with its own copy of the scope (~2 KiB per idle socket; docs/benchmarks.md, "Idle socket memory")."""

    def __init__(self, routes: list[Any]) -> None:
        self._router = URLRouter(routes)
        self._origins = AllowedHostsOriginValidator(self._router)  # its rule: valid_origin

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if not self._origins.valid_origin(_origin_of(scope)):
            await WebsocketDenier()(scope, receive, send)
            return
        scope = await ws_auth.authenticated(scope)
        consumer, scope = _route(self._router, scope)
        await consumer(scope, receive, send)


def _origin_of(scope: dict[str, Any]) -> Any:
    """The Origin header, parsed, as channels' OriginValidator reads it (the last one; None if absent)."""
    parsed = None
    for name, value in scope.get("headers", []):
        if name == b"origin":
            with contextlib.suppress(UnicodeDecodeError):
                parsed = urlparse(value.decode("latin1"))
    return parsed


def _route(router: URLRouter, scope: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """URLRouter's match: (the route's application, the scope it is given); ValueError for no route."""
    path = scope["path"]
    root_path = scope.get("root_path", "")
    if root_path and not path.startswith(root_path):
        raise ValueError(f"No route found for path {path!r}.")
    path = path[len(root_path) :].lstrip("/")
    for route in router.routes:
        match = route.pattern.match(path)
        if match:
            remaining, args, kwargs = match
            kwargs.update(route.default_args)
            return route.callback, {
                **scope,
                "path_remaining": remaining,
                "url_route": {"args": args, "kwargs": kwargs},
            }
    raise ValueError(f"No route found for path {path!r}.")


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": WebSocketEntry(websocket_urlpatterns),
        "lifespan": start_web_worker,
    }
)
shutdown.install_under_daphne()  # SIGTERM: close sockets with 1001, then stop (docs/scaling.md)
daphne_access.install_under_daphne()  # its access log without query strings (docs/operations.md)
unreadable_requests.install_under_daphne()  # what Twisted and Daphne refuse: the standard error body
if shutdown.running_under_daphne():
    gc_tuning.tune_garbage_collector()
