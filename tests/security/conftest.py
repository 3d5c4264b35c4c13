"""The attacker's view: the socket client and users of tests/messaging, plus conversations the attacker is
not in."""

import pytest

from messaging.delivery.eventlog import initialise_counter
from tests.accounts.factories import UserFactory
from tests.messaging.conftest import (  # noqa: F401  (fixtures, re-exported for this package)
    ada,
    bob,
    connect,
    eve,
    team,
)
from tests.messaging.factories import make_conversation


@pytest.fixture
def mallory(transactional_db):
    """The attacker: a valid account in none of the victims' conversations."""
    return UserFactory(username="mallory")


@pytest.fixture
def private(bob, eve):  # noqa: F811  (the fixtures imported above)
    """bob and eve's conversation, which neither ada nor mallory is in."""
    conversation = make_conversation(bob, eve, title="Private")
    initialise_counter(conversation.pk)
    return conversation
