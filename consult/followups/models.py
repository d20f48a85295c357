"""Follow-up of a discussed case (SPEC §3): at the follow-up date the referrer records
the path actually taken, the situation, a repeated Kykyviisari score and the close-out
answers; recording it closes the case."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.extensions import db
from consult.timeutil import utcnow

# Did the consultation change the client's plan?
PLAN_CHANGES = ("yes", "partly", "no")


class FollowUp(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("consultation_request.id"), unique=True)
    path_taken: Mapped[str] = mapped_column(String(40))
    situation: Mapped[str] = mapped_column(Text)
    kykyviisari_score: Mapped[int | None]
    meeting_needed: Mapped[bool]
    plan_changed: Mapped[str] = mapped_column(String(10))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    request: Mapped["ConsultationRequest"] = relationship()  # noqa: F821
    recorded_by: Mapped["User"] = relationship()  # noqa: F821
