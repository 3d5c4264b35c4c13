"""A display name a moderator fixes in the admin is cleaned as one a member sets through the API is: no
invisible or direction-changing characters, which would show others a name it is not or flip their lines."""

import pytest

from accounts.models import User

pytestmark = pytest.mark.django_db(transaction=True)

USERS = "/admin/accounts/user/"


def test_a_moderator_cannot_set_a_name_with_a_right_to_left_override_or_invisible_characters(
    moderator_client, bob
):
    # when: a moderator saves a name with a right-to-left override, a zero-width space and a doubled space
    name = "\u202egnp.exe\u200b  Bob"
    response = moderator_client.post(f"{USERS}{bob.pk}/change/", {"display_name": name})
    # then: the name others see is what it shows (it kept U+202E, flipping the lines beside it)
    assert response.status_code == 302
    assert User.objects.get(pk=bob.pk).display_name == "gnp.exe Bob"


def test_a_name_of_invisible_characters_alone_leaves_the_username_shown(moderator_client, bob):
    moderator_client.post(f"{USERS}{bob.pk}/change/", {"display_name": "\u200b\u200d\u2066"})
    bob.refresh_from_db()
    assert (bob.display_name, bob.public_name) == ("", "bob")
