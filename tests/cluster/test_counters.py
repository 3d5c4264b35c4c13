"""A conversation's seq counter through a real failover of the master that holds it: replication is
asynchronous, so the promoted replica may lack the last increments; the counter must never hand out a seq
again. The counter remembers the replication id it was counted under; under another one it is treated as
lost, restarted above everything stored, and the conversation's client_ids are checked in storage for a
while (messaging.delivery.journal)."""

import pytest

from core.redis import get_redis
from messaging.delivery.eventlog import allocate_seq, initialise_counter
from messaging.delivery.journal import SEQ_RESUME_GAP, recovering_key, seq_key
from tests.accounts.factories import UserFactory
from tests.cluster.redis_cluster import RedisCluster
from tests.messaging.factories import make_conversation

pytestmark = [pytest.mark.cluster, pytest.mark.django_db]


@pytest.fixture
def on_cluster(settings, redis_cluster: RedisCluster):
    """Parley's Redis clients on the test cluster, for this test."""
    settings.REDIS_CLUSTER_URLS = redis_cluster.urls
    settings.REDIS_URL = redis_cluster.urls[0]
    get_redis.cache_clear()
    yield redis_cluster
    get_redis.cache_clear()


def test_a_failover_never_hands_out_a_seq_twice(on_cluster):
    conversation = make_conversation(UserFactory(), UserFactory())
    initialise_counter(conversation.pk)
    handed_out = [allocate_seq(conversation.pk) for _ in range(3)]
    assert handed_out == [1, 2, 3]
    master = on_cluster.master_of(seq_key(conversation.pk))

    on_cluster.kill(master)
    try:
        on_cluster.wait_for_failover(seq_key(conversation.pk), master)
        after = allocate_seq(conversation.pk)
    finally:
        on_cluster.start_node(master)
        on_cluster.wait_until_ok()

    assert after == SEQ_RESUME_GAP + 1  # above everything stored (nothing here), whatever replication carried
    assert get_redis().exists(recovering_key(conversation.pk))  # retries are looked up in storage for a while
    assert allocate_seq(conversation.pk) == after + 1  # then counting goes on under the new master
