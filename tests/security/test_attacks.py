"""What an attacker would try, through the REST API and the socket: someone else's conversations, messages,
files and push subscriptions; forged, expired, logged-out and suspended tokens; path tricks in file names;
huge bodies; markup in text fields; finding out who has an account.

The attacker, mallory, holds a valid account and is in none of the victims' (bob and eve's) conversations.
Every refusal of something that exists must look like the refusal of something that does not."""

import base64
import json
import uuid
from datetime import timedelta

import jwt
import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts import services
from chatproject.asgi import application
from files.models import StoredFile
from messaging.models import Message, Reaction
from notifications.models import PushSubscription
from tests.files.factories import MessageFactory, StoredFileFactory
from tests.messaging.conftest import ORIGIN

pytestmark = pytest.mark.django_db(transaction=True)

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def bearer(user=None, *, token: str | None = None) -> APIClient:
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {token if token is not None else AccessToken.for_user(user)}"
    )
    return client


@pytest.fixture
def secret_message(bob, private):
    return MessageFactory(conversation=private, sender=bob, seq=1, body="the plan")


@pytest.fixture
def secret_file(bob, secret_message):
    stored = StoredFileFactory(owner=bob, name="plan.pdf")
    secret_message.attachments.add(stored)
    return stored


# --- Other people's conversations and messages, over REST


def test_reading_a_conversation_one_is_not_in_is_the_404_of_a_missing_one(mallory, private):
    client = bearer(mallory)
    for path in ("/api/v1/conversations/{}/", "/api/v1/conversations/{}/messages/"):
        refused, missing = client.get(path.format(private.pk)), client.get(path.format(10**9))
        assert refused.status_code == missing.status_code == 404
        assert refused.json() == missing.json()


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("patch", "/api/v1/messages/{}/", {"body": "edited by mallory"}),
        ("delete", "/api/v1/messages/{}/", None),
        ("post", "/api/v1/messages/{}/reactions/", {"emoji": "👎"}),
        ("delete", "/api/v1/messages/{}/reactions/", {"emoji": "👎"}),
    ],
)
def test_editing_deleting_or_reacting_to_a_message_elsewhere_is_a_404_and_changes_nothing(
    mallory, secret_message, method, path, data
):
    client = bearer(mallory)
    refused = getattr(client, method)(path.format(secret_message.id), data, format="json")
    missing = getattr(client, method)(path.format(uuid.uuid4()), data, format="json")
    assert refused.status_code == missing.status_code == 404
    assert refused.json() == missing.json()
    secret_message.refresh_from_db()
    assert (secret_message.body, secret_message.edited_at, secret_message.deleted_at) == (
        "the plan",
        None,
        None,
    )
    assert not Reaction.objects.exists()


def test_sending_into_a_conversation_one_is_not_in_is_refused(mallory, private):
    response = bearer(mallory).post(
        f"/api/v1/conversations/{private.pk}/messages/",
        {"body": "hi", "client_id": str(uuid.uuid4())},
        format="json",
    )
    assert response.status_code == 404
    assert not Message.objects.exists()


def test_search_finds_nothing_from_conversations_one_is_not_in(mallory, secret_message):
    response = bearer(mallory).get("/api/v1/search/messages/", {"q": "plan"})
    assert response.status_code == 200
    assert response.json()["results"] == []


# --- Over the socket


async def _socket(user=None, *, token: str | None = None) -> WebsocketCommunicator:
    token = token if token is not None else str(AccessToken.for_user(user))
    communicator = WebsocketCommunicator(application, f"/ws/?v=2&token={token}", headers=[ORIGIN])
    connected, _ = await communicator.connect()
    assert connected
    return communicator


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "message.edit", "body": "mine now"},
        {"type": "message.delete"},
        {"type": "reaction.add", "emoji": "👎"},
        {"type": "reaction.remove", "emoji": "👎"},
    ],
)
async def test_socket_writes_to_messages_elsewhere_are_not_found(mallory, secret_message, frame):
    tab = await _socket(mallory)
    try:
        await tab.send_json_to({**frame, "message": str(secret_message.id)})
        assert (await tab.receive_json_from())["code"] == "not_found"
    finally:
        await tab.disconnect()
    await secret_message.arefresh_from_db()
    assert secret_message.body == "the plan"
    assert secret_message.deleted_at is None
    assert not await Reaction.objects.aexists()


