"""A real SMTP server for the tests (aiosmtpd), and reading what it received the way a
mail client does: MIME parts decoded, iCalendar lines unfolded."""
from __future__ import annotations

import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """The aiosmtpd handler: every message it accepts, in order."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        with self.lock:
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        return [m["Message-ID"] for m in self.messages]


class SmtpServer:
    """Start and stop on a fixed port, so that a test can have the server down first."""

    def __init__(self):
        self.port = free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self, **smtp_options) -> None:
        """`smtp_options` go to aiosmtpd's SMTP (e.g. tls_context, require_starttls)."""
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port,
                                     **smtp_options)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def unfold(ics: str) -> str:
    """iCalendar text with folded lines joined and escapes undone (RFC 5545 §3.1, §3.3.11)."""
    text = ics.replace("\r\n ", "").replace("\r\n\t", "").replace("\n ", "")
    for escaped, plain in (("\\n", "\n"), ("\\N", "\n"), ("\\,", ","), ("\\;", ";"),
                           ("\\\\", "\\")):
        text = text.replace(escaped, plain)
    return text


def readable_text(message: EmailMessage) -> str:
    """Everything a reader sees: headers (decoded) and every part's decoded content."""
    texts = [f"{name}: {value}" for name, value in message.items()]
    for part in message.walk():
        if part.is_multipart():
            continue
        content = part.get_content()
        if isinstance(content, bytes):
            content = content.decode("utf-8")
        texts.append(unfold(content) if part.get_content_type() == "text/calendar" else content)
    return "\n".join(texts)


def calendar_part(message: EmailMessage):
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return part
    return None
