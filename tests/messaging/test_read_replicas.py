"""Read replicas (core.db_router): history, search and list reads go to a replica unless the reader wrote a
moment ago; every other read, and every write, goes to the primary.

This machine's PostgreSQL refuses replication connections (its pg_hba.conf has no `replication` line), so no
streaming replica can be started here: the replica alias is a second connection to the test database, and
the tests assert where the router sent each query, per connection. Replication itself is PostgreSQL's (the
`cluster` compose profile runs a streaming replica; docs/scaling.md)."""

import pytest
from django.core.cache import cache
from django.db import connections
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from core.db_router import READ_YOUR_WRITES_SECONDS, ReplicaRouter, pin_key, pinned_to_primary
from core.redis import get_redis
from messaging.models import Message
from tests.messaging.factories import make_conversation, store_message

REPLICA = "replica1"
# Registered at import, before the test databases are set up, so that the test run makes it a mirror of the
# test database (as DATABASE_REPLICA_URLS does in settings); only this module's router sends reads there.
connections.settings.setdefault(REPLICA, {**connections.settings["default"], "TEST": {"MIRROR": "default"}})
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])


@pytest.fixture
def replica(settings):
    """The router and its middleware, as DATABASE_REPLICA_URLS installs them."""
    settings.DATABASE_REPLICAS = [REPLICA]
    settings.DATABASE_ROUTERS = ["core.db_router.ReplicaRouter"]
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "core.db_router.PinAfterWriteMiddleware"]
    return connections[REPLICA]


@pytest.fixture
def team(ada, bob):
    conversation = make_conversation(ada, bob, title="Team")
    store_message(conversation, ada, 1, "first")
    return conversation


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def queries_on_each(method, *args, **kwargs):
    """(response, queries on the primary, queries on the replica) of one request."""
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as replica,
    ):
        response = method(*args, **kwargs)
    return response, len(primary), len(replica)


def test_history_search_and_lists_are_read_from_the_replica(replica, ada, team):
    client = client_for(ada)
    for url in (
        f"/api/v1/conversations/{team.pk}/messages/",
        "/api/v1/conversations/",
        "/api/v1/search/messages/?q=first",
        "/api/v1/channels/",
    ):
        response, _, on_replica = queries_on_each(client.get, url)
        assert response.status_code == 200, url
        assert on_replica > 0, f"{url} did not read the replica"
    history = client.get(f"/api/v1/conversations/{team.pk}/messages/").json()
    assert [m["body"] for m in history["results"]] == ["first"]


def test_other_reads_and_every_write_go_to_the_primary(replica, ada, team):
    response, on_primary, on_replica = queries_on_each(
        client_for(ada).get, f"/api/v1/conversations/{team.pk}/"
    )
    assert response.status_code == 200
    assert on_primary > 0
    assert on_replica == 0
    assert ReplicaRouter().db_for_write(Message) == "default"
    assert ReplicaRouter().allow_migrate(REPLICA, "messaging") is False


def test_a_writer_reads_the_primary_for_a_few_seconds_while_others_read_the_replica(replica, ada, bob, team):
    ada_client = client_for(ada)
    written = ada_client.patch(f"/api/v1/conversations/{team.pk}/", {"title": "Renamed"}, format="json")
    assert written.status_code == 200
    assert pinned_to_primary(ada.pk)

    response, on_primary, on_replica = queries_on_each(ada_client.get, "/api/v1/conversations/")
    assert [c["title"] for c in response.json()["results"]] == ["Renamed"]  # her own write, whatever the lag
    assert on_replica == 0
    assert on_primary > 0
    _, _, bob_on_replica = queries_on_each(client_for(bob).get, "/api/v1/conversations/")
    assert bob_on_replica > 0


def test_the_pin_lasts_a_few_seconds(replica, ada, team):
    client_for(ada).patch(f"/api/v1/conversations/{team.pk}/", {"title": "Renamed"}, format="json")
    assert 0 < get_redis().ttl(cache.make_key(pin_key(ada.pk))) <= READ_YOUR_WRITES_SECONDS
