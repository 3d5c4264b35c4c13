"""An audit entry's target is a link to its admin page, in the log's list and on the entry's page, for staff
who may open that kind of object; others see it named, with no link answering 403."""

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.test import Client

from moderation.models import AuditEntry, Report
from tests.accounts.factories import UserFactory
from tests.conftest import run_action
from tests.messaging.factories import make_conversation, store_message

pytestmark = pytest.mark.django_db(transaction=True)

LOG = "/admin/moderation/auditentry/"


@pytest.fixture
def entries(moderator_client, ada, bob, eve):
    """A removed message, a dismissed report and a suspended user, on the record."""
    room = make_conversation(ada, bob, eve, title="Engine room")
    rude, joke = store_message(room, bob, body="rude"), store_message(room, eve, 2, body="a joke")
    report = Report.objects.create(message=joke, reporter=ada, reason="meh", message_body=joke.body)
    run_action(moderator_client, "/admin/messaging/message/", "remove", [rude], reason="rude")
    run_action(moderator_client, "/admin/moderation/report/", "dismiss", [report], reason="fine")
    run_action(moderator_client, "/admin/accounts/user/", "suspend", [bob], reason="abuse")
    return {
        "message": f"/admin/messaging/message/{rude.pk}/change/",
        "report": f"/admin/moderation/report/{report.pk}/change/",
        "user": f"/admin/accounts/user/{bob.pk}/change/",
    }


def entry_page(client, target_type: str) -> str:
    entry = AuditEntry.objects.get(target_type=target_type)
    page = client.get(f"{LOG}{entry.pk}/change/")
    assert page.status_code == 200
    return page.content.decode()


def test_moderators_follow_each_target_to_its_page(moderator_client, entries):
    listed = moderator_client.get(LOG).content.decode()
    for target_type, url in entries.items():
        # (the list and the page named the target, with no link)
        assert f'<a href="{url}">' in listed
        assert f'<a href="{url}">' in entry_page(moderator_client, target_type)
    assert '<a href="{}">bob&#x27;s message in Engine room</a>'.format(entries["message"]) in listed


def test_staff_see_links_only_to_the_kinds_they_may_open(entries):
    # given: staff who may read the audit log and messages, not reports or users
    member: Any = UserFactory(is_staff=True)
    member.user_permissions.set(
        Permission.objects.filter(
            Q(content_type__app_label="moderation", codename="view_auditentry")
            | Q(content_type__app_label="messaging", codename="view_message")
        )
    )
    staff = Client()
    staff.force_login(member)
    listed = staff.get(LOG).content.decode()
    # then: the message is a link; the report and the user are named only
    assert f'<a href="{entries["message"]}">' in listed
    assert f'<a href="{entries["message"]}">' in entry_page(staff, "message")
    for target_type in ("report", "user"):
        assert entries[target_type] not in listed
        assert entries[target_type] not in entry_page(staff, target_type)
    assert "Report by ada of eve&#x27;s message in Engine room" in listed
    assert "Report by ada of eve&#x27;s message in Engine room" in entry_page(staff, "report")
