"""Every read of accounts."""

from datetime import UTC, datetime

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils.http import urlsafe_base64_decode
from django_otp.plugins.otp_totp.models import TOTPDevice
from redis.exceptions import RedisError
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import Token, UntypedToken

from accounts import tokens
from accounts.exceptions import AccountSuspended
from accounts.models import (
    AccountPolicy,
    ApiToken,
    Block,
    DataExport,
    Invitation,
    LoginSession,
    RecoveryCode,
    User,
)
from core.cache import shared_cache
from core.errors import NotFound, Refused

EXPORT_LINK_SALT = "accounts.data-export"
EXPORT_LINK_SECONDS = 60 * 60  # a download token works for an hour; the export itself for days


def user_search(*, query: str, ids: list[int] | None = None) -> QuerySet[User]:
    """Active users whose username or display name contains `query` (plain text, no patterns), among
    `ids` when given."""
    users = User.objects.filter(is_active=True).order_by("username")
    query = query.strip()
    if query:
        users = users.filter(Q(username__icontains=query) | Q(display_name__icontains=query))
    if ids is not None:
        users = users.filter(pk__in=ids)
    return users


def ended_session_key(session_id: str) -> str:
    return f"ended-session:{session_id}"


def session_has_ended(token: Token) -> bool:
    """Whether the login session a JWT belongs to was ended by a logout (tokens without one never are)."""
    session_id = token.get(tokens.SESSION_CLAIM)
    return bool(session_id) and bool(shared_cache().get(ended_session_key(str(session_id))))


def login_session_list_for_user(*, user: User) -> QuerySet[LoginSession]:
    """The user's sessions still signed in (not ended, refreshed within a refresh token's lifetime), the most
    recently seen first."""
    alive_since = datetime.now(tz=UTC) - jwt_settings.REFRESH_TOKEN_LIFETIME
    return LoginSession.objects.filter(
        user=user, ended_at__isnull=True, last_seen_at__gte=alive_since
    ).order_by("-last_seen_at", "-pk")


def login_session_get_for_user(*, user: User, session_id: str) -> LoginSession:
    # an id with a NUL (a path's %00) is no session's; PostgreSQL would refuse the query (text takes no NUL)
    sessions = login_session_list_for_user(user=user)
    session = None if "\x00" in session_id else sessions.filter(pk=session_id).first()
    if session is None:
        raise NotFound("No such session.")
    return session


def login_session_for_refresh(token: Token) -> LoginSession:
    """The live session a (signed, unexpired) refresh token belongs to; InvalidToken once it has ended."""
    session = LoginSession.objects.filter(pk=str(token.get(tokens.SESSION_CLAIM, ""))).first()
    if session is None or session.has_ended:
        raise InvalidToken("This session has ended; log in again.")
    return session


def users_for_password_reset(*, address: str) -> QuerySet[User]:
    """The accounts a reset link may be sent to for an address: active people who sign in with a password."""
    return User.objects.filter(email__iexact=address.strip(), is_active=True, is_bot=False).exclude(
        password__startswith=UNUSABLE_PASSWORD_PREFIX
    )


def user_for_password_reset_link(*, uid: str, token: str) -> User:
    """The user a reset link was made for, while it is valid: unused (its token signs the password hash and
    last login), unexpired (PASSWORD_RESET_TIMEOUT) and not forged."""
    try:
        user_id = int(urlsafe_base64_decode(uid).decode())
    except (ValueError, UnicodeDecodeError):
        user_id = 0  # no user has it
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not default_token_generator.check_token(user, token):
        raise Refused(
            "invalid_link",
            "This reset link is invalid: it was used, has expired or was mistyped. Ask for a new one.",
        )
    return user


