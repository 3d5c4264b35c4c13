from datetime import timedelta

import pytest
from django.db.models import F
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import LoginSession
from tests.accounts.factories import DEFAULT_PASSWORD

TOKEN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"
LOGOUT_URL = "/api/v1/auth/logout/"
ME_URL = "/api/v1/users/me/"
COOKIE = "parley_refresh"

pytestmark = pytest.mark.django_db


def obtain(client, user, **extra):
    return client.post(
        TOKEN_URL, {"username": user.username, "password": DEFAULT_PASSWORD, **extra}, format="json"
    )


def test_login_returns_a_working_token_pair(api_client, user):
    response = obtain(api_client, user)
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert api_client.get(ME_URL).json()["username"] == user.username


def test_unknown_user_and_wrong_password_get_the_same_answer(api_client, user):
    wrong_password = api_client.post(
        TOKEN_URL, {"username": user.username, "password": "nope"}, format="json"
    )
    unknown_user = api_client.post(TOKEN_URL, {"username": "ghost", "password": "nope"}, format="json")
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.json() == unknown_user.json()
    assert wrong_password.json()["error"]["code"] == "no_active_account"
    # in words a person reads (it was SimpleJWT's "No active account found with the given credentials")
    assert wrong_password.json()["error"]["detail"] == "Wrong username or password."


def test_inactive_user_cannot_log_in(api_client, user):
    user.is_active = False
    user.save()
    assert obtain(api_client, user).status_code == 401


def refresh(client, token: str):
    return client.post(REFRESH_URL, {"refresh": token}, format="json")


def test_refresh_rotates_and_the_old_refresh_token_is_refused_once_the_new_one_was_used(api_client, user):
    old_refresh = obtain(api_client, user).json()["refresh"]
    rotated = refresh(api_client, old_refresh)
    assert rotated.status_code == 200
    assert set(rotated.json()) == {"access", "refresh"}
    assert rotated.json()["refresh"] != old_refresh
    assert refresh(api_client, rotated.json()["refresh"]).status_code == 200  # the new one was used
    again = refresh(api_client, old_refresh)
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "token_not_valid"


def test_a_refresh_whose_answer_was_lost_can_be_made_again_with_the_same_token(api_client, user):
    # given: a refresh the server answered, but whose answer never arrived (the page reloaded meanwhile)
    old_refresh = obtain(api_client, user).json()["refresh"]
    lost = refresh(api_client, old_refresh).json()["refresh"]
    # when: the client, which kept the old token, refreshes with it again
    retried = refresh(api_client, old_refresh)
    # then: it gets the answer it missed (the same refresh token, a working access token) and stays signed in
    assert retried.status_code == 200
    assert retried.json()["refresh"] == lost
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {retried.json()['access']}")
    assert api_client.get(ME_URL).status_code == 200
    # and once the new token is used, the old one is refused (a copy of it gets no lasting use)
    assert refresh(api_client, lost).status_code == 200
    assert refresh(api_client, old_refresh).status_code == 401


def test_answers_lost_again_and_again_never_sign_anyone_out(api_client, user):
    # given: two tabs reloading while refreshing, so that several answers in a row never arrive (it signed
    # the person out at the second: the old token was honoured once, and its second answer was lost too)
    old_refresh = obtain(api_client, user).json()["refresh"]
    answers = [refresh(api_client, old_refresh) for _ in range(4)]
    # then: each retry with the token the browser kept gets the same answer, and that answer works
    assert [answer.status_code for answer in answers] == [200] * 4
    assert len({answer.json()["refresh"] for answer in answers}) == 1
    assert refresh(api_client, answers[-1].json()["refresh"]).status_code == 200


def test_retries_do_not_stretch_the_minute_a_rotated_token_is_answered_in(api_client, user):
    # given: a refresh whose answer was lost, retried 50 s after it
    old_refresh = obtain(api_client, user).json()["refresh"]
    lost = refresh(api_client, old_refresh).json()["refresh"]
    rotated = LoginSession.objects.filter(user=user)
    rotated.update(refreshed_at=F("refreshed_at") - timedelta(seconds=50))
    assert refresh(api_client, old_refresh).status_code == 200
    # when: another 20 s pass (70 s since the rotation, 20 s since the retry)
    rotated.update(refreshed_at=F("refreshed_at") - timedelta(seconds=20))
    # then: the old token is refused; the newest still works
    assert refresh(api_client, old_refresh).status_code == 401
    assert refresh(api_client, lost).status_code == 200


