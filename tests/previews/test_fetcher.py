"""The preview fetcher against a real local web site: what it fetches when the site is allow-listed for the
test, and everything it refuses — above all, by default, every address that is not on the public internet."""

import time

import pytest
from django.core.checks import run_checks

from previews.fetcher import FetchRefused, fetch, is_public_address
from previews.services import IMAGE_TYPES, PAGE_TYPES
from tests.previews.sites import Site, certificate, page, png, start_site


def fetch_page(url: str, max_bytes: int = 100_000):
    return fetch(url, accept=PAGE_TYPES, max_bytes=max_bytes)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost/",
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://172.16.0.1/",
        "http://169.254.169.254/latest/meta-data/",  # the cloud metadata service
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",  # IPv4 loopback spelled as IPv6
        "http://[fe80::1]/",
        "http://[fd00::1]/",
        "http://0.0.0.0/",
        "http://100.64.0.1/",  # carrier-grade NAT
        "http://224.0.0.1/",
        "http://2130706433/",  # 127.0.0.1 as one number
    ],
)
def test_by_default_no_address_off_the_public_internet_is_fetched(url, settings):
    assert settings.PREVIEW_ALLOWED_TEST_HOSTS == []
    with pytest.raises(FetchRefused, match="non-public address"):
        fetch_page(url)


def test_the_allow_list_is_flagged_by_the_system_checks(settings):
    assert not [m for m in run_checks() if m.id == "previews.W001"]
    settings.PREVIEW_ALLOWED_TEST_HOSTS = ["127.0.0.1"]
    assert [m.id for m in run_checks() if m.id.startswith("previews.")] == ["previews.W001"]


def test_by_default_the_running_local_site_is_refused_without_a_request(site: Site):
    url = site.serve("/", page("Local"))
    with pytest.raises(FetchRefused, match="not allowed|non-public address"):
        fetch_page(url)
    assert site.hits == {}


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
        ("169.254.169.254", False),
        ("::ffff:10.1.2.3", False),
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("ff02::1", False),
        ("240.0.0.1", False),
    ],
)
def test_public_addresses(address, public):
    assert is_public_address(address) is public


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://127.0.0.1/file", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("javascript:alert(1)", "scheme"),
        ("gopher://127.0.0.1:70/", "scheme"),
        ("http://user:secret@example.com/", "credentials"),
        ("http://example.com:6379/", "port"),
        ("http:///nohost", "no host"),
    ],
)
def test_only_plain_http_and_https_urls_are_fetched(url, reason):
    with pytest.raises(FetchRefused, match=reason):
        fetch_page(url)


def test_an_allow_listed_site_is_fetched(allow_site: Site):
    url = allow_site.serve("/article", page("Hello", "World"))
    fetched = fetch_page(url)
    assert fetched.url == url
    assert fetched.content_type == "text/html"
    assert b'content="Hello"' in fetched.body


def test_redirects_are_followed_and_each_hop_is_checked(allow_site: Site):
    target = allow_site.serve("/final", page("Final"))
    start = allow_site.redirect("/start", "/final")
    assert fetch_page(start).url == target
    # a hop to a host that is not allow-listed is judged by its addresses: localhost is loopback
    to_localhost = allow_site.redirect("/to-localhost", "http://localhost:8080/admin/")
    with pytest.raises(FetchRefused, match="non-public address"):
        fetch_page(to_localhost)
    to_metadata = allow_site.redirect("/to-metadata", "http://169.254.169.254/latest/meta-data/")
    with pytest.raises(FetchRefused, match="non-public address"):
        fetch_page(to_metadata)
    to_file = allow_site.redirect("/to-file", "file:///etc/passwd")
    with pytest.raises(FetchRefused, match="scheme"):
        fetch_page(to_file)


def test_redirects_are_limited(allow_site: Site, settings):
    settings.PREVIEW_MAX_REDIRECTS = 2
    for hop in range(3):
        allow_site.redirect(f"/loop{hop}", f"/loop{hop + 1}")
    allow_site.serve("/loop3", page("End"))
    with pytest.raises(FetchRefused, match="too many redirects"):
        fetch_page(allow_site.url("/loop0"))
    assert fetch_page(allow_site.url("/loop1")).url.endswith("/loop3")


def test_a_body_past_the_byte_cap_is_refused(allow_site: Site):
    declared = allow_site.serve("/big", b"x" * 200_000)
    with pytest.raises(FetchRefused, match="byte cap"):
        fetch_page(declared)
    undeclared = allow_site.stream("/endless", total=50_000_000)
    started = time.monotonic()
    with pytest.raises(FetchRefused, match="byte cap"):
        fetch_page(undeclared)
    assert time.monotonic() - started < 2  # it stopped reading at the cap, not at the end


def test_a_site_that_does_not_answer_is_given_up_on(allow_site: Site, settings):
    settings.PREVIEW_READ_TIMEOUT_SECONDS = 0.3
    url = allow_site.hang("/slow")
    started = time.monotonic()
    with pytest.raises(FetchRefused, match="timed out|failed"):
        fetch_page(url)
    assert time.monotonic() - started < 1.5


def test_only_the_accepted_types_are_fetched(allow_site: Site):
    image = allow_site.serve("/picture.png", png(), "image/png")
    with pytest.raises(FetchRefused, match="image/png not accepted"):
        fetch_page(image)
    assert fetch(image, accept=IMAGE_TYPES, max_bytes=1_000_000).body.startswith(b"\x89PNG")
    svg = allow_site.serve("/drawing.svg", b"<svg/>", "image/svg+xml")
    with pytest.raises(FetchRefused, match="not accepted"):
        fetch(svg, accept=IMAGE_TYPES, max_bytes=1_000_000)


def test_error_statuses_are_refused(allow_site: Site):
    with pytest.raises(FetchRefused, match="HTTP 404"):
        fetch_page(allow_site.url("/missing"))


@pytest.mark.parametrize(("certified", "works"), [("localhost", True), ("elsewhere.test", False)])
def test_https_connects_to_the_checked_address_and_verifies_the_name(
    certified, works, settings, tmp_path, monkeypatch
):
    """The connection goes to the address the fetcher checked, yet TLS checks the certificate against the
    URL's name (sent in SNI), not that address: a certificate for another name is refused."""
    tls, cert_file = certificate(certified, tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    settings.PREVIEW_ALLOWED_TEST_HOSTS = ["localhost"]
    secure = start_site(tls=tls, host="localhost")
    try:
        url = secure.serve("/", page("Secure"))
        if works:
            assert b'content="Secure"' in fetch_page(url).body
        else:
            with pytest.raises(FetchRefused, match="certificate|hostname"):
                fetch_page(url)
    finally:
        secure.stop()
