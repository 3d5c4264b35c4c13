"""A sender's edit and a moderator's removal of the same message at once: the removal wins, whichever commits
last. The edit read the message without locking it, so a removal committed between that read and the edit's
save was written over: the removed message got its sender's words back (deleted, yet with a body, and a
message.updated after its message.deleted)."""

import threading

import pytest
from django.db import connection

from messaging import selectors
from messaging.models import Message
from messaging.services import message_edit
from moderation import services
from tests.conftest import wait_until
from tests.messaging.factories import store_message

pytestmark = pytest.mark.django_db(transaction=True)


def _someone_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return bool(cursor.fetchone()[0])


def test_an_edit_racing_a_moderators_removal_does_not_bring_its_words_back(monkeypatch, moderator, bob, team):
    # given: bob's rude message, and bob's edit of it paused once it has read the message
    rude = store_message(team, bob, 1, "rude")
    read, release = threading.Event(), threading.Event()
    read_message = selectors.message_get_for_user

    def read_then_pause(**kwargs):
        message = read_message(**kwargs)
        read.set()
        release.wait(timeout=30)
        return message

    monkeypatch.setattr(selectors, "message_get_for_user", read_then_pause)

    def edit() -> None:
        message_edit(user=bob, message_id=rude.pk, body="still rude, edited")
        connection.close()

    def remove() -> None:
        services.message_remove(moderator=moderator, message=rude, reason="rude")
        connection.close()

    editor, remover = threading.Thread(target=edit), threading.Thread(target=remove)
    editor.start()
    assert read.wait(timeout=30)

    # when: a moderator removes it meanwhile (done, or waiting for the edit to finish)
    remover.start()
    wait_until(lambda: not remover.is_alive() or _someone_waits_for_a_lock(), "the removal")
    release.set()
    editor.join(timeout=30)
    remover.join(timeout=30)

    # then: the message stays removed, with no words
    stored = Message.objects.get(pk=rude.pk)
    assert (stored.is_deleted, stored.body) == (True, "")
