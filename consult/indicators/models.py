"""What the indicators count, kept ahead (SPEC §7): one fact per thing counted, and
its counts by month, by quarter and by year.

A **fact** is one countable thing of one case, on the Helsinki day it counts on:
the case received (and, the same day, resolved, returned, its lead times), a
discussion, a recommendation, a follow-up's answers, an action item opening or
closing. It carries the case's target team and physician and its organisation's kind,
so that the page maps it to teams when it asks (a team's physician may change).

A **count** is how many facts of one measure, key and target fall in one month, one
quarter or one year. A period is read as its whole years, quarters and months from the
counts and its days at either end from the facts: a three-year range reads the counts
of three years, not the things of every case. `ledger.py` keeps both in the
transaction that changes a case."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consult.extensions import db

GRAINS = ("month", "quarter", "year")


class IndicatorFact(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key: a purged case's facts go with it in the purge's transaction.
    request_id: Mapped[int] = mapped_column(index=True)
    measure: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(40), default="")
    day: Mapped[date]
    # 0 for none (so that a count's unique key has no NULLs).
    team_id: Mapped[int] = mapped_column(default=0)
    physician_id: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(30))

    __table_args__ = (
        Index("ix_indicator_fact_measure_day", "measure", "day", "key", "team_id",
              "physician_id"),
    )


class IndicatorCount(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    grain: Mapped[str] = mapped_column(String(10))
    start: Mapped[date]  # the first day of the month, quarter or year
    measure: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(40), default="")
    team_id: Mapped[int] = mapped_column(default=0)
    physician_id: Mapped[int] = mapped_column(default=0)
    n: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        UniqueConstraint("grain", "measure", "start", "key", "team_id", "physician_id",
                         name="uq_indicator_count"),
    )
