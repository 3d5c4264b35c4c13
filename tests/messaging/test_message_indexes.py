"""Every stored message writes every index of the messages table, so the table keeps only indexes that queries
use, and the queries that lost an index of their own still find their rows through another."""

from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import QuerySet

from accounts.models import User
from messaging import selectors
from messaging.models import Message
from tests.messaging.factories import make_conversation, store_message

pytestmark = pytest.mark.django_db


def index_names() -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "messaging_message")
    return {name for name, c in constraints.items() if c["index"] or c["unique"]}


def plan_without_sequential_scans(queryset: QuerySet[Any]) -> str:
    """The plan PostgreSQL picks when a sequential scan is its last resort: a plan that still reads the whole
    table has no index to use."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        return queryset.explain()


def test_a_stored_message_writes_only_the_indexes_queries_use():
    assert index_names() == {
        "messaging_message_pkey",
        "one_seq_per_conversation",  # a conversation's timeline, unread counts, the journal's gaps
        "one_message_per_client_id",  # a retried send; and every lookup by sender
        "thread_replies",  # a thread's replies
        "messaging_message_search",  # search
    }


def test_an_erasure_finds_its_users_messages_through_the_client_id_index(ada: User, bob: User):
    # given
    store_message(make_conversation(ada, bob), ada, 1)
    # when an account is erased, its messages are emptied (messaging.services.privacy)
    plan = plan_without_sequential_scans(Message.objects.filter(sender=ada, deleted_at__isnull=True))
    # then
    assert "one_message_per_client_id" in plan
    assert "Seq Scan on messaging_message" not in plan


def test_a_threads_replies_are_found_through_the_thread_index(ada: User, bob: User):
    # given
    conversation = make_conversation(ada, bob)
    root = store_message(conversation, ada, 1)
    store_message(conversation, bob, 2, thread_root=root)
    # when a thread is opened, and when a follower's threads are listed with their unread replies
    opened = plan_without_sequential_scans(
        Message.objects.filter(conversation_id=conversation.pk, thread_root=root).order_by("seq")
    )
    listed = plan_without_sequential_scans(selectors.threads_followed(user=bob))
    # then
    assert "Seq Scan on messaging_message" not in opened
    assert "Seq Scan on messaging_message" not in listed
