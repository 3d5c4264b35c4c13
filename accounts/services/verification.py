"""Verifying email addresses: a signed link sent to the address, on sign-up, on request, and for a new
address, which replaces the old one only once its link is opened. What an unverified account may not do is in
accounts.selectors (user_may_post, user_gets_notices)."""

from datetime import UTC, datetime

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts import emails
from accounts.models import User
from accounts.services.joining import check_email_domain
from core.errors import Refused
from realtime import fanout

SALT = "accounts.email-verification"
LINK_MAX_AGE_SECONDS = 3 * 24 * 60 * 60
INVALID_LINK = "This verification link is invalid or has expired. Ask for a new one in Settings."


def email_verification_send(*, user: User, site_url: str, address: str = "") -> None:
    """Email a link that proves `address` (by default the account's own) belongs to the user."""
    address = address or user.email
    token = signing.dumps({"u": user.pk, "e": address, "was": user.email}, salt=SALT, compress=True)
    emails.verify_email(user=user, address=address, token=token, site_url=site_url)


def email_verification_resend(*, user: User, site_url: str) -> None:
    if user.email_verified:
        raise Refused("already_verified", "Your email address is already verified.")
    email_verification_send(user=user, site_url=site_url)


def email_change_request(*, user: User, email: str, password: str, site_url: str) -> None:
    """Ask to use a new address: it becomes the account's once the link sent to it is opened."""
    if not user.check_password(password):
        raise ValidationError({"password": "This is not your password."})
    email = User.objects.normalize_email(email.strip())
    if email.lower() == user.email.lower():
        raise ValidationError({"email": "This is already your email address."})
    check_email_domain(email=email)
    email_verification_send(user=user, site_url=site_url, address=email)


@transaction.atomic
def email_verify(*, token: str) -> User:
    """Open a verification link: the address is the account's, verified. A link made before the address
    changed again, a forged or an expired one is refused."""
    try:
        claims = signing.loads(token, salt=SALT, max_age=LINK_MAX_AGE_SECONDS)
    except signing.BadSignature:
        raise Refused("invalid_link", INVALID_LINK) from None
    user = User.objects.select_for_update().filter(pk=claims["u"], is_active=True).first()
    if user is None or user.email not in (claims["was"], claims["e"]):
        raise Refused("invalid_link", INVALID_LINK)
    if user.email == claims["e"] and user.email_verified:
        return user
    user.email, user.email_verified_at = claims["e"], datetime.now(tz=UTC)
    user.save(update_fields=["email", "email_verified_at"])
    # Sockets know from when they opened whether the account may post: they reload it.
    fanout.after_commit(fanout.account_changed, user.pk)
    return user
