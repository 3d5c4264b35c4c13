"""Secrets the embedded default creates on first run and keeps in the data folder."""

import json
import secrets
from pathlib import Path


def read_or_create_secret_key(data_dir: Path) -> str:
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def read_or_create_vapid_keys(data_dir: Path) -> dict[str, str]:
    """A VAPID key pair in the URL-safe base64 form browsers and pywebpush expect."""
    path = data_dir / "vapid.json"
    if not path.exists():
        from cryptography.hazmat.primitives import serialization
        from py_vapid import Vapid02, b64urlencode

        vapid = Vapid02()
        vapid.generate_keys()
        public = vapid.public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        private = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"public": b64urlencode(public), "private": b64urlencode(private)}))
        path.chmod(0o600)
    keys: dict[str, str] = json.loads(path.read_text())
    return keys
