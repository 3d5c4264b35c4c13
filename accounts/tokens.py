"""Secret formats: API tokens `pk_<id>_<secret>` and webhook secrets `wh_<id>_<secret>`. The id finds the
row, the secret is checked against its stored SHA-256 in constant time. A JWT (three base64url parts joined by
dots, starting `eyJ`) never looks like either."""

import hashlib
import hmac
import re
import secrets

API_TOKEN_PREFIX = "pk"  # noqa: S105  (a prefix, not a secret)
WEBHOOK_PREFIX = "wh"
INVITATION_PREFIX = "iv"
# A JWT claim naming the login session: the first refresh token's jti, kept through rotation and copied into
# every access token minted from it, so that a logout can end all of them (accounts.services.session_end).
SESSION_CLAIM = "sid"
SECRET_BYTES = 32  # 43 characters of URL-safe base64
# \Z, not $: `$` matches before a final newline too, and `pk_…\n` (a socket's `?token=pk_…%0A`) was taken
_PATTERN = re.compile(r"^(?P<prefix>[a-z]{2})_(?P<id>[1-9][0-9]{0,17})_(?P<secret>[A-Za-z0-9_-]{43})\Z")


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def format_token(prefix: str, row_id: int, secret: str) -> str:
    return f"{prefix}_{row_id}_{secret}"


def api_token_session(token_id: int) -> str:
    """The session of a socket opened with an API token (a JWT's is its login session's id), so that revoking
    the token closes those sockets: the token's public prefix, `pk_<id>`."""
    return f"{API_TOKEN_PREFIX}_{token_id}"


def looks_like_api_token(raw: str) -> bool:
    return raw.startswith(f"{API_TOKEN_PREFIX}_")


def parse_token(raw: str, *, prefix: str) -> tuple[int, str] | None:
    """(row id, secret) of a well-formed token with this prefix, else None."""
    match = _PATTERN.match(raw)
    if match is None or match["prefix"] != prefix:
        return None
    return int(match["id"]), match["secret"]


def secret_matches(secret: str, secret_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), secret_hash)
