"""Sample bytes and upload helpers shared by the files tests."""

import base64
import io
import json

import requests
from PIL import Image
from rest_framework.test import APIClient

from files.models import StoredFile
from files.tasks import make_file_thumbnail_task

HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
FAKE_PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200  # the signature, then nothing an image decoder accepts


def png(width: int = 640, height: int = 480) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (200, 40, 40, 255)).save(out, format="PNG")
    return out.getvalue()


def phone_photo(width: int = 800, height: int = 600, *, orientation: int = 6) -> bytes:
    """A JPEG stored `width` x `height` whose EXIF Orientation says how to turn it to show it (6: a quarter
    clockwise, as a phone held upright stores its photos)."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    Image.new("RGB", (width, height), (40, 120, 200)).save(out, format="JPEG", exif=exif)
    return out.getvalue()


def start_upload(client, *, name: str, data: bytes, size: int | None = None, content_type: str = ""):
    response = client.post(
        "/api/v1/files/",
        {"name": name, "size": len(data) if size is None else size, "content_type": content_type},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def post_to_storage(upload: dict, data: bytes) -> requests.Response:
    """What the browser does with a presigned POST: the form fields, then the file, over real HTTP."""
    return requests.post(upload["url"], data=upload["fields"], files={"file": ("blob", data)}, timeout=10)


def policy_of(upload: dict) -> dict:
    return json.loads(base64.b64decode(upload["fields"]["policy"]))


def upload_to_s3(client, *, name: str, data: bytes, content_type: str = "") -> dict:
    """Start, upload over HTTP and complete; the completed file's payload."""
    started = start_upload(client, name=name, data=data, content_type=content_type)
    assert post_to_storage(started["upload"], data).status_code == 204
    response = client.post(f"/api/v1/files/{started['id']}/complete/")
    assert response.status_code == 200, response.json()
    return response.json()


def upload_embedded(client, *, name: str, data: bytes) -> dict:
    started = start_upload(client, name=name, data=data)
    put = client.generic("PUT", started["upload"]["url"], data, content_type="application/octet-stream")
    assert put.status_code == 204, put.content
    response = client.post(f"/api/v1/files/{started['id']}/complete/")
    assert response.status_code == 200, response.json()
    return response.json()


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def uploaded_picture(owner) -> StoredFile:
    """A PNG `owner` uploaded to the bucket over HTTP and completed, with its thumbnail made."""
    file_id = upload_to_s3(client_for(owner), name="holiday.png", data=png())["id"]
    make_file_thumbnail_task(file_id)
    stored = StoredFile.objects.get(id=file_id)
    assert stored.thumbnail_key
    return stored


def in_bucket(s3_client, bucket: str, stored: StoredFile) -> set[str]:
    """Which of the file's objects (itself, its thumbnail) the bucket holds."""
    keys = {stored.storage_key, stored.thumbnail_key}
    return {key for key in keys if s3_client.list_objects_v2(Bucket=bucket, Prefix=key).get("KeyCount", 0)}


def answers(user, stored: StoredFile) -> tuple[int, int]:
    """What `user` gets for the file's download, and for its thumbnail."""
    client = client_for(user)
    download = client.get(f"/api/v1/files/{stored.id}/download/")
    thumbnail = client.get(f"/api/v1/files/{stored.id}/thumbnail/")
    return download.status_code, thumbnail.status_code
