"""Versioned schema migrations.

Each migration is applied once, in its own transaction, and recorded in ``npscli_schema``.
A migration adds tables, columns and indexes, and may replace indexes or move values to another table;
data is never dropped.
A store written by a newer npscli (a higher version than this code knows) is refused, not touched.
"""

from __future__ import annotations

import functools
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


_DAY = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
_MINUTE = _DAY + "[ T][0-9][0-9]:[0-9][0-9]"
_SECOND = _MINUTE + ":[0-9][0-9]"


def _sqlite_time_text(column: str) -> tuple[str, str]:
    """SQL for a text time in ``column``, as SQLAlchemy's DateTime reads it back (``datetime.fromisoformat``):
    (is it one of the forms below, its microseconds since 1970-01-01). The forms: "YYYY-MM-DD HH:MM:SS.ffffff",
    what npscli wrote before version 10 (SQLAlchemy's format, and the import's and ticket opening's raw SQL),
    and the shorter ISO forms a hand-made row may have (a date, to the minute or second, 1 to 6 decimals)."""
    well_formed = (
        f"({column} GLOB '{_DAY}' OR {column} GLOB '{_MINUTE}' OR {column} GLOB '{_SECOND}' "
        f"OR ({column} GLOB '{_SECOND}.[0-9]*' AND length({column}) <= 26 "
        f"AND substr({column}, 21) NOT GLOB '*[^0-9]*')) "
        f"AND strftime('%s', substr({column}, 1, 19)) IS NOT NULL"
    )
    value = (
        f"CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER) * 1000000 + CASE WHEN length({column}) > 20 "
        f"THEN CAST(substr(substr({column}, 21) || '00000', 1, 6) AS INTEGER) ELSE 0 END"
    )
    return well_formed, value


def _sqlite_times_as_integers(conn: Connection) -> None:
    """SQLite: every time stored as text (SQLAlchemy's DateTime, before version 10) becomes the integer
    ``schema.Timestamp`` stores, exactly. One UPDATE per table, its indexes on those columns dropped around
    it and created again from their stored SQL (moving a million entries of an index in random order took
    41.9 s, the UPDATE and a rebuild 13.6 s: bench/README.md). A text that is not a time (no npscli wrote one)
    stops the migration, which then changes nothing. PostgreSQL stores ``timestamp`` already: nothing to do."""
    if conn.dialect.name != "sqlite":
        return
    for table in schema.metadata.sorted_tables:
        columns = [column.name for column in table.c if isinstance(column.type, schema.Timestamp)]
        if not columns or not inspect(conn).has_table(table.name):
            continue
        sql = {name: _sqlite_time_text(name) for name in columns}
        counts = ", ".join(
            f"count(CASE WHEN typeof({name}) = 'text' THEN 1 END), "
            f"count(CASE WHEN typeof({name}) = 'text' AND NOT ({sql[name][0]}) THEN 1 END)"
            for name in columns
        )
        found = conn.exec_driver_sql(f"SELECT {counts} FROM {table.name}").one()
        texts, malformed = found[0::2], found[1::2]
        for name, bad in zip(columns, malformed, strict=True):
            if bad:
                raise StoreError(
                    f"{table.name}.{name} holds {bad} value(s) that are not times, in the store's upgrade to "
                    "version 10 (times stored as integers); the store is unchanged",
                    hint="correct or clear those values with the sqlite3 shell, then run npscli again",
                )
        if not any(texts):
            continue
        indexes = [
            (name, definition)
            for name, definition in conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                (table.name,),
            ).all()
            if {row[2] for row in conn.exec_driver_sql(f'PRAGMA index_info("{name}")')} & set(columns)
        ]
        for name, _definition in indexes:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
        assignments = ", ".join(
            f"{name} = CASE WHEN typeof({name}) = 'text' THEN {sql[name][1]} ELSE {name} END" for name in columns
        )
        text_rows = " OR ".join(f"typeof({name}) = 'text'" for name in columns)
        conn.exec_driver_sql(f"UPDATE {table.name} SET {assignments} WHERE {text_rows}")
        for _name, definition in indexes:
            conn.exec_driver_sql(definition)


