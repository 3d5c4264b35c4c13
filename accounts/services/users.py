"""Writes to users: registration, profile, API tokens, bots and suspension."""

import unicodedata
from datetime import UTC, datetime

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.crypto import get_random_string
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts import selectors, tokens, usernames
from accounts.exceptions import AccountSuspended
from accounts.models import ApiToken, User
from accounts.services.joining import check_email_domain, invitation_spend
from accounts.services.sessions import login_sessions_end_all
from accounts.services.verification import email_verification_send
from accounts.signals import user_profile_changed
from core.text import visible_text
from realtime import close_codes, fanout

API_TOKENS_MAX_PER_USER = 20
BOT_SUSPENDED = (
    "This bot is suspended: it gets no tokens until a moderator reinstates it (you may retire it)."
)
BOTS_MAX_PER_OWNER = 20
BOTS_LIMIT_REACHED = (
    f"At most {BOTS_MAX_PER_OWNER} bots per person, suspended ones and the bots of the webhooks you made "
    "included: retire a bot or revoke a webhook first."
)


@transaction.atomic
def user_register(*, username: str, email: str, password: str, site_url: str, invitation: str = "") -> User:
    """A new account, as the account policy allows (an invitation, an email domain); a link to verify its
    email address is sent to it."""
    check_email_domain(email=email)
    invitation_spend(raw=invitation)
    user = User(username=username, email=User.objects.normalize_email(email))
    # the name first: one script, not one erasure gives (deleted-…), not taken or looking like one
    user.full_clean(exclude=["password"])
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from error
    user.set_password(password)
    _save_new_account(user)
    email_verification_send(user=user, site_url=site_url)
    return user


def _save_new_account(user: User) -> None:
    """Save a new user or bot; a look-alike of a name registered meanwhile is refused as a taken one."""
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:
        raise ValidationError({"username": "This username is taken, or looks like one that is."}) from error


def user_update_profile(*, user: User, display_name: str) -> User:
    """A new display name: the user's open sockets put it on what they send next, and the people who share a
    conversation with them hear of it (accounts.signals.user_profile_changed)."""
    display_name = visible_text(display_name)
    changed = display_name != user.display_name
    user.display_name = display_name
    user.full_clean(exclude=["password"])
    user.save(update_fields=["display_name"])
    if changed:
        user_profile_announce(user=user)
    return user


def user_profile_announce(*, user: User) -> None:
    """After a saved change of the user's display name (here, or a moderator's in the admin): their sockets
    reload the name their sends carry, and the apps above tell whoever sees it."""
    fanout.after_commit(fanout.account_changed, user.pk)
    user_profile_changed.send(sender=User, user=user)


# --- API tokens and bots