async def test_socket_read_typing_and_sync_elsewhere_reveal_nothing(mallory, private, secret_message):
    tab = await _socket(mallory)
    try:
        for frame in (
            {"type": "read", "conversation": private.pk, "seq": 1},
            {"type": "typing", "conversation": private.pk, "state": "start"},
        ):
            await tab.send_json_to(frame)
            assert (await tab.receive_json_from())["code"] == "not_found"
        await tab.send_json_to({"type": "sync", "since": {str(private.pk): 0}})
        assert await tab.receive_json_from() == {"type": "sync.done", "conversations": {}, "more": False}
    finally:
        await tab.disconnect()


# --- Files


def test_downloading_someone_elses_file_is_the_404_of_a_missing_one(mallory, secret_file):
    client = bearer(mallory)
    for what in ("download", "thumbnail"):
        refused = client.get(f"/api/v1/files/{secret_file.id}/{what}/")
        missing = client.get(f"/api/v1/files/{uuid.uuid4()}/{what}/")
        assert refused.status_code == missing.status_code == 404
        assert refused.json() == missing.json()


def test_completing_or_uploading_into_someone_elses_file_is_a_404(mallory, bob):
    pending = StoredFileFactory(owner=bob, status=StoredFile.Status.PENDING)
    client = bearer(mallory)
    assert client.post(f"/api/v1/files/{pending.id}/complete/").status_code == 404
    response = client.put(
        f"/api/v1/files/{pending.id}/content/", b"overwrite", content_type="application/octet-stream"
    )
    assert response.status_code == 404
    pending.refresh_from_db()
    assert pending.status == StoredFile.Status.PENDING


def test_attaching_someone_elses_file_is_refused(mallory, bob):
    theirs = StoredFileFactory(owner=bob)
    conversation_id = _mallorys_own_conversation(mallory, bob)
    response = bearer(mallory).post(
        f"/api/v1/conversations/{conversation_id}/messages/",
        {"body": "look", "client_id": str(uuid.uuid4()), "attachments": [str(theirs.id)]},
        format="json",
    )
    assert response.status_code == 400
    assert not Message.objects.exists()


def _mallorys_own_conversation(mallory, other) -> int:
    from messaging.delivery.eventlog import initialise_counter
    from tests.messaging.factories import make_conversation

    conversation = make_conversation(mallory, other, title="Mallory's")
    initialise_counter(conversation.pk)
    return conversation.pk


@pytest.mark.parametrize(
    "name",
    [
        "../../../etc/passwd",
        "..\\..\\windows\\system32\\config",
        "/absolute/path.txt",
        "nul\x00byte.txt",
        "rtl\u202egnp.exe",
        "....//....//x",
        "%2e%2e%2fencoded",
        "",
        ".",
        "..",
    ],
)
def test_path_tricks_in_file_names_never_reach_the_storage_key(mallory, name):
    response = bearer(mallory).post("/api/v1/files/", {"name": name, "size": 10}, format="json")
    assert response.status_code in (201, 400), response.content
    if response.status_code == 201:
        stored = StoredFile.objects.get(id=response.json()["id"])
        assert "/" not in stored.name
        assert "\\" not in stored.name
        assert "\x00" not in stored.name
        assert "\u202e" not in stored.name
        assert stored.name not in (".", "..")
        assert stored.storage_key.startswith("uploads/")
        assert ".." not in stored.storage_key


# --- Push subscriptions


ENDPOINT = "https://fcm.googleapis.com/fcm/send/attacker-{}"
P256DH = "BPu0_2enLE-zEQTnFfEWDsXtpLxLY3yPnseVj1RsClT-SPqz0U5jF4CADuQcsYFVwpa_WC86bVv1Fg17qEcv3Jc"
AUTH = "AAAAAAAAAAAAAAAAAAAAAA"


