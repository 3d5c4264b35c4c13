"""The fake push service refuses what a real one refuses, so the other tests' pushes prove something."""

import json
import time

import pytest
import requests
from django.conf import settings
from py_vapid import Vapid
from pywebpush import WebPusher, WebPushException, webpush


def push(browser, *, key=None, claims=None, subscription=None) -> int:
    try:
        response = webpush(
            subscription or browser.subscription_json(),
            data=json.dumps({"title": "hi"}),
            vapid_private_key=key or Vapid.from_string(settings.VAPID_PRIVATE_KEY),
            vapid_claims={"sub": "mailto:ops@example.com", **(claims or {})},
            ttl=60,
        )
    except WebPushException as error:
        return error.status_code or 0
    return response.status_code


@pytest.fixture
def refusals(push_service):
    """The refusals a test provokes on purpose, taken away so the fixture's own check passes."""
    yield push_service.rejections
    push_service.rejections.clear()


def test_a_correct_push_is_accepted_and_decrypted(browser, push_service):
    assert push(browser) == 201
    assert push_service.received(browser) == [{"title": "hi"}]


def test_a_push_signed_with_another_key_is_refused(browser, refusals):
    other = Vapid()
    other.generate_keys()

    assert push(browser, key=other) == 403
    assert "applicationServerKey" in refusals[0]


def test_a_push_for_another_origin_is_refused(browser, refusals):
    assert push(browser, claims={"aud": "https://fcm.googleapis.com"}) == 401
    assert "aud" in refusals[0]


def test_a_token_valid_for_more_than_a_day_is_refused(browser, refusals):
    assert push(browser, claims={"exp": int(time.time()) + 25 * 3600}) == 401
    assert "exp" in refusals[0]


def test_a_push_encrypted_for_another_browser_is_refused(browser, push_service, refusals):
    other = push_service.subscribe(settings.VAPID_PUBLIC_KEY)
    wrong_keys = {"endpoint": browser.endpoint, "keys": other.subscription_json()["keys"]}

    assert push(browser, subscription=wrong_keys) == 400
    assert "decrypt" in refusals[0]


def test_a_push_without_ttl_is_refused(browser, push_service, refusals):
    vapid = Vapid.from_string(settings.VAPID_PRIVATE_KEY)
    headers = vapid.sign({"sub": "mailto:ops@example.com", "aud": push_service.origin})
    body = WebPusher(browser.subscription_json()).encode(b"{}")["body"]

    response = requests.post(
        browser.endpoint, data=body, headers={**headers, "Content-Encoding": "aes128gcm"}, timeout=5
    )

    assert response.status_code == 400
    assert "TTL" in refusals[0]
