"""Pinned messages and forwards over REST (issue #26): who may pin is the conversation's pin_policy, a
conversation's pins are for its members only, deleting a message unpins it; a forward is sent through the
normal send path and links back to its original only for readers who may see it."""

import importlib
import json
import uuid

import pytest
from django.apps import apps

from accounts import services as account_services
from messaging.delivery.eventlog import initialise_counter
from messaging.events import frame_for_reader, message_new, new_message_payload, sender_payload
from messaging.models import ConversationEvent, Message, Pin
from realtime.frames import to_json
from tests.messaging.factories import MessageFactory, make_conversation, store_message
from tests.messaging.test_messages_api import history, persist

pytestmark = pytest.mark.django_db


def pins_url(conversation_id: int) -> str:
    return f"/api/v1/conversations/{conversation_id}/pins/"


def pin_url(message_id) -> str:
    return f"/api/v1/messages/{message_id}/pin/"


def forward(client, message_id, conversation_id, client_id=None):
    payload = {"conversation": conversation_id, "client_id": str(client_id or uuid.uuid4())}
    return client.post(f"/api/v1/messages/{message_id}/forward/", payload, format="json")


@pytest.fixture
def team(ada, bob):
    """ada (owner) and bob."""
    conversation = make_conversation(ada, bob, title="Team")
    initialise_counter(conversation.pk)
    return conversation


@pytest.fixture
def side(bob, cy):
    """bob (owner) and cy: cy is not in the team."""
    conversation = make_conversation(bob, cy, title="Side")
    initialise_counter(conversation.pk)
    return conversation


@pytest.fixture
def note(team, ada):
    return store_message(team, ada, 1, "the plan is **here**")


# --- pins


def test_a_member_pins_and_every_member_sees_it_in_the_pinned_list(as_user, ada, bob, team, note):
    # when
    response = as_user(bob).put(pin_url(note.pk))
    # then
    assert response.status_code == 200
    assert response.json()["message"]["body"] == "the plan is **here**"
    assert response.json()["pinned_by"]["id"] == bob.pk
    listed = as_user(ada).get(pins_url(team.pk)).json()
    assert [(p["message"]["id"], p["pinned_by"]["username"]) for p in listed] == [(str(note.pk), "bob")]
    event = ConversationEvent.objects.get(conversation=team, kind="pin")
    assert (event.message_id, event.user_id, event.data) == (note.pk, bob.pk, {"state": "pinned"})


def test_pinning_twice_pins_once_and_unpinning_takes_it_off(as_user, bob, team, note):
    assert as_user(bob).put(pin_url(note.pk)).status_code == 200
    assert as_user(bob).put(pin_url(note.pk)).status_code == 200
    assert Pin.objects.count() == 1
    assert ConversationEvent.objects.filter(kind="pin").count() == 1  # the retry is not a second event
    # when
    assert as_user(bob).delete(pin_url(note.pk)).status_code == 204
    assert as_user(bob).delete(pin_url(note.pk)).status_code == 204
    # then
    assert as_user(bob).get(pins_url(team.pk)).json() == []
    states = list(ConversationEvent.objects.filter(kind="pin").order_by("seq").values_list("data", flat=True))
    assert states == [{"state": "pinned"}, {"state": "unpinned"}]


def test_an_outsider_sees_no_pins_and_cannot_pin_as_if_nothing_were_there(as_user, cy, team, note):
    assert as_user(cy).get(pins_url(team.pk)).status_code == 404
    assert as_user(cy).put(pin_url(note.pk)).status_code == 404
    assert as_user(cy).delete(pin_url(note.pk)).status_code == 404
    assert not Pin.objects.exists()


