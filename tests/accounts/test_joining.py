"""Who may join: open sign-up, invitation links (made by members, expiring, limited uses, revocable) when
sign-up is by invitation only, and allowed email domains — each refusal with a clear error."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from rest_framework.test import APIClient

from accounts.models import AccountPolicy, Invitation, User
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/invitations/"


def set_policy(**fields) -> None:
    policy = AccountPolicy.get_solo()
    for name, value in fields.items():
        setattr(policy, name, value)
    policy.save()


def sign_up(username: str, invitation: str = "", email: str = ""):
    body = {"username": username, "email": email or f"{username}@example.com", "password": DEFAULT_PASSWORD}
    if invitation:
        body["invitation"] = invitation
    return APIClient().post("/api/v1/auth/register/", body, format="json")


def invite(auth_client, **body) -> str:
    response = auth_client.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    link = response.json()["link"]
    assert urlsplit(link).path == "/signup"
    return parse_qs(urlsplit(link).query)["invite"][0]


def test_open_sign_up_needs_no_invitation():
    assert sign_up("newbie").status_code == 201
    assert APIClient().get("/api/v1/auth/sign-up-policy/").json() == {
        "sign_up": "open",
        "allowed_email_domains": [],
    }


def test_invite_only_refuses_a_sign_up_without_an_invitation():
    set_policy(sign_up=AccountPolicy.SignUp.INVITE_ONLY)
    response = sign_up("newbie")
    assert (response.status_code, response.json()["error"]["code"]) == (403, "invitation_required")
    assert not User.objects.filter(username="newbie").exists()


def test_an_invitation_admits_as_many_people_as_it_has_uses(auth_client):
    set_policy(sign_up=AccountPolicy.SignUp.INVITE_ONLY)
    code = invite(auth_client, max_uses=2, days=3)

    assert sign_up("first", code).status_code == 201
    assert sign_up("second", code).status_code == 201
    used_up = sign_up("third", code)

    assert (used_up.status_code, used_up.json()["error"]["code"]) == (400, "invalid_invitation")
    assert "Ask for a new one" in used_up.json()["error"]["detail"]
    assert auth_client.get(URL).json() == []  # no longer usable, so not listed


def test_an_expired_revoked_or_forged_invitation_is_refused(auth_client):
    set_policy(sign_up=AccountPolicy.SignUp.INVITE_ONLY)
    expired = invite(auth_client)
    Invitation.objects.update(expires_at=datetime.now(tz=UTC) - timedelta(seconds=1))
    revoked = invite(auth_client)
    revoked_id = auth_client.get(URL).json()[0]["id"]
    assert auth_client.delete(f"{URL}{revoked_id}/").status_code == 204
    forged = revoked[:-4] + "AAAA"

    for n, code in enumerate((expired, revoked, forged, "iv_1_short", "nonsense")):
        response = sign_up(f"person{n}", code)
        assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_invitation"), code


def test_invitations_are_bounded(auth_client):
    too_many = auth_client.post(URL, {"max_uses": 1000, "days": 7}, format="json")
    too_long = auth_client.post(URL, {"max_uses": 1, "days": 365}, format="json")
    assert too_many.json()["error"]["fields"] == {"max_uses": ["Between 1 and 100 uses."]}
    assert too_long.json()["error"]["fields"] == {"days": ["Between 1 and 30 days."]}


def test_someone_elses_invitation_cannot_be_revoked(auth_client, api_client):
    invite(auth_client)
    invitation_id = Invitation.objects.get().pk
    api_client.force_authenticate(UserFactory())
    assert api_client.delete(f"{URL}{invitation_id}/").status_code == 404


def test_allowed_domains_limit_sign_ups_and_email_changes(auth_client, user):
    set_policy(allowed_email_domains="example.com\nExample.org")
    refused = sign_up("outsider", email="outsider@gmail.com")
    assert refused.json()["error"]["fields"] == {
        "email": ["Only addresses at example.com, example.org may be used here."]
    }
    assert sign_up("insider", email="insider@EXAMPLE.org").status_code == 201

    change = auth_client.post(
        "/api/v1/users/me/email/", {"email": "me@gmail.com", "password": DEFAULT_PASSWORD}, format="json"
    )
    assert change.json()["error"]["fields"]["email"][0].startswith("Only addresses at")
    policy = APIClient().get("/api/v1/auth/sign-up-policy/").json()
    assert policy["allowed_email_domains"] == ["example.com", "example.org"]
