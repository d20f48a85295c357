"""`seed-volume --cases N`: a Finnish region's realistic data at volume, for the
indicators (SPEC §7) and the benchmarks (SPEC §10).

The world (world.py) and every request's life (cases.py) are planned in memory, then
written as bulk inserts with precomputed ids after each table's current maximum
(emit.py, writer.py), in one transaction: the command works on an empty database and
on one that already holds data (the demo's, or an earlier run's, whose names it keeps
apart). Deterministic for one seed on one day: dates are relative to today (Helsinki),
and "now" is the start of today. No outbox rows, notifications or audit events."""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import time

from dateutil.relativedelta import relativedelta
from sqlalchemy import select, text

from consult import timeutil
from consult.accounts.passwords import hash_password
from consult.catalogue.models import Service
from consult.catalogue.services import seed_catalogue
from consult.extensions import db
from consult.indicators import ledger
from consult.scheduling.availability import local_to_utc
from consult.volume.cases import CasePlanner
from consult.volume.emit import Emitter
from consult.volume.world import PASSWORD, WorldBuilder
from consult.volume.writer import BulkWriter


@dataclass
class Summary:
    prefix: str
    rows: dict
    states: Counter
    logins: list = field(default_factory=list)
    password: str = PASSWORD


def seed_volume(cases: int, seed: int = 1) -> Summary:
    """Write the world and `cases` requests; flushes, the caller commits."""
    if cases < 1:
        raise ValueError("The number of cases must be at least 1.")
    rng = random.Random(seed)
    session = db.session
    if session.get_bind().dialect.name == "sqlite":
        # A bigger page cache for this connection: the inserts touch many indexes.
        session.execute(text("PRAGMA cache_size=-200000"))
    today = timeutil.today()
    now = local_to_utc(today, time(0))
    first_day = today - relativedelta(years=3)

    seed_catalogue()
    session.flush()
    service_ids = list(session.scalars(select(Service.id).where(Service.is_active)
                                       .order_by(Service.name_fi)))
    writer = BulkWriter()
    world = WorldBuilder(writer, rng, cases=cases, today=today, first_day=first_day,
                         password_hash=hash_password(PASSWORD)).build(session)
    planner = CasePlanner(world, rng, now=now, today=today, first_day=first_day,
                          service_ids=service_ids,
                          new_client_id=lambda: writer.new_id("client"))
    clients, planned = planner.generate(cases)

    emitter = Emitter(writer, rng, world, now=now, today=today, service_ids=service_ids)
    emitter.meetings()
    for client in clients:
        emitter.client(client)
    planned.sort(key=lambda c: c.created_at)
    for case in planned:
        emitter.case(case)
    writer.move_sequences()
    session.flush()
    ledger.rebuild()  # the bulk inserts bypass the session the ledger follows
    return Summary(prefix=world.prefix, rows=dict(writer.counts),
                   states=Counter(c.state for c in planned), logins=world.logins)
