"""Passwords: change (the current one required), reset through a single-use link sent by email, and set by an
admin. Each ends sessions: a change every other one, a reset and an admin's all of them; an admin's revokes
the person's API tokens too."""

from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts import emails, selectors
from accounts.exceptions import WrongPassword
from accounts.models import User
from accounts.services.sessions import login_sessions_end_all
from accounts.services.users import api_tokens_revoke_all


def _set_password(user: User, password: str, *, field: str) -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from error
    user.set_password(password)
    user.save(update_fields=["password"])


@transaction.atomic
def password_change(
    *, user: User, current_password: str, new_password: str, session_id: str, site_url: str
) -> None:
    """Change the password of a signed-in user; every session but `session_id` (the one asking) ends."""
    if not user.check_password(current_password):
        raise WrongPassword({"current_password": "This is not your current password."})
    _set_password(user, new_password, field="new_password")
    login_sessions_end_all(user=user, keep=session_id)
    emails.password_changed(user=user, site_url=site_url)


def password_reset_ask(*, address: str, site_url: str) -> None:
    """Queue the lookup and the email: the asking request does the same whatever the address."""
    from accounts.tasks import send_password_reset_task  # the task module imports the services

    send_password_reset_task.delay(address.strip(), site_url)


def password_reset_request(*, address: str, site_url: str) -> None:
    """Email a reset link to every account that signs in with a password and uses `address`; nothing for an
    address no account uses (the caller answers the same either way)."""
    for user in selectors.users_for_password_reset(address=address):
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
        emails.password_reset(user=user, uid=uid, token=token, site_url=site_url)


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, new_password: str) -> User:
    """Set a new password through a reset link, which then stops working (its token signs the old password
    hash); every session of the user ends. Refused for a link that is forged, used or expired."""
    user = selectors.user_for_password_reset_link(uid=uid, token=token)
    _set_password(user, new_password, field="new_password")
    login_sessions_end_all(user=user)
    return user


@dataclass(frozen=True)
class SignedOut:
    """What an admin's password reset ended: login sessions, and the person's own API tokens."""

    sessions: int
    api_tokens: int


@transaction.atomic
def password_set_by_admin(*, user: User, password: str | None) -> SignedOut:
    """An admin sets someone's password (None: turns password sign-in off), a compromised account's too: the
    account is signed out everywhere at once. Every session ends, as a reset does (its tokens refused, its
    sockets closed, 4401), and every API token of the person's own is revoked, with its sockets: an attacker
    who made one from a stolen session would otherwise keep it. Their bots' tokens, and the incoming webhooks
    they made, stay: each acts only as its bot, in the conversations the bot was added to, and often runs an
    integration others rely on (the admin lists them; suspending the account stops them too)."""
    if password is None:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    else:
        _set_password(user, password, field="password1")
    return SignedOut(sessions=login_sessions_end_all(user=user), api_tokens=api_tokens_revoke_all(user=user))