def two_factor_device(*, user: User) -> TOTPDevice | None:
    """The user's confirmed authenticator app: two-factor authentication is on when there is one."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def recovery_codes_left(*, user: User) -> int:
    return RecoveryCode.objects.filter(user=user).count()


def account_policy() -> AccountPolicy:
    """The workspace's account rules, from the cache (django-solo keeps it there, and refills it on a miss);
    from the database while the cache (Redis) is unreachable."""
    try:
        return shared_cache().get(AccountPolicy.get_cache_key()) or AccountPolicy.get_solo()
    except (RedisError, ConnectionError, TimeoutError):
        return AccountPolicy.objects.filter(pk=AccountPolicy.singleton_instance_id).first() or AccountPolicy()


def staff_must_set_up_two_factor(user: User) -> bool:
    """A staff member the policy requires two-factor authentication of, who has not turned it on."""
    return (
        user.is_staff
        and account_policy().require_two_factor_for_staff
        and two_factor_device(user=user) is None
    )


def user_may_post(user: User) -> bool:
    """Whether the user may send messages: not while the policy requires a verified email and theirs is not
    (bots have none and are exempt)."""
    required = account_policy().email_verification == AccountPolicy.EmailVerification.REQUIRED
    return not required or user.is_bot or user.email_verified


def user_check_may_post(user: User) -> None:
    if not user_may_post(user):
        raise Refused(
            "email_unverified",
            "Verify your email address to post: open the link we emailed you (Settings can send it again).",
        )


def block_list_for_user(*, user: User) -> QuerySet[Block]:
    return Block.objects.filter(blocker=user).select_related("blocked").order_by("-created_at", "-pk")


def block_get_for_user(*, user: User, blocked_id: int) -> Block:
    block = (
        Block.objects.filter(blocker=user, blocked_id=blocked_id).select_related("blocker", "blocked").first()
    )
    if block is None:
        raise NotFound("You have not blocked this person.")
    return block


def has_blocked(*, blocker_id: int, blocked_id: int) -> bool:
    return Block.objects.filter(blocker_id=blocker_id, blocked_id=blocked_id).exists()


def blocked_either_way(*, user_id: int, other_id: int) -> bool:
    return Block.objects.filter(
        Q(blocker_id=user_id, blocked_id=other_id) | Q(blocker_id=other_id, blocked_id=user_id)
    ).exists()


def user_ids_blocked_either_way(*, user_id: int) -> set[int]:
    """Everyone the user blocked or was blocked by, in one query."""
    pairs = Block.objects.filter(Q(blocker_id=user_id) | Q(blocked_id=user_id)).values_list(
        "blocker_id", "blocked_id"
    )
    return {other for pair in pairs for other in pair if other != user_id}


def invitation_list_for_user(*, user: User) -> QuerySet[Invitation]:
    """The user's invitations still usable: not revoked, unexpired, uses left."""
    return Invitation.objects.filter(
        created_by=user, revoked_at__isnull=True, expires_at__gt=datetime.now(tz=UTC), uses__lt=F("max_uses")
    ).order_by("-created_at", "-pk")


def invitation_get_for_user(*, user: User, invitation_id: int) -> Invitation:
    invitation = invitation_list_for_user(user=user).filter(pk=invitation_id).first()
    if invitation is None:
        raise NotFound("No such invitation.")
    return invitation


def invitation_for_link(*, raw: str, lock: bool = False) -> Invitation:
    """The usable invitation an `iv_<id>_<secret>` link names; Refused for a wrong, revoked, expired or
    used-up one (all alike)."""
    parsed = tokens.parse_token(raw.strip(), prefix=tokens.INVITATION_PREFIX)
    invitations = Invitation.objects.select_for_update() if lock else Invitation.objects.all()
    invitation = invitations.filter(pk=parsed[0]).first() if parsed else None
    usable = (
        invitation is not None
        and parsed is not None
        and tokens.secret_matches(parsed[1], invitation.secret_hash)
        and invitation.revoked_at is None
        and invitation.expires_at > datetime.now(tz=UTC)
        and invitation.uses < invitation.max_uses
    )
    if not usable or invitation is None:
        raise Refused(
            "invalid_invitation",
            "This invitation link is not valid: it has expired, been used up or revoked. Ask for a new one.",
        )
    return invitation


def data_export_list_for_user(*, user: User) -> QuerySet[DataExport]:
    return DataExport.objects.filter(user=user).order_by("-created_at", "-pk")


def data_export_latest(*, user: User) -> DataExport | None:
    return data_export_list_for_user(user=user).first()


def data_export_available(*, user: User) -> DataExport | None:
    """The user's finished export whose ZIP is still kept, if any."""
    return (
        data_export_list_for_user(user=user)
        .filter(status=DataExport.Status.READY, expires_at__gt=datetime.now(tz=UTC))
        .exclude(file_key="")
        .first()
    )


EXPORT_LINK_INVALID = "This download is invalid or has expired: download it again from Parley."


def data_export_for_download(*, token: str) -> DataExport:
    """The kept export a download token (signed, EXPORT_LINK_SECONDS) names; NotFound otherwise."""
    try:
        export_id = signing.loads(token, salt=EXPORT_LINK_SALT, max_age=EXPORT_LINK_SECONDS)
    except signing.BadSignature:
        raise NotFound(EXPORT_LINK_INVALID) from None
    export = DataExport.objects.filter(pk=export_id).first()
    if export is None or not export.is_kept:
        raise NotFound("This export is no longer available: ask for a new one.")
    return export


def data_export_link_token(export: DataExport) -> str:
    return signing.dumps(export.pk, salt=EXPORT_LINK_SALT)


def user_by_id(*, user_id: int) -> User | None:
    """The user, or None. Its bot owner, if any, loads when asked for: a socket's connect reads its user
    twice, and the owner's join (with ordering by id) more than doubled the cost of building each query (~0.9
    against ~0.4 ms of CPU here; docs/benchmarks.md, "Connecting")."""
    try:
        return User.objects.get(pk=user_id)
    except User.DoesNotExist:
        return None


