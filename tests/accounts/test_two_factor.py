"""Two-factor authentication: set up with a QR code and a first code, then every sign-in asks for a code
(or a recovery code, each good once); wrong codes slow the next tries; turning it off needs the password and
a code; the policy can require it of staff."""

import pytest
from rest_framework.test import APIClient

from accounts.models import AccountPolicy, LoginSession
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.accounts.helpers import LOGIN_URL, ME_URL, client_for, login, refresh, totp_code
from tests.messaging.conftest import connect  # noqa: F401

pytestmark = pytest.mark.django_db

URL = "/api/v1/two-factor/"


def sign_in(user, otp: str | None = None):
    body = {"username": user.username, "password": DEFAULT_PASSWORD}
    if otp is not None:
        body["otp"] = otp
    return APIClient().post(LOGIN_URL, body, format="json")


def enable(user) -> tuple[dict, str, list[str]]:
    """Turn 2FA on as the web app does: (the session's tokens, the secret, the recovery codes)."""
    session = login(user)
    enrolment = client_for(session).post(f"{URL}totp/").json()
    confirmed = client_for(session).post(
        f"{URL}totp/confirm/", {"code": totp_code(enrolment["secret"])}, format="json"
    )
    assert confirmed.status_code == 200, confirmed.json()
    return session, enrolment["secret"], confirmed.json()["recovery_codes"]


def test_setting_up_shows_a_qr_code_and_turns_on_only_with_a_right_code(user):
    session = login(user)
    other_device = login(user)

    enrolment = client_for(session).post(f"{URL}totp/")

    assert enrolment.status_code == 201
    body = enrolment.json()
    assert body["qr_code"].startswith("data:image/svg+xml;base64,")
    assert body["otpauth_url"].startswith(f"otpauth://totp/Parley%3A{user.username}?secret={body['secret']}")
    assert client_for(session).get(URL).json()["enabled"] is False  # not before it is confirmed
    wrong = client_for(session).post(f"{URL}totp/confirm/", {"code": "000000"}, format="json")
    assert wrong.status_code == 400
    assert "not right" in wrong.json()["error"]["fields"]["code"][0]

    confirmed = client_for(session).post(
        f"{URL}totp/confirm/", {"code": totp_code(body["secret"])}, format="json"
    )

    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == len(set(codes)) == 10
    assert all(len(code) == 11 and code[5] == "-" for code in codes)
    assert client_for(session).get(URL).json() == {
        "enabled": True,
        "recovery_codes_left": 10,
        "must_enable": False,
    }
    # the other device signed in without a code: it is signed out; this one stays
    assert (refresh(other_device), refresh(session)) == (401, 200)


def test_sign_in_asks_for_the_code_and_takes_each_code_once(user):
    _, secret, _ = enable(user)

    without = sign_in(user)
    assert without.status_code == 401
    assert without.json()["error"]["code"] == "otp_required"

    code = totp_code(secret, steps_ahead=1)  # the set-up spent this period's code
    assert sign_in(user, otp=code).status_code == 200
    replayed = sign_in(user, otp=code)
    assert (replayed.status_code, replayed.json()["error"]["code"]) == (401, "otp_invalid")


def test_a_wrong_code_is_refused(user):
    enable(user)
    wrong = sign_in(user, otp="123456")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "otp_invalid")
    assert "recovery codes" in wrong.json()["error"]["detail"]


