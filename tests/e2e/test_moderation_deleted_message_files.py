"""A moderator judges a reported picture its sender then deleted (ab729ea), in Chromium against the
embedded server: the report's page shows it and opens it; its sender and the reporter can no longer download
it; once the report is dismissed it is gone, for the moderator too."""

import urllib.error
import urllib.request
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.admin import moderator_signed_in
from tests.e2e.api import Account, register
from tests.files import samples

pytestmark = pytest.mark.e2e


def upload(account: Account, name: str, data: bytes, content_type: str = "image/png") -> str:
    """A file uploaded as the web app uploads it in the embedded mode (docs/files.md); its id."""
    started = account.call("POST", "files/", {"name": name, "size": len(data), "content_type": content_type})
    put = urllib.request.Request(  # noqa: S310 (the live server's loopback URL)
        f"{account.base_url}/api/v1/files/{started['id']}/content/",
        method="PUT",
        data=data,
        headers={**started["upload"].get("headers", {}), "Authorization": f"Bearer {account.token}"},
    )
    urllib.request.urlopen(put, timeout=10).close()  # noqa: S310
    account.call("POST", f"files/{started['id']}/complete/")
    return started["id"]


def download_status(account: Account, file_id: str) -> int:
    request = urllib.request.Request(  # noqa: S310
        f"{account.base_url}/api/v1/files/{file_id}/download/",
        headers={"Authorization": f"Bearer {account.token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_deleted_reported_picture_is_the_moderators_until_the_report_is_dismissed(browser, parley_server):
    # given grace's picture in a group, reported by alan, then deleted by grace
    url = parley_server.url
    grace, alan = register(url, "grace"), register(url, "alan")
    team = grace.conversation("group", members=[alan], title="Engine room")
    picture = upload(grace, "evidence.png", samples.png())
    sent = grace.call(
        "POST",
        f"conversations/{team}/messages/",
        {"body": "look", "client_id": str(uuid.uuid4()), "attachments": [picture]},
    )
    alan.call("POST", f"messages/{sent['id']}/report/", {"reason": "offensive picture"})
    grace.call("DELETE", f"messages/{sent['id']}/")

    # when a moderator opens the report from the queue of open reports
    page = moderator_signed_in(browser, parley_server, "/admin/moderation/report/%3Fstatus__exact%3Dopen")
    row = page.locator("#result_list tr", has_text=grace.username)
    row.locator("th a").click()

    # then its page names the picture and shows its thumbnail; the name opens the picture, inline, in a new
    # tab, without a Content-Security-Policy violation (the files' policy allows the inline style of
    # Chromium's own page around an image opened alone)
    link = page.locator("a", has_text="evidence.png")
    expect(link).to_have_attribute("target", "_blank")
    thumbnail = page.locator("img[alt='evidence.png']")
    expect(thumbnail).to_be_visible()
    assert thumbnail.evaluate("image => image.complete && image.naturalWidth > 0")
    with page.expect_popup() as popup:
        link.click()
    tab = popup.value
    tab.wait_for_function("() => document.images.length === 1 && document.images[0].complete")
    assert tab.locator("img").evaluate("image => image.naturalWidth") > 0
    tab.close()
    opened = page.request.get(f"{url}{link.get_attribute('href')}")
    assert (opened.status, opened.headers["content-type"]) == (200, "image/png")
    assert opened.headers["content-disposition"].startswith("inline")
    assert opened.body() == samples.png()
    # while grace and alan cannot download it
    assert download_status(grace, picture) == download_status(alan, picture) == 404

    # when the moderator dismisses the report
    report_page = page.url
    page.goto(f"{url}/admin/moderation/report/?status__exact=open")
    page.locator("#result_list tr", has_text=grace.username).locator("input[name=_selected_action]").check()
    page.locator("select[name=action]").select_option("dismiss")
    page.locator("input[name=reason]").fill("not what it seemed")
    page.locator("button[name=index]").click()
    expect(page.get_by_text("Dismissed: 1.")).to_be_visible()

    # then the picture is gone: the report's page lists none, and its address answers 404
    page.goto(report_page)
    expect(page.locator("a[href*='/report/file/']")).to_have_count(0)
    assert page.request.get(f"{url}/admin/moderation/report/file/{picture}/").status == 404