def test_a_push_subscription_is_always_the_callers_whatever_user_the_body_names(mallory, bob):
    response = bearer(mallory).post(
        "/api/v1/push/subscriptions/",
        {"endpoint": ENDPOINT.format(1), "keys": {"p256dh": P256DH, "auth": AUTH}, "user": bob.pk},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert list(PushSubscription.objects.values_list("user_id", flat=True)) == [mallory.pk]


def test_someone_elses_push_subscription_can_be_neither_listed_nor_deleted(mallory, bob):
    theirs = PushSubscription.objects.create(
        user=bob, endpoint=ENDPOINT.format("bob"), p256dh=P256DH, auth=AUTH
    )
    client = bearer(mallory)
    assert client.get("/api/v1/push/subscriptions/").json()["results"] == []
    refused = client.delete(f"/api/v1/push/subscriptions/{theirs.pk}/")
    missing = client.delete("/api/v1/push/subscriptions/999999/")
    assert refused.status_code == missing.status_code == 404
    assert PushSubscription.objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://fcm.googleapis.com/fcm/send/x",  # not https
        "https://169.254.169.254/latest/meta-data/",  # server-side request forgery
        "https://127.0.0.1:6379/",
        "https://evil.example/fcm.googleapis.com/",
        "https://fcm.googleapis.com.evil.example/x",
        "https://user:pass@fcm.googleapis.com/x",
    ],
)
def test_push_endpoints_outside_the_known_push_services_are_refused(mallory, endpoint):
    response = bearer(mallory).post(
        "/api/v1/push/subscriptions/",
        {"endpoint": endpoint, "keys": {"p256dh": P256DH, "auth": AUTH}},
        format="json",
    )
    assert response.status_code == 400
    assert not PushSubscription.objects.exists()


# --- Tokens


def _forged(user, **changes) -> str:
    claims = {**AccessToken.for_user(user).payload, **changes}
    return jwt.encode(claims, "not-the-signing-key-but-long-enough-for-hs256", algorithm="HS256")


def _unsigned(user) -> str:
    return jwt.encode(dict(AccessToken.for_user(user).payload), key=None, algorithm="none")  # type: ignore[arg-type]


def _expired(user) -> str:
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-timedelta(seconds=1))
    return str(token)


def _other_user_id(user) -> str:
    """A correctly signed header and body naming another user, with the original signature."""
    header, body, signature = str(AccessToken.for_user(user)).split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["user_id"] = str(user.pk + 1)
    forged_body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged_body}.{signature}"


def _logged_out(user) -> str:
    """An access token whose session has since logged out."""
    refresh = services.session_start(user=user, ip_address=None, user_agent="")
    services.session_end(refresh_token=str(refresh))
    return str(refresh.access_token)


BAD_TOKENS = {
    "forged": lambda user: _forged(user),
    "alg-none": _unsigned,
    "expired": _expired,
    "tampered-user-id": _other_user_id,
    "refresh-as-access": lambda user: str(RefreshToken.for_user(user)),
    "garbage": lambda user: "a.b.c",
    "logged-out": _logged_out,
}


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_bad_tokens_are_refused_by_rest(mallory, kind):
    response = bearer(token=BAD_TOKENS[kind](mallory)).get("/api/v1/users/me/")
    assert response.status_code == 401


@pytest.mark.parametrize("kind", BAD_TOKENS)
async def test_bad_tokens_are_refused_by_the_socket(mallory, kind):
    from channels.db import database_sync_to_async

    token = await database_sync_to_async(BAD_TOKENS[kind])(mallory)
    communicator = await _socket(token=token)
    assert await communicator.receive_output() == {"type": "websocket.close", "code": 4401}


def test_a_refresh_token_is_dead_after_logout(mallory):
    refresh = str(RefreshToken.for_user(mallory))
    client = APIClient()
    assert client.post("/api/v1/auth/logout/", {"refresh": refresh}, format="json").status_code == 204
    response = client.post("/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json")
    assert response.status_code == 401
    assert "access" not in response.json()


