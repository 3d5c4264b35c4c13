"""What a Web Push subscription must look like before Parley will ever POST to it."""

import base64
import binascii
import re
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.exceptions import ValidationError

_BASE64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")


def b64url_decode(value: str) -> bytes:
    """Decode base64url with or without padding; anything else raises ValueError."""
    if not _BASE64URL.fullmatch(value):
        raise ValueError("not base64url")
    data = value.rstrip("=")
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


def validate_endpoint(endpoint: str) -> None:
    """An https URL (http only where PUSH_ALLOW_HTTP_ENDPOINTS allows it) on a known push service."""
    parts = urlsplit(endpoint)
    allowed_schemes = {"https", "http"} if settings.PUSH_ALLOW_HTTP_ENDPOINTS else {"https"}
    if parts.scheme not in allowed_schemes or not parts.hostname:
        raise ValidationError("The endpoint must be an https URL.", code="invalid_endpoint")
    if parts.username or parts.password or parts.fragment:
        raise ValidationError(
            "The endpoint must not carry credentials or a fragment.", code="invalid_endpoint"
        )
    suffixes = settings.PUSH_ENDPOINT_HOST_SUFFIXES
    host = parts.hostname.lower()
    if suffixes and not any(host == s or host.endswith("." + s) for s in suffixes):
        raise ValidationError("The endpoint is not on a known push service.", code="invalid_endpoint")


def validate_p256dh(value: str) -> None:
    """The browser's public key: an uncompressed point on P-256, base64url."""
    try:
        point = b64url_decode(value)
        if len(point) != 65:
            raise ValueError("not an uncompressed point")
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except (ValueError, binascii.Error) as error:
        raise ValidationError("p256dh must be a base64url P-256 public key.", code="invalid_key") from error


def validate_auth(value: str) -> None:
    """The browser's auth secret: 16 bytes, base64url."""
    try:
        secret = b64url_decode(value)
    except (ValueError, binascii.Error) as error:
        raise ValidationError("auth must be 16 bytes in base64url.", code="invalid_key") from error
    if len(secret) != 16:
        raise ValidationError("auth must be 16 bytes in base64url.", code="invalid_key")