def user_may_act(user: User) -> bool:
    """Active, not suspended, and for a bot: its owner too."""
    if not user.is_active:
        return False
    return not user.is_bot or bool(user.bot_owner and user.bot_owner.is_active)


def user_check_not_suspended(user: User) -> None:
    if user.is_suspended or (user.is_bot and user.bot_owner and user.bot_owner.is_suspended):
        raise AccountSuspended()


def user_for_api_token(*, raw: str) -> tuple[User, ApiToken]:
    """The user a `pk_<id>_<secret>` token acts as; AuthenticationFailed for anything else, AccountSuspended
    when the user (or a bot's owner) is suspended."""
    parsed = tokens.parse_token(raw, prefix=tokens.API_TOKEN_PREFIX)
    token = (
        ApiToken.objects.select_related("user", "user__bot_owner")
        .filter(pk=parsed[0], revoked_at__isnull=True)
        .first()
        if parsed
        else None
    )
    if token is None or parsed is None or not tokens.secret_matches(parsed[1], token.secret_hash):
        raise AuthenticationFailed("Invalid or revoked API token.", code="token_not_valid")
    if token.user.is_webhook_bot:  # it never has tokens (accounts.services.api_token_create)
        raise AuthenticationFailed("Invalid or revoked API token.", code="token_not_valid")
    user_check_not_suspended(token.user)
    if not user_may_act(token.user):
        raise AuthenticationFailed("The token's user is inactive.", code="user_inactive")
    return token.user, token


def suspended_user_for_credentials(*, username: str, password: str) -> User | None:
    """The suspended user these credentials belong to (the password must match), so a login can say why it is
    refused; None for any other case, which gets the usual answer."""
    try:
        user = User.objects.get_by_natural_key(username)  # as the login finds it
    except User.DoesNotExist:
        return None
    return user if user.is_suspended and user.check_password(password) else None


def suspended_user_for_refresh_token(*, token: str) -> User | None:
    """The suspended user a (signed, unexpired) refresh token was issued to, blacklisted or not."""
    try:
        user_id = UntypedToken(token).get(jwt_settings.USER_ID_CLAIM)  # type: ignore[arg-type]
    except TokenError:
        return None
    return User.objects.filter(pk=user_id, suspended_at__isnull=False).first()


def api_token_list_for_user(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at", "-pk")


def api_token_live_count_of_bots(*, owner: User) -> int:
    """How many unrevoked API tokens the owner's bots hold."""
    return ApiToken.objects.filter(user__bot_owner=owner, user__is_bot=True, revoked_at__isnull=True).count()


def webhook_live_count_of(*, owner: User) -> int:
    """How many incoming webhooks the person made that still post: their webhooks' bots (each owned by whoever
    made the webhook) still active, as revoking a webhook retires its bot (messaging's webhook_revoke)."""
    return User.objects.filter(bot_owner=owner, is_bot=True, is_webhook_bot=True, is_active=True).count()


def api_token_get_for_user(*, user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).first()
    if token is None:
        raise NotFound("No such token.")
    return token


def bot_list_for_owner(*, owner: User) -> QuerySet[User]:
    """The owner's bots: the working ones and those a moderator suspended (so that the owner sees why one
    stopped, and may retire it), not the retired ones; not webhooks' bots, which are managed through their
    webhooks."""
    bots = User.objects.filter(bot_owner=owner, is_bot=True, is_webhook_bot=False)
    return bots.filter(Q(is_active=True) | Q(suspended_at__isnull=False)).order_by("username")


def bot_get_for_owner(*, owner: User, bot_id: int) -> User:
    bot = bot_list_for_owner(owner=owner).filter(pk=bot_id).first()
    if bot is None:
        raise NotFound("No such bot.")
    return bot


# --- Profile pictures (accounts.services.avatars)

AVATAR_CONTENT_TYPES = {
    ".webp": "image/webp",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
}


def avatar_url(user: User) -> str | None:
    """Where a signed-in client reads the user's picture (files serves it), or None: initials. The stored name
    is in the query, so that a new picture is a new URL (nothing cached shows the old one)."""
    name = user.avatar.name if user.avatar else ""
    if not name:
        return None
    version = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return f"{reverse('users-avatar', kwargs={'user_id': user.pk})}?v={version}"


def avatar_for_download(*, user_id: int) -> tuple[str, str]:
    """The stored name and content type of a user's picture, for any signed-in reader; NotFound for a user
    without one (or whose file is not a picture Parley names by its extension)."""
    name = User.objects.filter(pk=user_id).values_list("avatar", flat=True).first()
    content_type = AVATAR_CONTENT_TYPES.get(("." + name.rsplit(".", 1)[-1].lower()) if name else "")
    if not name or content_type is None:
        raise NotFound("No such picture.")
    return name, content_type
