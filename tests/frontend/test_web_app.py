"""Django serves the built web app at / and at every client route, and leaves its own paths alone."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from whitenoise.middleware import WhiteNoiseMiddleware

from frontend import views


@pytest.fixture
def build(tmp_path, monkeypatch):
    """A stand-in for the Vite build, so these tests don't depend on `make web`."""
    (tmp_path / "index.html").write_text(
        '<!doctype html><div id="root"></div><script src="/static/x.js"></script>'
    )
    (tmp_path / "sw.js").write_text("self.addEventListener('push', () => {});")
    monkeypatch.setattr(views, "BUILD_DIR", tmp_path)
    views._read_cached.cache_clear()
    yield tmp_path
    views._read_cached.cache_clear()


@pytest.mark.parametrize(
    "path", ["/", "/login", "/c/12", "/settings/", "/new/direct", "/apiary", "/static-pages"]
)
def test_client_routes_get_the_app_shell(client, build, path):
    response = client.get(path)
    assert response.status_code == 200
    assert b'<div id="root">' in response.content
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize(
    "path", ["/api/v1/nope/", "/api/v1", "/admin/", "/ws/", "/static/nope.js", "/media/x"]
)
def test_server_paths_are_not_swallowed(client, build, path):
    response = client.get(path)
    assert b'<div id="root">' not in response.content


@pytest.mark.django_db
def test_health_checks_still_answer(client, build):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_without_a_build_the_placeholder_says_how_to_build(client, tmp_path, monkeypatch):
    monkeypatch.setattr(views, "BUILD_DIR", tmp_path)
    views._read_cached.cache_clear()
    response = client.get("/c/3")
    assert response.status_code == 200
    assert b"make web" in response.content


def test_the_service_worker_is_served_at_the_root_scope(client, build):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"


def test_writes_to_client_routes_are_refused(client, build):
    assert client.post("/settings").status_code == 405


def test_robots_txt_is_plain_text_that_keeps_crawlers_out_of_the_api(client, build):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    assert "Disallow: /api/" in lines
    assert "Disallow: /" not in lines  # the app itself may be indexed


def _static_response(tmp_path, settings, relative: str):
    """What WhiteNoise answers for one file of a static root holding only that file."""
    file = tmp_path / relative
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text("x")
    settings.STATIC_ROOT = tmp_path
    middleware = WhiteNoiseMiddleware(lambda request: HttpResponse(status=404))
    return middleware(RequestFactory().get(f"/static/{relative}"))


@pytest.mark.parametrize("relative", ["frontend/assets/index-BEsdYW7q.js", "admin/css/base.5af66c1b1797.css"])
def test_hashed_static_files_are_cached_for_good(tmp_path, settings, relative):
    response = _static_response(tmp_path, settings, relative)
    assert response.status_code == 200
    cache_control = response["Cache-Control"]
    assert "immutable" in cache_control
    max_age = int(cache_control.split("max-age=")[1].split(",")[0])
    assert max_age >= 365 * 24 * 3600


@pytest.mark.parametrize("relative", ["frontend/manifest.webmanifest", "admin/img/icon-calendar.svg"])
def test_unhashed_static_files_are_revalidated_soon(tmp_path, settings, relative):
    response = _static_response(tmp_path, settings, relative)
    assert response.status_code == 200
    assert "immutable" not in response["Cache-Control"]
