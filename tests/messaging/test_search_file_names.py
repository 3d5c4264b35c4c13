"""Message search finds a message by the words of its files' names (docs/search.md), with the same gates as
its words: members only, never once deleted, and never by a file that left the message. Storing a batch with
files costs the same queries whatever its size, and migration 0020 fills the names of messages stored
before it. Both databases answer alike: tests/messaging/search_scenario.py, which test_search.py runs on
each."""

import importlib
from types import SimpleNamespace

import pytest
from django.db import connection

from accounts.services import user_erase
from files.events import attachment_payload
from files.models import StoredFile
from messaging.events import MessagePayload
from messaging.models import Message
from messaging.services import messages_store
from tests.files.factories import StoredFileFactory
from tests.messaging.factories import acknowledged_payload, make_conversation, store_message

pytestmark = pytest.mark.django_db

SEARCH_URL = "/api/v1/search/messages/"


def found(client, q: str) -> list[str]:
    response = client.get(SEARCH_URL, {"q": q})
    assert response.status_code == 200
    return [hit["message"]["id"] for hit in response.json()["results"]]


def with_files(conversation, sender, seq: int, body: str, *files: StoredFile) -> MessagePayload:
    """A sent message carrying `files`, as the persistence task receives it."""
    message = acknowledged_payload(conversation, sender, seq=seq, body=body)
    message["attachments"] = [attachment_payload(f) for f in files]
    return message


def test_a_file_s_name_finds_its_message_for_the_conversation_s_members_only(as_user, ada, bob, eve, team):
    # given: ada sent quarterly-report.pdf with a few words, and notes.txt alone, and eve has her own notes
    report = StoredFileFactory(owner=ada, name="quarterly-report.pdf")
    notes = StoredFileFactory(owner=ada, name="notes.txt")
    sent = [with_files(team, ada, 1, "for Monday", report), with_files(team, ada, 2, "", notes)]
    eves = with_files(
        make_conversation(eve, title="Eve's"), eve, 1, "mine", StoredFileFactory(name="notes.md")
    )
    messages_store(messages=[*sent, eves])

    # then: the words of a name find its message, with the message's words too, for a member
    assert found(as_user(bob), "quarterly") == [sent[0]["id"]]
    assert found(as_user(bob), "report monday") == [sent[0]["id"]]
    assert found(as_user(ada), "notes") == [sent[1]["id"]]
    # a name is not a word of the text: no snippet marks it
    hit = as_user(ada).get(SEARCH_URL, {"q": "notes"}).json()["results"][0]
    assert hit["snippet"] == ""
    assert [a["name"] for a in hit["message"]["attachments"]] == ["notes.txt"]
    # and nobody finds a conversation they are not in
    assert found(as_user(eve), "quarterly") == []
    assert found(as_user(eve), "notes") == [eves["id"]]


def test_a_deleted_message_is_not_found_by_its_file_s_name(as_user, ada, bob, team):
    # given: ada's message with her notes
    message = with_files(team, ada, 1, "here", StoredFileFactory(owner=ada, name="notes.txt"))
    messages_store(messages=[message])
    assert found(as_user(bob), "notes") == [message["id"]]

    # when: she deletes it (its file goes with it)
    assert as_user(ada).delete(f"/api/v1/messages/{message['id']}/").status_code == 204

    # then
    assert found(as_user(bob), "notes") == []
    assert found(as_user(ada), "notes") == []
    assert Message.objects.get(pk=message["id"]).attachment_names == ""


def test_a_file_that_leaves_a_message_no_longer_finds_it(as_user, ada, bob, cy, team):
    # given: ada forwarded cy's minutes.txt into the team with her agenda.txt; cy then erases her account,
    # and her files go with it
    minutes = StoredFileFactory(owner=cy, name="minutes.txt")
    agenda = StoredFileFactory(owner=ada, name="agenda.txt")
    message = with_files(team, ada, 1, "see these", minutes, agenda)
    messages_store(messages=[message])
    assert found(as_user(bob), "minutes") == [message["id"]]

    # when
    assert user_erase(user=cy)

    # then: the forward is no longer found by the name of the file it no longer carries, but still by the rest
    assert not StoredFile.objects.filter(pk=minutes.pk).exists()
    assert found(as_user(bob), "minutes") == []
    assert found(as_user(bob), "agenda") == [message["id"]]
    assert found(as_user(bob), "see") == [message["id"]]


def test_a_file_gone_before_its_message_is_stored_does_not_find_it(as_user, ada, bob, team):
    # given: a message acknowledged with a file its owner discarded before the message was stored
    draft = StoredFileFactory(owner=ada, name="draft.txt")
    message = with_files(team, ada, 1, "the scan", draft)
    draft.delete()

    # when
    messages_store(messages=[message])

    # then
    assert found(as_user(bob), "draft") == []
    assert found(as_user(bob), "scan") == [message["id"]]


@pytest.mark.parametrize("size", [1, 50])
def test_storing_a_batch_with_files_costs_the_same_queries_whatever_its_size(
    ada, team, size, django_assert_num_queries
):
    # given: every message of the batch carries a file
    batch = [
        with_files(team, ada, seq, "hi", StoredFileFactory(owner=ada, name=f"scan-{seq}.png"))
        for seq in range(1, size + 1)
    ]
    # then: test_services.py's six, and one look at which files exist and one insert of the links
    with django_assert_num_queries(8):
        assert messages_store(messages=batch).new == size
    assert Message.objects.get(seq=size).attachment_names == f"scan-{size}.png"


@pytest.mark.django_db(transaction=True)  # as in production: the rows are committed before the rebuild
def test_the_migration_makes_messages_stored_before_it_findable_by_their_files(as_user, ada, bob, team):
    # given: messages stored before 0020, their files linked and no names written; one of them deleted
    kept, deleted = store_message(team, ada, 1, "first"), store_message(team, ada, 2, "second")
    kept.attachments.add(StoredFileFactory(owner=ada, name="roadmap.pdf"), StoredFileFactory(name="plan.md"))
    deleted.attachments.add(StoredFileFactory(owner=ada, name="roadmap-old.pdf"))
    Message.objects.filter(pk=deleted.pk).update(deleted_at=deleted.created_at, body="")
    Message.objects.update(attachment_names="")
    assert found(as_user(bob), "roadmap") == []

    # when
    backfill = importlib.import_module("messaging.migrations.0020_search_attachment_names")
    backfill.names_fill_and_index(None, SimpleNamespace(connection=connection))

    # then
    assert found(as_user(bob), "roadmap") == [str(kept.pk)]
    assert found(as_user(bob), "plan") == [str(kept.pk)]
    assert sorted(Message.objects.get(pk=kept.pk).attachment_names.split("\n")) == ["plan.md", "roadmap.pdf"]
    assert Message.objects.get(pk=deleted.pk).attachment_names == ""
