"""Django serves the built web app at / and at every client route, and leaves its own paths alone."""

import pytest

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
