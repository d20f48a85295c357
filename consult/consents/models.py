"""Written consent to multi-professional work and data exchange between named
organisations (Kela's form Y100), and what it covers (SPEC §3)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.extensions import db
from consult.organisations.models import Organisation
from consult.timeutil import utcnow

PURPOSES = ("consultation", "data_exchange")

consent_organisation = Table(
    "consent_organisation",
    db.metadata,
    Column("consent_id", ForeignKey("consent.id"), primary_key=True),
    Column("organisation_id", ForeignKey("organisation.id"), primary_key=True),
)


class Consent(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    purpose_consultation: Mapped[bool] = mapped_column(default=True)
    purpose_data_exchange: Mapped[bool] = mapped_column(default=True)
    given_on: Mapped[date]
    valid_until: Mapped[date]
    form_reference: Mapped[str] = mapped_column(String(60), default="Y100")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_on: Mapped[date | None]
    withdrawal_reason: Mapped[str] = mapped_column(String(500), default="")
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    client: Mapped["Client"] = relationship(back_populates="consents")  # noqa: F821
    organisations: Mapped[list[Organisation]] = relationship(
        secondary=consent_organisation, order_by=Organisation.name, lazy="selectin")
    recorded_by: Mapped["User"] = relationship(foreign_keys=[recorded_by_id])  # noqa: F821

    def state(self, on: date) -> str:
        """withdrawn · not_yet_valid · expired · valid, on the given day."""
        if self.withdrawn_on is not None and self.withdrawn_on <= on:
            return "withdrawn"
        if on < self.given_on:
            return "not_yet_valid"
        if on > self.valid_until:
            return "expired"
        return "valid"

    def is_valid(self, on: date) -> bool:
        return self.state(on) == "valid"

    @property
    def organisation_ids(self) -> set[int]:
        return {o.id for o in self.organisations}

    @property
    def purposes(self) -> list[str]:
        return [p for p, on in (("consultation", self.purpose_consultation),
                                ("data_exchange", self.purpose_data_exchange)) if on]

    def __repr__(self) -> str:
        return f"<Consent {self.id}>"
