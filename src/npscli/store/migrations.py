"""Versioned schema migrations.

Each migration is applied once, in its own transaction, and recorded in ``npscli_schema``.
A migration adds tables, columns and indexes, and may replace indexes or move values to another table;
data is never dropped.
A store written by a newer npscli (a higher version than this code knows) is refused, not touched.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateIndex

from npscli.core.errors import StoreError
from npscli.store import schema
from npscli.store.engine import Store, redact_url


def _create(*tables):
    def apply(conn: Connection) -> None:
        for table in tables:
            table.create(conn, checkfirst=True)

    return apply


def _replace_indexes(table, retired: tuple[str, ...]):
    """Drop the ``retired`` indexes (where present) and create the table's current ones (where missing).

    An index on a column a later migration adds (the group ids of version 10) is left to that migration."""

    def apply(conn: Connection) -> None:
        for name in retired:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
        present = {column["name"] for column in inspect(conn).get_columns(table.name)}
        for index in table.indexes:  # IF NOT EXISTS: reflection cannot see expression indexes on SQLite
            if all(column.name in present for column in index.columns):
                conn.execute(CreateIndex(index, if_not_exists=True))

    return apply


def _in_turn(*steps: Callable[[Connection], None]) -> Callable[[Connection], None]:
    """The steps of one migration, one after the other (in its one transaction)."""

    def apply(conn: Connection) -> None:
        for step in steps:
            step(conn)

    return apply


def _add_columns(table, *names: str):
    """Add the table's columns ``names`` where missing (a store made at version 1 by this code has them)."""

    def apply(conn: Connection) -> None:
        present = {column["name"] for column in inspect(conn).get_columns(table.name)}
        for name in names:
            if name in present:
                continue
            column = table.c[name]
            kind = column.type.compile(dialect=conn.dialect)
            conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {name} {kind}")

    return apply


def _group_ids(conn: Connection) -> None:
    """Version 10: the location, department and provider names of responses move to ``group_labels``, the
    responses keep their ids. Each distinct name becomes one label; every response's id is its name's; the
    name columns are dropped, and the three indexes on them are made again on the ids. No value is lost:
    a name reads back through its label exactly as it was stored. The view ``responses_named`` shows the
    responses with their names, as the table was before, for SQL written against it (a report, a dashboard).
    (A store created by this code has the ids from the start: then the label table, the indexes and the view
    are made sure of.)"""
    schema.group_labels.create(conn, checkfirst=True)
    present = {column["name"] for column in inspect(conn).get_columns("responses")}
    if "location" in present:
        if conn.dialect.name == "sqlite":
            import sqlite3

            if sqlite3.sqlite_version_info < (3, 35):
                raise StoreError(
                    f"this store needs SQLite 3.35 or newer to upgrade (this Python has {sqlite3.sqlite_version})",
                    hint="run npscli with a newer Python (3.11 from python.org or your distribution bundles one)",
                )
        for name in schema.RETIRED_IN_10:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
        reference = "INTEGER REFERENCES group_labels (id)"
        for field in ("location", "department", "provider"):
            conn.exec_driver_sql(
                f"INSERT INTO group_labels (field, value) SELECT DISTINCT '{field}', {field} FROM responses "
                f"WHERE {field} IS NOT NULL ORDER BY {field}"
            )
            conn.exec_driver_sql(f"ALTER TABLE responses ADD COLUMN {field}_id {reference}")
            conn.exec_driver_sql(
                f"UPDATE responses SET {field}_id = (SELECT l.id FROM group_labels AS l "
                f"WHERE l.field = '{field}' AND l.value = responses.{field}) WHERE {field} IS NOT NULL"
            )
            conn.exec_driver_sql(f"ALTER TABLE responses DROP COLUMN {field}")
    for index in schema.responses.indexes:
        conn.execute(CreateIndex(index, if_not_exists=True))
    conn.exec_driver_sql(f"DROP VIEW IF EXISTS {schema.RESPONSES_NAMED}")
    conn.exec_driver_sql(schema.responses_named_sql())


MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "responses and import batches", _create(schema.import_batches, schema.group_labels, schema.responses)),
    (2, "tickets and their activity log", _create(schema.tickets, schema.ticket_events)),
    (3, "alert deliveries (exactly once)", _create(schema.alert_deliveries)),
    (
        4,
        "indexes for a million responses: covering indexes for score, redundant ones dropped",
        _replace_indexes(schema.responses, schema.RETIRED_RESPONSE_INDEXES),
    ),
    (5, "emerging-issue alerts (once per issue and recipient)", _create(schema.emerging_alerts)),
    (
        6,
        "import batches: the date stamped on a file without a date column (--date)",
        _add_columns(schema.import_batches, "stamped_at"),
    ),
    (
        7,
        "alert deliveries: when a send was attempted (a delivery a killed run may have made)",
        _add_columns(schema.alert_deliveries, "attempted_at"),
    ),
    (
        8,
        "emerging-issue alerts: when a send was attempted (an issue alert a killed run may have made)",
        _add_columns(schema.emerging_alerts, "attempted_at"),
    ),
    (
        9,
        "responses: no batch index (a new batch is a range of ids), partial patient id and e-mail indexes; "
        "the history indexed by ticket id alone",
        _in_turn(
            _replace_indexes(schema.responses, schema.RETIRED_IN_9),
            _replace_indexes(schema.ticket_events, schema.RETIRED_EVENT_INDEXES_IN_9),
        ),
    ),
    (
        10,
        "responses: location, department and provider names stored once (group_labels), the responses and "
        "their indexes hold ids",
        _group_ids,
    ),
]
LATEST = MIGRATIONS[-1][0]


def current_version(conn: Connection) -> int:
    if not inspect(conn).has_table(schema.schema_versions.name):
        return 0
    versions = conn.execute(select(schema.schema_versions.c.version)).scalars().all()
    return max(versions, default=0)


MIGRATION_LOCK = 7220_1105


def _serialise(conn: Connection) -> None:
    """Make concurrent first runs on PostgreSQL take turns (SQLite's BEGIN IMMEDIATE already does)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")


def upgrade(store: Store, target: int | None = None) -> list[int]:
    """Apply the pending migrations up to ``target`` (default: all). Returns the versions applied."""
    target = LATEST if target is None else target
    applied: list[int] = []
    # The common case, a store already up to date, needs no write lock: a `score` run while a cron
    # import holds the lock answers at once instead of queueing behind it.
    with store.read() as conn:
        version = current_version(conn)
    if target <= version <= LATEST:
        return applied
    with store.write() as conn:
        _serialise(conn)
        schema.schema_versions.create(conn, checkfirst=True)
        version = current_version(conn)
    if version > LATEST:
        raise StoreError(
            f"the store {redact_url(store.url)} has schema version {version}, newer than this npscli "
            f"understands ({LATEST})",
            hint="upgrade npscli (pip install -U npscli) before using this store",
        )
    for number, description, apply in MIGRATIONS:
        if number <= version or number > target:
            continue
        with store.write() as conn:
            _serialise(conn)
            # Another process may have applied it while we waited for the write lock.
            if current_version(conn) >= number:
                continue
            apply(conn)
            conn.execute(
                schema.schema_versions.insert().values(
                    version=number, description=description, applied_at=datetime.now(UTC).replace(tzinfo=None)
                )
            )
        applied.append(number)
    return applied


def status(store: Store) -> dict:
    with store.read() as conn:
        version = current_version(conn)
    return {"version": version, "latest": LATEST, "pending": [n for n, _, _ in MIGRATIONS if n > version]}
