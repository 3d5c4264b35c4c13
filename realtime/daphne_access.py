"""Daphne's access log through the application's logging (docs/operations.md, "Logs"): a line per request with
its method and path, never its query string, which can carry a token (a data export's download link,
docs/accounts.md; a socket's URL, docs/protocol.md). Daphne's own (daphne.access.AccessLogGenerator) prints
the whole URL on standard output; install_under_daphne() (chatproject/asgi.py) puts this one in its place once
the server runs, however Daphne was started (`-v 0`, no access log, stays so)."""

import logging
from typing import Any

from realtime.shutdown import daphne_servers, running_under_daphne

logger = logging.getLogger("daphne.access")

_SOCKET_ACTIONS = {"connecting", "connected", "rejected", "disconnected"}


class AccessLog:
    """Daphne's action logger interface: called with ("http", "complete", details) once a response is sent,
    and with ("websocket", <action>, details) as a socket opens and closes."""

    def __call__(self, protocol: str, action: str, details: dict[str, Any]) -> None:
        path = str(details.get("path", "")).partition("?")[0]
        client = details.get("client") or "-"
        if protocol == "http" and action == "complete":
            method, status, size = details.get("method"), details.get("status"), details.get("size")
            logger.info(
                '%s "%s %s" %s %s',
                client,
                method,
                path,
                status,
                size,
                extra={"client": client, "method": method, "path": path, "status": status, "size": size},
            )
        elif protocol == "websocket" and action in _SOCKET_ACTIONS:
            logger.info(
                '%s "WebSocket %s" %s',
                client,
                path,
                action,
                extra={"client": client, "path": path, "socket": action},
            )


def install_under_daphne() -> None:
    """When this process is a Daphne server, log its requests through AccessLog from its first on (the
    reactor runs this before it reads a connection). Elsewhere this does nothing."""
    if not running_under_daphne():
        return
    from twisted.internet import reactor

    reactor.callWhenRunning(_install)


def _install() -> None:
    for server in daphne_servers():
        if server.action_logger is not None:  # None: started with -v 0, no access log
            server.action_logger = AccessLog()