def test_when_only_admins_may_pin_a_member_is_refused_with_the_standard_error(as_user, ada, bob, team, note):
    # given the owner lets only owners and admins pin
    response = as_user(ada).patch(
        f"/api/v1/conversations/{team.pk}/", {"pin_policy": "admins"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["pin_policy"] == "admins"
    # when bob, a plain member, pins
    refused = as_user(bob).put(pin_url(note.pk))
    # then
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    assert not Pin.objects.exists()
    assert as_user(ada).put(pin_url(note.pk)).status_code == 200
    assert as_user(bob).delete(pin_url(note.pk)).status_code == 403  # nor unpin
    assert Pin.objects.count() == 1


def test_only_owners_and_admins_choose_who_may_pin(as_user, ada, bob, team):
    response = as_user(bob).patch(
        f"/api/v1/conversations/{team.pk}/", {"pin_policy": "admins"}, format="json"
    )
    assert response.status_code == 403
    bad = as_user(ada).patch(f"/api/v1/conversations/{team.pk}/", {"pin_policy": "everyone"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"].keys() == {"pin_policy"}
    team.refresh_from_db()
    assert team.pin_policy == "members"


def test_deleting_a_pinned_message_unpins_it_and_a_deleted_one_cannot_be_pinned(
    as_user, ada, bob, team, note
):
    as_user(bob).put(pin_url(note.pk))
    # when
    assert as_user(ada).delete(f"/api/v1/messages/{note.pk}/").status_code == 204
    # then
    assert as_user(bob).get(pins_url(team.pk)).json() == []
    refused = as_user(bob).put(pin_url(note.pk))
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "invalid"


# --- forwards


def test_a_forward_is_sent_into_the_other_conversation_naming_its_original(
    as_user, ada, bob, team, side, note
):
    # when bob forwards ada's message from the team to the side conversation
    response = forward(as_user(bob), note.pk, side.pk)
    # then
    assert response.status_code == 202
    sent = response.json()
    assert (sent["conversation"], sent["body"], sent["sender"]["id"]) == (side.pk, note.body, bob.pk)
    assert sent["forwarded_from"] == {
        "message": str(note.pk),
        "conversation": team.pk,
        "sender_name": ada.public_name,
        "sender_id": ada.pk,
    }
    persist(sent)
    stored = Message.objects.get(pk=sent["id"])
    assert stored.forwarded_from == sent["forwarded_from"]


def test_only_readers_who_may_see_the_original_get_the_link_back(as_user, ada, bob, cy, team, side, note):
    # given a forward stored in the side conversation
    sent = forward(as_user(bob), note.pk, side.pk).json()
    persist(sent)
    # when each reads the side conversation
    bobs = history(as_user(bob), side)["results"][0]["forwarded_from"]
    cys = history(as_user(cy), side)["results"][0]["forwarded_from"]
    # then bob, in the team, may follow it; cy, who is not, only sees that it was forwarded, and from whom
    origin = {"sender_name": ada.public_name, "sender_id": ada.pk}
    assert bobs == {"message": str(note.pk), "conversation": team.pk, **origin}
    assert cys == {"message": None, "conversation": None, **origin}
    assert as_user(cy).get(pins_url(team.pk)).status_code == 404  # and the team stays closed to cy


def test_forwarding_again_with_the_same_client_id_returns_the_same_message(as_user, bob, side, note):
    client_id = uuid.uuid4()
    first = forward(as_user(bob), note.pk, side.pk, client_id).json()
    persist(first)
    again = forward(as_user(bob), note.pk, side.pk, client_id)
    assert again.status_code == 202
    assert again.json()["id"] == first["id"]
    assert Message.objects.filter(conversation=side).count() == 1


def test_a_forward_of_a_forward_keeps_the_original_author(as_user, ada, bob, cy, team, side, note):
    first = forward(as_user(bob), note.pk, side.pk).json()
    persist(first)
    third = make_conversation(cy, ada, title="Third")
    initialise_counter(third.pk)
    # when cy forwards bob's forward onwards
    second = forward(as_user(cy), first["id"], third.pk).json()
    # then it links to what cy saw, and names ada as the author
    assert second["forwarded_from"] == {
        "message": first["id"],
        "conversation": side.pk,
        "sender_name": ada.public_name,
        "sender_id": ada.pk,
    }


def test_a_forward_needs_the_original_and_the_target_to_be_mine(as_user, ada, cy, team, side, note):
    # cy may not see the team's message; ada is not in the side conversation
    assert forward(as_user(cy), note.pk, side.pk).status_code == 404
    assert forward(as_user(ada), note.pk, side.pk).status_code == 404
    assert forward(as_user(ada), uuid.uuid4(), team.pk).status_code == 404
    bad = as_user(ada).post(f"/api/v1/messages/{note.pk}/forward/", {"conversation": "x"}, format="json")
    assert bad.status_code == 400
    assert Message.objects.count() == 1


def test_a_forward_cannot_be_edited_into_other_words_under_the_original_authors_name(
    as_user, ada, bob, cy, side, note
):
    # given bob's forward of ada's note, stored in the side conversation, which cy reads
    sent = forward(as_user(bob), note.pk, side.pk).json()
    persist(sent)
    # when bob edits the forward
    edited = as_user(bob).patch(
        f"/api/v1/messages/{sent['id']}/", {"body": "Wire the money now. — Ada"}, format="json"
    )
    # then it is refused and cy still reads ada's words (it was saved, under "Forwarded from Ada")
    assert edited.status_code == 400
    assert edited.json()["error"]["code"] == "invalid"
    assert "forwarded message cannot be edited" in edited.json()["error"]["detail"]
    shown = history(as_user(cy), side)["results"][0]
    assert (shown["body"], shown["edited_at"]) == (note.body, None)


def test_a_deleted_message_cannot_be_forwarded(as_user, ada, bob, side, note):
    as_user(ada).delete(f"/api/v1/messages/{note.pk}/")
    response = forward(as_user(bob), note.pk, side.pk)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_only_a_frame_carrying_a_forward_is_rewritten_for_its_reader(ada, team):
    sent = new_message_payload(
        sender=sender_payload(ada),
        conversation_id=team.pk,
        seq=1,
        body='"forwarded_from":{',
        client_id=uuid.uuid4(),
    )
    plain = to_json(message_new(sent))
    assert (
        frame_for_reader(plain, may_see=lambda conversation: False) is plain
    )  # words in a body are not a forward
    origin = {"message": str(uuid.uuid4()), "conversation": 7, "sender_name": "Ada"}
    forward = to_json(message_new({**sent, "forwarded_from": origin}))
    assert frame_for_reader(forward, may_see=lambda conversation: conversation == 7) is forward
    hidden = json.loads(frame_for_reader(forward, may_see=lambda conversation: False))
    assert hidden["message"]["forwarded_from"] == {
        "message": None,
        "conversation": None,
        "sender_name": "Ada",
    }
    assert hidden["message"]["body"] == sent["body"]


def test_an_erased_persons_name_leaves_the_forwards_of_their_messages(
    as_user, ada, bob, cy, team, side, note
):
    # given bob forwarded ada's message, cy forwarded that onwards, and cy forwarded bob's own words
    first = forward(as_user(bob), note.pk, side.pk).json()
    persist(first)
    third = make_conversation(cy, ada, title="Third")
    initialise_counter(third.pk)
    onwards = forward(as_user(cy), first["id"], third.pk).json()
    persist(onwards)
    bobs = store_message(side, bob, 10, "bob's own words")
    mine = forward(as_user(cy), bobs.pk, third.pk).json()
    persist(mine)
    # when ada's account is erased
    account_services.user_erase(user=ada)
    # then no forward names her; a forward of someone else's words still names them
    names = dict(
        Message.objects.filter(forwarded_from__isnull=False).values_list("pk", "forwarded_from__sender_name")
    )
    assert names == {
        uuid.UUID(first["id"]): "Deleted user",
        uuid.UUID(onwards["id"]): "Deleted user",
        uuid.UUID(mine["id"]): bob.public_name,
    }


def test_forwards_stored_before_their_authors_id_was_recorded_are_given_it(
    monkeypatch, ada, bob, cy, team, side
):
    # given: forwards stored without forwarded_from.sender_id: of bob's words, of that forward, of a message
    # deleted since; and one that has it
    migration = importlib.import_module("messaging.migrations.0018_forwards_name_their_authors_id")

    def forward_of(original, conversation, sender, **origin):
        forwarded_from = {"message": str(original.pk), "conversation": original.conversation_id, **origin}
        return MessageFactory(conversation=conversation, sender=sender, forwarded_from=forwarded_from)

    bobs, gone = MessageFactory(conversation=team, sender=bob), MessageFactory(conversation=team, sender=cy)
    first = forward_of(bobs, side, ada, sender_name="bob")
    onwards = forward_of(first, side, ada, sender_name="bob")
    orphan = forward_of(gone, side, ada, sender_name="cy")
    gone.delete()
    recorded = forward_of(bobs, side, ada, sender_name="bob", sender_id=bob.pk)
    # when the migration runs (in batches of one: the batching is walked too)
    monkeypatch.setattr(migration, "BATCH", 1)
    migration.forwards_name_their_authors_id(apps, None)
    # then: each whose original is there names its author's id, through the chain; the rest are as they were
    ids = dict(Message.objects.filter(forwarded_from__isnull=False).values_list("pk", "forwarded_from"))
    assert {pk: f.get("sender_id") for pk, f in ids.items()} == {
        first.pk: bob.pk,
        onwards.pk: bob.pk,
        orphan.pk: None,
        recorded.pk: bob.pk,
    }
    assert ids[first.pk] == {**first.forwarded_from, "sender_id": bob.pk}
