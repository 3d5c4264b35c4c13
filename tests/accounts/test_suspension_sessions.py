"""A suspension ends the person's login sessions, as a sign-out does: nothing issued before it works once they
are reinstated (not even an access token still in its 5 minutes), and their sessions show as ended wherever
they are listed. While suspended, the answer still says why (account_suspended, 4403)."""

import json
import zipfile

import pytest
from asgiref.sync import sync_to_async
from django.core.files.storage import default_storage
from django.test import Client

from accounts import services
from accounts.models import LoginSession
from moderation import services as moderation
from realtime.close_codes import SUSPENDED
from tests.accounts.factories import UserFactory
from tests.accounts.helpers import ME_URL, client_for, login, refresh
from tests.messaging.conftest import ada, connect  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def suspend_and_reinstate(user):
    moderator = UserFactory(is_staff=True, is_superuser=True)
    moderation.user_suspend(moderator=moderator, user=user, reason="spam")
    moderation.user_reinstate(moderator=moderator, user=user, reason="appeal upheld")


def test_nothing_issued_before_a_suspension_works_after_reinstatement(ada):  # noqa: F811
    # given: ada signed in before she was suspended, then reinstated
    before = login(ada)
    suspend_and_reinstate(ada)
    # then: neither the access token still in its 5 minutes nor the refresh token works
    assert client_for(before).get(ME_URL).status_code == 401
    assert refresh(before) == 401
    # and she signs in afresh
    assert client_for(login(ada)).get(ME_URL).status_code == 200


def test_a_suspensions_sessions_show_as_ended_in_the_app_the_admin_and_the_export(ada, eager_celery):  # noqa: F811
    login(ada, user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
    suspend_and_reinstate(ada)
    now = login(ada)

    # in "Where you're signed in": only the session begun since
    listed = client_for(now).get("/api/v1/sessions/").json()
    assert [s["current"] for s in listed] == [True]
    # in the admin's Login sessions: the old one is ended
    old = LoginSession.objects.get(device="Firefox 133 on Linux")
    assert old.ended_at is not None
    admin = Client()
    admin.force_login(UserFactory(is_staff=True, is_superuser=True))
    live = admin.get("/admin/accounts/loginsession/", {"ended_at__isempty": "1"}).content.decode()
    assert "Firefox 133 on Linux" not in live
    # in her data export: each session says when it ended
    export = services.data_export_request(user=ada)
    export.refresh_from_db()
    with default_storage.open(export.file_key, "rb") as stored, zipfile.ZipFile(stored) as archive:
        sessions = json.loads(archive.read("profile.json"))["sessions"]
    ended = {s["device"]: s["ended_at"] for s in sessions}
    assert ended["Firefox 133 on Linux"] is not None
    assert ended[""] is None


async def test_while_suspended_the_sessions_tokens_still_say_why(connect, ada):  # noqa: F811
    session = await sync_to_async(login)(ada)
    tab = await connect(ada, token=session["access"])
    moderator = await sync_to_async(UserFactory)(is_staff=True, is_superuser=True)

    await sync_to_async(moderation.user_suspend)(moderator=moderator, user=ada, reason="spam")

    assert await tab.close_code() == SUSPENDED
    answer = await sync_to_async(client_for(session).get)(ME_URL)
    assert (answer.status_code, answer.json()["error"]["code"]) == (403, "account_suspended")
