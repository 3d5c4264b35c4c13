"""Attaching files in the message box (docs/files.md)."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_conversation_features import ada_in_a_group

pytestmark = pytest.mark.e2e


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
