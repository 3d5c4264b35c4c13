"""Attaching files in the message box (docs/files.md)."""

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.api import Account, log_in, register
from tests.e2e.conftest import LiveServer
from tests.e2e.test_conversation_features import ada_in_a_group

pytestmark = pytest.mark.e2e
CONTENT = re.compile(r"/api/v1/files/[^/]+/content/$")  # an upload's bytes, in the embedded mode


def test_an_empty_file_is_said_to_be_empty(browser, live_server_url):
    # given Ada in a group
    grace, group, page = ada_in_a_group(browser, live_server_url)

    # when she attaches a file of 0 bytes
    page.get_by_test_id("file-input").set_input_files(
        files=[{"name": "empty.txt", "mimeType": "text/plain", "buffer": b""}]
    )

    # then it is said to be empty, beside it (it said the server's "Ensure this value is greater than or
    # equal to 1."), and it holds up nothing
    attached = page.get_by_role("list", name="Attachments").get_by_role("listitem")
    expect(attached).to_have_count(1)
    expect(attached).to_contain_text("empty.txt")
    expect(attached).to_contain_text("This file is empty: there is nothing in it to send.")
    expect(page.get_by_role("button", name="Send message")).to_be_enabled()
    page.context.close()


def ada_attaching_a_file_held_on_its_way(browser: Any, server: LiveServer) -> tuple[Account, Any, list[Any]]:
    """Ada in a group, attaching minutes.txt, whose bytes are held by the network: (Ada, her page, the held
    requests: `continue_()` lets one go)."""
    ada = register(server.url, "ada")
    group = ada.conversation("group", members=[register(server.url, "grace")], title="Launch team")
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in(page, ada)
    page.goto(f"{server.url}/c/{group}")
    held: list[Any] = []
    page.route(CONTENT, lambda route: held.append(route))
    with page.expect_request(CONTENT):
        page.get_by_test_id("file-input").set_input_files(
            files=[{"name": "minutes.txt", "mimeType": "text/plain", "buffer": b"The minutes"}]
        )
    return ada, page, held


def test_a_file_removed_while_uploading_is_stopped_and_not_kept(browser, parley_server):
    # given Ada in a group, attaching a file whose bytes are still on their way (held by the network)
    ada, page, _ = ada_attaching_a_file_held_on_its_way(browser, parley_server)
    attached = page.get_by_role("list", name="Attachments").get_by_role("listitem")
    expect(attached).to_have_count(1)

    # when she removes it
    with (
        page.expect_event("requestfailed", lambda r: r.url.endswith("/content/"), timeout=5_000) as stopped,
        page.expect_response(lambda r: r.request.method == "DELETE", timeout=5_000) as discarded,
    ):
        page.get_by_role("button", name="Remove minutes.txt").click()

    # then it is gone from the message box, its transfer is stopped (it went on, and the file was stored
    # until the daily purge), and the server keeps nothing of it
    expect(attached).to_have_count(0)
    assert stopped.value.failure == "net::ERR_ABORTED"
    assert discarded.value.status == 204
    assert files_of(parley_server, ada) == 0
    page.context.close()


def files_of(server: LiveServer, account: Account) -> int:
    """How many files the server keeps for the account (uploading or uploaded)."""
    count = "from files.models import StoredFile; print(StoredFile.objects.filter(owner_id={}).count())"
    return int(server.manage("shell", "--no-imports", "-c", count.format(account.id)).strip())


def test_enter_while_a_file_uploads_says_to_wait_for_it(browser, parley_server):
    # given Ada writing in a group, a file she attached still on its way (held by the network)
    _, page, held = ada_attaching_a_file_held_on_its_way(browser, parley_server)
    box = page.get_by_role("textbox", name="Message")
    box.fill("The minutes, attached")

    # when she presses Enter, then it is said why nothing went (nothing was said), and her text stays
    box.press("Enter")
    note = page.get_by_role("status").filter(has_text="A file is still uploading")
    expect(note).to_be_visible()
    expect(box).to_have_value("The minutes, attached")
    # and once the file is in, the note goes and Enter sends
    held[0].continue_()
    expect(note).to_have_count(0)
    box.press("Enter")
    expect(page.get_by_test_id("message").last).to_contain_text("The minutes, attached")
    page.context.close()
