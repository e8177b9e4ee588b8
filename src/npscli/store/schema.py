"""The store's tables (SQLAlchemy Core). Times are UTC, stored without a zone (``Timestamp``: PostgreSQL's
``timestamp``, on SQLite an integer of microseconds since 1970).

``responses.local_date`` and the ``period_*`` keys are computed at import in the clinic's time zone,
so grouping by week or month is an indexed column read, not a per-row time-zone conversion.
Which migration creates which table is in ``npscli.store.migrations``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.types import TypeDecorator

EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)


def microseconds(value: datetime) -> int:
    """A naive UTC time as microseconds since 1970-01-01 (exact; negative before 1970)."""
    return (value - EPOCH) // _MICROSECOND


class _Microseconds(Integer):
    """SQLite's side of ``Timestamp``: an INTEGER, the naive UTC time's microseconds since 1970-01-01.

    (A type of its own rather than a TypeDecorator: its processors are one Python call per value, where a
    decorator's wrap them in another; ``tickets stats`` of 250,000 tickets reads two million times.)"""

    def bind_processor(self, dialect):
        def process(value: Any) -> Any:
            if value is None:
                return None
            if isinstance(value, datetime):
                return microseconds(value.replace(tzinfo=None) if value.tzinfo is not None else value)
            if isinstance(value, date):
                return microseconds(datetime(value.year, value.month, value.day))
            raise TypeError("a Timestamp column takes datetime and date objects")

        return process

    def result_processor(self, dialect, coltype):
        epoch, moved_by = EPOCH, timedelta

        def process(value: Any) -> Any:
            # positional timedelta(days, seconds, microseconds): a third faster than microseconds=...
            return None if value is None else epoch + moved_by(0, 0, value)

        return process


class Timestamp(TypeDecorator):
    """A naive UTC time: PostgreSQL's ``timestamp``; on SQLite an INTEGER of microseconds since 1970-01-01.

    SQLAlchemy's own DateTime on SQLite is 26 characters of text ("YYYY-MM-DD HH:MM:SS.ffffff"); the integer is
    at most 8 bytes, exact to the microsecond, and orders the same. Every value bound against a column of this
    type (inserts, updates, comparisons, ``func.min``/``max``) converts both ways, so Python sees datetimes on
    both backends. Raw SQL on SQLite must write the integer itself (``microseconds``). An aware datetime is
    stored by its wall-clock fields, as SQLAlchemy's DateTime does on SQLite; the store holds naive UTC.
    The backend is told by the dialect's class (SQLite's DBAPI-independent base), not by its name."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        from sqlalchemy.dialects.sqlite.base import SQLiteDialect

        return _Microseconds() if isinstance(dialect, SQLiteDialect) else dialect.type_descriptor(DateTime())


# Every command builds the tables it names, not all of them: ``schema_versions``, ``group_labels`` and
# ``responses`` at import (the up-to-date check and every query of responses), the others on first use
# (``schema.tickets``, ``from npscli.store.schema import tickets``), and all of them with ``schema.metadata``
# (what DDL over every table needs: migrations, `db copy`). `score` then builds three tables of eight.
_metadata = MetaData()

schema_versions = Table(
    "npscli_schema",
    _metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("description", String(200), nullable=False),
    Column("applied_at", Timestamp, nullable=False),
)


def _import_batches() -> Table:
    return Table(
        "import_batches",
        _metadata,
        Column("id", Integer, primary_key=True),
        Column("source", String(100), nullable=False),
        Column("file_name", String(500), nullable=False),
        Column("sha256", String(64), nullable=False),
        Column("layout", String(40), nullable=False),
        Column("imported_at", Timestamp, nullable=False),
        Column("imported_by", String(100), nullable=False),
        Column("rows_read", Integer, nullable=False),
        Column("imported", Integer, nullable=False),
        Column("duplicates", Integer, nullable=False),
        Column("skipped", Integer, nullable=False),
        Column("excluded", Integer, nullable=False),
        Column("rejected", Integer, nullable=False),
        Column("tickets_opened", Integer, nullable=False, default=0),
        # --date: the time every response of a file without a date column was stamped with (naive UTC); else NULL
        Column("stamped_at", Timestamp, nullable=True),
        # the fingerprint of the theme matching the batch's tickets' ``themes`` were found with
        # (``io.theme_key.configured_taxonomy_key``); NULL: no themes stored
        Column("themes_key", String(64), nullable=True),
    )


# The location, department and provider names, each stored once: a response holds their ids. The names
# were repeated in the table and in three indexes (104 bytes a response on the benchmark's data); ids keep the
# covering indexes small and their GROUP BY an integer comparison. ``field`` is location | department | provider.
group_labels = Table(
    "group_labels",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("field", String(20), nullable=False),
    Column("value", String(200), nullable=False),
    UniqueConstraint("field", "value", name="uq_group_labels"),
)

responses = Table(
    "responses",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(100), nullable=False),
    Column("response_key", String(200), nullable=False),
    Column("response_id", String(200)),
    Column("batch_id", Integer, ForeignKey("import_batches.id"), nullable=False),
    Column("source_row", Integer, nullable=False),
    Column("submitted_at", Timestamp, nullable=False),
    Column("local_date", Date, nullable=False),
    Column("period_week", String(8), nullable=False),
    Column("period_month", String(7), nullable=False),
    Column("period_quarter", String(7), nullable=False),
    Column("period_year", String(4), nullable=False),
    Column("score", SmallInteger, nullable=False),
    Column("comment", Text),
    # ids of group_labels. No foreign key: on PostgreSQL a key is a check per row and column of every insert (three
    # million for a first load of a million responses, +30 % on its time); the import takes every id from the
    # label table in the same transaction, labels are never deleted, and `npscli db check` verifies them.
    Column("location_id", Integer),
    Column("department_id", Integer),
    Column("provider_id", Integer),
    Column("patient_name", String(300)),
    Column("email", String(300)),
    Column("phone", String(100)),
    Column("patient_id", String(200)),
    UniqueConstraint("source", "response_key", name="uq_responses_source_key"),
    # Few indexes, each earning its keep: every index is another B-tree a million-row import must build.
    # Covering indexes let the GROUP BY of `score` read the index alone, never the table:
    Index("ix_responses_groups_score", "location_id", "department_id", "provider_id", "score"),
    Index("ix_responses_location_week_score", "location_id", "period_week", "score"),
    # time windows (detractors, alerts, themes, reports), and trends by week within them:
    Index("ix_responses_window_score", "submitted_at", "score", "location_id", "period_week"),
    # recovery: the same patient's next response. Partial: a response without a patient id (most exports
    # have none) is never looked up by it; the query says `patient_id IS NOT NULL` so both backends use it.
    Index("ix_responses_patient_id_present", "patient_id", sqlite_where=text("patient_id IS NOT NULL")),
)
# recovery by e-mail compares lower(email): an index on the expression, not on the column (partial, as above)
Index("ix_responses_email_lower_present", func.lower(responses.c.email), sqlite_where=text("email IS NOT NULL"))
# The same conditions on PostgreSQL are set by ``use_postgresql`` when a PostgreSQL store is opened: a
# ``postgresql_where`` here would import SQLAlchemy's PostgreSQL dialects (about 25 ms) into every command on a
# SQLite store.
PARTIAL_INDEXES = {
    "ix_responses_patient_id_present": "patient_id IS NOT NULL",
    "ix_responses_email_lower_present": "email IS NOT NULL",
}


def use_postgresql() -> None:
    """Give the partial indexes their PostgreSQL condition (idempotent; before any DDL on PostgreSQL)."""
    for index in responses.indexes:
        where = PARTIAL_INDEXES.get(index.name)
        if where is not None and index.dialect_options["postgresql"]["where"] is None:
            index.dialect_options["postgresql"]["where"] = text(where)


# (No index on batch_id: the responses of a new batch are the ids above the largest before it, a range of
# the primary key; see ``store.responses.import_parsed``.)

# The responses as the table was before version 11, each group field by its name: for SQL of one's own (a
# dashboard, psql, the sqlite3 shell). npscli itself never reads it.
RESPONSES_NAMED = "responses_named"


def responses_named_sql(dialect: str) -> str:
    """CREATE VIEW of ``responses_named``: every column of responses, the group ids replaced by the names (and on
    SQLite the times as UTC text, "YYYY-MM-DD HH:MM:SS.SSS", not the stored integers)."""
    groups = ("location", "department", "provider")

    def shown(column) -> str:
        field = column.name.removesuffix("_id")
        if field in groups:
            return f"{field}_label.value AS {field}"
        if dialect == "sqlite" and isinstance(column.type, Timestamp):
            return f"strftime('%Y-%m-%d %H:%M:%f', r.{column.name} / 1000000.0, 'unixepoch') AS {column.name}"
        return f"r.{column.name}"

    joins = " ".join(f"LEFT JOIN group_labels AS {field}_label ON {field}_label.id = r.{field}_id" for field in groups)
    columns = ", ".join(shown(column) for column in responses.columns)
    return f"CREATE VIEW {RESPONSES_NAMED} AS SELECT {columns} FROM responses AS r {joins}"


# Indexes of earlier versions that the ones above make redundant (dropped by migration 4).
RETIRED_RESPONSE_INDEXES = (
    "ix_responses_submitted_at",
    "ix_responses_location_department",
    "ix_responses_provider",
    "ix_responses_period_week",
    "ix_responses_period_month",
    "ix_responses_score_submitted",
    "ix_responses_email",
)

# Indexes of version 8 that migration 9 replaces: the batch index (the new batch's responses are a range of the
# primary key) and the recovery indexes, made partial (responses without a patient id or e-mail left out).
RETIRED_IN_9 = ("ix_responses_batch", "ix_responses_patient_id", "ix_responses_email_lower")
# Indexes of version 10 on the names, which migration 11 replaces by the same indexes on the ids.
RETIRED_IN_11 = ("ix_responses_groups_score", "ix_responses_location_week_score", "ix_responses_window_score")
# ... and the history's (ticket_id, at): no query reads the events of a ticket by time, all of them by id.
RETIRED_EVENT_INDEXES_IN_9 = ("ix_ticket_events_ticket",)


def _tickets() -> Table:
    return Table(
        "tickets",
        _metadata,
        Column("id", Integer, primary_key=True),
        Column("response_pk", Integer, ForeignKey("responses.id"), nullable=False, unique=True),
        Column("status", String(20), nullable=False),
        Column("assignee", String(100)),
        Column("priority", String(10), nullable=False),
        Column("opened_at", Timestamp, nullable=False),
        Column("due_at", Timestamp, nullable=False),
        Column("first_contact_at", Timestamp),
        Column("closed_at", Timestamp),
        Column("root_causes", String(300)),
        Column("suggested_cause", String(40)),
        # the themes of the response's comment when the ticket was opened, codes joined by ","; "" none; NULL not
        # stored (no comment, no taxonomy, or a ticket of an older version). Valid while its batch's themes_key is
        # the current one; `detractors` reads them instead of matching every comment again.
        Column("themes", Text),
        Column("escalated_to", String(100)),
        Column("resolution", Text),
        Column("updated_at", Timestamp, nullable=False),
        Index("ix_tickets_status", "status"),
        Index("ix_tickets_assignee", "assignee"),
        Index("ix_tickets_due", "due_at"),
    )


def _ticket_events() -> Table:
    return Table(
        "ticket_events",
        _metadata,
        Column("id", Integer, primary_key=True),
        Column("ticket_id", Integer, ForeignKey("tickets.id"), nullable=False),
        Column("at", Timestamp, nullable=False),
        Column("actor", String(100), nullable=False),
        Column("kind", String(30), nullable=False),
        Column("channel", String(20)),
        Column("from_status", String(20)),
        Column("to_status", String(20)),
        Column("text", Text),
        # a ticket's history: every query reads it by ticket id, in id order (which this index gives as it is)
        Index("ix_ticket_events_ticket_id", "ticket_id"),
    )


def _alert_deliveries() -> Table:
    return Table(
        "alert_deliveries",
        _metadata,
        Column("id", Integer, primary_key=True),
        Column("response_pk", Integer, ForeignKey("responses.id"), nullable=False),
        Column("recipient", String(300), nullable=False),
        Column("channel", String(20), nullable=False),
        Column("status", String(20), nullable=False),  # pending | sent
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", String(500)),
        Column("created_at", Timestamp, nullable=False),
        Column("sent_at", Timestamp),
        # Set just before the SMTP transaction, cleared when it fails: a pending row with it set was maybe delivered
        # (the run died between the server's answer and the store's record).
        Column("attempted_at", Timestamp),
        UniqueConstraint("response_pk", "recipient", "channel", name="uq_alert_once"),
        Index("ix_alert_status", "status"),
    )


# One row per (emerging issue, recipient): `npscli alert` tells each recipient of an issue once.
# An issue is (theme, group_by, group_value, first_flagged); ``summary`` is its sentence when it was claimed.
def _emerging_alerts() -> Table:
    return Table(
        "emerging_alerts",
        _metadata,
        Column("id", Integer, primary_key=True),
        Column("theme", String(100), nullable=False),
        Column("group_by", String(20), nullable=False),  # location | department
        Column("group_value", String(300), nullable=False),
        Column("first_flagged", Date, nullable=False),  # the clinic's day
        Column("recipient", String(300), nullable=False),
        Column("status", String(20), nullable=False),  # pending | sent
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", String(500)),
        Column("summary", String(500), nullable=False),
        Column("created_at", Timestamp, nullable=False),
        Column("sent_at", Timestamp),
        Column("attempted_at", Timestamp),  # as alert_deliveries.attempted_at: set before sending, cleared on failure
        UniqueConstraint(
            "theme", "group_by", "group_value", "first_flagged", "recipient", name="uq_emerging_alert_once"
        ),
        Index("ix_emerging_alert_status", "status"),
    )


_BUILDERS = {
    "import_batches": _import_batches,
    "tickets": _tickets,
    "ticket_events": _ticket_events,
    "alert_deliveries": _alert_deliveries,
    "emerging_alerts": _emerging_alerts,
}


def __getattr__(name: str) -> Any:
    """A table built on first use (kept as a module attribute from then on), or ``metadata`` with every table."""
    if name == "metadata":
        for table in _BUILDERS:
            if table not in globals():
                __getattr__(table)
        globals()["metadata"] = _metadata
        return _metadata
    builder = _BUILDERS.get(name)
    if builder is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = table = builder()
    return table