def test_a_wrong_password_never_reveals_that_a_code_would_be_asked(user):
    enable(user)
    response = APIClient().post(LOGIN_URL, {"username": user.username, "password": "nope"}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "no_active_account"


def test_a_recovery_code_signs_in_once(user):
    session, _, codes = enable(user)

    assert sign_in(user, otp=codes[0].upper()).status_code == 200
    again = sign_in(user, otp=codes[0])

    assert again.json()["error"]["code"] == "otp_invalid"
    assert client_for(session).get(URL).json()["recovery_codes_left"] == 9


def test_wrong_codes_slow_the_next_tries_down(user):
    _, secret, _ = enable(user)
    first = sign_in(user, otp="111111")
    assert first.json()["error"]["code"] == "otp_invalid"

    # right after a wrong code, even the right one must wait (1 s, then 2, 4, …)
    throttled = sign_in(user, otp=totp_code(secret, steps_ahead=1))

    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "otp_throttled"


def test_turning_it_off_needs_the_password_and_a_code(user):
    session, secret, _ = enable(user)
    wrong_password = {"password": "nope", "code": totp_code(secret, steps_ahead=1)}
    refused = client_for(session).post(f"{URL}disable/", wrong_password, format="json")
    assert refused.json()["error"]["fields"] == {"password": ["This is not your password."]}
    assert client_for(session).get(URL).json()["enabled"] is True

    right = {"password": DEFAULT_PASSWORD, "code": totp_code(secret, steps_ahead=1)}
    done = client_for(session).post(f"{URL}disable/", right, format="json")

    assert done.status_code == 204
    assert sign_in(user).status_code == 200  # no code asked any more


def test_turning_it_off_with_a_wrong_code_is_refused(user):
    session, _, _ = enable(user)
    refused = client_for(session).post(
        f"{URL}disable/", {"password": DEFAULT_PASSWORD, "code": "999999"}, format="json"
    )
    assert refused.json()["error"]["code"] == "otp_invalid"
    assert client_for(session).get(URL).json()["enabled"] is True


def test_new_recovery_codes_replace_the_old_ones(user):
    session, secret, old = enable(user)
    new = client_for(session).post(
        f"{URL}recovery-codes/", {"code": totp_code(secret, steps_ahead=1)}, format="json"
    )
    assert new.status_code == 200
    assert sign_in(user, otp=new.json()["recovery_codes"][0]).status_code == 200
    assert sign_in(user, otp=old[0]).json()["error"]["code"] == "otp_invalid"


def test_setting_up_twice_is_refused_clearly(user):
    session, _, _ = enable(user)
    again = client_for(session).post(f"{URL}totp/")
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "two_factor_on"


def test_the_policy_keeps_staff_without_it_to_their_settings_until_they_turn_it_on():
    # given: the admin requires 2FA of staff, and a moderator has not turned it on
    policy = AccountPolicy.get_solo()
    policy.require_two_factor_for_staff = True
    policy.save()
    moderator, member = UserFactory(is_staff=True), UserFactory()
    session = login(moderator)

    # then: the moderator may see their profile and the 2FA set-up, and nothing else
    refused = client_for(session).get("/api/v1/conversations/")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "two_factor_required")
    assert client_for(session).get(ME_URL).json()["two_factor_required"] is True
    assert client_for(session).get(URL).json()["must_enable"] is True
    assert client_for(login(member)).get("/api/v1/conversations/").status_code == 200  # not staff: unaffected

    # when: they turn it on
    enrolment = client_for(session).post(f"{URL}totp/").json()
    client_for(session).post(f"{URL}totp/confirm/", {"code": totp_code(enrolment["secret"])}, format="json")

    # then: everything is open to them again
    assert client_for(session).get("/api/v1/conversations/").status_code == 200
    assert client_for(session).get(ME_URL).json()["two_factor_required"] is False


def test_api_tokens_are_not_asked_for_a_code(user):
    from accounts import services

    enable(user)
    _, raw = services.api_token_create(user=user, name="ci", created_by=user)
    assert client_for({"access": raw}).get(ME_URL).status_code == 200
    assert LoginSession.objects.filter(user=user, ended_at__isnull=True).count() == 1


@pytest.mark.django_db(transaction=True)
async def test_the_policy_keeps_the_socket_of_staff_without_it_closed(connect):  # noqa: F811
    from asgiref.sync import sync_to_async

    from realtime.close_codes import UNAUTHENTICATED

    def moderator_signed_in() -> tuple:
        policy = AccountPolicy.get_solo()
        policy.require_two_factor_for_staff = True
        policy.save()
        moderator = UserFactory(is_staff=True)
        return moderator, login(moderator)

    moderator, session = await sync_to_async(moderator_signed_in)()
    tab = await connect(moderator, token=session["access"], sync=False)
    assert await tab.close_code() == UNAUTHENTICATED


