"""A local Web Push service that checks what a real one checks, and a browser that can read its pushes.

The service verifies the VAPID JWT (RFC 8292: ES256 signature against the key in `k`, which must be the
applicationServerKey the browser subscribed with; `aud` is the endpoint's origin; `exp` is in the future
and at most 24 hours away), requires TTL and aes128gcm (RFC 8030/8291), then decrypts the body with the
browser's private key and auth secret (RFC 8188, via http_ece) — so a test sees exactly what a browser
would show. Requests it refuses land in `rejections`; tests assert there are none."""

import base64
import json
import os
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

URGENCIES = {"very-low", "low", "normal", "high"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Browser:
    """What PushManager.subscribe() makes: an endpoint, an ECDH key pair and an auth secret."""

    endpoint: str
    application_server_key: str
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth_secret: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        return b64url(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    @property
    def auth(self) -> str:
        return b64url(self.auth_secret)

    def subscription_json(self, **extra: Any) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}, **extra}


@dataclass
class Push:
    endpoint: str
    status: int
    payload: dict[str, Any]
    headers: dict[str, str]
    claims: dict[str, Any]


class VapidError(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def _verify_vapid(authorization: str, *, origin: str, expected_key: str) -> dict[str, Any]:
    scheme, _, params = authorization.partition(" ")
    if scheme.lower() != "vapid":
        raise VapidError(401, f"scheme {scheme!r} is not vapid")
    parts = dict(p.strip().split("=", 1) for p in params.split(",") if "=" in p)
    token, key = parts.get("t", ""), parts.get("k", "")
    if key != expected_key:
        raise VapidError(403, "k is not the applicationServerKey of this subscription")
    try:
        header_b64, claims_b64, signature_b64 = token.split(".")
        header, claims = json.loads(unb64url(header_b64)), json.loads(unb64url(claims_b64))
        raw_signature = unb64url(signature_b64)
        if header.get("alg") != "ES256" or len(raw_signature) != 64:
            raise VapidError(401, "the JWT is not ES256")
        signature = utils.encode_dss_signature(
            int.from_bytes(raw_signature[:32], "big"), int.from_bytes(raw_signature[32:], "big")
        )
        public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
        public_key.verify(signature, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    except (ValueError, InvalidSignature) as error:
        raise VapidError(401, f"bad JWT: {error!r}") from error
    if claims.get("aud") != origin:
        raise VapidError(401, f"aud {claims.get('aud')!r} is not {origin!r}")
    now = time.time()
    if not isinstance(claims.get("exp"), int) or not now < claims["exp"] <= now + 24 * 3600:
        raise VapidError(401, f"exp {claims.get('exp')!r} is not within the next 24 hours")
    if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
        raise VapidError(401, "sub is not a mailto: or https: contact")
    return claims


class FakePushService:
    def __init__(self) -> None:
        self._browsers: dict[str, Browser] = {}
        self._answers: dict[str, deque[int]] = defaultdict(deque)
        self._condition = threading.Condition()
        self._answering = threading.Event()
        self._answering.set()
        self.held = 0  # requests waiting, unanswered, for `stalled` to end
        self.pushes: list[Push] = []
        self.rejections: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    def start(self) -> "FakePushService":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- what tests use

    def subscribe(self, application_server_key: str) -> Browser:
        browser = Browser(f"{self.origin}/push/{secrets.token_urlsafe(16)}", application_server_key)
        self._browsers[urlsplit(browser.endpoint).path] = browser
        return browser

    def answer(self, browser: Browser, *statuses: int) -> None:
        """Answer the next pushes to `browser` with these statuses (then 201 again)."""
        self._answers[urlsplit(browser.endpoint).path].extend(statuses)

    def received(self, browser: Browser) -> list[dict[str, Any]]:
        """The decrypted payloads the service accepted for `browser` (what the browser gets)."""
        with self._condition:
            return [p.payload for p in self.pushes if p.endpoint == browser.endpoint and p.status == 201]

    def attempts(self, browser: Browser) -> list[Push]:
        with self._condition:
            return [p for p in self.pushes if p.endpoint == browser.endpoint]

    @contextmanager
    def stalled(self) -> Iterator[None]:
        """A push service that stops answering: every request is held, unanswered, until the block ends."""
        self._answering.clear()
        try:
            yield
        finally:
            self._answering.set()

    def wait_for_held(self, count: int, timeout: float = 5.0) -> bool:
        with self._condition:
            return self._condition.wait_for(lambda: self.held >= count, timeout)

    def wait_for_attempts(self, count: int, timeout: float = 5.0) -> bool:
        with self._condition:
            return self._condition.wait_for(lambda: len(self.pushes) + len(self.rejections) >= count, timeout)

    # --- the HTTP side

    def _receive(self, path: str, headers: dict[str, str], body: bytes) -> int:
        browser = self._browsers.get(path)
        if browser is None:
            return 404
        claims = _verify_vapid(
            headers.get("authorization", ""), origin=self.origin, expected_key=browser.application_server_key
        )
        if not headers.get("ttl", "").isdigit():
            raise VapidError(400, "TTL header missing or not a number")
        if headers.get("urgency", "normal") not in URGENCIES:
            raise VapidError(400, f"Urgency {headers['urgency']!r} is not valid")
        if headers.get("content-encoding") != "aes128gcm":
            raise VapidError(415, "Content-Encoding is not aes128gcm")
        try:
            plaintext = http_ece.decrypt(
                body, private_key=browser.private_key, auth_secret=browser.auth_secret, version="aes128gcm"
            )
        except Exception as error:  # noqa: BLE001 (any decryption failure is the sender's fault)
            raise VapidError(400, f"cannot decrypt: {error!r}") from error
        answers = self._answers[path]
        status = answers.popleft() if answers else 201
        with self._condition:
            self.pushes.append(Push(browser.endpoint, status, json.loads(plaintext), headers, claims))
            self._condition.notify_all()
        return status

    def _hold_while_stalled(self) -> None:
        if self._answering.is_set():
            return
        with self._condition:
            self.held += 1
            self._condition.notify_all()
        self._answering.wait()
        with self._condition:
            self.held -= 1

    def _reject(self, reason: str) -> None:
        with self._condition:
            self.rejections.append(reason)
            self._condition.notify_all()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                service._hold_while_stalled()
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    status = service._receive(self.path, headers, body)
                except VapidError as error:
                    service._reject(str(error))
                    status = error.status
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "1")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        return Handler
