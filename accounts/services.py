"""Every write to accounts."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User


@transaction.atomic
def user_register(*, username: str, email: str, password: str) -> User:
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": "This username is taken."})
    user = User(username=username, email=User.objects.normalize_email(email))
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from error
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


def user_update_profile(*, user: User, display_name: str) -> User:
    user.display_name = display_name.strip()
    user.full_clean(exclude=["password"])
    user.save(update_fields=["display_name"])
    return user


def refresh_token_revoke(*, token: str) -> None:
    """Blacklist a refresh token so it can never be used again. Raises TokenError if invalid."""
    RefreshToken(token).blacklist()  # type: ignore[arg-type]
