"""A sender's edit (or a member's reaction) and a moderator's removal of the same message at once: the removal
wins, whichever commits last. The edit read the message without locking it, so a removal committed between
that read and the edit's save was written over: the removed message got its sender's words back (deleted, yet
with a body, and a message.updated after its message.deleted); a reaction so timed stayed on the removed
message, though a removal takes its reactions."""

import threading

import pytest
from django.db import connection

from messaging import selectors
from messaging.models import Message, Reaction
from messaging.services import message_edit, reaction_add
from moderation import services
from tests.conftest import someone_waits_for_a_lock, wait_until
from tests.messaging.factories import store_message

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "change",
    [
        lambda bob, message: message_edit(user=bob, message_id=message.pk, body="still rude, edited"),
        lambda bob, message: reaction_add(user=bob, message_id=message.pk, emoji="👍"),
    ],
    ids=["edit", "reaction"],
)
def test_a_change_racing_a_moderators_removal_does_not_undo_it(monkeypatch, moderator, bob, team, change):
    # given: bob's rude message, and bob's edit of it (or reaction to it) paused once it has read the message
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
        change(bob, rude)
        connection.close()

    def remove() -> None:
        services.message_remove(moderator=moderator, message=rude, reason="rude")
        connection.close()

    editor, remover = threading.Thread(target=edit), threading.Thread(target=remove)
    editor.start()
    assert read.wait(timeout=30)

    # when: a moderator removes it meanwhile (done, or waiting for the edit to finish)
    remover.start()
    wait_until(lambda: not remover.is_alive() or someone_waits_for_a_lock(), "the removal")
    release.set()
    editor.join(timeout=30)
    remover.join(timeout=30)

    # then: the message stays removed, with no words
    stored = Message.objects.get(pk=rude.pk)
    assert (stored.is_deleted, stored.body) == (True, "")
    assert not Reaction.objects.filter(message=rude).exists()
