"""Signing in as the web app does, for the account tests."""

import base64
import time

from django_otp.oath import TOTP
from rest_framework.test import APIClient

from tests.accounts.factories import DEFAULT_PASSWORD

LOGIN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"
ME_URL = "/api/v1/users/me/"


def login(
    user, *, password: str = DEFAULT_PASSWORD, user_agent: str = "", ip: str = "127.0.0.1", **extra
) -> dict:
    """A new login session's token pair (the refresh token in the body)."""
    response = APIClient().post(
        LOGIN_URL,
        {"username": user.username, "password": password, **extra},
        format="json",
        HTTP_USER_AGENT=user_agent,
        REMOTE_ADDR=ip,
    )
    assert response.status_code == 200, response.json()
    return response.json()


def client_for(tokens: dict) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client


def refresh(tokens: dict) -> int:
    return APIClient().post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json").status_code


def totp_code(secret: str, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app holding `secret` (base32) shows now, or `steps_ahead` 30 s periods later.
    A code is accepted once and only if newer than the last one used, so each sign-in of a test takes the
    next period's (the server accepts one period of clock drift). Not taken in a period's last 2 s: a code
    that reaches the server in the next period is matched one period back, and django-otp then records that
    drift, moving the window the following code must fall in (a rare failure of the next sign-in)."""
    left_in_period = 30 - time.time() % 30
    if left_in_period < 2:
        time.sleep(left_in_period)  # the clock is what is waited for: the next period
    totp = TOTP(base64.b32decode(secret))
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"
