"""A real web site on 127.0.0.1 for the preview fetcher to unfurl: pages, images, redirects, a huge page
and one that never answers, each a route of a threaded HTTP server started by the test."""

import datetime
import io
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from PIL import Image

Route = Callable[["_Handler"], None]


def page(title: str, description: str = "", image: str = "") -> bytes:
    """An HTML page describing itself with Open Graph tags."""
    tags = f'<meta property="og:title" content="{title}">'
    if description:
        tags += f'<meta property="og:description" content="{description}">'
    if image:
        tags += f'<meta property="og:image" content="{image}">'
    head = f"<title>ignored</title>{tags}"
    return f"<!doctype html><html><head>{head}</head><body>x</body></html>".encode()


def png(width: int = 640, height: int = 480) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(out, format="PNG")
    return out.getvalue()


@dataclass
class Site:
    """The server and what it was asked: `hits` counts requests per path."""

    server: ThreadingHTTPServer
    scheme: str = "http"
    host: str = "127.0.0.1"
    routes: dict[str, Route] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    release: threading.Event = field(default_factory=threading.Event)  # lets a hanging route finish

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.host}:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.origin + path

    def serve(self, path: str, body: bytes, content_type: str = "text/html; charset=utf-8") -> str:
        self.routes[path] = lambda handler: handler.answer(200, body, content_type)
        return self.url(path)

    def redirect(self, path: str, location: str) -> str:
        self.routes[path] = lambda handler: handler.answer(302, b"", "text/plain", Location=location)
        return self.url(path)

    def hang(self, path: str) -> str:
        """A route that sends nothing until the test ends."""

        def route(handler: "_Handler") -> None:
            self.release.wait(timeout=30)
            handler.answer(200, b"<title>late</title>", "text/html")

        self.routes[path] = route
        return self.url(path)

    def stream(self, path: str, total: int) -> str:
        """A page of `total` bytes with no Content-Length (the fetcher must count as it reads)."""

        def route(handler: "_Handler") -> None:
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html")
            handler.send_header("Connection", "close")
            handler.end_headers()
            chunk = b"<p>" + b"x" * 8189 + b"</p>"
            try:
                for _ in range(total // len(chunk) + 1):
                    handler.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the fetcher hung up once past its cap, as it should

        self.routes[path] = route
        return self.url(path)

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    site: Site

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        path = self.path.split("?", 1)[0]
        self.site.hits[path] = self.site.hits.get(path, 0) + 1
        route = self.site.routes.get(path)
        if route is None:
            self.answer(404, b"not found", "text/plain")
        else:
            route(self)

    def answer(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the http.server API
        pass


def start_site(*, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1") -> Site:
    """The site on 127.0.0.1; with `tls`, over HTTPS, named `host` in its URLs."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    site = Site(server, scheme="https" if tls else "http", host=host)
    handler = type("Handler", (_Handler,), {"site": site})
    server.RequestHandlerClass = handler
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return site


def certificate(name: str, directory: Path) -> tuple[ssl.SSLContext, Path]:
    """A server TLS context with a self-signed certificate for `name`, and the certificate's file, which a
    client must trust (SSL_CERT_FILE) to accept it."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(tz=datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / f"{name}.crt", directory / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context, cert_file
