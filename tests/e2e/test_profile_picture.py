"""A profile picture: set in Settings (refusals said in words), seen live by whoever shares a conversation."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.api import log_in, register

pytestmark = pytest.mark.e2e

NOT_A_PICTURE = "That file is not a picture. Choose a PNG, JPEG, WebP or GIF image."
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (30, 140, 90)).save(out, format="PNG")
    return out.getvalue()


def test_a_picture_set_in_settings_shows_live_to_the_other_member(browser, live_server_url):
    # given Ada and Bob in a direct conversation, Bob looking at it
    ada = register(live_server_url, "ada", "Ada")
    bob = register(live_server_url, "bob", "Bob")
    direct = ada.conversation("direct", members=[bob])
    bob_page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in(bob_page, bob)
    bob_page.goto(f"{live_server_url}/c/{direct}")
    adas_entry = bob_page.get_by_role("link", name="Ada")
    expect(adas_entry).to_be_visible()
    expect(adas_entry.get_by_test_id("avatar-picture")).to_have_count(0)  # her initials

    # when Ada, in Settings, first picks an SVG and then a text file named like a PNG
    ada_page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in(ada_page, ada)
    ada_page.goto(f"{live_server_url}/settings")
    chooser = ada_page.get_by_label("Choose a picture")
    chooser.set_input_files({"name": "me.svg", "mimeType": "image/svg+xml", "buffer": SVG})
    expect(ada_page.get_by_role("alert")).to_have_text(NOT_A_PICTURE)
    chooser.set_input_files({"name": "me.png", "mimeType": "image/png", "buffer": b"not a picture at all"})
    ada_page.get_by_role("button", name="Upload picture").click()
    # then the server's refusal is said the same way, and nothing changed
    expect(ada_page.get_by_role("alert")).to_have_text(NOT_A_PICTURE)
    assert ada.call("GET", "users/me/")["avatar_url"] is None

    # when she picks a real picture: a preview, then the upload
    chooser.set_input_files({"name": "me.png", "mimeType": "image/png", "buffer": png()})
    expect(ada_page.get_by_role("img", name="Preview of your new picture")).to_be_visible()
    ada_page.get_by_role("button", name="Upload picture").click()
    expect(ada_page.get_by_role("status").filter(has_text="Picture saved.")).to_have_count(1)
    mine = ada_page.get_by_role("navigation", name="Conversations").get_by_test_id("avatar-picture").first
    expect(mine).to_be_attached()

    # then Bob sees her picture beside their conversation without reloading, and it really loads
    adas_picture = adas_entry.get_by_test_id("avatar-picture")
    expect(adas_picture).to_be_attached()
    bob_page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=adas_picture.element_handle()
    )
    # as a picture served as one: image/webp, never sniffed
    url = ada.call("GET", "users/me/")["avatar_url"]
    answer = bob_page.request.get(f"{live_server_url}{url}", headers={"Authorization": f"Bearer {bob.token}"})
    assert answer.status == 200
    assert answer.headers["content-type"] == "image/webp"
    assert answer.headers["x-content-type-options"] == "nosniff"

    # when she removes it, Bob sees her initials again
    ada_page.get_by_role("button", name="Remove picture").click()
    expect(ada_page.get_by_role("status").filter(has_text="Picture removed.")).to_have_count(1)
    expect(adas_entry.get_by_test_id("avatar-picture")).to_have_count(0)
    ada_page.context.close()
    bob_page.context.close()
