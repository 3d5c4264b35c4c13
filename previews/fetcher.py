"""Fetching a URL someone else chose without letting them reach what only Parley can reach (SSRF;
docs/architecture.md, "Link previews").

Every hop — the URL and each redirect — is checked the same way: http(s) only, no credentials, the usual
ports; the host is resolved here and every address it resolves to must be public (not loopback, private,
link-local such as the cloud metadata address, multicast, reserved…); the connection then goes to that very
address (with the name's Host header and TLS name), so a second DNS answer cannot swap in another one. The
whole fetch has a deadline, the body a byte cap, the type must be one the caller accepts, and at most
PREVIEW_MAX_REDIRECTS redirects are followed. Hosts in PREVIEW_ALLOWED_TEST_HOSTS (empty but in tests) skip
the address check only."""

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import urllib3
from django.conf import settings

ALLOWED_PORTS = {"http": {80, 8080}, "https": {443, 8443}}
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
URL_MAX_LENGTH = 2048
CHUNK_BYTES = 16 * 1024
USER_AGENT = "ParleyLinkPreview/1.0 (+link previews)"


class FetchRefused(Exception):
    """The URL, an address it resolved to, or what it answered may not be fetched or used."""


@dataclass(frozen=True)
class Fetched:
    url: str  # where the body came from, after redirects
    content_type: str  # the media type alone, lower case
    charset: str | None
    body: bytes


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str  # IDNA-encoded, lower case
    port: int
    path: str  # path and query


def is_public_address(address: str) -> bool:
    """Whether anyone on the internet could be at `address`: Python's is_global, minus what it lets through
    (multicast, and IPv4 spelled as IPv6 — mapped, 6to4, Teredo — judged as the IPv4 it carries)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and not is_public_address(str(embedded)):
            return False
    return ip.is_global and not (
        ip.is_multicast or ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved
    )


def fetch(url: str, *, accept: frozenset[str], max_bytes: int) -> Fetched:
    """GET `url`, following redirects, and return its body if its type is in `accept`. Raises FetchRefused
    for anything refused or failed: a preview is best effort, and the reason is only logged."""
    deadline = time.monotonic() + settings.PREVIEW_TOTAL_TIMEOUT_SECONDS
    for _ in range(settings.PREVIEW_MAX_REDIRECTS + 1):
        target = _target(url)
        response = _request(target, _resolve(target), deadline)
        try:
            if response.status in REDIRECT_STATUSES:
                location = response.headers.get("Location")
                if not location:
                    raise FetchRefused("a redirect without a Location")
                url = urljoin(url, location)
                continue
            if response.status != 200:
                raise FetchRefused(f"HTTP {response.status}")
            content_type, charset = _media_type(response.headers.get("Content-Type", ""))
            if content_type not in accept:
                raise FetchRefused(f"type {content_type or 'unknown'} not accepted")
            return Fetched(url, content_type, charset, _read(response, max_bytes, deadline))
        finally:
            response.close()  # the pool was for this one request
    raise FetchRefused("too many redirects")


def _target(url: str) -> _Target:
    if len(url) > URL_MAX_LENGTH:
        raise FetchRefused("URL too long")
    try:
        parts = urlsplit(url)
        port = parts.port
        host = (parts.hostname or "").encode("idna").decode("ascii").lower()
    except (ValueError, UnicodeError) as error:
        raise FetchRefused(f"malformed URL: {error}") from error
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_PORTS:
        raise FetchRefused(f"scheme {scheme!r} not allowed")
    if not host:
        raise FetchRefused("no host")
    if parts.username is not None or parts.password is not None:
        raise FetchRefused("credentials in the URL")
    port = port or (443 if scheme == "https" else 80)
    if port not in ALLOWED_PORTS[scheme] and not _allowed_for_tests(host):
        raise FetchRefused(f"port {port} not allowed")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return _Target(scheme, host, port, path)


def _allowed_for_tests(host: str) -> bool:
    return host in settings.PREVIEW_ALLOWED_TEST_HOSTS


def _resolve(target: _Target) -> str:
    """The address to connect to: every address the host resolves to must be public (a name that also
    resolves to a private address is refused whichever the connection would pick)."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise FetchRefused(f"cannot resolve {target.host}: {error}") from error
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise FetchRefused(f"{target.host} has no address")
    if not _allowed_for_tests(target.host):
        refused = [address for address in addresses if not is_public_address(address)]
        if refused:
            raise FetchRefused(f"{target.host} resolves to a non-public address ({refused[0]})")
    return addresses[0]


def _request(target: _Target, address: str, deadline: float) -> urllib3.BaseHTTPResponse:
    """Connect to `address` itself, naming the host in the Host header and, over TLS, in SNI and the
    certificate check."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchRefused("timed out")
    timeout = urllib3.Timeout(
        connect=min(settings.PREVIEW_CONNECT_TIMEOUT_SECONDS, remaining),
        read=min(settings.PREVIEW_READ_TIMEOUT_SECONDS, remaining),
    )
    default_port = 443 if target.scheme == "https" else 80
    host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
    pool: urllib3.HTTPConnectionPool
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address,
            target.port,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            maxsize=1,
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, target.port, maxsize=1)
    headers = {
        "Host": host_header,
        "User-Agent": USER_AGENT,
        "Accept": "text/html,application/xhtml+xml,image/*;q=0.8",
        "Accept-Encoding": "identity",  # no compressed body, whose decoding the byte cap could not bound
    }
    try:
        return pool.urlopen(
            "GET",
            target.path,
            headers=headers,
            redirect=False,
            retries=False,
            timeout=timeout,
            preload_content=False,
            assert_same_host=False,
        )
    except urllib3.exceptions.HTTPError as error:
        raise FetchRefused(f"request failed: {error}") from error


def _media_type(header: str) -> tuple[str, str | None]:
    media_type, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"') or None
    return media_type.strip().lower(), charset


def _read(response: urllib3.BaseHTTPResponse, max_bytes: int, deadline: float) -> bytes:
    """The body, refused once it passes `max_bytes` or the deadline (a server dripping bytes just within
    the read timeout is still cut off)."""
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise FetchRefused(f"content encoding {encoding} not accepted")
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise FetchRefused("larger than the byte cap")
    body = bytearray()
    try:
        for chunk in response.stream(CHUNK_BYTES, decode_content=False):
            body += chunk
            if len(body) > max_bytes:
                raise FetchRefused("larger than the byte cap")
            if time.monotonic() > deadline:
                raise FetchRefused("timed out")
    except (urllib3.exceptions.HTTPError, OSError) as error:
        raise FetchRefused(f"reading failed: {error}") from error
    return bytes(body)