def _group_ids(conn: Connection) -> None:
    """Version 11: the location, department and provider names of responses move to ``group_labels``, the
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
        for name in schema.RETIRED_IN_11:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
        for field in ("location", "department", "provider"):
            conn.exec_driver_sql(
                f"INSERT INTO group_labels (field, value) SELECT DISTINCT '{field}', {field} FROM responses "
                f"WHERE {field} IS NOT NULL ORDER BY {field}"
            )
            conn.exec_driver_sql(f"ALTER TABLE responses ADD COLUMN {field}_id INTEGER")  # (no key: see schema)
            conn.exec_driver_sql(
                f"UPDATE responses SET {field}_id = (SELECT l.id FROM group_labels AS l "
                f"WHERE l.field = '{field}' AND l.value = responses.{field}) WHERE {field} IS NOT NULL"
            )
            conn.exec_driver_sql(f"ALTER TABLE responses DROP COLUMN {field}")
    for index in schema.responses.indexes:
        conn.execute(CreateIndex(index, if_not_exists=True))
    conn.exec_driver_sql(f"DROP VIEW IF EXISTS {schema.RESPONSES_NAMED}")
    conn.exec_driver_sql(schema.responses_named_sql(conn.dialect.name))


Migration = tuple[int, str, Callable[[Connection], None]]
LATEST = 12  # the last of MIGRATIONS (a test checks): what the up-to-date check compares with, building nothing


@functools.cache
def _migrations() -> list[Migration]:
    """Every migration, in order (built on first use: they name every table, which the up-to-date check of a
    command that reads two of them need not build)."""
    return [
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
            "SQLite: every time an integer of microseconds since 1970 (was 26 characters of text)",
            _sqlite_times_as_integers,
        ),
        (
            11,
            "responses: location, department and provider names stored once (group_labels), the responses and "
            "their indexes hold ids",
            _group_ids,
        ),
        (
            12,
            "tickets: the themes of the comment when the ticket was opened; import batches: the theme matching's "
            "fingerprint",
            _in_turn(_add_columns(schema.tickets, "themes"), _add_columns(schema.import_batches, "themes_key")),
        ),
    ]


def __getattr__(name: str):
    if name == "MIGRATIONS":
        return _migrations()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def current_version(conn: Connection) -> int:
    if not inspect(conn).has_table(schema.schema_versions.name):
        return 0
    versions = conn.execute(select(schema.schema_versions.c.version)).scalars().all()
    return max(versions, default=0)


# what SQLite and PostgreSQL say of a table that is not there
_NO_VERSION_TABLE = ("no such table: npscli_schema", 'relation "npscli_schema" does not exist')


def _stored_version(store: Store) -> int | None:
    """The store's version by one query of ``npscli_schema`` in a read transaction, without reflecting the
    table first (the check every command makes), or None when the table is not there (a new store). Any other
    error is raised as the read transaction raises it."""
    from sqlalchemy import func
    from sqlalchemy.exc import DBAPIError

    try:
        with store.read() as conn:
            return conn.execute(select(func.max(schema.schema_versions.c.version))).scalar() or 0
    except (StoreError, DBAPIError) as exc:
        text = str(exc.orig) if isinstance(exc, DBAPIError) else str(exc)
        if any(missing in text for missing in _NO_VERSION_TABLE):
            return None
        raise


MIGRATION_LOCK = 7220_1105


def _serialise(conn: Connection) -> None:
    """Make concurrent first runs on PostgreSQL take turns (SQLite's BEGIN IMMEDIATE already does)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")


def upgrade(
    store: Store, target: int | None = None, *, on_start: Callable[[int, int], None] | None = None
) -> list[int]:
    """Apply the pending migrations up to ``target`` (default: all). Returns the versions applied.
    ``on_start(version, target)`` is told once, before the first migration is applied (a large store takes a
    while: the caller can say so)."""
    target = LATEST if target is None else target
    applied: list[int] = []
    # The common case, a store already up to date, needs no write lock: a `score` run while a cron
    # import holds the lock answers at once instead of queueing behind it.
    version = _stored_version(store)
    if version is not None and target <= version <= LATEST:
        return applied
    with store.write() as conn:
        _serialise(conn)
        schema.schema_versions.create(conn, checkfirst=True)
        version = current_version(conn)
    refuse_newer(store, version)
    told = False
    for number, description, apply in _migrations():
        if number <= version or number > target:
            continue
        if on_start is not None and not told and version > 0:  # (a new, empty store: nothing to say)
            on_start(version, target)
            told = True
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


def refuse_newer(store: Store, version: int) -> None:
    """A store whose schema is newer than this code knows is refused, unchanged (an older npscli must not
    damage what a newer one wrote)."""
    if version > LATEST:
        raise StoreError(
            f"the store {redact_url(store.url)} has schema version {version}, newer than this npscli "
            f"understands ({LATEST})",
            hint="upgrade npscli (pip install -U npscli) before using this store",
        )


def status(store: Store) -> dict:
    with store.read() as conn:
        version = current_version(conn)
    return {"version": version, "latest": LATEST, "pending": [n for n, _, _ in _migrations() if n > version]}


def pending(store: Store) -> tuple[int, list[tuple[int, str]]]:
    """The store's schema version and the migrations this npscli would apply to it, ``(number, description)``,
    read without changing anything (a store newer than this code is refused; a database with no npscli schema
    at all is version 0, every migration pending)."""
    version = _stored_version(store) or 0
    refuse_newer(store, version)
    return version, [(number, description) for number, description, _ in _migrations() if number > version]
