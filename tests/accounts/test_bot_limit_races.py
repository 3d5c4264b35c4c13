"""Two bots (or two tokens) made at once with one place left: one is made, the other refused. Both counted
before either was saved, so both were made and the owner held 21 bots, the bot 21 tokens (docs/api.md)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from accounts import services, tokens
from accounts.models import ApiToken
from accounts.services import users
from tests.accounts.factories import UserFactory
from tests.conftest import someone_waits_for_a_lock, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def race_for_the_last_place(monkeypatch, module, after_count: str, make_one) -> list[str]:
    """`make_one(name)` run twice at once: the first paused in `module.<after_count>`, which it calls once it
    has counted, and the second run meanwhile (made, or waiting for the first to be). Their outcomes."""
    counted, release = threading.Event(), threading.Event()
    called = getattr(module, after_count)

    def pause_the_first(*args, **kwargs):
        if threading.current_thread().name == "first":
            counted.set()
            release.wait(timeout=30)
        return called(*args, **kwargs)

    monkeypatch.setattr(module, after_count, pause_the_first)
    outcomes: dict[str, str] = {}

    def make(name: str) -> None:
        try:
            make_one(name)
            outcomes[name] = "made"
        except ValidationError:
            outcomes[name] = "refused"
        finally:
            connection.close()

    first = threading.Thread(target=make, args=("first",), name="first")
    second = threading.Thread(target=make, args=("second",), name="second")
    first.start()
    assert counted.wait(timeout=30)
    second.start()
    wait_until(lambda: not second.is_alive() or someone_waits_for_a_lock(), "the second one")
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    return sorted(outcomes.values())


def test_two_bots_made_at_once_for_the_last_place_make_one(monkeypatch):
    # given an owner with one place left
    owner = UserFactory(username="owner")
    for n in range(services.BOTS_MAX_PER_OWNER - 1):
        services.bot_create(owner=owner, username=f"bot-{n}")
    # when two bots are made at once, the first paused once it has counted the owner's bots
    outcomes = race_for_the_last_place(
        monkeypatch,
        users,
        "visible_text",
        lambda name: services.bot_create(owner=owner, username=f"{name}-bot"),
    )
    # then one of them is made and the other refused: the owner has as many bots as a person may, no more
    assert outcomes == ["made", "refused"]
    assert owner.bots.count() == services.BOTS_MAX_PER_OWNER


def test_two_tokens_made_at_once_for_a_bot_s_last_place_make_one(monkeypatch):
    # given a bot with one live token short of the limit
    owner = UserFactory(username="owner")
    bot = services.bot_create(owner=owner, username="busy-bot")
    for n in range(services.API_TOKENS_MAX_PER_USER - 1):
        services.api_token_create(user=bot, name=f"t{n}", created_by=owner)
    # when two are made at once, the first paused once it has counted the bot's tokens
    outcomes = race_for_the_last_place(
        monkeypatch,
        tokens,
        "new_secret",
        lambda name: services.api_token_create(user=bot, name=name, created_by=owner),
    )
    # then one is made and the other refused (400 on `name`)
    assert outcomes == ["made", "refused"]
    assert (
        ApiToken.objects.filter(user=bot, revoked_at__isnull=True).count() == services.API_TOKENS_MAX_PER_USER
    )