def test_a_rotated_token_is_not_honoured_again_once_the_moment_has_passed(api_client, user, monkeypatch):
    monkeypatch.setattr("accounts.services.sessions.REFRESH_REUSE", timedelta(0))
    old_refresh = obtain(api_client, user).json()["refresh"]
    assert refresh(api_client, old_refresh).status_code == 200
    assert refresh(api_client, old_refresh).status_code == 401


def test_refresh_after_logout_is_refused(api_client, user):
    refresh = obtain(api_client, user).json()["refresh"]
    assert api_client.post(LOGOUT_URL, {"refresh": refresh}, format="json").status_code == 204
    response = api_client.post(REFRESH_URL, {"refresh": refresh}, format="json")
    assert response.status_code == 401


def test_logout_ends_the_sessions_access_tokens_at_once_and_only_that_sessions(api_client, user):
    # given: two logins (two devices); the first refreshed once, so it holds two access tokens
    first, other = obtain(api_client, user).json(), obtain(api_client, user).json()
    rotated = api_client.post(REFRESH_URL, {"refresh": first["refresh"]}, format="json").json()
    # when: the first device logs out with its current refresh token
    assert api_client.post(LOGOUT_URL, {"refresh": rotated["refresh"]}, format="json").status_code == 204
    # then: every access token of that session is refused, well before it would expire
    for access in (first["access"], rotated["access"]):
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
        response = api_client.get(ME_URL)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "token_not_valid"
    # and the other device is still logged in
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {other['access']}")
    assert api_client.get(ME_URL).status_code == 200


@pytest.mark.parametrize("refresh", ["garbage", "", None])
def test_refresh_with_a_bad_token_is_401_not_500(api_client, refresh):
    body = {} if refresh is None else {"refresh": refresh}
    response = api_client.post(REFRESH_URL, body, format="json")
    assert response.status_code in (400, 401)
    assert "error" in response.json()


@pytest.mark.parametrize("url", [REFRESH_URL, LOGOUT_URL])
def test_no_refresh_token_at_all_is_a_400_naming_the_field(api_client, user, url):
    # neither in the body nor as a cookie: a required field is missing (it was a 401, as for a bad token)
    response = api_client.post(url, {}, format="json")
    assert response.status_code == 400
    detail = "This field is required: send the refresh token here, or the refresh cookie."
    assert response.json() == {
        "error": {"code": "invalid", "detail": detail, "fields": {"refresh": [detail]}}
    }


def test_a_refresh_token_that_is_no_good_is_still_a_401(api_client, user):
    for body in ({"refresh": "garbage"}, {"refresh": str(AccessToken.for_user(user))}):
        response = api_client.post(REFRESH_URL, body, format="json")
        assert (response.status_code, response.json()["error"]["code"]) == (401, "token_not_valid")
    api_client.cookies[COOKIE] = "garbage"
    assert api_client.post(REFRESH_URL, {}, format="json").status_code == 401


def test_expired_access_token_is_refused(api_client, user):
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-timedelta(seconds=1))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = api_client.get(ME_URL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"


def test_forged_access_token_is_refused(api_client, user):
    token = str(AccessToken.for_user(user))
    header, payload, signature = token.split(".")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {header}.{payload}.{signature[::-1]}")
    assert api_client.get(ME_URL).status_code == 401


class TestRefreshCookie:
    def test_login_in_cookie_mode_keeps_the_refresh_token_out_of_javascript(self, api_client, user):
        response = obtain(api_client, user, use_cookie=True)
        assert response.status_code == 200
        assert set(response.json()) == {"access"}
        cookie = response.cookies[COOKIE]
        assert cookie["httponly"]
        assert cookie["samesite"] == "Strict"
        assert cookie["path"] == "/api/v1/auth/"

    def test_refresh_from_the_cookie_rotates_the_cookie(self, api_client, user):
        first = obtain(api_client, user, use_cookie=True).cookies[COOKIE].value
        response = api_client.post(REFRESH_URL, {}, format="json")
        assert response.status_code == 200
        assert set(response.json()) == {"access"}
        assert response.cookies[COOKIE].value not in ("", first)

    def test_logout_clears_the_cookie_and_revokes_its_token(self, api_client, user):
        refresh = obtain(api_client, user, use_cookie=True).cookies[COOKIE].value
        response = api_client.post(LOGOUT_URL, {}, format="json")
        assert response.status_code == 204
        assert response.cookies[COOKIE].value == ""
        assert api_client.post(REFRESH_URL, {"refresh": refresh}, format="json").status_code == 401

    def test_secure_flag_follows_the_setting(self, api_client, user, settings):
        settings.REFRESH_COOKIE_SECURE = True
        assert obtain(api_client, user, use_cookie=True).cookies[COOKIE]["secure"]
