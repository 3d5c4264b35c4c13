"""Login sessions: starting one (a password sign-in), keeping it seen, and ending one or all of them.

Ending a session is immediate everywhere: its row refuses its refresh tokens, a cache key (kept as long as an
access token lives) refuses its access tokens with no database query, and its sockets close with 4401 on
every worker."""

from datetime import UTC, datetime, timedelta

from django.contrib.auth.models import update_last_login
from django.core.cache import cache
from django.db import transaction
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from ua_parser import parse as parse_user_agent

from accounts import selectors, tokens
from accounts.models import LoginSession, User
from realtime import close_codes, fanout

SEEN_EVERY = timedelta(minutes=1)  # a session's last_seen_at moves at most this often (one UPDATE)
# A rotated refresh token is answered again within this long of its rotation, while its successor is unused: a
# page reloads or closes mid-refresh within seconds of the answer it lost; a stolen copy gets no lasting use.
REFRESH_REUSE = timedelta(seconds=60)


def describe_device(user_agent: str) -> str:
    """ "Firefox 133 on Linux" from a User-Agent header; "" when it names nothing known."""
    parsed = parse_user_agent(user_agent[:512]) if user_agent else None
    if parsed is None or parsed.user_agent is None:
        return ""
    browser = " ".join(filter(None, (parsed.user_agent.family, parsed.user_agent.major)))
    return f"{browser} on {parsed.os.family}"[:100] if parsed.os else browser[:100]


@transaction.atomic
def session_start(*, user: User, ip_address: str | None, user_agent: str) -> RefreshToken:
    """A new login session for a user who has proven who they are; its first refresh token."""
    refresh = RefreshToken.for_user(user)
    session_id = str(refresh[jwt_settings.JTI_CLAIM])
    refresh[tokens.SESSION_CLAIM] = session_id
    session = LoginSession.objects.create(
        id=session_id,
        user=user,
        device=describe_device(user_agent),
        ip_address=ip_address,
        last_seen_at=datetime.now(tz=UTC),
        refresh_jti=session_id,
    )
    # The sign-in is when it was last seen: one moment for both. `created_at` (auto_now_add) is stamped in the
    # insert itself, microseconds after any value given here, which put last_seen_at before created_at.
    LoginSession.objects.filter(pk=session_id).update(last_seen_at=session.created_at)
    update_last_login(None, user)  # type: ignore[arg-type]
    return refresh


class SessionRefreshToken(RefreshToken):
    """A refresh token checked for its signature, expiry and type; whether it may still be used is its login
    session's to say (its newest, or the one before while the newest is unused), not the blacklist's."""

    def check_blacklist(self) -> None:
        return None


@transaction.atomic
def session_refresh(*, token: str, ip_address: str | None) -> tuple[str, str]:
    """Trade a refresh token for a new access token and a new refresh token (rotation): (access, refresh).

    The token must be its session's newest. The one before it, within REFRESH_REUSE of its rotation and
    while the newest was never used, gets the same answer again: the newest refresh token (and a new access
    token), for the answer that carried it may never have arrived (the page reloaded or closed while
    refreshing; the browser kept the old cookie), as often as that happens, and refusing it would sign out
    someone who did nothing wrong. Nothing is rotated then, so a retry cancels no answer still on its way.
    Any other is refused: an older one, one whose successor was used, one rotated longer ago (a stolen copy
    gets no lasting use). Raises TokenError."""
    refresh = SessionRefreshToken(token)  # type: ignore[arg-type]
    session = selectors.login_session_for_refresh(refresh)  # InvalidToken once it has ended
    session = LoginSession.objects.select_for_update().get(pk=session.pk)  # its refreshes one at a time
    jti = str(refresh[jwt_settings.JTI_CLAIM])
    now = datetime.now(tz=UTC)
    if jti == session.refresh_jti or not session.refresh_jti:  # (a session begun before the chain was kept)
        RefreshToken(token)  # type: ignore[arg-type]  # the blacklist has its say: revoked (a suspension)?
    elif _lost_answer(session, jti, now):
        return _answer_again(session, ip_address=ip_address)
    else:
        raise TokenError("Token is blacklisted")
    _check_account_active(refresh)
    access = str(refresh.access_token)
    refresh.blacklist()
    refresh.set_jti()
    refresh.set_exp()
    refresh.set_iat()
    refresh.outstand()
    session.previous_refresh_jti = jti
    session.refresh_jti, session.refreshed_at = str(refresh[jwt_settings.JTI_CLAIM]), now
    session.save(update_fields=["previous_refresh_jti", "refresh_jti", "refreshed_at"])
    session_seen(session=session, ip_address=ip_address)
    return access, str(refresh)


