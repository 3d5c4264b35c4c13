"""Probes and Prometheus reach a worker by its address, which DJANGO_ALLOWED_HOSTS does not list: /healthz,
/readyz and /metrics answer whatever the Host header, and every other page still refuses such a host."""

import pytest
from django.test import AsyncClient, Client

POD_ADDRESS = "10.1.2.3:8000"  # what the kubelet and Prometheus's pod or DNS discovery send as Host
SCRAPER = "10.9.8.7"  # Prometheus, outside METRICS_ALLOWED_IPS


@pytest.fixture
def client(settings) -> Client:
    settings.METRICS_TOKEN = "scrape-me-5d1e"
    assert "10.1.2.3" not in settings.ALLOWED_HOSTS
    return Client(HTTP_HOST=POD_ADDRESS, REMOTE_ADDR=SCRAPER)


def test_a_scraper_with_the_token_gets_the_metrics_at_the_workers_address(client, db):
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me-5d1e")

    assert response.status_code == 200
    assert b"parley_open_sockets" in response.content


def test_without_the_token_the_metrics_stay_refused(client, db):
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me-5d1f").status_code == 403


def test_the_liveness_probe_answers_at_the_workers_address(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("path", ["/", "/api/v1/auth/me", "/admin/login/", "/healthz/", "/metrics/x"])
def test_any_other_page_still_refuses_a_host_not_allowed(client, db, path):
    assert client.get(path).status_code == 400


async def test_under_asgi_too(settings):
    # the web workers run Django's async handler: the middleware's async path answers the same way (the test
    # client adds its own Host first, so Django reads "testserver,10.1.2.3:8000": a host not allowed either)
    settings.METRICS_TOKEN = "scrape-me-5d1e"
    client, pod = AsyncClient(), {"Host": POD_ADDRESS}

    assert (await client.get("/healthz", headers=pod)).status_code == 200
    metrics = await client.get("/metrics", headers={**pod, "Authorization": "Bearer scrape-me-5d1e"})
    assert metrics.status_code == 200
    assert (await client.get("/", headers=pod)).status_code == 400
