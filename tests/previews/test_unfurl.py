"""Unfurling a stored message's links: the preview shown under it (title, description, Parley's own copy of
the image), the per-URL cache, the task queued when a message with a link is stored, and the refusals a
member would notice as no preview at all."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from kombu import Queue
from prometheus_client import REGISTRY
from rest_framework.test import APIClient

from chatproject.celery import app as celery_app
from messaging.models import ConversationEvent, Message
from messaging.services import message_delete, message_edit, messages_store
from previews.models import LinkPreview
from previews.services import link_preview_get, link_previews_purge_stale, message_unfurl
from previews.tasks import unfurl_message_task
from tests.conftest import take_queued_task
from tests.messaging.factories import acknowledged_payload, store_message
from tests.previews.sites import Site, page, png

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }


def test_a_message_with_a_link_shows_its_preview_to_members(
    allow_site: Site, ada, bob, eve, team, as_user, media
):
    allow_site.serve("/cat.png", png(640, 480), "image/png")
    url = allow_site.serve("/article", page("Cats &amp; dogs", "All about them", image="/cat.png"))
    message = store_message(team, ada, body=f"look: {url}.")
    unfurl_message_task(str(message.id))
    # the message shows the preview, with the image as Parley's URL, never the site's
    history = as_user(bob).get(f"/api/v1/conversations/{team.pk}/messages/").json()["results"]
    (preview,) = history[-1]["previews"]
    assert preview["url"] == url
    assert (preview["title"], preview["description"]) == ("Cats & dogs", "All about them")
    assert preview["image"]["url"].startswith("/api/v1/previews/")
    assert (preview["image"]["width"], preview["image"]["height"]) == (320, 240)
    assert "127.0.0.1" not in str(preview["image"])
    # it was announced as an update of the message, in the conversation's order
    event = ConversationEvent.objects.get(message=message, kind=ConversationEvent.Kind.MESSAGE_UPDATED)
    assert event.seq > message.seq
    # the image is Parley's re-encoded copy, for signed-in users only
    image = as_user(eve).get(preview["image"]["url"])
    assert image.status_code == 200
    assert image["Content-Type"] == "image/webp"
    assert b"".join(image.streaming_content).startswith(b"RIFF")
    assert image["X-Content-Type-Options"] == "nosniff"
    assert APIClient().get(preview["image"]["url"]).status_code == 401
    assert as_user(bob).get(f"/api/v1/previews/{uuid.uuid4()}/image/").status_code == 404


def test_each_url_is_fetched_once_while_its_preview_is_fresh(allow_site: Site, ada, team, settings, caplog):
    url = allow_site.serve("/news", page("News"))
    found_before, refused_before = fetches("found"), fetches("refused")
    for _ in range(2):
        message_unfurl(message_id=store_message(team, ada, seq=Message.objects.count() + 1, body=url).id)
    assert allow_site.hits == {"/news": 1}
    assert fetches("found") == found_before + 1
    assert Message.objects.filter(previews__0__title="News").count() == 2
    # failures are cached too: a dead link is not asked again for every message naming it
    missing = allow_site.url("/gone?token=s3cret")
    with caplog.at_level("INFO", logger="previews"):
        assert not link_preview_get(missing).found
    assert not link_preview_get(missing).found
    assert allow_site.hits["/gone"] == 1
    assert fetches("refused") == refused_before + 1
    # and the log says which site refused, not the link's path and query (a message's words)
    [refused] = [r for r in caplog.records if r.getMessage() == "link preview refused"]
    assert (refused.__dict__["host"], refused.__dict__["reason"]) == ("127.0.0.1", "HTTP 404")
    assert "s3cret" not in str(refused.__dict__)
    # once stale, fetched again
    settings.PREVIEW_CACHE_SECONDS = 0
    assert link_preview_get(url).title == "News"
    assert allow_site.hits["/news"] == 2


def test_by_default_a_link_to_a_local_site_gets_no_preview(site: Site, ada, team):
    url = site.serve("/", page("Internal admin"))
    message = store_message(team, ada, body=f"see {url} and http://169.254.169.254/latest/meta-data/")
    assert message_unfurl(message_id=message.id) is False
    message.refresh_from_db()
    assert message.previews == []
    assert site.hits == {}
    assert not ConversationEvent.objects.filter(message=message).exists()
    assert LinkPreview.objects.filter(found=False).count() == 2


def test_an_image_that_is_not_a_real_raster_image_is_left_out(allow_site: Site, ada, team, media):
    allow_site.serve("/fake.png", b"<script>alert(1)</script>", "image/png")
    url = allow_site.serve("/page", page("Page", image="/fake.png"))
    message_unfurl(message_id=store_message(team, ada, body=url).id)
    (preview,) = Message.objects.get().previews
    assert preview["title"] == "Page"
    assert preview["image"] is None


def test_an_image_on_a_private_address_is_refused_even_when_the_page_is_allowed(
    allow_site: Site, ada, team, media
):
    url = allow_site.serve("/page", page("Page", image="http://10.0.0.5/secret.png"))
    message_unfurl(message_id=store_message(team, ada, body=url).id)
    assert Message.objects.get().previews[0]["image"] is None


def test_no_preview_for_a_deleted_or_edited_message(allow_site: Site, ada, team):
    url = allow_site.serve("/page", page("Page"))
    edited = store_message(team, ada, body=url)
    message_edit(user=ada, message_id=edited.id, body="never mind")
    assert message_unfurl(message_id=edited.id) is False
    assert allow_site.hits == {}


def test_an_edit_drops_the_previews_of_links_it_removes(allow_site: Site, ada, team):
    first, second = allow_site.serve("/one", page("One")), allow_site.serve("/two", page("Two"))
    message = store_message(team, ada, body=f"{first} {second}")
    message_unfurl(message_id=message.id)
    message_edit(user=ada, message_id=message.id, body=f"only {second}")
    message.refresh_from_db()
    assert [p["title"] for p in message.previews] == ["Two"]


def test_an_edit_that_adds_a_link_unfurls_it(allow_site: Site, ada, team, django_capture_on_commit_callbacks):
    message = store_message(team, ada, body="no link yet")
    url = allow_site.serve("/later", page("Later"))
    with django_capture_on_commit_callbacks(execute=True):
        message_edit(user=ada, message_id=message.id, body=f"now: {url}")
    task = take_queued_task("celery")
    assert task.headers["argsrepr"] == repr((str(message.id),))
    unfurl_message_task(str(message.id))
    message.refresh_from_db()
    assert [p["title"] for p in message.previews] == ["Later"]


def test_a_page_in_another_charset_reads_right(allow_site: Site, ada, team):
    latin = '<html><head><meta charset="iso-8859-1"><title>Caf\u00e9 cr\u00e8me</title></head></html>'
    url = allow_site.serve("/cafe", latin.encode("latin-1"), "text/html")
    message_unfurl(message_id=store_message(team, ada, body=url).id)
    assert Message.objects.get().previews[0]["title"] == "Caf\u00e9 cr\u00e8me"


def test_links_in_code_are_not_unfurled_and_few_are(allow_site: Site, ada, team, settings):
    settings.PREVIEW_MAX_PER_MESSAGE = 2
    urls = [allow_site.serve(f"/p{n}", page(f"P{n}")) for n in range(4)]
    body = f"`{urls[0]}` {urls[1]} {urls[1]} ({urls[2]}) {urls[3]}"
    message_unfurl(message_id=store_message(team, ada, body=body).id)
    assert [p["title"] for p in Message.objects.get().previews] == ["P1", "P2"]


def test_storing_a_message_with_a_link_queues_its_unfurling(ada, team, django_capture_on_commit_callbacks):
    with_link = acknowledged_payload(team, ada, seq=1, body="read https://example.com/a")
    without = acknowledged_payload(team, ada, seq=2, body="no link here")
    with django_capture_on_commit_callbacks(execute=True):
        messages_store(messages=[with_link, without])
    task = take_queued_task("celery")
    assert task.headers["task"] == "previews.tasks.unfurl_message_task"
    assert task.headers["argsrepr"] == repr((with_link["id"],))


def test_previews_can_be_switched_off(ada, team, settings, django_capture_on_commit_callbacks):
    settings.PREVIEWS_ENABLED = False
    with django_capture_on_commit_callbacks(execute=True):
        messages_store(messages=[acknowledged_payload(team, ada, seq=1, body="https://example.com/")])
    assert queued("celery") == 0


def queued(queue_name: str) -> int:
    with celery_app.connection_for_write() as connection:
        queue = Queue(queue_name, durable=True).bind(connection.default_channel)
        declared: Any = queue.queue_declare(passive=True)
        return int(declared.message_count)


def fetches(outcome: str) -> float:
    return REGISTRY.get_sample_value("parley_link_preview_fetches_total", {"outcome": outcome}) or 0.0


def test_stale_previews_no_message_shows_are_purged_with_their_images(
    allow_site: Site, ada, team, media, settings
):
    allow_site.serve("/pic.png", png(), "image/png")
    shown, unshown, deleted = (
        allow_site.serve(f"/{name}", page(name, image="/pic.png")) for name in ("shown", "unshown", "deleted")
    )
    message_unfurl(message_id=store_message(team, ada, seq=1, body=shown).id)
    link_preview_get(unshown)  # fetched, but the message naming it was never unfurled
    gone = store_message(team, ada, seq=2, body=deleted)
    message_unfurl(message_id=gone.id)
    message_delete(user=ada, message_id=gone.id)
    images = dict(LinkPreview.objects.values_list("title", "image_key"))
    # while fresh, nothing goes
    assert link_previews_purge_stale() == 0
    # once not fetched for PREVIEW_KEEP_DAYS, only what no remaining message shows goes, its image with it
    LinkPreview.objects.update(fetched_at=timezone.now() - timedelta(days=settings.PREVIEW_KEEP_DAYS + 1))
    assert link_previews_purge_stale() == 2
    assert list(LinkPreview.objects.values_list("title", flat=True)) == ["shown"]
    assert default_storage.exists(images["shown"])
    assert not default_storage.exists(images["unshown"])
    assert not default_storage.exists(images["deleted"])
