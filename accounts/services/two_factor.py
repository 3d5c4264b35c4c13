"""Two-factor authentication: a TOTP authenticator app (django-otp's TOTPDevice: drift, replay protection
and throttling of wrong codes) and one-time recovery codes, stored hashed. A code is asked for at every
password sign-in once it is on."""

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import selectors
from accounts.exceptions import WrongPassword
from accounts.models import RecoveryCode, User
from accounts.services.sessions import login_sessions_end_all
from core.errors import Refused

RECOVERY_CODES = 10
WRONG_CODE = (
    "That code is not right. Enter the 6-digit code your authenticator app shows now, or one of your "
    "recovery codes."
)


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _normalise(code: str) -> str:
    """As typed: spaces and dashes dropped, recovery codes in any case."""
    return code.replace(" ", "").replace("-", "").lower()


def _new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes; the new ones, shown once (xxxxx-xxxxx, 50 random bits each)."""
    RecoveryCode.objects.filter(user=user).delete()
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]
    RecoveryCode.objects.bulk_create([RecoveryCode(user=user, code_hash=_hash(code)) for code in codes])
    return [f"{code[:5]}-{code[5:]}" for code in codes]


@transaction.atomic
def totp_enrolment_start(*, user: User) -> TOTPDevice:
    """A new, unconfirmed authenticator for the user to scan; any earlier unconfirmed one is dropped."""
    if selectors.two_factor_device(user=user) is not None:
        raise Refused("two_factor_on", "Two-factor authentication is already on. Turn it off to change apps.")
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


@transaction.atomic
def totp_enrolment_confirm(*, user: User, code: str, session_id: str) -> list[str]:
    """Turn two-factor authentication on with a first code from the app just scanned. Every other session,
    signed in without a code, ends. Returns the recovery codes, shown once."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None:
        raise Refused("no_enrolment", "Start setting up two-factor authentication first.")
    if not device.verify_token(_normalise(code)):
        raise ValidationError({"code": "That code is not right: enter the 6 digits your app shows now."})
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(user)
    login_sessions_end_all(user=user, keep=session_id)
    return codes


def _spend_recovery_code(user: User, code: str) -> bool:
    return RecoveryCode.objects.filter(user=user, code_hash=_hash(code)).delete()[0] > 0


def two_factor_verify(*, user: User, code: str) -> None:
    """Check a second factor: a current TOTP code (never one used before) or an unused recovery code, which
    is spent. Wrong codes slow further tries down (1, 2, 4, … seconds); raises Refused. Never to be called in
    a transaction that a refusal rolls back: the count of wrong codes must stay."""
    device = selectors.two_factor_device(user=user)
    if device is None:
        return
    allowed, state = device.verify_is_allowed()
    if not allowed:
        raise Refused("otp_throttled", "Too many wrong codes. Wait a few seconds, then try again.")
    code = _normalise(code)
    if not code:
        raise Refused("otp_required", "Enter the 6-digit code from your authenticator app.")
    if code.isdigit() and len(code) == 6:
        if device.verify_token(code):  # resets the throttle, or counts the failure
            return
    elif _spend_recovery_code(user, code):
        device.throttle_reset()
        return
    else:
        device.throttle_increment()
    raise Refused("otp_invalid", WRONG_CODE)


def two_factor_disable(*, user: User, password: str, code: str) -> None:
    """Turn two-factor authentication off: the password and a current code are both required."""
    if not user.check_password(password):
        raise WrongPassword({"password": "This is not your password."})
    two_factor_verify(user=user, code=code)
    two_factor_reset(user=user)


@transaction.atomic
def two_factor_reset(*, user: User) -> bool:
    """Remove someone's second factor (an admin's action, for a user who lost their device and codes): they
    sign in with their password alone until they set it up again. False if they had none."""
    devices, _ = TOTPDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    return devices > 0


def recovery_codes_regenerate(*, user: User, code: str) -> list[str]:
    """New recovery codes (the old ones stop working), for a user who proves the second factor."""
    if selectors.two_factor_device(user=user) is None:
        raise Refused("two_factor_off", "Turn two-factor authentication on first.")
    two_factor_verify(user=user, code=code)
    with transaction.atomic():
        return _new_recovery_codes(user)
