"""The web app: its built index.html for every client route, its service worker at the root scope, and
the robots.txt that goes with them."""

from functools import cache
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

BUILD_DIR = Path(__file__).resolve().parent / "static" / "frontend"


@cache
def _read_cached(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


def _read_build_file(name: str) -> bytes | None:
    """A file of the Vite build; read once per process unless DEBUG (where rebuilds should show)."""
    path = BUILD_DIR / name
    if settings.DEBUG:
        return path.read_bytes() if path.is_file() else None
    return _read_cached(path)


@require_safe
@never_cache
def index(request: HttpRequest) -> HttpResponse:
    """The app shell. The hashed assets it names are cached forever; the shell itself never is."""
    html = _read_build_file("index.html")
    if html is None:
        return render(request, "frontend/index.html", status=200)
    return HttpResponse(html, content_type="text/html; charset=utf-8")


@require_safe
@never_cache
def service_worker(request: HttpRequest) -> HttpResponse:
    """Served from / (not /static/) so that it may control the whole origin."""
    script = _read_build_file("sw.js")
    if script is None:
        raise Http404("No service worker in the build.")
    response = HttpResponse(script, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    return response


# The app's screens may be indexed (the login page is its front door); the API, admin and files may not.
ROBOTS_TXT = """\
User-agent: *
Disallow: /api/
Disallow: /admin/
Disallow: /media/
"""


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    return HttpResponse(ROBOTS_TXT, content_type="text/plain; charset=utf-8")
