"""A moderator judging a reported message sees who is in its conversation: the conversation's page lists its
members (read-only). The Moderators group could view conversations but not their memberships, so the page
showed a title and dates, and nobody in it."""

from importlib import import_module

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission

from tests.messaging.factories import make_conversation

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_moderator_sees_a_conversation_s_members_and_cannot_change_them(moderator_client, ada, bob):
    engine_room = make_conversation(ada, bob, title="Engine room")

    page = moderator_client.get(f"/admin/messaging/conversation/{engine_room.pk}/change/")

    assert page.status_code == 200
    members = page.context["inline_admin_formsets"]
    assert [[form.original.user.username for form in formset] for formset in members] == [["ada", "bob"]]
    assert not members[0].has_change_permission
    assert not members[0].has_add_permission
    assert not members[0].has_delete_permission


def test_the_migration_gives_moderators_the_members_and_keeps_what_a_superuser_gave_them(moderator):
    # given: the group as it was, and a superuser's grant of the API tokens' view (docs/moderation.md)
    group = moderator.groups.get()
    group.permissions.remove(Permission.objects.get(codename="view_membership"))
    group.permissions.add(Permission.objects.get(codename="view_apitoken"))

    # when
    import_module("moderation.migrations.0006_moderators_view_members").grant(apps, None)

    # then
    granted = set(group.permissions.values_list("codename", flat=True))
    assert {"view_membership", "view_apitoken", "suspend_user"} <= granted
