"""Fixtures for the files app: a real moto S3 server over HTTP, or local disk, behind default_storage."""

import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
import pytest
import requests
from django.apps import apps

from moderation.groups import sync_moderators_group
from tests.accounts.factories import UserFactory
from tests.files.factories import StoredFileFactory
from tests.live_server import free_port

MOTO_CREDENTIALS = {"access_key": "testing", "secret_key": "testing-secret", "region_name": "us-east-1"}


def _wait_until_answering(url: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited with {process.returncode}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError(f"moto_server did not answer at {url} within {timeout} s")


@pytest.fixture(scope="session")
def moto_endpoint():
    """moto's S3 server as a real subprocess on a free port, for the whole session."""
    port = free_port()
    moto_server = Path(sys.executable).with_name("moto_server")
    process = subprocess.Popen(
        [str(moto_server), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(endpoint + "/", process)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def s3_client(moto_endpoint):
    return boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        aws_access_key_id=MOTO_CREDENTIALS["access_key"],
        aws_secret_access_key=MOTO_CREDENTIALS["secret_key"],
        region_name=MOTO_CREDENTIALS["region_name"],
    )


@pytest.fixture
def s3_storage(settings, moto_endpoint, s3_client):
    """default_storage is django-storages' S3Storage on a fresh private bucket in moto.
    Assigning settings.STORAGES fires setting_changed, which empties Django's storages cache and
    resets default_storage (django.test.signals.storages_changed), and again when the test ends."""
    bucket = f"parley-test-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": moto_endpoint,
                **MOTO_CREDENTIALS,
                "default_acl": None,
                "querystring_auth": True,
                "querystring_expire": 300,
                "file_overwrite": False,
                "signature_version": "s3v4",
                "addressing_style": "path",
            },
        },
    }
    return bucket


@pytest.fixture
def local_storage(settings, tmp_path):
    """default_storage is local disk under a temporary MEDIA_ROOT (the embedded mode)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return settings.MEDIA_ROOT


@pytest.fixture
def queued_thumbnails(monkeypatch):
    """Thumbnail tasks queued on commit, recorded instead of sent to the broker; run them by hand."""
    from files.tasks import make_file_thumbnail_task

    queued: list[str] = []
    monkeypatch.setattr(make_file_thumbnail_task, "delay", lambda file_id: queued.append(file_id))
    return queued


@pytest.fixture
def moderator(db):
    user = UserFactory(username="mod", is_staff=True)
    user.groups.add(sync_moderators_group(apps))
    return user


@pytest.fixture
def ready_file(user):
    return StoredFileFactory(owner=user)