@transaction.atomic
@transaction.atomic
def api_token_create(*, user: User, name: str, created_by: User) -> tuple[ApiToken, str]:
    """A new token for `user` (the creator or one of the creator's bots). Returns (it, the token itself),
    which is never retrievable again."""
    if user.pk != created_by.pk and user.bot_owner_id != created_by.pk:
        raise PermissionDenied("Only the user or the bot's owner can make its tokens.")
    if user.is_webhook_bot:
        raise PermissionDenied("A webhook's bot has no tokens: it posts only through its webhook's URL.")
    if user.is_bot and user.is_suspended:  # its owner asks: "this account is suspended" would mean theirs
        raise AccountSuspended(BOT_SUSPENDED)
    selectors.user_check_not_suspended(user)
    # the user's row locked first, as bot_create locks the owner's: two tokens made at once are counted one
    # after the other, not both against the same 19
    User.objects.select_for_update().filter(pk=user.pk).first()
    if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= API_TOKENS_MAX_PER_USER:
        raise ValidationError({"name": f"At most {API_TOKENS_MAX_PER_USER} tokens; revoke one first."})
    secret = tokens.new_secret()
    token = ApiToken.objects.create(
        user=user, name=name.strip() or "token", secret_hash=tokens.hash_secret(secret), created_by=created_by
    )
    return token, tokens.format_token(tokens.API_TOKEN_PREFIX, token.pk, secret)


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Refuse the token from now on, and close the sockets opened with it, on every worker (4401)."""
    if token.revoked_at is None:
        token.revoked_at = datetime.now(tz=UTC)
        token.save(update_fields=["revoked_at"])
        session = tokens.api_token_session(token.pk)
        fanout.after_commit(
            fanout.close_user_sockets, token.user_id, close_codes.UNAUTHENTICATED, session=session
        )
    return token


@transaction.atomic
def api_tokens_revoke_all(*, user: User) -> int:
    """Revoke every live API token of `user` at once (an admin's reset of a compromised account), closing the
    sockets opened with each (4401). Only the user's own: their bots' tokens act as the bots, not as them.
    Returns how many were revoked."""
    live = list(ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True))
    for token in live:  # a few at most (API_TOKENS_MAX_PER_USER)
        api_token_revoke(token=token)
    return len(live)


def api_token_touch(*, token: ApiToken, now: datetime) -> None:
    """Record a use, at most once a minute per token (one UPDATE, not one per request)."""
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)


@transaction.atomic
def bot_create(*, owner: User, username: str, display_name: str = "", for_webhook: bool = False) -> User:
    """A bot `owner` owns; `for_webhook`: one that only posts through its webhook (messaging), no tokens."""
    if owner.is_bot:
        raise PermissionDenied("A bot cannot own bots.")
    # The owner's row locked first, so that two bots (or webhooks) made at once are counted one after the
    # other: else both count the same 19 bots, and the owner gets 21.
    User.objects.select_for_update().filter(pk=owner.pk).first()
    # Suspended bots count until their owner retires them: else a moderator's suspension would free their
    # places for as many new bots. The bots of the webhooks they made count too, though /api/v1/bots/ lists
    # only the others: the refusal says so, on the field the request named (a webhook's name, a bot's
    # username).
    if owner.bots.filter(Q(is_active=True) | Q(suspended_at__isnull=False)).count() >= BOTS_MAX_PER_OWNER:
        raise ValidationError({"name" if for_webhook else "username": BOTS_LIMIT_REACHED})
    bot = User(
        username=username,
        display_name=visible_text(display_name),
        is_bot=True,
        bot_owner=owner,
        is_webhook_bot=for_webhook,
    )
    bot.set_unusable_password()  # a bot signs in only with its API tokens
    bot.full_clean(exclude=["password"])
    _save_new_account(bot)
    return bot


def bot_username_for(*, name: str) -> str:
    """A free username for a bot the system makes (a webhook's, whose name is only its display name): the
    name's letters and digits before a Latin `-bot-<random>`, where a username may have them (one script per
    name: "Сборка" or "Build Сборка" would not go with it); else the ones the name has in ASCII ("Ήλιος CI" →
    `ci`); else `webhook` (a name erasure gives, a name of none)."""
    suffix = f"-bot-{get_random_string(6, 'abcdefghijklmnopqrstuvwxyz0123456789')}"
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    for letters in (name, ascii_name):
        base = "".join(c for c in letters.lower() if c.isalnum())[:20]
        if base and _may_be_a_username(f"{base}{suffix}"):
            return f"{base}{suffix}"
    return f"webhook{suffix}"


def _may_be_a_username(username: str) -> bool:
    try:
        usernames.check_scripts(username)
    except ValidationError:
        return False
    return not usernames.is_reserved(username)


@transaction.atomic
def bot_deactivate(*, bot: User) -> User:
    """Retire a bot: it can no longer sign in, its tokens are revoked and its open sockets close, on every
    worker (4401). Its messages stay. A suspended bot may be retired too: it is then retired, no longer
    suspended, so that no reinstatement brings it back."""
    bot.is_active = False
    bot.suspended_at = None
    bot.suspension_reason = ""
    bot.save(update_fields=["is_active", "suspended_at", "suspension_reason"])
    ApiToken.objects.filter(user=bot, revoked_at__isnull=True).update(revoked_at=datetime.now(tz=UTC))
    fanout.after_commit(fanout.close_user_sockets, bot.pk, close_codes.UNAUTHENTICATED)
    return bot


# --- Suspension (moderation.services adds the audit entry and closes the sockets)

ERASED_REFUSAL = "This account was erased: it stays inactive, nobody can suspend or reinstate it."
RETIRED_REFUSAL = "This bot was retired by its owner: it stays inactive, nobody can suspend or reinstate it."


def user_lock_unerased(*, user: User) -> User:
    """The user read again, locked (an erasure or a retirement under way is waited for and seen); an erased
    account ("Deleted user") or a retired bot is refused suspension and reinstatement: it stays inactive, and
    reinstating it would make it active (a retired bot suspended, then reinstated, came back to life)."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.erased_at is not None:
        raise ValidationError(ERASED_REFUSAL)
    if locked.is_bot and not locked.is_active and not locked.is_suspended:
        raise ValidationError(RETIRED_REFUSAL)
    return locked


@transaction.atomic
def user_suspend(*, user: User, reason: str) -> User:
    """Refuse the user from now on: no login, refresh, API token or socket (the caller closes those). Every
    login session ends, as a sign-out ends it: nothing issued before the suspension works after a
    reinstatement (its access tokens included), and the sessions show as ended. An erased account is
    refused."""
    user_lock_unerased(user=user)
    now = datetime.now(tz=UTC)
    user.is_active = False
    user.suspended_at = now
    user.suspension_reason = reason
    user.save(update_fields=["is_active", "suspended_at", "suspension_reason"])
    outstanding = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
    login_sessions_end_all(user=user, close_code=close_codes.SUSPENDED)
    return user


@transaction.atomic
def user_reinstate(*, user: User) -> User:
    """Let the user sign in again. Tokens revoked by the suspension stay revoked. An erased account is
    refused."""
    user_lock_unerased(user=user)
    user.is_active = True
    user.suspended_at = None
    user.suspension_reason = ""
    user.save(update_fields=["is_active", "suspended_at", "suspension_reason"])
    return user
