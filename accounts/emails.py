"""Every email accounts sends: rendered here from accounts/templates/accounts/email/, sent by
accounts.tasks.send_email_task once the transaction commits (a rolled-back change sends nothing). Links the
person asked for go to any address; notices only to a verified one."""

from typing import Any

from django.conf import settings
from django.db import transaction

from accounts.models import User
from core import mail


def site_link(site_url: str, path: str) -> str:
    """An absolute link into the web app: PUBLIC_URL when set, else the address the request came to."""
    return f"{(settings.PUBLIC_URL or site_url).rstrip('/')}{path}"


def _queue(template: str, *, user: User, context: dict[str, Any], to: str = "") -> None:
    from accounts.tasks import send_email_task  # the task module imports the services, which import this

    email = mail.render(
        f"accounts/email/{template}", to=to or user.email, context={"username": user.username, **context}
    )
    transaction.on_commit(lambda: send_email_task.delay(email.as_dict()))


def password_reset(*, user: User, uid: str, token: str, site_url: str) -> None:
    # In the fragment, which browsers never send to a server: the token stays out of every access log.
    link = site_link(site_url, f"/reset-password#{uid}.{token}")
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    _queue("password_reset", user=user, context={"link": link, "expires_minutes": minutes})


def password_changed(*, user: User, site_url: str) -> None:
    """A notice: sent only to a verified address (an unverified account gets no email notices)."""
    if user.email_verified:
        _queue("password_changed", user=user, context={"link": site_link(site_url, "/forgot-password")})


def verify_email(*, user: User, address: str, token: str, site_url: str) -> None:
    link = site_link(site_url, f"/verify-email#{token}")
    _queue("verify_email", user=user, to=address, context={"link": link, "address": address})
