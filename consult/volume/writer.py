"""Bulk inserts for the volume data: primary keys handed out after each table's current
maximum (so that it works on a database that already holds data), rows buffered per
table and written in chunks, parents before children.

A Core executemany insert spends most of its time building each row's parameters, so
the rows go to the driver directly: on SQLite as executemany, each value converted by
its column type's own bind processor (the stored text is the same as the ORM's); on
PostgreSQL through COPY, JSON serialised as the ORM does (json.dumps)."""
from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from operator import itemgetter

from sqlalchemy import JSON, DateTime, func, insert, select, text

from consult.extensions import db

FLUSH_ROWS = 50_000


def _fast_datetime(processor):
    """isoformat does in C what SQLAlchemy's SQLite DATETIME processor does in Python;
    used only where the two give the same text."""
    sample = datetime(2024, 3, 31, 4, 5, 6, 70)
    if processor is not None and processor(sample) == sample.isoformat(" ", "microseconds"):
        return lambda value: value.isoformat(" ", "microseconds")
    return processor


class BulkWriter:
    def __init__(self):
        self.session = db.session
        self.dialect = self.session.get_bind().dialect
        self.tables = {t.name: t for t in db.metadata.sorted_tables}
        # Foreign keys point backwards in this order: writing in it keeps them valid.
        self.order = [t.name for t in db.metadata.sorted_tables]
        self.buffers: dict[str, list[dict]] = {}
        self.buffered = 0
        self.counts: Counter = Counter()
        self._next: dict[str, int] = {}

    def new_id(self, table: str) -> int:
        """The next id of the table: past its rows and, on PostgreSQL, past every id its
        sequence has handed out (those of deleted rows too)."""
        if table not in self._next:
            largest = select(func.max(self.tables[table].c.id)).scalar_subquery()
            if self.dialect.name == "postgresql":
                largest = func.greatest(largest, func.pg_sequence_last_value(
                    func.pg_get_serial_sequence(f'"{table}"', "id")))
            self._next[table] = (self.session.scalar(select(largest)) or 0) + 1
        value = self._next[table]
        self._next[table] = value + 1
        return value

    def add(self, table: str, row: dict) -> None:
        self.buffers.setdefault(table, []).append(row)
        self.buffered += 1
        if self.buffered >= FLUSH_ROWS:
            self.flush()

    def add_many(self, table: str, rows: list[dict]) -> None:
        self.buffers.setdefault(table, []).extend(rows)
        self.buffered += len(rows)
        if self.buffered >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        for name in self.order:
            rows = self.buffers.pop(name, None)
            if rows:
                if self.dialect.name == "sqlite":
                    self._insert_sqlite(self.tables[name], rows)
                elif self.dialect.name == "postgresql":
                    self._copy_postgresql(self.tables[name], rows)
                else:
                    self.session.execute(insert(self.tables[name]), rows)
                self.counts[name] += len(rows)
        self.buffered = 0

    def _insert_sqlite(self, table, rows: list[dict]) -> None:
        keys = list(rows[0])
        converters = []
        for i, key in enumerate(keys):
            impl = table.c[key].type.dialect_impl(self.dialect)
            processor = impl.bind_processor(self.dialect)
            if isinstance(impl, DateTime):
                processor = _fast_datetime(processor)
            if processor is not None:
                converters.append((i, processor))
        getter = itemgetter(*keys)
        if len(keys) == 1:
            values = [(getter(row),) for row in rows]
        else:
            values = [getter(row) for row in rows]
        if converters:
            converted = []
            for row in values:
                row = list(row)
                for i, processor in converters:
                    if row[i] is not None:
                        row[i] = processor(row[i])
                converted.append(tuple(row))
            values = converted
        columns = ", ".join(f'"{key}"' for key in keys)
        marks = ", ".join("?" for _ in keys)
        self.session.connection().exec_driver_sql(
            f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})', values)

    def _copy_postgresql(self, table, rows: list[dict]) -> None:
        keys = list(rows[0])
        getter = itemgetter(*keys)
        as_json = [i for i, key in enumerate(keys) if isinstance(table.c[key].type, JSON)]
        columns = ", ".join(f'"{key}"' for key in keys)
        raw = self.session.connection().connection.dbapi_connection  # in this transaction
        with raw.cursor() as cursor:
            with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
                for row in rows:
                    values = getter(row) if len(keys) > 1 else (getter(row),)
                    if as_json:
                        values = list(values)
                        for i in as_json:
                            if values[i] is not None:
                                values[i] = json.dumps(values[i])
                    copy.write_row(values)

    def move_sequences(self) -> None:
        """PostgreSQL: explicit ids leave the serial sequences behind; move each past its
        table's largest id, so that the application's next insert does not collide.
        Never backwards: new_id started past the sequence, and a table this run did not
        write to keeps its sequence where it was."""
        self.flush()
        if self.dialect.name != "postgresql":
            return
        for name in self._next:
            sequence = f"pg_get_serial_sequence('\"{name}\"', 'id')"
            self.session.execute(text(
                f"SELECT setval({sequence}, GREATEST((SELECT max(id) FROM \"{name}\"), "
                f"COALESCE(pg_sequence_last_value({sequence}), 1)))"))
