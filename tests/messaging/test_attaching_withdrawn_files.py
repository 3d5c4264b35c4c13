"""A file its owner withdrew by deleting the message that carried it cannot be attached to a new message: not
while moderators hold it for a report of that message, nor while a leftover waits for retention's sweep. The
refusal is the one for a file that does not exist, over REST and the socket. A file fresh from its upload, or
one a message that is not deleted still carries, is attached as before."""

import uuid
from typing import cast

import pytest
from channels.db import database_sync_to_async
from django.core.exceptions import ValidationError

from files.models import StoredFile
from files.selectors import ATTACHMENTS_REFUSED, files_for_attachment
from messaging import services as messaging_services
from messaging.models import Message
from moderation import services as moderation_services
from tests.files.factories import StoredFileFactory
from tests.messaging.factories import store_message

pytestmark = pytest.mark.django_db(transaction=True)  # sends look attachments up in another thread


def messages_url(conversation) -> str:
    return f"/api/v1/conversations/{conversation.pk}/messages/"


def shared_then_deleted(team, ada, bob, *, reported: bool) -> StoredFile:
    """ada's notes.pdf, sent in the team and deleted by her; bob reported the message first if `reported`,
    so the moderators hold the file (it is still stored, for them only)."""
    notes = cast(StoredFile, StoredFileFactory(owner=ada, name="notes.pdf"))
    message = store_message(team, ada, 1, "my notes")
    message.attachments.add(notes)
    if reported:
        moderation_services.report_create(user=bob, message_id=message.pk, reason="private data")
        messaging_services.message_delete(user=ada, message_id=message.pk)
    else:  # deleted before a deletion took its files (ab729ea): the hourly sweep has not run yet
        Message.objects.filter(pk=message.pk).update(deleted_at=message.created_at, body="")
    assert StoredFile.objects.filter(pk=notes.pk).exists()
    return notes


@pytest.mark.parametrize("reported", [True, False], ids=["held for a report", "left for the sweep"])
def test_a_file_of_a_deleted_message_cannot_be_sent_again_over_rest(as_user, ada, bob, team, reported):
    # given: ada deleted the message that carried her notes, which are still stored
    notes = shared_then_deleted(team, ada, bob, reported=reported)
    client = as_user(ada)
    before = client.post(messages_url(team), {"body": "hi", "client_id": str(uuid.uuid4())}, format="json")

    # when: she sends them again
    response = client.post(
        messages_url(team),
        {"body": "here they are again", "client_id": str(uuid.uuid4()), "attachments": [str(notes.id)]},
        format="json",
    )

    # then: refused exactly as a file that does not exist, and nothing was sent
    missing = client.post(
        messages_url(team),
        {"body": "here they are again", "client_id": str(uuid.uuid4()), "attachments": [str(uuid.uuid4())]},
        format="json",
    )
    assert response.status_code == missing.status_code == 400
    assert response.json() == missing.json()
    assert response.json()["error"]["fields"] == {"attachments": [ATTACHMENTS_REFUSED]}
    sent = client.post(messages_url(team), {"body": "no file", "client_id": str(uuid.uuid4())}, format="json")
    assert sent.status_code == 202
    assert sent.json()["seq"] == before.json()["seq"] + 1  # the refused sends took no seq


def test_a_file_a_kept_message_carries_or_a_fresh_one_can_be_sent_again(as_user, ada, bob, team):
    # given: ada sent her chart twice and deleted one of the two; her slides are fresh from their upload
    chart, slides = StoredFileFactory(owner=ada, name="chart.png"), StoredFileFactory(owner=ada)
    deleted, kept = store_message(team, ada, 1, "chart"), store_message(team, ada, 2, "chart again")
    for message in (deleted, kept):
        message.attachments.add(chart)
    messaging_services.message_delete(user=ada, message_id=deleted.pk)

    # when: she sends both in a new message
    response = as_user(ada).post(
        messages_url(team),
        {"body": "both", "client_id": str(uuid.uuid4()), "attachments": [str(chart.id), str(slides.id)]},
        format="json",
    )

    # then: it carries them
    assert response.status_code == 202
    assert [a["id"] for a in response.json()["attachments"]] == [str(chart.id), str(slides.id)]


def test_checking_the_files_is_still_one_query(ada, bob, team, django_assert_num_queries):
    fresh, notes = StoredFileFactory(owner=ada), shared_then_deleted(team, ada, bob, reported=True)
    with django_assert_num_queries(1):
        assert files_for_attachment(owner=ada, file_ids=[fresh.id]) == [fresh]
    with django_assert_num_queries(1), pytest.raises(ValidationError):
        files_for_attachment(owner=ada, file_ids=[fresh.id, notes.id])


async def test_a_file_of_a_deleted_message_cannot_be_sent_again_over_the_socket(connect, ada, bob, team):
    # given: ada deleted the message that carried her notes while bob's report of it is open
    notes = await database_sync_to_async(shared_then_deleted)(team, ada, bob, reported=True)
    ada_tab, bob_tab = await connect(ada), await connect(bob)

    # when: she sends them again, and a file that does not exist
    errors = []
    for file_id in (notes.id, uuid.uuid4()):
        frame = {
            "type": "message.send",
            "conversation": team.pk,
            "body": "here they are again",
            "client_id": str(uuid.uuid4()),
            "attachments": [str(file_id)],
        }
        await ada_tab.send(frame)
        errors.append(await ada_tab.ack_for(frame["client_id"]))

    # then: the same error frame for both
    assert [(e["type"], e["code"], e["detail"]) for e in errors] == [
        ("error", "invalid", ATTACHMENTS_REFUSED)
    ] * 2
    # and bob hears of no message but the next one she sends
    frame = {
        "type": "message.send",
        "conversation": team.pk,
        "body": "no file",
        "client_id": str(uuid.uuid4()),
    }
    await ada_tab.send(frame)
    assert (await ada_tab.ack_for(frame["client_id"]))["type"] == "message.ack"
    received = (await bob_tab.receive_type("message.new"))["message"]
    assert (received["body"], received["attachments"]) == ("no file", [])
