"""A real SMTP server for tests (aiosmtpd, on a free loopback port, in a thread of its own): Parley sends to
it over the wire, and tests wait for what it received, parsed as a mail program would."""

import email
import re
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

from aiosmtpd.controller import Controller

from tests.live_server import free_port

LINK = re.compile(r"https?://\S+")


@dataclass(frozen=True)
class ReceivedMail:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def body(self, subtype: str = "plain") -> str:
        part = self.message.get_body(preferencelist=(subtype,))
        assert part is not None, f"the email has no text/{subtype} part"
        return str(part.get_content())

    @property
    def links(self) -> list[str]:
        return LINK.findall(self.body())


class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[ReceivedMail] = []
        self.refused = 0
        self._to_refuse = 0
        self.changed = threading.Condition()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        with self.changed:
            if self._to_refuse:
                self._to_refuse -= 1
                self.refused += 1
                return "451 Try again later"
        message = email.message_from_bytes(envelope.original_content, policy=default_policy)
        with self.changed:
            self.received.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), message))
            self.changed.notify_all()
        return "250 Message accepted for delivery"

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def refuse_next(self, count: int) -> None:
        """Answer the next `count` messages with a temporary failure, as a busy server does."""
        with self.changed:
            self._to_refuse = count

    def start(self) -> "SmtpServer":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def wait_for(
        self, to: str, *, count: int = 1, subject: str = "", timeout: float = 30
    ) -> list[ReceivedMail]:
        """The first `count` messages received for `to` (with this subject, if given), waiting until they have
        arrived."""

        def for_them() -> list[ReceivedMail]:
            return [m for m in self.received if to in m.recipients and (not subject or m.subject == subject)]

        with self.changed:
            assert self.changed.wait_for(lambda: len(for_them()) >= count, timeout=timeout), (
                f"no email for {to} within {timeout} s (received: {[m.recipients for m in self.received]})"
            )
            return for_them()[:count]

    def sent_to(self, to: str) -> list[ReceivedMail]:
        with self.changed:
            return [mail for mail in self.received if to in mail.recipients]