def _answer_again(session: LoginSession, *, ip_address: str | None) -> tuple[str, str]:
    """The answer of the session's last rotation, which may have been lost: its (unused) newest refresh
    token, and a new access token made from it."""
    stored = OutstandingToken.objects.filter(jti=session.refresh_jti).values_list("token", flat=True).first()
    if stored is None:
        raise TokenError("Token is blacklisted")
    newest = RefreshToken(stored)  # type: ignore[arg-type]  # the blacklist has its say
    _check_account_active(newest)
    session_seen(session=session, ip_address=ip_address)
    return str(newest.access_token), stored


def _check_account_active(refresh: RefreshToken) -> None:
    user = User.objects.get(pk=refresh[jwt_settings.USER_ID_CLAIM])
    if not jwt_settings.USER_AUTHENTICATION_RULE(user):
        raise TokenError("No active account found for the given token.")


def _lost_answer(session: LoginSession, jti: str, now: datetime) -> bool:
    """`jti` is the token the session's newest replaced, shortly ago, and the newest was neither used nor
    revoked since (a suspension blacklists it): that refresh's answer may be lost."""
    recent = session.refreshed_at is not None and now - session.refreshed_at <= REFRESH_REUSE
    if not (session.previous_refresh_jti and jti == session.previous_refresh_jti and recent):
        return False
    return not BlacklistedToken.objects.filter(token__jti=session.refresh_jti).exists()


def session_seen(*, session: LoginSession, ip_address: str | None) -> None:
    """A refresh of the session's access token: it is in use, from this address."""
    now = datetime.now(tz=UTC)
    if now - session.last_seen_at >= SEEN_EVERY or session.ip_address != ip_address:
        LoginSession.objects.filter(pk=session.pk).update(last_seen_at=now, ip_address=ip_address)


def _end(user_id: int, session_ids: list[str], close_code: int = close_codes.UNAUTHENTICATED) -> None:
    if not session_ids:
        return
    LoginSession.objects.filter(pk__in=session_ids, ended_at__isnull=True).update(
        ended_at=datetime.now(tz=UTC)
    )
    # No access token of these sessions outlives the key: none can be minted once its row has ended.
    lifetime = int(jwt_settings.ACCESS_TOKEN_LIFETIME.total_seconds()) + 1
    ended = {selectors.ended_session_key(session_id): True for session_id in session_ids}
    # Now, not on commit: should the change roll back (a deletion that failed), its sessions are refused a
    # few minutes early, the safe side; written after the commit, a cache that failed then would leave
    # revoked access tokens working until they expire.
    cache.set_many(ended, timeout=lifetime)
    for session_id in session_ids:
        fanout.after_commit(fanout.close_user_sockets, user_id, close_code, session=session_id)


@transaction.atomic
def session_end(*, refresh_token: str) -> None:
    """Log out: blacklist the refresh token, so it can never be used again, and end its session, so the
    access tokens minted from it stop working now rather than when they expire, and the sockets opened with
    them close (4401). Any signed refresh token of the session will do, a rotated one too: ending it is the
    safe side. Raises TokenError if the refresh token is invalid."""
    refresh = SessionRefreshToken(refresh_token)  # type: ignore[arg-type]
    refresh.blacklist()
    if session_id := refresh.get(tokens.SESSION_CLAIM):
        _end(int(refresh[jwt_settings.USER_ID_CLAIM]), [str(session_id)])


@transaction.atomic
def login_session_end(*, session: LoginSession) -> None:
    """Sign one session out (a device the user no longer trusts)."""
    _end(session.user_id, [session.pk])


@transaction.atomic
def login_sessions_end_all(
    *, user: User, keep: str = "", close_code: int = close_codes.UNAUTHENTICATED
) -> int:
    """Sign out every session of the user but `keep` (the one asking, when it stays signed in); their sockets
    close with `close_code` (a suspension's is 4403). Returns how many were ended."""
    session_ids = list(
        selectors.login_session_list_for_user(user=user).exclude(pk=keep).values_list("pk", flat=True)
    )
    _end(user.pk, session_ids, close_code)
    return len(session_ids)
