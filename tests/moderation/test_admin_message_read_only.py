"""A message's page in the admin shows it as it is: nothing on it can be changed, whatever fields messages
gain, so what members read is only ever what its sender sent (and a moderator can only remove it)."""

import json

import pytest

from messaging.models import Message
from moderation.models import AuditEntry
from tests.conftest import run_action
from tests.messaging.factories import make_conversation, store_message
from tests.moderation.conftest import change_form_data

pytestmark = pytest.mark.django_db(transaction=True)

MESSAGES = "/admin/messaging/message/"
FAKE_CARD = [{"url": "https://evil.example/", "title": "Your account is locked", "site_name": "Parley"}]


def test_a_moderator_cannot_forge_any_field_of_a_message(moderator_client, ada, bob):
    # given: bob's message with a thread of none
    message = store_message(make_conversation(ada, bob), bob, body="see https://example.org")
    page = moderator_client.get(f"{MESSAGES}{message.pk}/change/")
    assert page.status_code == 200
    # when: a moderator saves its page with a fake link card, a reply count and @all
    changes = {"previews": json.dumps(FAKE_CARD), "reply_count": "99", "mentions_all": "on"}
    moderator_client.post(f"{MESSAGES}{message.pk}/change/", change_form_data(page, **changes))
    # then: members see the message as bob sent it (the fake card reached everyone before); nothing logged
    stored = Message.objects.get(pk=message.pk)
    assert (stored.previews, stored.reply_count, stored.mentions_all) == ([], 0, False)
    assert not AuditEntry.objects.exists()


def test_every_field_of_a_message_is_shown_read_only(moderator_client, ada, bob):
    message = store_message(make_conversation(ada, bob), bob)
    form = moderator_client.get(f"{MESSAGES}{message.pk}/change/").context["adminform"].form
    assert list(form.fields) == []
    fields = [*Message._meta.fields, *Message._meta.many_to_many]
    shown = moderator_client.get(f"{MESSAGES}{message.pk}/change/").context["adminform"].readonly_fields
    assert {field.name for field in fields} - {"attachments"} <= set(shown)
    assert "files" in shown  # the attachments, as links to open once the message is reported


def test_the_remove_action_still_works_from_the_list(moderator_client, ada, bob):
    message = store_message(make_conversation(ada, bob), bob)
    run_action(moderator_client, MESSAGES, "remove", [message], reason="spam")
    assert Message.objects.get(pk=message.pk).is_deleted