def test_a_suspended_users_access_token_is_refused_by_rest(mallory):
    token = str(AccessToken.for_user(mallory))
    mallory.is_active = False
    mallory.save(update_fields=["is_active"])
    assert bearer(token=token).get("/api/v1/users/me/").status_code == 401


async def test_a_suspended_users_socket_connect_is_closed(mallory):
    token = str(AccessToken.for_user(mallory))
    mallory.is_active = False
    await mallory.asave(update_fields=["is_active"])
    communicator = await _socket(token=token)
    closed = await communicator.receive_output()
    assert closed["type"] == "websocket.close"
    assert closed["code"] in (4401, 4403)


def test_a_suspended_user_cannot_log_in_or_refresh(mallory):
    mallory.set_password("correct horse battery staple")
    mallory.save()
    refresh = str(RefreshToken.for_user(mallory))
    mallory.is_active = False
    mallory.save(update_fields=["is_active"])
    client = APIClient()
    login = client.post(
        "/api/v1/auth/token/",
        {"username": mallory.username, "password": "correct horse battery staple"},
        format="json",
    )
    assert login.status_code == 401
    assert client.post("/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json").status_code == 401


# --- Huge bodies and markup


def test_a_huge_json_body_is_refused_without_a_500(mallory):
    body = b'{"display_name": "' + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024) + b'"}'
    response = bearer(mallory).generic("PATCH", "/api/v1/users/me/", body, content_type="application/json")
    assert 400 <= response.status_code < 500


def test_a_message_over_the_body_limit_is_refused(mallory, bob):
    conversation_id = _mallorys_own_conversation(mallory, bob)
    response = bearer(mallory).post(
        f"/api/v1/conversations/{conversation_id}/messages/",
        {"body": "x" * (Message.BODY_MAX_LENGTH + 1), "client_id": str(uuid.uuid4())},
        format="json",
    )
    assert response.status_code == 400
    assert not Message.objects.exists()


def test_markup_in_text_fields_comes_back_as_inert_json_text(mallory, bob):
    # given markup in every free-text field mallory controls
    client = bearer(mallory)
    me = client.patch("/api/v1/users/me/", {"display_name": SCRIPT[:64]}, format="json")
    conversation = client.post(
        "/api/v1/conversations/",
        {"kind": "group", "title": SCRIPT[:100], "members": [bob.pk]},
        format="json",
    )
    upload = client.post("/api/v1/files/", {"name": SCRIPT + ".png", "size": 10}, format="json")

    # then: each is stored as text and served only as JSON, never as HTML
    for response in (me, conversation, upload):
        assert response.status_code in (200, 201), response.content
        assert response["Content-Type"].startswith("application/json")
    assert me.json()["display_name"] == SCRIPT[:64]
    assert conversation.json()["title"] == SCRIPT[:100]
    bob_view = bearer(bob).get("/api/v1/conversations/")
    assert bob_view["Content-Type"].startswith("application/json")
    assert b"<script>" in bob_view.content  # JSON carries the text as is; the client renders it as text


# --- User enumeration


def test_login_answers_the_same_for_an_unknown_user_and_a_wrong_password(mallory):
    client = APIClient()
    wrong = client.post(
        "/api/v1/auth/token/", {"username": mallory.username, "password": "nope"}, format="json"
    )
    unknown = client.post(
        "/api/v1/auth/token/", {"username": "nobody-here", "password": "nope"}, format="json"
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_registration_never_says_whether_an_email_is_in_use(mallory):
    response = APIClient().post(
        "/api/v1/auth/register/",
        {"username": "someone-new", "email": mallory.email, "password": "a long enough passphrase 42"},
        format="json",
    )
    assert response.status_code == 201  # usernames are public (user search); email addresses are not
    assert "email" not in response.json()


def test_user_search_never_shows_email_addresses(mallory, bob):
    response = bearer(mallory).get("/api/v1/users/", {"search": bob.username})
    assert response.status_code == 200
    assert all("email" not in user for user in response.json()["results"])
    assert bob.email not in response.content.decode()
