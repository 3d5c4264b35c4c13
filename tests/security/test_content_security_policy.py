"""A strict Content-Security-Policy on the app's pages (issue #21, 8): scripts only from our own files, no
inline script anywhere we serve, nothing framed, no plugins, no <base>; the page may talk only to its own
origin (the socket included) and to the bucket browsers upload to. tests/e2e checks that the app runs under it
without a single violation."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from files.tasks import make_file_thumbnail_task
from tests.files import samples
from tests.files.conftest import local_storage  # noqa: F401  (a fixture: files on disk, as embedded)

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


@pytest.mark.parametrize("path", ["/", "/conversations/12", "/admin/login/"])
def test_html_pages_carry_a_strict_policy(client, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = directives(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["default-src"] == ["'self'"]
    assert "'self'" in policy["connect-src"]
    unsafe = {name for name, values in policy.items() if any("unsafe" in value for value in values)}
    assert unsafe == {"style-src"}  # inline styles, which run nothing; never a script
    assert not INLINE_SCRIPT.search(response.content.decode())


def test_nothing_the_web_app_is_built_from_has_an_inline_script():
    sources = [
        ROOT / "frontend" / "web" / "index.html",
        ROOT / "frontend" / "templates" / "frontend" / "index.html",
    ]
    built = ROOT / "frontend" / "static" / "frontend" / "index.html"
    for page in [*sources, *([built] if built.exists() else [])]:
        assert not INLINE_SCRIPT.search(page.read_text()), page


def test_the_api_docs_widen_the_policy_only_for_their_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    policy = directives(response)
    assert policy["script-src"] == ["'self'", "https://cdn.jsdelivr.net"]
    assert policy["object-src"] == ["'none'"]
    assert not INLINE_SCRIPT.search(response.content.decode())


def _policy_in(env: dict[str, str]) -> dict[str, list[str]]:
    code = (
        "from chatproject.settings import base; import json; print(json.dumps(base.CONTENT_SECURITY_POLICY))"
    )
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("S3_", "DJANGO_SETTINGS"))}
    output = subprocess.run(
        [sys.executable, "-c", code],
        env={**keep, **env},
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.splitlines()[-1])["DIRECTIVES"]


@pytest.mark.parametrize(
    ("env", "origins"),
    [
        ({}, []),
        ({"S3_BUCKET": "b", "S3_ENDPOINT_URL": "http://minio:9000"}, ["http://minio:9000"]),
        (
            {
                "S3_BUCKET": "b",
                "S3_ENDPOINT_URL": "http://minio:9000",
                "S3_PUBLIC_ENDPOINT_URL": "http://localhost:9000/x",
            },
            ["http://localhost:9000"],
        ),
        (
            {"S3_BUCKET": "b", "S3_REGION": "eu-west-1"},
            ["https://s3.amazonaws.com", "https://s3.eu-west-1.amazonaws.com"],
        ),
    ],
    ids=["embedded", "minio", "public-endpoint", "aws"],
)
def test_the_browser_may_reach_the_bucket_it_uploads_to_and_nothing_else(env, origins):
    policy = _policy_in(env)
    for directive in ("connect-src", "img-src", "media-src"):
        assert [value for value in policy[directive] if value.startswith("http")] == origins, directive


@pytest.mark.parametrize(
    ("name", "data", "path"),
    [
        ("chart.png", samples.png(), "download"),
        ("chart.png", samples.png(), "thumbnail"),
        ("page.html", samples.HTML, "download"),
        ("logo.svg", samples.SVG, "download"),
    ],
    ids=["picture", "thumbnail", "html", "svg"],
)
@pytest.mark.usefixtures("local_storage")
def test_a_file_opened_on_its_own_runs_no_script_but_may_be_styled(auth_client, name, data, path):
    # given a file, as its readers download it (a picture is opened in a tab of its own)
    completed = samples.upload_embedded(auth_client, name=name, data=data)
    if path == "thumbnail":
        make_file_thumbnail_task(completed["id"])

    # when
    response = auth_client.get(f"/api/v1/files/{completed['id']}/{path}/")

    # then nothing runs in it (sandboxed without allow-scripts, no script-src) and it loads nothing but
    # images of Parley's; inline style is allowed, for the browser's own page around a picture
    assert response.status_code == 200
    policy = directives(response)
    assert policy["sandbox"] == []
    assert policy["default-src"] == ["'none'"]
    assert "script-src" not in policy
    assert policy["img-src"] == ["'self'"]
    assert policy["style-src"] == ["'unsafe-inline'"]
    assert set(policy) == {"default-src", "img-src", "style-src", "sandbox"}
