"""Background work of accounts: every email is sent here, retried, never in a request."""

import logging
from smtplib import SMTPException

from celery import shared_task

from accounts import services
from core import mail

logger = logging.getLogger(__name__)

EMAIL_MAX_ATTEMPTS = 8
EMAIL_MAX_DELAY_SECONDS = 3600


@shared_task(acks_late=True)
def send_email_task(email: dict[str, str], attempt: int = 1) -> None:
    """Send one email. A failure (the server unreachable, a 4xx or 5xx answer) is tried again with
    exponential backoff, EMAIL_MAX_ATTEMPTS times in all. A later try is a new task rather than `self.retry`,
    so in eager mode (embedded, tests) it runs at once, in process, and never raises into the request that
    queued the email."""
    try:
        mail.send(mail.Email(**email))
    except (SMTPException, OSError) as error:
        if attempt >= EMAIL_MAX_ATTEMPTS:
            logger.error("email %r given up after %d attempts: %s", email["subject"], attempt, error)
            return
        logger.warning("email %r not sent (attempt %d), retrying: %s", email["subject"], attempt, error)
        countdown = min(EMAIL_MAX_DELAY_SECONDS, 10 * 2**attempt)
        send_email_task.apply_async(args=(email,), kwargs={"attempt": attempt + 1}, countdown=countdown)


@shared_task(acks_late=True)
def send_password_reset_task(address: str, site_url: str) -> None:
    """Look the address up here, not in the request, so the request does the same work (and takes the same
    time) whether or not an account uses it."""
    services.password_reset_request(address=address, site_url=site_url)


@shared_task(acks_late=True)
def build_data_export_task(export_id: int) -> None:
    """Build a user's data export; a failure marks it failed (the user asks again) rather than retrying."""
    try:
        services.data_export_build(export_id=export_id)
    except Exception:
        logger.exception("data export %s failed", export_id)
        services.data_export_fail(export_id=export_id)


@shared_task(acks_late=True)
def purge_expired_data_exports_task() -> int:
    return services.data_exports_purge_expired()
