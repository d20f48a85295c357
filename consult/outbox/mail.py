"""An outbox row as an Internet message: plain text in UTF-8, and for an invite the
calendar event as a `text/calendar; method=…` alternative whose method matches the
METHOD inside it (RFC 6047)."""
from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from consult.outbox.models import OutboxMessage
from consult.timeutil import to_helsinki


def compose(row: OutboxMessage, *, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr(("consult", sender))
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Message-ID"] = row.message_id
    message["Date"] = format_datetime(to_helsinki(row.created_at))
    message["Content-Language"] = row.language
    # Automatic mail: no out-of-office replies to it (RFC 3834).
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row.body, subtype="plain", charset="utf-8", cte="quoted-printable")
    if row.ics:
        message.add_alternative(row.ics.encode("utf-8"), maintype="text", subtype="calendar",
                                params={"method": row.ics_method, "charset": "utf-8"},
                                cte="base64")
    return message
