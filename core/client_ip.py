"""The client's address, as the last proxy we trust saw it (docs/api.md, "Client addresses").

X-Forwarded-For is whatever the client wrote, plus one address per proxy it went through, each appended by
that proxy. Only the entries our own proxies added can be believed: walking from the right (the connecting
peer, then what each trusted proxy says it saw), the first address that is not one of TRUSTED_PROXIES is the
client. With no trusted proxies (the default) that is the connecting peer itself, whatever the header says.

The web servers do not rewrite the address themselves (scripts/web-server runs uvicorn with
--no-proxy-headers; Daphne runs without --proxy-headers): one rule, here, for every server and mode."""

import ipaddress
from collections.abc import Iterable
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    try:
        return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in trusted if entry.strip())
    except ValueError as error:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {error}") from error


def trusted_proxies() -> tuple[Network, ...]:
    return _networks(tuple(settings.TRUSTED_PROXIES))


def _is_trusted(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request: HttpRequest) -> str:
    peer = str(request.META.get("REMOTE_ADDR") or "")
    networks = trusted_proxies()
    if not networks:
        return peer
    forwarded = [hop.strip() for hop in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    client = peer
    for hop in reversed(forwarded):
        if not _is_trusted(client, networks):
            break
        try:
            client = str(ipaddress.ip_address(hop))
        except ValueError:  # not an address a proxy would write: the last one believed stands
            break
    return client
