"""A service in the catalogue, named and described in the three languages (SPEC §3)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from consult.extensions import db
from consult.timeutil import utcnow

# In the order the catalogue lists them.
SERVICE_CATEGORIES = ("employment", "kela", "social_health", "education", "ngo")
SERVICE_LANGUAGES = ("fi", "sv", "en")


class Service(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(40))
    # The kind of organisation that provides it (one of ORGANISATION_KINDS).
    organisation_kind: Mapped[str] = mapped_column(String(40))
    name_fi: Mapped[str] = mapped_column(String(200), unique=True)
    name_sv: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description_fi: Mapped[str] = mapped_column(String(1000), default="")
    description_sv: Mapped[str] = mapped_column(String(1000), default="")
    description_en: Mapped[str] = mapped_column(String(1000), default="")
    # Retired services stay, so that what once linked to them still reads.
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def _text(self, field: str, lang: str) -> str:
        lang = lang if lang in SERVICE_LANGUAGES else "fi"
        return getattr(self, f"{field}_{lang}") or getattr(self, f"{field}_fi")

    def name_in(self, lang: str) -> str:
        """The name in `lang`, or in Finnish when that translation is missing."""
        return self._text("name", lang)

    def description_in(self, lang: str) -> str:
        return self._text("description", lang)

    def __repr__(self) -> str:
        return f"<Service {self.id} {self.name_fi!r}>"
