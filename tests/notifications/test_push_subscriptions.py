import pytest
from django.conf import settings

from notifications.models import PushSubscription
from tests.accounts.factories import UserFactory
from tests.notifications.factories import PushSubscriptionFactory

URL = "/api/v1/push/subscriptions/"


def test_the_public_key_is_given_to_anyone(api_client, db):
    response = api_client.get("/api/v1/push/key/")

    assert response.status_code == 200
    assert response.json() == {"public_key": settings.VAPID_PUBLIC_KEY}


def test_a_subscription_is_bound_to_the_caller(auth_client, user, browser):
    # given
    other = UserFactory()

    # when: the body tries to name someone else
    response = auth_client.post(
        URL, browser.subscription_json(user=other.pk, device_name="Laptop"), format="json"
    )

    # then
    assert response.status_code == 201
    subscription = PushSubscription.objects.get()
    assert subscription.user == user
    assert (subscription.p256dh, subscription.auth) == (browser.p256dh, browser.auth)
    assert response.json()["device_name"] == "Laptop"
    assert "p256dh" not in response.json()


def test_registering_the_same_endpoint_again_updates_it(auth_client, user, browser):
    first = auth_client.post(URL, browser.subscription_json(), format="json")
    again = auth_client.post(URL, browser.subscription_json(device_name="Phone"), format="json")

    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert PushSubscription.objects.get().device_name == "Phone"


def test_an_endpoint_registered_by_someone_else_moves_to_the_caller(auth_client, user, browser):
    # given: the browser was subscribed while someone else was logged in
    previous = PushSubscriptionFactory(browser=browser)

    # when
    response = auth_client.post(URL, browser.subscription_json(), format="json")

    # then
    assert response.status_code == 201
    subscription = PushSubscription.objects.get()
    assert subscription.user == user
    assert subscription.pk != previous.pk


def test_the_list_holds_only_the_callers_subscriptions(
    auth_client, user, push_service, django_assert_num_queries
):
    mine = [PushSubscriptionFactory(user=user, browser=push_service.subscribe("k")) for _ in range(3)]
    PushSubscriptionFactory(browser=push_service.subscribe("k"))

    with django_assert_num_queries(2):  # count + page
        response = auth_client.get(URL)

    assert response.status_code == 200
    assert {s["id"] for s in response.json()["results"]} == {s.pk for s in mine}


def test_a_user_deletes_their_own_subscription(auth_client, user, browser):
    subscription = PushSubscriptionFactory(user=user, browser=browser)

    response = auth_client.delete(f"{URL}{subscription.pk}/")

    assert response.status_code == 204
    assert not PushSubscription.objects.exists()


def test_someone_elses_subscription_cannot_be_deleted(auth_client, browser):
    subscription = PushSubscriptionFactory(browser=browser)

    response = auth_client.delete(f"{URL}{subscription.pk}/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert PushSubscription.objects.filter(pk=subscription.pk).exists()


def test_anonymous_callers_cannot_subscribe(api_client, db, browser):
    assert api_client.post(URL, browser.subscription_json(), format="json").status_code == 401
    assert api_client.get(URL).status_code == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b: {"endpoint": "ftp://127.0.0.1/push/x"}, "endpoint"),
        (lambda b: {"endpoint": "https://evil.example.com/push/x"}, "endpoint"),
        (lambda b: {"endpoint": "https://user:pw@127.0.0.1/push/x"}, "endpoint"),
        (lambda b: {"keys": {"p256dh": "not base64!", "auth": b.auth}}, "keys"),
        (lambda b: {"keys": {"p256dh": "BAAA", "auth": b.auth}}, "keys"),
        (lambda b: {"keys": {"p256dh": "BA" + "A" * 85, "auth": b.auth}}, "keys"),
        (lambda b: {"keys": {"auth": b.auth}}, "keys"),
        (lambda b: {"keys": {"p256dh": b.p256dh, "auth": "AAAA"}}, "keys"),
    ],
    ids=[
        "scheme",
        "unknown-host",
        "credentials",
        "p256dh-alphabet",
        "p256dh-short",
        "p256dh-off-curve",
        "p256dh-missing",
        "auth-short",
    ],
)
def test_invalid_subscriptions_are_refused(auth_client, browser, change, field):
    response = auth_client.post(URL, {**browser.subscription_json(), **change(browser)}, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not PushSubscription.objects.exists()


def test_http_endpoints_need_the_setting(auth_client, browser, settings):
    settings.PUSH_ALLOW_HTTP_ENDPOINTS = False

    response = auth_client.post(URL, browser.subscription_json(), format="json")

    assert response.status_code == 400
    assert "endpoint" in response.json()["error"]["fields"]


def test_a_user_keeps_at_most_twenty_subscriptions(user, push_service):
    from notifications import services

    for _ in range(21):
        browser = push_service.subscribe(settings.VAPID_PUBLIC_KEY)
        latest, _ = services.push_subscription_register(
            user=user, endpoint=browser.endpoint, p256dh=browser.p256dh, auth=browser.auth
        )

    assert PushSubscription.objects.filter(user=user).count() == 20
    assert PushSubscription.objects.filter(pk=latest.pk).exists()