def admin_login(client, user, otp: str = ""):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": user.username, "password": DEFAULT_PASSWORD, "otp": otp},
    )


def test_the_admin_asks_staff_with_it_on_for_the_code(client):
    moderator = UserFactory(is_staff=True)
    _, secret, _ = enable(moderator)

    refused = admin_login(client, moderator)
    assert refused.status_code == 200
    assert "Enter the 6-digit code" in refused.content.decode()
    assert client.get("/admin/").status_code == 302  # still signed out

    signed_in = admin_login(client, moderator, otp=totp_code(secret, steps_ahead=1))
    assert signed_in.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_the_policy_keeps_staff_without_it_out_of_the_admin(client):
    policy = AccountPolicy.get_solo()
    policy.require_two_factor_for_staff = True
    policy.save()
    moderator = UserFactory(is_staff=True)

    refused = admin_login(client, moderator)

    assert "Turn on two-factor authentication" in refused.content.decode()
    assert client.get("/admin/").status_code == 302


def test_an_admin_session_opened_without_the_second_factor_it_now_needs_signs_in_again(client):
    # given a moderator in the admin, signed in with a password alone (no two-factor authentication yet)
    moderator = UserFactory(is_staff=True)
    assert admin_login(client, moderator).status_code == 302
    assert client.get("/admin/").status_code == 200
    # when they turn it on in the app (which ends their other sessions), the admin session is one of them
    _, secret, _ = enable(moderator)
    assert client.get("/admin/").status_code == 302  # it went on working
    # and a sign-in without the code, from that same session, does not count as one with it
    assert admin_login(client, moderator).status_code == 200
    assert client.get("/admin/").status_code == 302
    # and signed in again with the code, it works
    assert admin_login(client, moderator, otp=totp_code(secret, steps_ahead=1)).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_the_policy_turned_on_ends_the_admin_sessions_of_staff_without_it(client):
    moderator = UserFactory(is_staff=True)
    assert admin_login(client, moderator).status_code == 302
    policy = AccountPolicy.get_solo()
    policy.require_two_factor_for_staff = True
    policy.save()
    assert client.get("/admin/accounts/user/").status_code == 302  # it went on working


def save_policy(client, **changes):
    form = {"sign_up": "open", "allowed_email_domains": "", "email_verification": "optional", **changes}
    return client.post("/admin/accounts/accountpolicy/", form, follow=True)


def test_an_admin_without_it_cannot_require_it_of_staff_and_is_told_why(client):
    # given: a superuser without two-factor authentication, in the admin
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    # the form says so beside the box
    assert (
        "Only staff who have turned it on themselves"
        in client.get("/admin/accounts/accountpolicy/").content.decode()
    )

    # when: they tick "Require two-factor authentication for staff" and save
    response = save_policy(client, require_two_factor_for_staff="on")

    # then: refused with the reason, and they are still in the admin (it would have signed them out)
    assert "Turn on two-factor authentication for your own account first" in response.content.decode()
    assert not AccountPolicy.get_solo().require_two_factor_for_staff
    assert client.get("/admin/").status_code == 200


def test_an_admin_with_it_requires_it_of_staff(client):
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    _, secret, _ = enable(admin_user)
    assert admin_login(client, admin_user, otp=totp_code(secret, steps_ahead=1)).status_code == 302

    save_policy(client, require_two_factor_for_staff="on")

    assert AccountPolicy.get_solo().require_two_factor_for_staff
    assert client.get("/admin/").status_code == 200


def test_an_admin_removes_the_second_factor_of_someone_who_lost_it(client, user):
    # given a user with 2FA on, who lost their device and their recovery codes
    enable(user)
    assert sign_in(user).json()["error"]["code"] == "otp_required"
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    # when an admin removes it
    response = client.post(
        "/admin/accounts/user/", {"action": "reset_two_factor", "_selected_action": [user.pk]}
    )
    # then they sign in with their password alone
    assert response.status_code == 302
    answer = sign_in(user)
    assert answer.status_code == 200, answer.json()


def test_the_admin_shows_nobody_a_users_authenticator_secret(client, user):
    enable(user)
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
