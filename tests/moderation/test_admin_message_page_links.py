"""A message's page links its sender and conversation (Django's own links of a foreign key) and its revisions'
editors only for staff who may open those pages: staff who may read messages but not users or conversations
see them named, not links answering 403. The rule is the reports' and the audit log's (one helper)."""

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.test import Client

from messaging.models import MessageRevision
from tests.accounts.factories import UserFactory
from tests.messaging.factories import make_conversation, store_message

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def message(ada, bob):
    rude = store_message(make_conversation(ada, bob, title="Engine room"), bob, body="rude words")
    MessageRevision.objects.create(message=rude, body="ruder words", editor=bob)
    return rude


def staff_with(*codenames: str) -> Client:
    member: Any = UserFactory(is_staff=True)
    wanted = Q()
    for codename in codenames:
        wanted |= Q(codename=codename)
    member.user_permissions.set(Permission.objects.filter(wanted))
    client = Client()
    client.force_login(member)
    return client


def page_of(client: Client, message) -> str:
    page = client.get(f"/admin/messaging/message/{message.pk}/change/")
    assert page.status_code == 200
    return page.content.decode()


def test_staff_who_may_read_messages_only_see_names_not_links(message, bob):
    html = page_of(staff_with("view_message", "view_messagerevision"), message)
    # (the sender, the conversation and the revision's editor were links answering 403)
    assert "/admin/accounts/user/" not in html
    assert "/admin/messaging/conversation/" not in html
    assert '<div class="readonly">bob</div>' in html
    assert '<div class="readonly">Engine room</div>' in html
    assert html.count(">bob<") >= 2  # the sender and the revision's editor, named


def test_those_who_may_open_them_keep_the_links(message, moderator_client, bob):
    html = page_of(moderator_client, message)
    assert f'<a href="/admin/accounts/user/{bob.pk}/change/">bob</a>' in html
    assert (
        f'<a href="/admin/messaging/conversation/{message.conversation_id}/change/">Engine room</a>' in html
    )


def test_staff_who_may_read_users_but_not_conversations_get_the_sender_s_link_only(message, bob):
    html = page_of(staff_with("view_message", "view_user"), message)
    assert f'<a href="/admin/accounts/user/{bob.pk}/change/">bob</a>' in html
    assert "/admin/messaging/conversation/" not in html
