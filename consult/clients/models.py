"""Clients: each organisation keeps its own client register (SPEC §3)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.clients.identity import is_temporary
from consult.extensions import db
from consult.organisations.models import Organisation
from consult.timeutil import utcnow

CLIENT_LANGUAGES = ("fi", "sv", "en", "other")


class Client(db.Model):
    # The same person may be registered by several organisations, once in each.
    __table_args__ = (UniqueConstraint("organisation_id", "identity_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    last_name: Mapped[str] = mapped_column(String(100))
    first_names: Mapped[str] = mapped_column(String(150))
    identity_code: Mapped[str] = mapped_column(String(11))
    # Case-folded "first names last name" for searching: SQLite's lower() knows only ASCII.
    name_key: Mapped[str] = mapped_column(String(260), default="")
    municipality: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    preferred_language: Mapped[str] = mapped_column(String(5), default="fi")
    interpreter_needed: Mapped[bool] = mapped_column(default=False)
    interpreter_language: Mapped[str] = mapped_column(String(60), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship()
    consents: Mapped[list["Consent"]] = relationship(  # noqa: F821
        back_populates="client", order_by="Consent.given_on.desc()", lazy="selectin")

    def refresh_name_key(self) -> None:
        self.name_key = f"{self.first_names} {self.last_name}".casefold()

    @property
    def full_name(self) -> str:
        return f"{self.first_names} {self.last_name}"

    @property
    def sort_name(self) -> str:
        return f"{self.last_name}, {self.first_names}"

    @property
    def has_temporary_code(self) -> bool:
        return is_temporary(self.identity_code)

    def __repr__(self) -> str:  # never the name or the code
        return f"<Client {self.id}>"
