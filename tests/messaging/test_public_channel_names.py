"""No two public channels share a name, whatever its case: the channel browser lists them by name, and two
called "general" confused everyone. Creating or renaming a public channel to a name another public channel has
is a 400 `channel_name_taken` (docs/api.md), races included (a constraint of the table); private groups and
channels may share any name. Migration 0021 tells apart the public channels that already shared one."""

import importlib

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction

from messaging.models import PUBLIC_CHANNEL_TITLE_UNIQUE, Conversation
from messaging.services import conversations
from tests.messaging.factories import make_conversation

pytestmark = pytest.mark.django_db

CONVERSATIONS_URL = "/api/v1/conversations/"


def create(client, title, *, kind="channel", is_public=True):
    body = {"kind": kind, "title": title, "members": [], "is_public": is_public}
    return client.post(CONVERSATIONS_URL, body, format="json")


def taken(title: str) -> dict:
    detail = f"There is already a public channel called “{title}”: choose another name."
    return {"error": {"code": "channel_name_taken", "detail": detail, "fields": {}}}


@pytest.fixture
def general(as_user, ada):
    response = create(as_user(ada), "general")
    assert response.status_code == 201
    return response.json()


@pytest.mark.parametrize("title", ["general", "General", "GENERAL", "  general "])
def test_a_public_channel_cannot_be_created_with_another_public_channel_s_name(as_user, eve, general, title):
    response = create(as_user(eve), title)
    assert (response.status_code, response.json()) == (400, taken("general"))
    assert Conversation.objects.filter(kind="channel").count() == 1


def test_a_public_channel_cannot_be_renamed_to_another_public_channel_s_name(as_user, ada, general):
    random = create(as_user(ada), "random").json()
    response = as_user(ada).patch(f"{CONVERSATIONS_URL}{random['id']}/", {"title": "General"}, format="json")
    assert (response.status_code, response.json()) == (400, taken("general"))
    assert Conversation.objects.get(pk=random["id"]).title == "random"
    # its own name in another case is no clash
    response = as_user(ada).patch(f"{CONVERSATIONS_URL}{general['id']}/", {"title": "General"}, format="json")
    assert (response.status_code, response.json()["title"]) == (200, "General")


def test_private_groups_and_channels_may_share_a_public_channel_s_name(as_user, ada, eve, general):
    assert create(as_user(eve), "general", is_public=False).status_code == 201
    assert create(as_user(eve), "General", is_public=False).status_code == 201
    assert create(as_user(ada), "general", kind="group", is_public=False).status_code == 201
    group = make_conversation(ada, eve, title="Ops")
    response = as_user(ada).patch(f"{CONVERSATIONS_URL}{group.pk}/", {"title": "GENERAL"}, format="json")
    assert response.status_code == 200


def test_two_people_naming_public_channels_alike_at_once_are_refused_by_the_table(
    as_user, eve, general, monkeypatch
):
    # both checks pass before either writes: the constraint still stops the second, told as the check tells
    monkeypatch.setattr(conversations, "_check_public_title_free", lambda *args, **kwargs: None)
    response = create(as_user(eve), "GENERAL")
    assert (response.status_code, response.json()) == (400, taken("GENERAL"))
    assert Conversation.objects.filter(kind="channel").count() == 1
    with pytest.raises(IntegrityError, match=PUBLIC_CHANNEL_TITLE_UNIQUE), transaction.atomic():
        Conversation.objects.create(kind="channel", is_public=True, title="gEnErAl")


def test_the_migration_tells_apart_public_channels_that_already_shared_a_name(ada):
    # given: old data, from before the constraint
    constraint = next(c for c in Conversation._meta.constraints if c.name == PUBLIC_CHANNEL_TITLE_UNIQUE)
    with connection.schema_editor() as editor:
        editor.remove_constraint(Conversation, constraint)
    titles = ["general", "General", "general (2)", "GENERAL", "x" * 100, "X" * 100, "general"]
    channels = [Conversation.objects.create(kind="channel", is_public=True, title=t) for t in titles]
    private = Conversation.objects.create(kind="channel", is_public=False, title="general")
    group = Conversation.objects.create(kind="group", title="general")

    # when
    migration = importlib.import_module("messaging.migrations.0021_public_channel_title_unique")
    migration.tell_duplicates_apart(apps, None)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the rows' own checks, before the index is made
    with connection.schema_editor() as editor:
        editor.add_constraint(Conversation, constraint)  # which fails on the old data

    # then: the oldest keeps its name, each later one the first free number
    assert [Conversation.objects.get(pk=c.pk).title for c in channels] == [
        "general",
        "General (3)",
        "general (2)",
        "GENERAL (4)",
        "x" * 100,
        "X" * 96 + " (2)",
        "general (5)",
    ]
    assert Conversation.objects.get(pk=private.pk).title == "general"
    assert Conversation.objects.get(pk=group.pk).title == "general"
