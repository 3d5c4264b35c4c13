"""Email with django.core.mail: every message is rendered from three templates (`<name>.subject.txt`,
`<name>.txt`, `<name>.html`) into a plain `Email` a Celery task can carry, and sent with one connection of
the configured backend. Without an SMTP server (the embedded mode) `DropFolderBackend` writes each message
into EMAIL_FILE_PATH and prints its links on the console, so a password can be reset with no mail server."""

import re
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string

LINK = re.compile(r"https?://\S+")


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def render(template: str, *, to: str, context: dict[str, Any]) -> Email:
    """The message `template` (a path without its suffix) makes for `to`, with `context`."""
    subject = " ".join(render_to_string(f"{template}.subject.txt", context).split())
    return Email(
        to=to,
        subject=subject,
        text=render_to_string(f"{template}.txt", context),
        html=render_to_string(f"{template}.html", context),
    )


def send(email: Email) -> None:
    """Send now, with the configured backend; raises what the backend raises (SMTP errors, OSError)."""
    message = EmailMultiAlternatives(
        subject=email.subject, body=email.text, from_email=settings.DEFAULT_FROM_EMAIL, to=[email.to]
    )
    message.attach_alternative(email.html, "text/html")
    message.send(fail_silently=False)


class DropFolderBackend(BaseEmailBackend):
    """Each message as an .eml file in EMAIL_FILE_PATH (any mail program opens it), announced with its
    links on standard error."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        folder = Path(settings.EMAIL_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            path = folder / f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid4().hex[:8]}.eml"
            path.write_bytes(message.message().as_bytes())
            links = " ".join(LINK.findall(str(message.body))) or "(no links)"
            print(
                f"[email] to {', '.join(message.to)}: {message.subject} — {links} ({path})", file=sys.stderr
            )
        return len(email_messages)
