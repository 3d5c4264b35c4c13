"""Two bots made at once by one owner with one place left: one is made, the other refused. Both counted the
owner's bots before either was saved, so both were made and the owner held 21 (docs/api.md, Bots)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from accounts import services
from accounts.services import users
from tests.accounts.factories import UserFactory
from tests.conftest import someone_waits_for_a_lock, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_bots_made_at_once_for_the_last_place_make_one(monkeypatch):
    # given an owner with one place left, and a first bot's making paused once it has counted their bots
    owner = UserFactory(username="owner")
    for n in range(services.BOTS_MAX_PER_OWNER - 1):
        services.bot_create(owner=owner, username=f"bot-{n}")
    counted, release = threading.Event(), threading.Event()
    clean = users.visible_text

    def pause_the_first(text: str) -> str:
        if threading.current_thread().name == "first":
            counted.set()
            release.wait(timeout=30)
        return clean(text)

    monkeypatch.setattr(users, "visible_text", pause_the_first)
    outcomes: dict[str, str] = {}

    def make(name: str) -> None:
        try:
            services.bot_create(owner=owner, username=f"{name}-bot")
            outcomes[name] = "made"
        except ValidationError:
            outcomes[name] = "refused"
        finally:
            connection.close()

    first = threading.Thread(target=make, args=("first",), name="first")
    second = threading.Thread(target=make, args=("second",), name="second")
    first.start()
    assert counted.wait(timeout=30)

    # when a second bot is made meanwhile (made, or waiting for the first to be)
    second.start()
    wait_until(lambda: not second.is_alive() or someone_waits_for_a_lock(), "the second bot")
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)

    # then one of them is made and the other refused: the owner has as many bots as a person may, no more
    assert sorted(outcomes.values()) == ["made", "refused"]
    assert owner.bots.count() == services.BOTS_MAX_PER_OWNER
